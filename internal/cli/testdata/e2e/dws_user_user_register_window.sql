-- dwd_user_register is user_info inserts (table_process_dwd); the window
-- is that of create_time, a business-zone datetime, not of ts.
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       count(*) AS register_ct
FROM (SELECT epoch_ms(strptime(json_extract_string(d, '$.create_time'), '%Y-%m-%d %H:%M:%S')) AS lms
      FROM db_rec WHERE tbl = 'user_info' AND typ = 'insert')
GROUP BY ALL
