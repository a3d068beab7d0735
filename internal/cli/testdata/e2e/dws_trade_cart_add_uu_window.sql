-- dwd_trade_cart_add: cart_info inserts, and updates that raised sku_num.
-- A user's first cart add of the day (event time = ts) counts 1.
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       count(*) AS cart_add_uu_ct
FROM (SELECT lms, row_number() OVER (PARTITION BY txt(d, '$.user_id'), lday(lms) ORDER BY ts) AS n
      FROM db_rec
      WHERE tbl = 'cart_info' AND txt(d, '$.user_id') <> ''
        AND (typ = 'insert' OR (typ = 'update' AND json_exists(old, '$.sku_num')
             AND CAST(d->>'$.sku_num' AS BIGINT) > coalesce(CAST(old->>'$.sku_num' AS BIGINT), 0))))
WHERE n = 1
GROUP BY ALL
