-- DWD: one row per order item, widened with its order (a regular join over
-- the changelogs of both topics), its customer and its product (a lookup
-- join into the dimension, as of processing time). The row keeps the
-- order's status and the customer's test flag: the DWS layer decides what
-- it counts.

CREATE TABLE dwd_order_detail (
  item_id BIGINT, order_id BIGINT, customer_id BIGINT, dt DATE, status STRING, is_test BOOLEAN,
  category STRING, product_name STRING, quantity INT, price DECIMAL(10, 2), amount DECIMAL(20, 2),
  PRIMARY KEY (item_id) NOT ENFORCED
) WITH ('connector' = 'upsert-kafka', 'topic' = 'dwd_order_detail', 'properties.bootstrap.servers' = 'kafka:9092',
        'key.format' = 'json', 'value.format' = 'json');

SET 'pipeline.name' = 'dwd_order_detail';
INSERT INTO dwd_order_detail
SELECT oi.id, oi.order_id, o.customer_id, CAST(o.order_time AS DATE), o.status, c.is_test,
       p.category, p.name, oi.quantity, oi.price, oi.quantity * oi.price
FROM ods_order_items AS oi
JOIN dim_products FOR SYSTEM_TIME AS OF oi.proc_time AS p ON p.id = oi.product_id
JOIN ods_orders AS o ON o.id = oi.order_id
JOIN ods_customers AS c ON c.id = o.customer_id;
