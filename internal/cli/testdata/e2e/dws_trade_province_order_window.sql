-- Per province (order_info.province_id): distinct orders and the sum of
-- split_total_amount of the window's order lines, each line once; the
-- province name from base_province.
SELECT wstt(l.lms) AS stt, wstt(l.lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(l.lms) AS DATE) AS cur_date,
       l.province_id, any_value(txt(pr.d, '$.name')) AS province_name,
       count(DISTINCT l.order_id) AS order_count, sum(l.total_amount) AS order_amount
FROM order_line l
LEFT JOIN (SELECT * FROM dim_rows WHERE tbl = 'base_province') pr ON pr.id = l.province_id
WHERE l.province_id <> '' AND l.order_id <> ''
GROUP BY 1, 2, 3, l.province_id
