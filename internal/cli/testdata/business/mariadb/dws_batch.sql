-- The DWS table computed in batch on MariaDB itself, over the tables' final
-- state: what the streaming jobs must end with, row for row.
SELECT p.category,
       DATE(o.order_time)            AS dt,
       COUNT(DISTINCT oi.order_id)   AS order_count,
       SUM(oi.quantity)              AS item_quantity,
       SUM(oi.quantity * oi.price)   AS revenue
FROM order_items AS oi
JOIN orders      AS o ON o.id = oi.order_id
JOIN products    AS p ON p.id = oi.product_id
JOIN customers   AS c ON c.id = o.customer_id
WHERE o.status <> 'CANCELLED' AND c.is_test = 0
GROUP BY p.category, DATE(o.order_time)
