-- Nexmark on rtdw: the event table and the person, auction and bid views,
-- as the Flink nexmark suite defines them (ddl_gen.sql, ddl_views.sql).
--
--   rtdw sql -f bench/nexmark/ddl.sql -f bench/nexmark/q5.sql --drain
--   rtdw bench nexmark --events 10000000 --queries q0,q5
--
-- The workload is the suite's: 10 M events per second of event time
-- (TPS), 2 % people, 6 % auctions, 92 % bids. The suite generates
-- 100 M events per query; here 1 M (about 240 MB of log), and
-- `rtdw bench nexmark --events N` sets 'events.num'. 'seed' (and
-- 'base-time', default 2024-01-01 00:00:00) are rtdw's: the same events
-- on every run. Everything is TEMPORARY (session-scoped), so the files run
-- again on the same data dir (where a job resumes from its checkpoint: use
-- a fresh data dir, or --reset-job, to run a query again).
CREATE TEMPORARY TABLE nexmark (
  event_type INT,
  person ROW<
    id BIGINT,
    name VARCHAR,
    emailAddress VARCHAR,
    creditCard VARCHAR,
    city VARCHAR,
    state VARCHAR,
    `dateTime` TIMESTAMP(3),
    extra VARCHAR>,
  auction ROW<
    id BIGINT,
    itemName VARCHAR,
    description VARCHAR,
    initialBid BIGINT,
    reserve BIGINT,
    `dateTime` TIMESTAMP(3),
    expires TIMESTAMP(3),
    seller BIGINT,
    category BIGINT,
    extra VARCHAR>,
  bid ROW<
    auction BIGINT,
    bidder BIGINT,
    price BIGINT,
    channel VARCHAR,
    url VARCHAR,
    `dateTime` TIMESTAMP(3),
    extra VARCHAR>,
  `dateTime` AS CASE
    WHEN event_type = 0 THEN person.`dateTime`
    WHEN event_type = 1 THEN auction.`dateTime`
    ELSE bid.`dateTime`
  END,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH (
  'connector' = 'nexmark',
  'first-event.rate' = '10000000',
  'next-event.rate' = '10000000',
  'events.num' = '1000000',
  'person.proportion' = '1',
  'auction.proportion' = '3',
  'bid.proportion' = '46',
  'seed' = '0'
);

CREATE TEMPORARY VIEW person AS
SELECT person.id, person.name, person.emailAddress, person.creditCard, person.city, person.state,
       `dateTime`, person.extra
FROM nexmark WHERE event_type = 0;

CREATE TEMPORARY VIEW auction AS
SELECT auction.id, auction.itemName, auction.description, auction.initialBid, auction.reserve,
       `dateTime`, auction.expires, auction.seller, auction.category, auction.extra
FROM nexmark WHERE event_type = 1;

CREATE TEMPORARY VIEW bid AS
SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url, `dateTime`, bid.extra
FROM nexmark WHERE event_type = 2;
