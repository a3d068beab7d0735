-- The shop's OLTP schema in MariaDB: what the business runs on. The test
-- creates it in a fresh database, seeds it, and changes it with random DML
-- while rtdw captures it.
CREATE TABLE customers (
  id         BIGINT PRIMARY KEY,
  name       VARCHAR(64) NOT NULL,
  city       VARCHAR(32) NOT NULL,
  is_test    TINYINT(1) NOT NULL DEFAULT 0,  -- internal test accounts: not counted in reports
  created_at DATETIME NOT NULL
);
CREATE TABLE products (
  id         BIGINT PRIMARY KEY,
  name       VARCHAR(64) NOT NULL,
  category   VARCHAR(32) NOT NULL,
  list_price DECIMAL(10, 2) NOT NULL
);
CREATE TABLE orders (
  id          BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  status      VARCHAR(16) NOT NULL,            -- CREATED, PAID, SHIPPED, CANCELLED
  order_time  DATETIME NOT NULL,
  KEY (customer_id)
);
CREATE TABLE order_items (
  id         BIGINT PRIMARY KEY,
  order_id   BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity   INT NOT NULL,
  price      DECIMAL(10, 2) NOT NULL,           -- unit price paid
  KEY (order_id)
);
