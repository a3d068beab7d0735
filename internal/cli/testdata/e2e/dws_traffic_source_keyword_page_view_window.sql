-- Page views reached from search with a keyword: one count per word of
-- the keyword (keyword_words.csv is the hand-written segmentation of the
-- simulator's keywords; the test fails if a searched keyword lacks one).
SELECT wstt(lms) AS stt, wstt(lms) + INTERVAL 10 SECOND AS edt, CAST(wstt(lms) AS DATE) AS cur_date,
       w.word AS keyword, count(*) AS keyword_count
FROM page_log JOIN keyword_words w ON w.keyword = page_log.item
WHERE last_page_id = 'search' AND item_type = 'keyword' AND item <> ''
GROUP BY ALL
