-- Nexmark q6, average selling price per seller: the average of the
-- winning bids of each seller's last 10 closed auctions. Flink cannot run
-- it either (FLINK-19059: an OVER aggregation over the updating result of
-- a Top-N); this is the suite's query with the subquery's columns named
-- so that it is valid SQL.
CREATE TEMPORARY TABLE nexmark_q6 (
  seller BIGINT,
  avg_price BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q6
SELECT Q.seller,
       AVG(Q.price) OVER (PARTITION BY Q.seller ORDER BY Q.`dateTime` ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
FROM (
  SELECT id, seller, price, `dateTime`
  FROM (
    SELECT A.id, A.seller, B.price, B.`dateTime`,
           ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
    FROM auction AS A, bid AS B
    WHERE A.id = B.auction
      AND B.`dateTime` BETWEEN A.`dateTime` AND A.expires
  )
  WHERE rownum <= 1
) AS Q;
