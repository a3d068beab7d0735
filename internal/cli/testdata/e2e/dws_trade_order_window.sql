-- Per user (order_info.user_id) the first order line of the day (event
-- time = the detail's ts) counts a unique user; a new user too when the
-- user had no order line on any earlier day.
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       count(*) AS order_unique_user_count, count(*) FILTER (WHERE prev_day IS NULL) AS order_new_user_count
FROM (SELECT *, lag(day) OVER (PARTITION BY user_id ORDER BY day) AS prev_day
      FROM (SELECT *, row_number() OVER (PARTITION BY user_id, day ORDER BY ts) AS n FROM order_line WHERE user_id <> '')
      WHERE n = 1)
GROUP BY ALL
