-- DIM: the product dimension in rtdw's dimension store (HBase's role in the
-- gmall course), kept up to date from the ODS topic by its own job.

CREATE TABLE dim_products (
  id BIGINT, name STRING, category STRING, list_price DECIMAL(10, 2),
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('connector' = 'rtdw-dim', 'table-name' = 'dim_shop_products');

SET 'pipeline.name' = 'dim_products';
INSERT INTO dim_products SELECT id, name, category, list_price FROM ods_products;
