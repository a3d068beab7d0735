-- dwd_trade_order_refund: order_refund_info inserts INNER JOIN the
-- order_info updates whose order_status changed to 1005, on order_id (the
-- join TTL, 5 s of processing time, does not cut a drained run; no time
-- bound). Event time = the refund's ts. Key: user_id and the sku's
-- trademark and category3 ("" when the sku is unknown); refund_count =
-- distinct orders; then the trademark name and category path.
WITH refund AS (
  SELECT r.lms, txt(r.d, '$.user_id') AS user_id, txt(r.d, '$.order_id') AS order_id, txt(r.d, '$.sku_id') AS sku_id
  FROM db_rec r
  WHERE r.tbl = 'order_refund_info' AND r.typ = 'insert'
    AND EXISTS (SELECT 1 FROM db_rec oi WHERE oi.tbl = 'order_info' AND oi.typ = 'update'
                AND changed_to(oi.old, oi.d, 'order_status', '1005') AND txt(oi.d, '$.id') = txt(r.d, '$.order_id')))
SELECT wstt(f.lms) AS stt, wstt(f.lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(f.lms) AS DATE) AS cur_date,
       f.user_id, coalesce(s.tm_id, '') AS trademark_id, coalesce(s.category3_id, '') AS category3_id,
       any_value(tm.tm_name) AS trademark_name,
       any_value(c.category1_id) AS category1_id, any_value(c.category1_name) AS category1_name,
       any_value(c.category2_id) AS category2_id, any_value(c.category2_name) AS category2_name,
       any_value(c.category3_name) AS category3_name,
       count(DISTINCT f.order_id) AS refund_count
FROM refund f
LEFT JOIN dim_sku s ON s.sku_id = f.sku_id
LEFT JOIN dim_tm tm ON tm.id = s.tm_id
LEFT JOIN dim_c3 c ON c.category3_id = s.category3_id
WHERE f.user_id <> '' AND f.order_id <> '' AND f.sku_id <> ''
GROUP BY 1, 2, 3, 4, 5, 6
