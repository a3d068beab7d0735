-- DWS job: orders, buyers and GMV per province in 1-minute windows.
SET 'pipeline.name' = 'dws_province_1m';

INSERT INTO dws_province_1m
SELECT window_start, window_end, province,
       COUNT(*), COUNT(DISTINCT user_id), SUM(amount)
FROM TABLE(TUMBLE(TABLE dwd_orders, DESCRIPTOR(order_time), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, province;
