-- The batch side of the end-to-end test (internal/cli/e2e_test.go): views
-- over the raw ODS records only. The test loads
--   ods_db(p, o, v)   every topic_db record: partition, offset, value (JSON)
--   ods_log(p, o, v)  every topic_log record
--   keyword_words(keyword, word)  keyword_words.csv, written by hand
-- and runs one <table>.sql per DWS table over these views. Nothing here
-- reads a DWD topic: each view recomputes what a DWD job produces, from
-- its SPEC §3 rule, so a bug in a DWD or DWS job shows as a difference.
--
-- Time. Asia/Shanghai has been UTC+8 without daylight saving since 1991,
-- so the business-zone clock is epoch ms + 8 h exactly for any simulated
-- date; "lms" below is that local time in ms (a naive timestamp's epoch).
-- A 10 s window starts at lms rounded down to 10 s (8 h is a multiple of
-- 10 s, so this is the same window as the stream's epoch-aligned one).

CREATE MACRO wstt(lms) AS epoch_ms((lms // 10000) * 10000);
CREATE MACRO lday(lms) AS CAST(epoch_ms(lms) AS DATE);
-- text(): a scalar as the jobs read it ("" when absent, null or empty).
CREATE MACRO txt(j, path) AS coalesce(json_extract_string(j, path), '');

-- ---- topic_log ------------------------------------------------------------
-- Every simulated line is valid (the test asserts dirty_data is empty), so
-- all of them pass dwd_base_log's etl.
CREATE VIEW log_rec AS
SELECT p, o, v, CAST(v->>'$.ts' AS BIGINT) AS ts, CAST(v->>'$.ts' AS BIGINT) + 28800000 AS lms,
       txt(v, '$.common.mid') AS mid, txt(v, '$.common.is_new') AS is_new_raw
FROM ods_log;

-- is_new fix (SPEC §3.1), keyed by mid without TTL. The state is the
-- first visit date, set by the device's FIRST record carrying is_new (in
-- log order: a mid's records are all in one partition, keyed by mid, and
-- the test asserts it, so the offset orders them): date(ts) if that
-- record says "1", the day before if it says "0". A later "1" on another
-- date than the state becomes "0".
CREATE VIEW first_visit AS
SELECT mid, arg_min(CASE WHEN is_new_raw = '1' THEN lday(lms) ELSE lday(lms) - 1 END, o) AS first_date
FROM log_rec WHERE is_new_raw IN ('0', '1') GROUP BY mid;

-- dwd_traffic_page: records with a page and no start (a start log stops
-- at dwd_traffic_start; err is removed but the page still counts).
CREATE VIEW page_log AS
SELECT r.p, r.o, r.ts, r.lms, lday(r.lms) AS day, r.mid,
       txt(r.v, '$.common.vc') AS vc, txt(r.v, '$.common.ch') AS ch, txt(r.v, '$.common.ar') AS ar,
       CASE WHEN r.is_new_raw = '1' AND f.first_date <> lday(r.lms) THEN '0' ELSE r.is_new_raw END AS is_new, r.is_new_raw,
       txt(r.v, '$.common.uid') AS uid,
       txt(r.v, '$.page.page_id') AS page_id, txt(r.v, '$.page.last_page_id') AS last_page_id,
       txt(r.v, '$.page.item_type') AS item_type, txt(r.v, '$.page.item') AS item,
       coalesce(TRY_CAST(r.v->>'$.page.during_time' AS BIGINT), 0) AS during_time
FROM log_rec r LEFT JOIN first_visit f USING (mid)
WHERE json_type(r.v, '$.page') = 'OBJECT' AND json_extract(r.v, '$.start') IS NULL;

-- ---- topic_db -------------------------------------------------------------
CREATE VIEW db_rec AS
SELECT p, o, v, v->>'$.table' AS tbl, v->>'$.type' AS typ, CAST(v->>'$.ts' AS BIGINT) AS ts,
       CAST(v->>'$.ts' AS BIGINT) * 1000 + 28800000 AS lms, v->'$.data' AS d, v->'$.old' AS old
FROM ods_db WHERE v->>'$.database' = 'gmall';

-- Dimensions as dim_app keeps them: the latest row per id. (The simulator
-- only bootstraps them; were a dimension updated during the day, which row
-- a lookup sees would depend on timing, and this test would say so.)
CREATE VIEW dim_rows AS
SELECT tbl, txt(d, '$.id') AS id, arg_max(d, ts * 1000000000 + o) AS d
FROM db_rec WHERE typ IN ('insert', 'update', 'bootstrap-insert')
  AND tbl IN ('sku_info', 'spu_info', 'base_trademark', 'base_category1', 'base_category2', 'base_category3', 'base_province')
GROUP BY ALL;
CREATE VIEW dim_sku AS
SELECT s.id AS sku_id, txt(s.d, '$.sku_name') AS sku_name, txt(s.d, '$.spu_id') AS spu_id,
       txt(s.d, '$.tm_id') AS tm_id, txt(s.d, '$.category3_id') AS category3_id
FROM dim_rows s WHERE s.tbl = 'sku_info';
-- trademark and category path by (trademark id, category3 id), as the
-- enrichment walks it: category3 -> category2 -> category1.
CREATE VIEW dim_tm AS SELECT id, txt(d, '$.tm_name') AS tm_name FROM dim_rows WHERE tbl = 'base_trademark';
CREATE VIEW dim_c3 AS
SELECT c3.id AS category3_id, txt(c3.d, '$.name') AS category3_name,
       txt(c3.d, '$.category2_id') AS category2_id, txt(c2.d, '$.name') AS category2_name,
       txt(c2.d, '$.category1_id') AS category1_id, txt(c1.d, '$.name') AS category1_name
FROM (SELECT * FROM dim_rows WHERE tbl = 'base_category3') c3
LEFT JOIN (SELECT * FROM dim_rows WHERE tbl = 'base_category2') c2 ON c2.id = txt(c3.d, '$.category2_id')
LEFT JOIN (SELECT * FROM dim_rows WHERE tbl = 'base_category1') c1 ON c1.id = txt(c2.d, '$.category1_id');

-- dwd_trade_order_detail: order_detail inserts INNER JOIN order_info
-- inserts on order_id (the LEFT joins with order_detail_activity/coupon
-- add activity/coupon ids no DWS table reads; split amounts are the
-- detail's own). Its join TTL is processing time (10 s idle): a drained
-- run reads an order's rows, written in one transaction, within that, so
-- the batch join has no time bound. Event time = the detail's ts.
-- split_original_amount = sku_num * order_price, exact.
CREATE VIEW order_line AS
SELECT od.ts, od.lms, lday(od.lms) AS day, txt(od.d, '$.id') AS id, txt(od.d, '$.order_id') AS order_id,
       txt(oi.d, '$.user_id') AS user_id, txt(oi.d, '$.province_id') AS province_id, txt(od.d, '$.sku_id') AS sku_id,
       CAST(od.d->>'$.sku_num' AS BIGINT) * CAST(od.d->>'$.order_price' AS DECIMAL(18, 2)) AS original_amount,
       coalesce(CAST(od.d->>'$.split_activity_amount' AS DECIMAL(18, 2)), 0) AS activity_amount,
       coalesce(CAST(od.d->>'$.split_coupon_amount' AS DECIMAL(18, 2)), 0) AS coupon_amount,
       coalesce(CAST(od.d->>'$.split_total_amount' AS DECIMAL(18, 2)), 0) AS total_amount
FROM (SELECT * FROM db_rec WHERE tbl = 'order_detail' AND typ = 'insert') od
JOIN (SELECT * FROM db_rec WHERE tbl = 'order_info' AND typ = 'insert') oi
  ON txt(oi.d, '$.id') = txt(od.d, '$.order_id');

-- Updates that changed column c to value x: "old" has c, data has x.
CREATE MACRO changed_to(old, d, c, x) AS
  json_exists(old, '$.' || c) AND json_extract_string(d, '$.' || c) = x;
