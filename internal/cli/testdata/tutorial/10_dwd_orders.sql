-- DWD job: keep paid orders, add the columns later layers use.
SET 'pipeline.name' = 'dwd_orders';

CREATE TEMPORARY VIEW paid_orders AS
SELECT
  order_id,
  user_id,
  province,
  category,
  amount,
  order_time,
  DATE_FORMAT(order_time, 'yyyy-MM-dd') AS dt,
  amount >= 1000 AS big_order
FROM ods_orders
WHERE status = 'paid' AND amount > 0;

INSERT INTO dwd_orders SELECT * FROM paid_orders;
