-- A device's first home view of its day counts in home_uv_ct, its first
-- good_detail view in good_detail_uv_ct; only windows holding such a first
-- view have a row.
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       count(*) FILTER (WHERE page_id = 'home') AS home_uv_ct,
       count(*) FILTER (WHERE page_id = 'good_detail') AS good_detail_uv_ct
FROM (SELECT *, row_number() OVER (PARTITION BY mid, page_id, day ORDER BY ts, o) AS n
      FROM page_log WHERE page_id IN ('home', 'good_detail'))
WHERE n = 1
GROUP BY ALL
