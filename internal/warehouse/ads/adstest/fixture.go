// Package adstest holds the hand-written DWS rows the ADS tests query, the
// results expected from them (computed by hand, see the comments), and the
// real OLAP sinks (DuckDB, PostgreSQL) loaded with them.
package adstest

// Day is the business day the fixture's rows are on; OtherDay's rows must
// never show up in Day's indicators.
const (
	Day      = "2024-06-08"
	OtherDay = "2024-06-07"
)

// Schema creates the DWS tables with SPEC §4's columns. It only stages
// Rows: the sinks get the tables of dws.Tables() (same column names).
const Schema = `
CREATE TABLE dws_traffic_source_keyword_page_view_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, keyword VARCHAR, keyword_count BIGINT,
  PRIMARY KEY (stt, edt, cur_date, keyword));
CREATE TABLE dws_traffic_vc_ch_ar_is_new_page_view_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, vc VARCHAR, ch VARCHAR, ar VARCHAR, is_new VARCHAR,
  uv_ct BIGINT, sv_ct BIGINT, pv_ct BIGINT, dur_sum BIGINT,
  PRIMARY KEY (stt, edt, cur_date, vc, ch, ar, is_new));
CREATE TABLE dws_traffic_home_detail_page_view_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, home_uv_ct BIGINT, good_detail_uv_ct BIGINT,
  PRIMARY KEY (stt, edt, cur_date));
CREATE TABLE dws_user_user_login_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, back_ct BIGINT, uu_ct BIGINT,
  PRIMARY KEY (stt, edt, cur_date));
CREATE TABLE dws_user_user_register_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, register_ct BIGINT,
  PRIMARY KEY (stt, edt, cur_date));
CREATE TABLE dws_trade_cart_add_uu_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, cart_add_uu_ct BIGINT,
  PRIMARY KEY (stt, edt, cur_date));
CREATE TABLE dws_trade_payment_suc_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE,
  payment_suc_unique_user_count BIGINT, payment_suc_new_user_count BIGINT,
  PRIMARY KEY (stt, edt, cur_date));
CREATE TABLE dws_trade_order_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE,
  order_unique_user_count BIGINT, order_new_user_count BIGINT,
  PRIMARY KEY (stt, edt, cur_date));
CREATE TABLE dws_trade_sku_order_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE,
  trademark_id VARCHAR, trademark_name VARCHAR,
  category1_id VARCHAR, category1_name VARCHAR, category2_id VARCHAR, category2_name VARCHAR,
  category3_id VARCHAR, category3_name VARCHAR,
  sku_id VARCHAR, sku_name VARCHAR, spu_id VARCHAR, spu_name VARCHAR,
  original_amount DECIMAL(16,2), activity_reduce_amount DECIMAL(16,2),
  coupon_reduce_amount DECIMAL(16,2), order_amount DECIMAL(16,2),
  PRIMARY KEY (stt, edt, cur_date, sku_id));
CREATE TABLE dws_trade_province_order_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, province_id VARCHAR, province_name VARCHAR,
  order_count BIGINT, order_amount DECIMAL(16,2),
  PRIMARY KEY (stt, edt, cur_date, province_id));
CREATE TABLE dws_trade_trademark_category_user_refund_window (
  stt TIMESTAMP, edt TIMESTAMP, cur_date DATE,
  trademark_id VARCHAR, trademark_name VARCHAR,
  category1_id VARCHAR, category1_name VARCHAR, category2_id VARCHAR, category2_name VARCHAR,
  category3_id VARCHAR, category3_name VARCHAR, user_id VARCHAR, refund_count BIGINT,
  PRIMARY KEY (stt, edt, cur_date, user_id, category3_id, trademark_id));
`

// Rows are the windows of Day (and a few of OtherDay, which every
// indicator must leave out). The sums in Expected are worked out next to
// each table.
const Rows = `
-- keywords on Day: 手机 3+2=5, 电视 4, 小米 2, 口红 1.
INSERT INTO dws_traffic_source_keyword_page_view_window VALUES
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08','手机',3),
 ('2024-06-08 10:00:10','2024-06-08 10:00:20','2024-06-08','手机',2),
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08','小米',2),
 ('2024-06-08 11:00:00','2024-06-08 11:00:10','2024-06-08','口红',1),
 ('2024-06-08 11:00:00','2024-06-08 11:00:10','2024-06-08','电视',4),
 ('2024-06-07 23:59:50','2024-06-08 00:00:00','2024-06-07','手机',50);

-- traffic on Day (uv, sv, pv, dur ms):
--   by ch:    xiaomi uv 3+1+0=4  sv 3+1+1=5 pv 9+5+2=16 dur 162000 -> 3.20 pv/session, 32.40 s
--             appstore uv 5 sv 5 pv 10 dur 150000 -> 2.00, 30.00
--             huawei uv 2 sv 2 pv 4 dur 30000 -> 2.00, 15.00
--             oppo uv 1 sv 1 pv 1 dur 3000 -> 1.00, 3.00
--   by hour:  9h uv 3+2+1=6 pv 9+4+5=18 new uv 3;  10h uv 5+0+1=6 pv 10+2+1=13 new uv 5+1=6
--   is_new:   new uv 3+5+1=9 pv 20 sv 9 dur 243000 -> 27.00 s
--             returning uv 2+1+0=3 pv 11 sv 4 dur 102000 -> 25.50 s
INSERT INTO dws_traffic_vc_ch_ar_is_new_page_view_window VALUES
 ('2024-06-08 09:00:00','2024-06-08 09:00:10','2024-06-08','v2.1.134','xiaomi','110000','1',3,3,9,90000),
 ('2024-06-08 09:00:00','2024-06-08 09:00:10','2024-06-08','v2.1.134','huawei','310000','0',2,2,4,30000),
 ('2024-06-08 09:00:10','2024-06-08 09:00:20','2024-06-08','v2.1.132','xiaomi','440000','0',1,1,5,60000),
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08','v2.1.134','appstore','110000','1',5,5,10,150000),
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08','v2.1.134','xiaomi','310000','0',0,1,2,12000),
 ('2024-06-08 10:00:10','2024-06-08 10:00:20','2024-06-08','v2.1.111','oppo','440000','1',1,1,1,3000),
 ('2024-06-07 12:00:00','2024-06-07 12:00:10','2024-06-07','v2.1.134','xiaomi','110000','1',100,100,100,100000);

-- funnel on Day: home 10+8=18, good_detail 6+5=11, cart_add 3+4=7,
-- order 3+2=5 (new 2+1=3), payment 2+2=4 (new 1+1=2). On OtherDay more
-- users ordered (84) than added to cart (70): carts filled the day before,
-- as in the live demo's first hours; each stage counts its own users.
INSERT INTO dws_traffic_home_detail_page_view_window VALUES
 ('2024-06-08 09:00:00','2024-06-08 09:00:10','2024-06-08',10,6),
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08',8,5),
 ('2024-06-07 10:00:00','2024-06-07 10:00:10','2024-06-07',70,70);
INSERT INTO dws_trade_cart_add_uu_window VALUES
 ('2024-06-08 09:00:10','2024-06-08 09:00:20','2024-06-08',3),
 ('2024-06-08 10:00:10','2024-06-08 10:00:20','2024-06-08',4),
 ('2024-06-07 10:00:10','2024-06-07 10:00:20','2024-06-07',70);
INSERT INTO dws_trade_order_window VALUES
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08',3,2),
 ('2024-06-08 11:00:00','2024-06-08 11:00:10','2024-06-08',2,1),
 ('2024-06-07 11:00:00','2024-06-07 11:00:10','2024-06-07',84,70);
INSERT INTO dws_trade_payment_suc_window VALUES
 ('2024-06-08 10:00:10','2024-06-08 10:00:20','2024-06-08',2,1),
 ('2024-06-08 11:00:10','2024-06-08 11:00:20','2024-06-08',2,1),
 ('2024-06-07 11:00:10','2024-06-07 11:00:20','2024-06-07',70,70);

-- users on Day: back 1+0+2=3, active (uu) 5+3+4=12, registered 2+1=3.
INSERT INTO dws_user_user_login_window VALUES
 ('2024-06-08 09:00:00','2024-06-08 09:00:10','2024-06-08',1,5),
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08',0,3),
 ('2024-06-08 11:00:00','2024-06-08 11:00:10','2024-06-08',2,4),
 ('2024-06-07 11:00:00','2024-06-07 11:00:10','2024-06-07',9,99);
INSERT INTO dws_user_user_register_window VALUES
 ('2024-06-08 09:00:00','2024-06-08 09:00:10','2024-06-08',2),
 ('2024-06-08 10:00:10','2024-06-08 10:00:20','2024-06-08',1),
 ('2024-06-07 10:00:10','2024-06-07 10:00:20','2024-06-07',40);

-- order details on Day: GMV 1999.00+1999.00+7997.00+2899.50+69.90 = 14964.40,
--   the last window ending 12:00:10; yesterday up to 12:00:10 100000.00 (not
--   the 5000.00 of 20:00); per minute 600: 3998.00, 660: 10896.50, 720: 69.90,
--   yesterday 660: 100000.00, 1200: 5000.00.
--   SKUs:       iPhone 12 7997.00, Redmi 10X 3998.00, TCL 65Q10 2899.50, lipstick 69.90
--   trademarks: Apple 7997.00, Redmi 3998.00, TCL 2899.50, CAREMiLLE 69.90
--   category3:  手机 1999+1999+7997 = 11995.00, 平板电视 2899.50, 唇膏 69.90
INSERT INTO dws_trade_sku_order_window VALUES
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08','1','Redmi','2','手机','13','手机通讯','61','手机','1','Redmi 10X','1','Redmi 10X',1999.00,0.00,0.00,1999.00),
 ('2024-06-08 10:00:10','2024-06-08 10:00:20','2024-06-08','1','Redmi','2','手机','13','手机通讯','61','手机','1','Redmi 10X','1','Redmi 10X',1999.00,0.00,0.00,1999.00),
 ('2024-06-08 11:00:00','2024-06-08 11:00:10','2024-06-08','2','Apple','2','手机','13','手机通讯','61','手机','8','iPhone 12','3','iPhone 12',8197.00,200.00,0.00,7997.00),
 ('2024-06-08 11:00:10','2024-06-08 11:00:20','2024-06-08','3','TCL','6','家用电器','32','电视','86','平板电视','20','TCL 65Q10','6','TCL 65Q10',2999.50,0.00,100.00,2899.50),
 ('2024-06-08 12:00:00','2024-06-08 12:00:10','2024-06-08','4','CAREMiLLE','8','个护化妆','54','香水彩妆','477','唇膏','30','CAREMiLLE lipstick','10','CAREMiLLE lipstick',69.90,0.00,0.00,69.90),
 ('2024-06-07 11:00:00','2024-06-07 11:00:10','2024-06-07','2','Apple','2','手机','13','手机通讯','61','手机','8','iPhone 12','3','iPhone 12',100000.00,0.00,0.00,100000.00),
 ('2024-06-07 20:00:00','2024-06-07 20:00:10','2024-06-07','2','Apple','2','手机','13','手机通讯','61','手机','8','iPhone 12','3','iPhone 12',5000.00,0.00,0.00,5000.00);

-- provinces on Day: 上海 7997.00+69.90 = 8066.90 (2 orders), 北京 1999.00+1999.00
-- = 3998.00 (2 orders), 广东 2899.50 (1 order): 5 orders, AOV 14964.40/5 = 2992.88;
-- yesterday up to 12:00:10 (the SKU windows' last end) 9 orders, AOV 100000/9 = 11111.11.
INSERT INTO dws_trade_province_order_window VALUES
 ('2024-06-08 10:00:00','2024-06-08 10:00:10','2024-06-08','1','北京',1,1999.00),
 ('2024-06-08 10:00:10','2024-06-08 10:00:20','2024-06-08','1','北京',1,1999.00),
 ('2024-06-08 11:00:00','2024-06-08 11:00:10','2024-06-08','32','上海',1,7997.00),
 ('2024-06-08 11:00:10','2024-06-08 11:00:20','2024-06-08','20','广东',1,2899.50),
 ('2024-06-08 12:00:00','2024-06-08 12:00:10','2024-06-08','32','上海',1,69.90),
 ('2024-06-07 11:00:00','2024-06-07 11:00:10','2024-06-07','1','北京',9,100000.00),
 ('2024-06-07 20:00:00','2024-06-07 20:00:10','2024-06-07','1','北京',1,5000.00);

-- refunds on Day: TCL 3, Apple 1+1=2, Redmi 1.
INSERT INTO dws_trade_trademark_category_user_refund_window VALUES
 ('2024-06-08 12:00:00','2024-06-08 12:00:10','2024-06-08','2','Apple','2','手机','13','手机通讯','61','手机','101',1),
 ('2024-06-08 12:00:00','2024-06-08 12:00:10','2024-06-08','2','Apple','2','手机','13','手机通讯','61','手机','102',1),
 ('2024-06-08 12:00:10','2024-06-08 12:00:20','2024-06-08','1','Redmi','2','手机','13','手机通讯','61','手机','101',1),
 ('2024-06-08 13:00:00','2024-06-08 13:00:10','2024-06-08','3','TCL','6','家用电器','32','电视','86','平板电视','103',3),
 ('2024-06-07 13:00:00','2024-06-07 13:00:10','2024-06-07','3','TCL','6','家用电器','32','电视','86','平板电视','103',50);
`

// Expected is each indicator's answer for Day as the API's JSON
// {"columns":…,"rows":…}, written by hand from the sums above.
var Expected = map[string]string{
	"gmv":    `{"columns":["gmv","gmv_yesterday"],"rows":[[14964.4,100000]]}`,
	"orders": `{"columns":["order_count","order_count_yesterday"],"rows":[[5,9]]}`,
	"aov":    `{"columns":["aov","aov_yesterday"],"rows":[[2992.88,11111.11]]}`,
	"gmv_trend": `{"columns":["minute_of_day","gmv","gmv_yesterday"],"rows":[
		[600,3998,null],[660,10896.5,100000],[720,69.9,null],[1200,null,5000]]}`,
	"province_gmv": `{"columns":["province_name","order_amount","order_count"],"rows":[
		["上海",8066.9,2],["北京",3998,2],["广东",2899.5,1]]}`,
	"channel_uv": `{"columns":["ch","uv"],"rows":[["appstore",5],["xiaomi",4],["huawei",2],["oppo",1]]}`,
	"channel_sessions": `{"columns":["ch","sessions","pv_per_session","avg_duration_s"],"rows":[
		["appstore",5,2,30],["xiaomi",5,3.2,32.4],["huawei",2,2,15],["oppo",1,1,3]]}`,
	"hourly_traffic": `{"columns":["hour_of_day","uv","pv","new_uv"],"rows":[[9,6,18,3],[10,6,13,6]]}`,
	"new_vs_returning": `{"columns":["visitor","uv","pv","sessions","avg_duration_s"],"rows":[
		["new",9,20,9,27],["returning",3,11,4,25.5]]}`,
	"search_keywords": `{"columns":["keyword","searches"],"rows":[["手机",5],["电视",4],["小米",2],["口红",1]]}`,
	"user_changes":    `{"columns":["kind","users"],"rows":[["back",3],["active",12],["registered",3]]}`,
	"funnel": `{"columns":["stage","users"],"rows":[
		["home",18],["good_detail",11],["cart_add",7],["order",5],["payment",4]]}`,
	"new_buyers": `{"columns":["kind","new_users"],"rows":[["ordering",3],["paying",2]]}`,
	"top_skus": `{"columns":["sku_name","order_amount"],"rows":[
		["iPhone 12",7997],["Redmi 10X",3998],["TCL 65Q10",2899.5],["CAREMiLLE lipstick",69.9]]}`,
	"top_trademarks": `{"columns":["trademark_name","order_amount"],"rows":[
		["Apple",7997],["Redmi",3998],["TCL",2899.5],["CAREMiLLE",69.9]]}`,
	"top_categories": `{"columns":["category3_name","order_amount","category2_name","category1_name"],"rows":[
		["手机",11995,"手机通讯","手机"],["平板电视",2899.5,"电视","家用电器"],["唇膏",69.9,"香水彩妆","个护化妆"]]}`,
	"trademark_refunds": `{"columns":["trademark_name","refunds"],"rows":[["TCL",3],["Apple",2],["Redmi",1]]}`,
}
