package ads

// Chart says how the dashboard draws an indicator's rows. Every kind reads
// the first column as the label (name, category, hour) and the next columns
// as measures, in order.
type Chart string

const (
	// Number: one row, one big figure (the first column); a second
	// column, if any, is the figure of yesterday to compare with (NULL:
	// no data yesterday).
	Number Chart = "number"
	// Map: province name and a measure on the map of China (a ranked bar
	// when the map is not available).
	Map Chart = "map"
	// Ranking: a horizontal bar per row, largest first (the SQL orders it).
	Ranking Chart = "ranking"
	// Bar: vertical bars, one series per measure column.
	Bar Chart = "bar"
	// Line: one line per measure column over the label axis (hours).
	Line Chart = "line"
	// Trend: one line per measure column over the minutes of the day (the
	// label column is the minute, 0-1439); a column named *_yesterday is
	// drawn dashed, over the minutes of the others.
	Trend Chart = "trend"
	// Pie: label and the first measure; the other measures show in tooltips.
	Pie Chart = "pie"
	// WordCloud: word and weight.
	WordCloud Chart = "wordcloud"
	// Funnel: stage and users, in the SQL's order.
	Funnel Chart = "funnel"
	// Table: the rows as they are.
	Table Chart = "table"
)

// Indicator is one dashboard figure: a query over the DWS tables whose only
// parameter, $1, is the day (yyyy-MM-dd) compared with cur_date.
type Indicator struct {
	// Name is the stable identifier in the API path (/api/ads/<name>).
	Name string `json:"name"`
	// Title is what the dashboard shows above the chart.
	Title string `json:"title"`
	// Chart is how the dashboard draws the rows.
	Chart Chart `json:"chart"`
	// SQL returns the rows; $1 is the day.
	SQL string `json:"sql"`
}

// Indicators lists SPEC §5's indicators in dashboard order.
func Indicators() []Indicator {
	return []Indicator{
		{
			// The figure and yesterday's up to the same time of day
			// (yesterday's windows that ended no later than today's last
			// one, a day earlier): NULL when yesterday has none.
			Name: "gmv", Title: "GMV", Chart: Number,
			SQL: `WITH t AS (
  SELECT SUM(order_amount) AS v, MAX(edt) AS upto
  FROM dws_trade_sku_order_window WHERE cur_date = CAST($1 AS DATE))
SELECT CAST(COALESCE(t.v, 0) AS DOUBLE PRECISION) AS gmv,
  (SELECT CAST(SUM(y.order_amount) AS DOUBLE PRECISION)
   FROM dws_trade_sku_order_window y
   WHERE y.cur_date = CAST($1 AS DATE) - INTERVAL '1 day' AND y.edt <= t.upto - INTERVAL '1 day') AS gmv_yesterday
FROM t`,
		},
		{
			Name: "orders", Title: "Orders", Chart: Number,
			SQL: `WITH t AS (
  SELECT SUM(order_count) AS v, MAX(edt) AS upto
  FROM dws_trade_province_order_window WHERE cur_date = CAST($1 AS DATE))
SELECT CAST(COALESCE(t.v, 0) AS BIGINT) AS order_count,
  (SELECT CAST(SUM(y.order_count) AS BIGINT)
   FROM dws_trade_province_order_window y
   WHERE y.cur_date = CAST($1 AS DATE) - INTERVAL '1 day' AND y.edt <= t.upto - INTERVAL '1 day') AS order_count_yesterday
FROM t`,
		},
		{
			// GMV (the SKU windows, as the GMV card) over orders (the
			// province windows: one order, one province), rounded to cents.
			Name: "aov", Title: "Average order value", Chart: Number,
			SQL: `WITH g AS (
  SELECT SUM(order_amount) AS v, MAX(edt) AS upto
  FROM dws_trade_sku_order_window WHERE cur_date = CAST($1 AS DATE)),
o AS (
  SELECT SUM(order_count) AS v
  FROM dws_trade_province_order_window WHERE cur_date = CAST($1 AS DATE)),
gy AS (
  SELECT SUM(y.order_amount) AS v
  FROM dws_trade_sku_order_window y, g
  WHERE y.cur_date = CAST($1 AS DATE) - INTERVAL '1 day' AND y.edt <= g.upto - INTERVAL '1 day'),
oy AS (
  SELECT SUM(y.order_count) AS v
  FROM dws_trade_province_order_window y, g
  WHERE y.cur_date = CAST($1 AS DATE) - INTERVAL '1 day' AND y.edt <= g.upto - INTERVAL '1 day')
SELECT CAST(COALESCE(CAST(g.v / NULLIF(o.v, 0) AS DECIMAL(16,2)), 0) AS DOUBLE PRECISION) AS aov,
  CAST(CAST(gy.v / NULLIF(oy.v, 0) AS DECIMAL(16,2)) AS DOUBLE PRECISION) AS aov_yesterday
FROM g, o, gy, oy`,
		},
		{
			// GMV per minute of the day (of the windows' start), and
			// yesterday's in the same minute (NULL where one of the days
			// has none).
			Name: "gmv_trend", Title: "GMV per minute", Chart: Trend,
			SQL: `SELECT COALESCE(t.m, y.m) AS minute_of_day, t.gmv, y.gmv AS gmv_yesterday
FROM (
  SELECT CAST(EXTRACT(HOUR FROM stt) * 60 + EXTRACT(MINUTE FROM stt) AS BIGINT) AS m,
         CAST(SUM(order_amount) AS DOUBLE PRECISION) AS gmv
  FROM dws_trade_sku_order_window
  WHERE cur_date = CAST($1 AS DATE)
  GROUP BY CAST(EXTRACT(HOUR FROM stt) * 60 + EXTRACT(MINUTE FROM stt) AS BIGINT)
) t
FULL JOIN (
  SELECT CAST(EXTRACT(HOUR FROM stt) * 60 + EXTRACT(MINUTE FROM stt) AS BIGINT) AS m,
         CAST(SUM(order_amount) AS DOUBLE PRECISION) AS gmv
  FROM dws_trade_sku_order_window
  WHERE cur_date = CAST($1 AS DATE) - INTERVAL '1 day'
  GROUP BY CAST(EXTRACT(HOUR FROM stt) * 60 + EXTRACT(MINUTE FROM stt) AS BIGINT)
) y ON t.m = y.m
ORDER BY minute_of_day`,
		},
		{
			Name: "province_gmv", Title: "GMV by province", Chart: Map,
			SQL: `SELECT province_name,
       CAST(SUM(order_amount) AS DOUBLE PRECISION) AS order_amount,
       CAST(SUM(order_count) AS BIGINT) AS order_count
FROM dws_trade_province_order_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY province_id, province_name
ORDER BY order_amount DESC, province_name`,
		},
		{
			Name: "channel_uv", Title: "Visitors by channel (top 10)", Chart: Ranking,
			SQL: `SELECT ch, CAST(SUM(uv_ct) AS BIGINT) AS uv
FROM dws_traffic_vc_ch_ar_is_new_page_view_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY ch
ORDER BY uv DESC, ch
LIMIT 10`,
		},
		{
			Name: "channel_sessions", Title: "Sessions by channel", Chart: Table,
			// dur_sum is in milliseconds; ratios are rounded to cents in
			// DECIMAL so every backend rounds alike.
			SQL: `SELECT ch,
       CAST(SUM(sv_ct) AS BIGINT) AS sessions,
       CAST(CAST(SUM(pv_ct) * 1.0 / NULLIF(SUM(sv_ct), 0) AS DECIMAL(16,2)) AS DOUBLE PRECISION) AS pv_per_session,
       CAST(CAST(SUM(dur_sum) / 1000.0 / NULLIF(SUM(sv_ct), 0) AS DECIMAL(16,2)) AS DOUBLE PRECISION) AS avg_duration_s
FROM dws_traffic_vc_ch_ar_is_new_page_view_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY ch
ORDER BY sessions DESC, ch`,
		},
		{
			Name: "hourly_traffic", Title: "Visitors and page views by hour", Chart: Line,
			SQL: `SELECT CAST(EXTRACT(HOUR FROM stt) AS BIGINT) AS hour_of_day,
       CAST(SUM(uv_ct) AS BIGINT) AS uv,
       CAST(SUM(pv_ct) AS BIGINT) AS pv,
       CAST(SUM(CASE WHEN is_new = '1' THEN uv_ct ELSE 0 END) AS BIGINT) AS new_uv
FROM dws_traffic_vc_ch_ar_is_new_page_view_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY CAST(EXTRACT(HOUR FROM stt) AS BIGINT)
ORDER BY hour_of_day`,
		},
		{
			Name: "new_vs_returning", Title: "New vs returning visitors", Chart: Pie,
			SQL: `SELECT CASE WHEN is_new = '1' THEN 'new' ELSE 'returning' END AS visitor,
       CAST(SUM(uv_ct) AS BIGINT) AS uv,
       CAST(SUM(pv_ct) AS BIGINT) AS pv,
       CAST(SUM(sv_ct) AS BIGINT) AS sessions,
       CAST(CAST(SUM(dur_sum) / 1000.0 / NULLIF(SUM(sv_ct), 0) AS DECIMAL(16,2)) AS DOUBLE PRECISION) AS avg_duration_s
FROM dws_traffic_vc_ch_ar_is_new_page_view_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY CASE WHEN is_new = '1' THEN 'new' ELSE 'returning' END
ORDER BY visitor`,
		},
		{
			Name: "search_keywords", Title: "Search keywords", Chart: WordCloud,
			SQL: `SELECT keyword, CAST(SUM(keyword_count) AS BIGINT) AS searches
FROM dws_traffic_source_keyword_page_view_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY keyword
ORDER BY searches DESC, keyword
LIMIT 100`,
		},
		{
			Name: "user_changes", Title: "Users: back, active, registered", Chart: Bar,
			SQL: `SELECT kind, users FROM (
  SELECT 'back' AS kind, CAST(COALESCE(SUM(back_ct), 0) AS BIGINT) AS users, 1 AS step
  FROM dws_user_user_login_window WHERE cur_date = CAST($1 AS DATE)
  UNION ALL
  SELECT 'active', CAST(COALESCE(SUM(uu_ct), 0) AS BIGINT), 2
  FROM dws_user_user_login_window WHERE cur_date = CAST($1 AS DATE)
  UNION ALL
  SELECT 'registered', CAST(COALESCE(SUM(register_ct), 0) AS BIGINT), 3
  FROM dws_user_user_register_window WHERE cur_date = CAST($1 AS DATE)
) t
ORDER BY step`,
		},
		{
			Name: "funnel", Title: "Conversion funnel", Chart: Funnel,
			SQL: `SELECT stage, users FROM (
  SELECT 'home' AS stage, CAST(COALESCE(SUM(home_uv_ct), 0) AS BIGINT) AS users, 1 AS step
  FROM dws_traffic_home_detail_page_view_window WHERE cur_date = CAST($1 AS DATE)
  UNION ALL
  SELECT 'good_detail', CAST(COALESCE(SUM(good_detail_uv_ct), 0) AS BIGINT), 2
  FROM dws_traffic_home_detail_page_view_window WHERE cur_date = CAST($1 AS DATE)
  UNION ALL
  SELECT 'cart_add', CAST(COALESCE(SUM(cart_add_uu_ct), 0) AS BIGINT), 3
  FROM dws_trade_cart_add_uu_window WHERE cur_date = CAST($1 AS DATE)
  UNION ALL
  SELECT 'order', CAST(COALESCE(SUM(order_unique_user_count), 0) AS BIGINT), 4
  FROM dws_trade_order_window WHERE cur_date = CAST($1 AS DATE)
  UNION ALL
  SELECT 'payment', CAST(COALESCE(SUM(payment_suc_unique_user_count), 0) AS BIGINT), 5
  FROM dws_trade_payment_suc_window WHERE cur_date = CAST($1 AS DATE)
) t
ORDER BY step`,
		},
		{
			Name: "new_buyers", Title: "New ordering and paying users", Chart: Bar,
			SQL: `SELECT kind, new_users FROM (
  SELECT 'ordering' AS kind, CAST(COALESCE(SUM(order_new_user_count), 0) AS BIGINT) AS new_users, 1 AS step
  FROM dws_trade_order_window WHERE cur_date = CAST($1 AS DATE)
  UNION ALL
  SELECT 'paying', CAST(COALESCE(SUM(payment_suc_new_user_count), 0) AS BIGINT), 2
  FROM dws_trade_payment_suc_window WHERE cur_date = CAST($1 AS DATE)
) t
ORDER BY step`,
		},
		{
			Name: "top_skus", Title: "Top SKUs by order amount", Chart: Ranking,
			SQL: `SELECT sku_name, CAST(SUM(order_amount) AS DOUBLE PRECISION) AS order_amount
FROM dws_trade_sku_order_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY sku_id, sku_name
ORDER BY order_amount DESC, sku_name
LIMIT 10`,
		},
		{
			Name: "top_trademarks", Title: "Top trademarks by order amount", Chart: Ranking,
			SQL: `SELECT trademark_name, CAST(SUM(order_amount) AS DOUBLE PRECISION) AS order_amount
FROM dws_trade_sku_order_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY trademark_id, trademark_name
ORDER BY order_amount DESC, trademark_name
LIMIT 10`,
		},
		{
			Name: "top_categories", Title: "Top categories by order amount", Chart: Ranking,
			SQL: `SELECT category3_name, CAST(SUM(order_amount) AS DOUBLE PRECISION) AS order_amount,
       category2_name, category1_name
FROM dws_trade_sku_order_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY category1_id, category1_name, category2_id, category2_name, category3_id, category3_name
ORDER BY order_amount DESC, category3_name
LIMIT 10`,
		},
		{
			Name: "trademark_refunds", Title: "Refunds by trademark", Chart: Ranking,
			SQL: `SELECT trademark_name, CAST(SUM(refund_count) AS BIGINT) AS refunds
FROM dws_trade_trademark_category_user_refund_window
WHERE cur_date = CAST($1 AS DATE)
GROUP BY trademark_id, trademark_name
ORDER BY refunds DESC, trademark_name
LIMIT 10`,
		},
	}
}

// Lookup returns the indicator called name.
func Lookup(name string) (Indicator, bool) {
	for _, ind := range Indicators() {
		if ind.Name == name {
			return ind, true
		}
	}
	return Indicator{}, false
}
