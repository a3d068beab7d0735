package exec

import (
	"math/big"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// TestWindowValueCodec: the self-describing encoding window operators keep
// group keys and buffered rows in reads back every kind equal and of the
// same kind, nested values included, and rejects truncated input.
func TestWindowValueCodec(t *testing.T) {
	big38, _ := new(big.Int).SetString("-12345678901234567890123456789012345678", 10)
	bigDec, ok := row.DecimalFromBig(big38, 38, 4)
	if !ok {
		t.Fatal("big decimal")
	}
	bin := windowBinaryValue([]byte{1, 2, 3}, &stateReader{})
	vals := []row.Value{
		row.Null(), row.Bool(true), row.Bool(false), row.TinyInt(-8), row.SmallInt(300), row.Int(-70000),
		row.BigInt(1 << 60), row.Float(1.5), row.Double(-2.25), row.DecimalValue(row.MustDecimal("-12.34", 10, 2)),
		row.DecimalValue(bigDec), row.Char("ab"), row.String("héllo"), row.BytesOf("\x00\xff"), bin,
		row.Date(-3), row.Time(123456789), row.Timestamp(-1, 999999), row.TimestampLTZ(1586937900000, 5),
		row.IntervalMonths(-14), row.IntervalMillis(86400000),
		row.Array([]row.Value{row.Int(1), row.Null()}), row.Multiset([]row.Value{row.String("x"), row.String("x")}),
		row.Struct([]row.Value{row.BigInt(1), row.Array(nil)}), row.Map([]row.Value{row.String("k")}, []row.Value{row.Double(1)}),
	}
	if bin.Kind() != row.KindBinary {
		t.Fatalf("BINARY value of kind %s", bin.Kind())
	}
	b := windowAppendValues(nil, vals)
	r := stateReader{b: b}
	got := windowReadValues(&r)
	if err := r.done(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(vals) {
		t.Fatalf("%d values, want %d", len(got), len(vals))
	}
	for i := range vals {
		if got[i].Kind() != vals[i].Kind() || !row.Equal(got[i], vals[i]) {
			t.Errorf("value %d: %s (%s), want %s (%s)", i, got[i].AppendText(nil), got[i].Kind(), vals[i].AppendText(nil), vals[i].Kind())
		}
	}
	if d := got[10].Decimal(); d.Precision() != 38 || d.Scale() != 4 {
		t.Errorf("big decimal read as DECIMAL(%d, %d)", d.Precision(), d.Scale())
	}
	for n := range len(b) {
		r := stateReader{b: b[:n]}
		windowReadValues(&r)
		if r.done() == nil {
			t.Fatalf("%d of %d bytes read without an error", n, len(b))
		}
	}
}
