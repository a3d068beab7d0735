-- dwd_trade_order_payment_success: payment_info updates whose
-- payment_status changed to 1602, interval-joined on order_id with the
-- order lines whose event time lies in [payment - 30 min, payment + 5 s]
-- (both ends included); one row per line at the payment's ts, user from
-- order_info. Per user the first payment of the day counts a unique
-- user; a new user too when the user paid on no earlier day.
WITH pay AS (
  SELECT DISTINCT pi.ts, pi.lms, lday(pi.lms) AS day, l.user_id
  FROM db_rec pi JOIN order_line l
    ON l.order_id = txt(pi.d, '$.order_id')
   AND l.ts * 1000 BETWEEN pi.ts * 1000 - 1800000 AND pi.ts * 1000 + 5000
  WHERE pi.tbl = 'payment_info' AND pi.typ = 'update' AND changed_to(pi.old, pi.d, 'payment_status', '1602')
    AND l.user_id <> '')
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       count(*) AS payment_suc_unique_user_count, count(*) FILTER (WHERE prev_day IS NULL) AS payment_suc_new_user_count
FROM (SELECT *, lag(day) OVER (PARTITION BY user_id ORDER BY day) AS prev_day
      FROM (SELECT *, row_number() OVER (PARTITION BY user_id, day ORDER BY ts) AS n FROM pay)
      WHERE n = 1)
GROUP BY ALL
