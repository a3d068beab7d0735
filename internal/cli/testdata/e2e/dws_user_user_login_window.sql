-- A login is a page view with a uid that starts a session (no
-- last_page_id) or follows the login page. A uid's first login of a day
-- counts in uu_ct; in back_ct too when its previous login day is 8 or more
-- days earlier (no earlier day in this data: back_ct is 0 unless the
-- simulated day spills into later days).
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       sum(CASE WHEN prev_day IS NOT NULL AND day - prev_day >= 8 THEN 1 ELSE 0 END) AS back_ct,
       count(*) AS uu_ct
FROM (SELECT *, lag(day) OVER (PARTITION BY uid ORDER BY day) AS prev_day
      FROM (SELECT *, row_number() OVER (PARTITION BY uid, day ORDER BY ts, p, o) AS n
            FROM page_log WHERE uid <> '' AND last_page_id IN ('', 'login'))
      WHERE n = 1)
GROUP BY ALL
