package row

import (
	"testing"

	"github.com/valyala/fastjson"
)

// gmallSchema is a DWD order-detail row of the gmall warehouse.
var gmallSchema = MustParseSchema("id BIGINT, order_id BIGINT, user_id BIGINT, sku_id BIGINT, sku_name STRING, " +
	"province_id BIGINT, activity_id BIGINT, coupon_id BIGINT, order_price DECIMAL(16, 2), sku_num BIGINT, " +
	"split_total_amount DECIMAL(16, 2), split_activity_amount DECIMAL(16, 2), split_coupon_amount DECIMAL(16, 2), " +
	"create_time TIMESTAMP(0), order_status STRING")

const gmallJSON = `{"id":14245,"order_id":4816,"user_id":1287,"sku_id":12,` +
	`"sku_name":"Apple iPhone 12 (A2404) 64GB 红色 支持移动联通电信5G 双卡双待手机","province_id":21,` +
	`"activity_id":2,"coupon_id":null,"order_price":9197.00,"sku_num":1,"split_total_amount":8197.00,` +
	`"split_activity_amount":1000.00,"split_coupon_amount":0.00,"create_time":"2024-06-14 11:25:06",` +
	`"order_status":"1001"}`

func BenchmarkJSONDecode(b *testing.B) {
	d, err := NewJSONDecoder(gmallSchema, JSONOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var p fastjson.Parser
	var r Row
	data := []byte(gmallJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := d.DecodeBytes(&p, data, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONParseOnly is the floor under BenchmarkJSONDecode: fastjson
// parsing the same record, decoding nothing.
func BenchmarkJSONParseOnly(b *testing.B) {
	var p fastjson.Parser
	data := []byte(gmallJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.ParseBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONEncode(b *testing.B) {
	d, _ := NewJSONDecoder(gmallSchema, JSONOptions{})
	e, _ := NewJSONEncoder(gmallSchema, JSONOptions{})
	var p fastjson.Parser
	var r Row
	if err := d.DecodeBytes(&p, []byte(gmallJSON), &r); err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = e.Append(buf[:0], &r); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkBinaryRoundTrip(b *testing.B) {
	d, _ := NewJSONDecoder(gmallSchema, JSONOptions{})
	var p fastjson.Parser
	var in, out Row
	if err := d.DecodeBytes(&p, []byte(gmallJSON), &in); err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = AppendRow(buf[:0], gmallSchema, &in); err != nil {
			b.Fatal(err)
		}
		if err := DecodeRow(buf, gmallSchema, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkKey(b *testing.B) {
	d, _ := NewJSONDecoder(gmallSchema, JSONOptions{})
	var p fastjson.Parser
	var r Row
	if err := d.DecodeBytes(&p, []byte(gmallJSON), &r); err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendKey(buf[:0], r.Values[1], r.Values[4], r.Values[8], r.Values[13])
	}
}
