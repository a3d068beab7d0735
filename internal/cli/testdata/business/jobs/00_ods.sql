-- ODS: the shop's four MariaDB tables, captured with mysql-cdc (snapshot,
-- then binlog) into upsert-kafka topics keyed by their primary keys. One
-- statement set: one job, one binlog reader for the four tables.
-- Host names, ports and passwords are placeholders the test fills in (nothing else).

CREATE TABLE src_customers (
  id BIGINT, name STRING, city STRING, is_test BOOLEAN, created_at TIMESTAMP(0),
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc', 'hostname' = '${MYSQL_HOST}', 'port' = '${MYSQL_PORT}',
  'username' = '${MYSQL_USER}', 'password' = '${MYSQL_PASSWORD}',
  'database-name' = '${MYSQL_DATABASE}', 'table-name' = 'customers', 'server-id' = '5401-5404'
);
CREATE TABLE src_products (
  id BIGINT, name STRING, category STRING, list_price DECIMAL(10, 2),
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc', 'hostname' = '${MYSQL_HOST}', 'port' = '${MYSQL_PORT}',
  'username' = '${MYSQL_USER}', 'password' = '${MYSQL_PASSWORD}',
  'database-name' = '${MYSQL_DATABASE}', 'table-name' = 'products', 'server-id' = '5405-5408'
);
CREATE TABLE src_orders (
  id BIGINT, customer_id BIGINT, status STRING, order_time TIMESTAMP(0),
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc', 'hostname' = '${MYSQL_HOST}', 'port' = '${MYSQL_PORT}',
  'username' = '${MYSQL_USER}', 'password' = '${MYSQL_PASSWORD}',
  'database-name' = '${MYSQL_DATABASE}', 'table-name' = 'orders', 'server-id' = '5409-5412'
);
CREATE TABLE src_order_items (
  id BIGINT, order_id BIGINT, product_id BIGINT, quantity INT, price DECIMAL(10, 2),
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc', 'hostname' = '${MYSQL_HOST}', 'port' = '${MYSQL_PORT}',
  'username' = '${MYSQL_USER}', 'password' = '${MYSQL_PASSWORD}',
  'database-name' = '${MYSQL_DATABASE}', 'table-name' = 'order_items', 'server-id' = '5413-5416'
);

CREATE TABLE ods_customers (
  id BIGINT, name STRING, city STRING, is_test BOOLEAN, created_at TIMESTAMP(0),
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('connector' = 'upsert-kafka', 'topic' = 'ods_customers', 'properties.bootstrap.servers' = 'kafka:9092',
        'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE ods_products (
  id BIGINT, name STRING, category STRING, list_price DECIMAL(10, 2),
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('connector' = 'upsert-kafka', 'topic' = 'ods_products', 'properties.bootstrap.servers' = 'kafka:9092',
        'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE ods_orders (
  id BIGINT, customer_id BIGINT, status STRING, order_time TIMESTAMP(0),
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('connector' = 'upsert-kafka', 'topic' = 'ods_orders', 'properties.bootstrap.servers' = 'kafka:9092',
        'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE ods_order_items (
  id BIGINT, order_id BIGINT, product_id BIGINT, quantity INT, price DECIMAL(10, 2),
  proc_time AS PROCTIME(),  -- for the lookup join of the DWD layer
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('connector' = 'upsert-kafka', 'topic' = 'ods_order_items', 'properties.bootstrap.servers' = 'kafka:9092',
        'key.format' = 'json', 'value.format' = 'json');

SET 'pipeline.name' = 'ods_shop';
EXECUTE STATEMENT SET BEGIN
  INSERT INTO ods_customers SELECT * FROM src_customers;
  INSERT INTO ods_products SELECT * FROM src_products;
  INSERT INTO ods_orders SELECT * FROM src_orders;
  INSERT INTO ods_order_items SELECT id, order_id, product_id, quantity, price FROM src_order_items;
END;
