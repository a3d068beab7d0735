-- The side input of Nexmark q13: rows (i, 'i') for i in 0..9999, as the
-- suite's side_input_gen.sh writes its file, into an rtdw-dim table.
CREATE TEMPORARY TABLE IF NOT EXISTS side_input (
  key BIGINT,
  `value` VARCHAR,
  PRIMARY KEY (key) NOT ENFORCED
) WITH (
  'connector' = 'rtdw-dim',
  'table-name' = 'nexmark_side_input',
  'lookup.cache' = 'PARTIAL',
  'lookup.partial-cache.max-rows' = '10000'
);

CREATE TEMPORARY TABLE side_input_rows (
  key BIGINT
) WITH (
  'connector' = 'datagen',
  'fields.key.kind' = 'sequence',
  'fields.key.start' = '0',
  'fields.key.end' = '9999'
);

INSERT INTO side_input
SELECT key, CAST(key AS STRING) FROM side_input_rows;
