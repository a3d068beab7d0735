-- Nexmark q13, bounded side input join: each bid enriched with the side
-- input's value for its auction id modulo 10000 (a lookup join). The suite
-- reads the side input from a file ('i,i' for i in 0..9999); on rtdw it is
-- an rtdw-dim table that side_input.sql fills first:
--
--   rtdw sql -f bench/nexmark/side_input.sql --drain
--   rtdw sql -f bench/nexmark/ddl.sql -f bench/nexmark/q13.sql --drain
--
-- with the whole table cached, as the suite's in-memory file source.
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

CREATE TEMPORARY TABLE nexmark_q13 (
  auction BIGINT,
  bidder BIGINT,
  price BIGINT,
  `dateTime` TIMESTAMP(3),
  `value` VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q13
SELECT B.auction, B.bidder, B.price, B.`dateTime`, S.`value`
FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
ON MOD(B.auction, 10000) = S.key;
