-- DWS: per product category and day, the number of orders, items sold and
-- revenue, without cancelled orders and internal test accounts; an
-- unbounded GROUP BY over the DWD changelog, upserted into
-- StarRocks (Stream Load) and into rtdw's OLAP (embedded DuckDB, read by
-- `rtdw query` and the dashboard).

CREATE TABLE dws_category_day_sr (
  category STRING, dt DATE, order_count BIGINT, item_quantity BIGINT, revenue DECIMAL(20, 2),
  PRIMARY KEY (category, dt) NOT ENFORCED
) WITH (
  'connector' = 'starrocks',
  'jdbc-url' = 'jdbc:mysql://${STARROCKS_FE_MYSQL}',
  'load-url' = '${STARROCKS_FE_HTTP}',
  'database-name' = 'shop_dws', 'table-name' = 'dws_category_day',
  'username' = 'root', 'password' = '${STARROCKS_PASSWORD}',
  'sink.label-prefix' = 'shop',
  'sink.properties.format' = 'json', 'sink.properties.strip_outer_array' = 'true',
  'sink.buffer-flush.interval-ms' = '1000', 'sink.semantic' = 'exactly-once'
);
CREATE TABLE dws_category_day_olap (
  category STRING, dt DATE, order_count BIGINT, item_quantity BIGINT, revenue DECIMAL(20, 2),
  PRIMARY KEY (category, dt) NOT ENFORCED
) WITH ('connector' = 'rtdw-olap', 'table-name' = 'dws_category_day');

CREATE VIEW dws_category_day AS
SELECT category, dt,
       COUNT(DISTINCT order_id)       AS order_count,
       SUM(CAST(quantity AS BIGINT))  AS item_quantity,
       SUM(amount)                    AS revenue
FROM dwd_order_detail
WHERE status <> 'CANCELLED' AND NOT is_test
GROUP BY category, dt;

SET 'pipeline.name' = 'dws_category_day';
EXECUTE STATEMENT SET BEGIN
  INSERT INTO dws_category_day_sr SELECT * FROM dws_category_day;
  INSERT INTO dws_category_day_olap SELECT * FROM dws_category_day;
END;
