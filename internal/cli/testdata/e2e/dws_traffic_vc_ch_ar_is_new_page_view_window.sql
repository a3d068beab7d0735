-- Page views by (vc, ch, ar, fixed is_new) per window: pv 1 and during_time
-- each; sv 1 when the view has no last_page_id; uv 1 on the device's first
-- view of its day, in event-time order (the job buffers until the
-- watermark, so ties in ts keep log order: ts, then offset).
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       vc, ch, ar, is_new,
       sum(uv) AS uv_ct, sum(CASE WHEN last_page_id = '' THEN 1 ELSE 0 END) AS sv_ct,
       count(*) AS pv_ct, sum(during_time) AS dur_sum
FROM (SELECT *, CASE WHEN row_number() OVER (PARTITION BY mid, day ORDER BY ts, o) = 1 THEN 1 ELSE 0 END AS uv FROM page_log)
GROUP BY ALL
