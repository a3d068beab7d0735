-- DWS job: every user's order count and spending so far (an updating result).
SET 'pipeline.name' = 'dws_user_totals';

INSERT INTO dws_user_totals
SELECT user_id, COUNT(*), SUM(amount), MAX(order_time)
FROM dwd_orders
GROUP BY user_id;
