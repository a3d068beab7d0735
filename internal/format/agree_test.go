package format

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// One order_info update (gmall): order 3511 is paid, order_status 1001 ->
// 1002 and operate_time NULL -> 2022-04-29 15:40:02, told by each CDC tool
// in its own way. All of them must decode to the same -U/+U pair.
//
// Hand-computed encodings used below:
//   - Debezium's Decimal is base64 of the big-endian two's-complement
//     unscaled value at the column's scale (2):
//     9549.00 -> 954900 = 0x0E9214 -> bits 000011 101001 001000 010100 -> "DpIU";
//     9594.00 -> 959400 = 0x0EA3A8 -> 000011 101010 001110 101000 -> "DqOo";
//     50.00 -> 5000 = 0x1388 -> 000100 111000 1000(00) -> "E4g=";
//     5.00 -> 500 = 0x01F4 -> 000000 011111 0100(00) -> "AfQ=";
//     0.00 -> 0 -> the single byte 0x00 -> "AA==".
//   - Debezium's io.debezium.time.Timestamp is the DATETIME as if in UTC,
//     in ms: 2022-04-29 is day 19111 (2022-01-01 is day 52*365 + 13 leap
//     days = 18993, plus 31+28+31+28 = 118); 19111*86400000 = 1651190400000;
//     15:39:19 = 56359 s -> 1651246759000. 15:40:02 is 43 s later:
//     1651246802000; expire 15:54:19 is 900 s later: 1651247659000;
//     refundable 2022-05-06 15:39:19 is 7 days later: +604800000 =
//     1651851559000.
var (
	agreeMaxwell = `{"database":"gmall","table":"order_info","type":"update","ts":1651246802,"xid":8812,"commit":true,
"data":{"id":3511,"consignee":"王小明","consignee_tel":"13912345678","total_amount":9549.00,"order_status":"1002",
"user_id":1024,"payment_way":"3501","delivery_address":"北京市朝阳区望京街1号","order_comment":"描述","out_trade_no":"763217894531425",
"trade_body":"小米手机 8GB+128GB 等1件商品","create_time":"2022-04-29 15:39:19","operate_time":"2022-04-29 15:40:02",
"expire_time":"2022-04-29 15:54:19","process_status":null,"tracking_no":null,"parent_order_id":null,"img_url":"http://img.gmall.com/1.jpg",
"province_id":16,"activity_reduce_amount":50.00,"coupon_reduce_amount":0.00,"original_total_amount":9594.00,"feight_fee":5.00,
"feight_fee_reduce":null,"refundable_time":"2022-05-06 15:39:19"},
"old":{"order_status":"1001","operate_time":null}}`

	agreeCanal = `{"data":[{"id":"3511","consignee":"王小明","consignee_tel":"13912345678","total_amount":"9549.00","order_status":"1002",
"user_id":"1024","payment_way":"3501","delivery_address":"北京市朝阳区望京街1号","order_comment":"描述","out_trade_no":"763217894531425",
"trade_body":"小米手机 8GB+128GB 等1件商品","create_time":"2022-04-29 15:39:19","operate_time":"2022-04-29 15:40:02",
"expire_time":"2022-04-29 15:54:19","process_status":null,"tracking_no":null,"parent_order_id":null,"img_url":"http://img.gmall.com/1.jpg",
"province_id":"16","activity_reduce_amount":"50.00","coupon_reduce_amount":"0.00","original_total_amount":"9594.00","feight_fee":"5.00",
"feight_fee_reduce":null,"refundable_time":"2022-05-06 15:39:19"}],
"database":"gmall","es":1651246802000,"id":17,"isDdl":false,"mysqlType":{"id":"bigint","total_amount":"decimal(16,2)"},
"old":[{"order_status":"1001","operate_time":null}],"pkNames":["id"],"sql":"","sqlType":{"id":-5},"table":"order_info","ts":1651246802345,"type":"UPDATE"}`

	agreeDebeziumBefore = `{"id":3511,"consignee":"王小明","consignee_tel":"13912345678","total_amount":"DpIU","order_status":"1001",
"user_id":1024,"payment_way":"3501","delivery_address":"北京市朝阳区望京街1号","order_comment":"描述","out_trade_no":"763217894531425",
"trade_body":"小米手机 8GB+128GB 等1件商品","create_time":1651246759000,"operate_time":null,
"expire_time":1651247659000,"process_status":null,"tracking_no":null,"parent_order_id":null,"img_url":"http://img.gmall.com/1.jpg",
"province_id":16,"activity_reduce_amount":"E4g=","coupon_reduce_amount":"AA==","original_total_amount":"DqOo","feight_fee":"AfQ=",
"feight_fee_reduce":null,"refundable_time":1651851559000}`
	agreeDebeziumAfter = `{"id":3511,"consignee":"王小明","consignee_tel":"13912345678","total_amount":"DpIU","order_status":"1002",
"user_id":1024,"payment_way":"3501","delivery_address":"北京市朝阳区望京街1号","order_comment":"描述","out_trade_no":"763217894531425",
"trade_body":"小米手机 8GB+128GB 等1件商品","create_time":1651246759000,"operate_time":1651246802000,
"expire_time":1651247659000,"process_status":null,"tracking_no":null,"parent_order_id":null,"img_url":"http://img.gmall.com/1.jpg",
"province_id":16,"activity_reduce_amount":"E4g=","coupon_reduce_amount":"AA==","original_total_amount":"DqOo","feight_fee":"AfQ=",
"feight_fee_reduce":null,"refundable_time":1651851559000}`
	agreeDebeziumPayload = `{"before":` + agreeDebeziumBefore + `,"after":` + agreeDebeziumAfter + `,
"source":{"version":"1.9.7.Final","connector":"mysql","name":"gmall","ts_ms":1651246802000,"snapshot":"false","db":"gmall","table":"order_info","server_id":1,"file":"mysql-bin.000003","pos":4521,"row":0},
"op":"u","ts_ms":1651246802345,"transaction":null}`

	// The Connect schema of one image (before and after share it).
	agreeImageSchema = `[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"consignee"},
{"type":"string","optional":true,"field":"consignee_tel"},
{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"16"},"field":"total_amount"},
{"type":"string","optional":true,"field":"order_status"},{"type":"int64","optional":true,"field":"user_id"},
{"type":"string","optional":true,"field":"payment_way"},{"type":"string","optional":true,"field":"delivery_address"},
{"type":"string","optional":true,"field":"order_comment"},{"type":"string","optional":true,"field":"out_trade_no"},
{"type":"string","optional":true,"field":"trade_body"},
{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"create_time"},
{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"operate_time"},
{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"expire_time"},
{"type":"string","optional":true,"field":"process_status"},{"type":"string","optional":true,"field":"tracking_no"},
{"type":"int64","optional":true,"field":"parent_order_id"},{"type":"string","optional":true,"field":"img_url"},
{"type":"int32","optional":true,"field":"province_id"},
{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"16"},"field":"activity_reduce_amount"},
{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"16"},"field":"coupon_reduce_amount"},
{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"16"},"field":"original_total_amount"},
{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"16"},"field":"feight_fee"},
{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"16"},"field":"feight_fee_reduce"},
{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"refundable_time"}]`
	agreeDebeziumSchema = `{"schema":{"type":"struct","fields":[
{"type":"struct","fields":` + agreeImageSchema + `,"optional":true,"name":"gmall.gmall.order_info.Value","field":"before"},
{"type":"struct","fields":` + agreeImageSchema + `,"optional":true,"name":"gmall.gmall.order_info.Value","field":"after"},
{"type":"struct","fields":[{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"table"}],"optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"},
{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}],
"optional":false,"name":"gmall.gmall.order_info.Envelope"},"payload":` + agreeDebeziumPayload + `}`
)

// agreeRows is the expected pair, built from the values by hand.
func agreeRows() []row.Row {
	ts := func(y, mo, d, h, mi, s int) row.Value {
		ms, ns := row.TimestampOfCivil(y, mo, d, h, mi, s, 0)
		return row.Timestamp(ms, ns)
	}
	dec := func(s string) row.Value { return row.DecimalValue(row.MustDecimal(s, 16, 2)) }
	image := func(status string, operate row.Value) []row.Value {
		return []row.Value{
			row.BigInt(3511), row.String("王小明"), row.String("13912345678"), dec("9549.00"),
			row.String(status), row.BigInt(1024), row.String("3501"), row.String("北京市朝阳区望京街1号"),
			row.String("描述"), row.String("763217894531425"), row.String("小米手机 8GB+128GB 等1件商品"), ts(2022, 4, 29, 15, 39, 19),
			operate, ts(2022, 4, 29, 15, 54, 19), row.Null(), row.Null(),
			row.Null(), row.String("http://img.gmall.com/1.jpg"), row.Int(16), dec("50.00"),
			dec("0.00"), dec("9594.00"), dec("5.00"),
			row.Null(), ts(2022, 5, 6, 15, 39, 19),
		}
	}
	return []row.Row{
		row.NewRow(row.UpdateBefore, image("1001", row.Null())...),
		row.NewRow(row.UpdateAfter, image("1002", ts(2022, 4, 29, 15, 40, 2))...),
	}
}

func TestCDCFormatsAgree(t *testing.T) {
	want := agreeRows()
	for _, c := range []struct{ name, format, in string }{
		{"maxwell", MaxwellJSON, agreeMaxwell},
		{"canal", CanalJSON, agreeCanal},
		{"debezium without schema", DebeziumJSON, agreeDebeziumPayload},
		{"debezium with schema", DebeziumJSON, agreeDebeziumSchema},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := mustFormat(t, c.format, orderInfo, map[string]string{"table.local-time-zone": "Asia/Shanghai"})
			d, err := f.NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			var b Batch
			if err := d.Decode([]byte(c.in), &b); err != nil {
				t.Fatal(err)
			}
			if len(b.Rows) != len(want) {
				t.Fatalf("%d rows, want %d:\n%s", len(b.Rows), len(want), rowsText(b.Rows))
			}
			for i := range want {
				if !b.Rows[i].Equal(&want[i]) {
					t.Errorf("row %d:\n got %s\nwant %s", i, b.Rows[i], want[i])
				}
			}
			// All four name the table.
			if db, _ := b.Meta.Get(map[string]string{MaxwellJSON: "database", CanalJSON: "database", DebeziumJSON: "source.database"}[c.format]); db.Str() != "gmall" {
				t.Errorf("database metadata %v", db)
			}
		})
	}
}
