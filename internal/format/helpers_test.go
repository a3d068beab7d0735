package format

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests need Asia/Shanghai on any machine

	"github.com/rtdw/rtdw/internal/row"
)

// orderInfoDDL is gmall's order_info as a Flink DDL types it (25 columns).
const orderInfoDDL = `id BIGINT, consignee STRING, consignee_tel STRING, total_amount DECIMAL(16, 2),
	order_status STRING, user_id BIGINT, payment_way STRING, delivery_address STRING,
	order_comment STRING, out_trade_no STRING, trade_body STRING, create_time TIMESTAMP(3),
	operate_time TIMESTAMP(3), expire_time TIMESTAMP(3), process_status STRING, tracking_no STRING,
	parent_order_id BIGINT, img_url STRING, province_id INT, activity_reduce_amount DECIMAL(16, 2),
	coupon_reduce_amount DECIMAL(16, 2), original_total_amount DECIMAL(16, 2), feight_fee DECIMAL(16, 2),
	feight_fee_reduce DECIMAL(16, 2), refundable_time TIMESTAMP(3)`

var orderInfo = row.MustParseSchema(orderInfoDDL)

func shanghai(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err) // time/tzdata is linked into these tests: it cannot be missing
	}
	return loc
}

func mustFormat(t testing.TB, name string, schema *row.Schema, opts map[string]string) *Format {
	t.Helper()
	f, err := Lookup(name, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// decodeAll decodes one record and prints its rows, one per line, or
// "error: ..." / "skipped: ..." .
func decodeAll(t testing.TB, f *Format, in string, metadata ...string) (string, *Batch) {
	t.Helper()
	d, err := f.NewDecoder(metadata...)
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	var value []byte
	if in != "<nil>" {
		value = []byte(in)
	}
	if err := d.Decode(value, &b); err != nil {
		if _, ok := err.(*Error); !ok {
			t.Errorf("error is a %T, want *Error: %v", err, err)
		}
		return "error: " + err.Error(), &b
	}
	if b.Skipped != nil {
		return "skipped: " + b.Skipped.Error(), &b
	}
	return rowsText(b.Rows), &b
}

func rowsText(rows []row.Row) string {
	var lines []string
	for _, r := range rows {
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n")
}

// check compares a decode result with want: the rows, or "error: " /
// "skipped: " followed by a substring of the message.
func check(t *testing.T, got, want string) {
	t.Helper()
	for _, p := range []string{"error: ", "skipped: "} {
		if strings.HasPrefix(want, p) {
			if !strings.HasPrefix(got, p) || !strings.Contains(got, want[len(p):]) {
				t.Errorf("got\n%s\nwant %s", got, want)
			}
			return
		}
	}
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
