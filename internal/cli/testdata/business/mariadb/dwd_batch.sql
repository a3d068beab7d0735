-- The DWD table computed in batch on MariaDB: one row per order item whose
-- order, customer and product exist (the product's name is left out: the
-- lookup join reads it as of processing time, not as of the end).
SELECT oi.id, oi.order_id, o.customer_id, DATE(o.order_time) AS dt, o.status, c.is_test, p.category,
       oi.quantity, oi.price, oi.quantity * oi.price AS amount
FROM order_items AS oi
JOIN orders      AS o ON o.id = oi.order_id
JOIN products    AS p ON p.id = oi.product_id
JOIN customers   AS c ON c.id = o.customer_id
