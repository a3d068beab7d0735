-- The three biggest spenders, from the upsert topic's changelog.
SELECT user_id, spent, rn
FROM (
  SELECT user_id, spent,
         ROW_NUMBER() OVER (ORDER BY spent DESC) AS rn
  FROM dws_user_totals
)
WHERE rn <= 3;
