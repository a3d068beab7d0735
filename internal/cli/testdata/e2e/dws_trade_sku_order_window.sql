-- Order line amounts per sku, each line once (the job dedups the
-- partial/completed rows of the LEFT joins by detail id), then the sku's
-- names and its spu, trademark and category path from the dimensions.
SELECT wstt(l.lms) AS stt, wstt(l.lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(l.lms) AS DATE) AS cur_date,
       l.sku_id, any_value(s.sku_name) AS sku_name, any_value(s.spu_id) AS spu_id,
       any_value(txt(spu.d, '$.spu_name')) AS spu_name,
       any_value(s.tm_id) AS trademark_id, any_value(tm.tm_name) AS trademark_name,
       any_value(c.category1_id) AS category1_id, any_value(c.category1_name) AS category1_name,
       any_value(c.category2_id) AS category2_id, any_value(c.category2_name) AS category2_name,
       any_value(s.category3_id) AS category3_id, any_value(c.category3_name) AS category3_name,
       sum(l.original_amount) AS original_amount, sum(l.activity_amount) AS activity_reduce_amount,
       sum(l.coupon_amount) AS coupon_reduce_amount, sum(l.total_amount) AS order_amount
FROM order_line l
LEFT JOIN dim_sku s ON s.sku_id = l.sku_id
LEFT JOIN (SELECT * FROM dim_rows WHERE tbl = 'spu_info') spu ON spu.id = s.spu_id
LEFT JOIN dim_tm tm ON tm.id = s.tm_id
LEFT JOIN dim_c3 c ON c.category3_id = s.category3_id
WHERE l.sku_id <> ''
GROUP BY 1, 2, 3, l.sku_id
