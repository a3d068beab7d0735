-- The warehouse's tables, created once: the catalog keeps them in the data dir.

-- ODS: the orders topic as the shop writes it.
CREATE TABLE ods_orders (
  order_id    BIGINT,
  user_id     STRING,
  province    STRING,
  category    STRING,
  amount      DECIMAL(10, 2),
  status      STRING,
  create_time STRING,
  order_time AS TO_TIMESTAMP(create_time),
  WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'ods_orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'properties.group.id' = 'tutorial',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);

-- DWD: paid orders, cleaned, as a topic other jobs read.
CREATE TABLE dwd_orders (
  order_id   BIGINT,
  user_id    STRING,
  province   STRING,
  category   STRING,
  amount     DECIMAL(10, 2),
  order_time TIMESTAMP(3),
  dt         STRING,
  big_order  BOOLEAN,
  WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'dwd_orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);

-- DWS: orders per province and minute, in the OLAP database `rtdw query` reads.
CREATE TABLE dws_province_1m (
  stt      TIMESTAMP(3),
  edt      TIMESTAMP(3),
  province STRING,
  orders   BIGINT,
  buyers   BIGINT,
  gmv      DECIMAL(16, 2),
  PRIMARY KEY (stt, province) NOT ENFORCED
) WITH (
  'connector' = 'rtdw-olap'
);

-- DWS: each user's running totals, an upsert topic keyed by user.
CREATE TABLE dws_user_totals (
  user_id    STRING,
  orders     BIGINT,
  spent      DECIMAL(16, 2),
  last_order TIMESTAMP(3),
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'dws_user_totals',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);
