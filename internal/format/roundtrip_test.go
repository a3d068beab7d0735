package format

import (
	"math"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

const allTypesDDL = `b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE,
	small DECIMAL(16, 2), huge DECIMAL(38, 10), c CHAR(3), vc VARCHAR(10), s STRING, bin BYTES,
	dt DATE, tm TIME(3), ts9 TIMESTAMP(9), ts3 TIMESTAMP(3), ltz TIMESTAMP_LTZ(6),
	ym INTERVAL YEAR TO MONTH, dtv INTERVAL DAY TO SECOND(3),
	tags ARRAY<STRING>, attrs MAP<STRING, BIGINT>, addr ROW<city STRING, zip INT>, bag MULTISET<STRING>`

func allTypesRows() []row.Row {
	ts := func(y, mo, d, h, mi, s, ns int) (int64, int32) { return row.TimestampOfCivil(y, mo, d, h, mi, s, ns) }
	ms9, ns9 := ts(9999, 12, 31, 23, 59, 59, 999_999_999)
	ms3, _ := ts(1, 1, 1, 0, 0, 0, 0)
	ltz, ltzns := ts(2022, 4, 29, 7, 39, 19, 123_456_000)
	one := []row.Value{
		row.Bool(true), row.TinyInt(-128), row.SmallInt(32767), row.Int(-7), row.BigInt(math.MinInt64),
		row.Float(0.1), row.Double(math.NaN()),
		row.DecimalValue(row.MustDecimal("-9549.05", 16, 2)),
		row.DecimalValue(row.MustDecimal("1234567890123456789012345678.1234567890", 38, 10)), // beyond int64
		row.Char("abc"), row.String(`q"\/`), row.String("北京 \u0001\t\n😀"), row.Bytes([]byte{0, 0xff, 'x'}),
		row.Date(19111), row.Time((23*3600+59*60+59)*1_000_000_000 + 999_000_000),
		row.Timestamp(ms9, ns9), row.Timestamp(ms3, 0), row.TimestampLTZ(ltz, ltzns),
		row.IntervalMonths(14), row.IntervalMillis(-90061001),
		row.Array([]row.Value{row.String("a"), row.Null()}),
		row.Map([]row.Value{row.String("k")}, []row.Value{row.BigInt(1)}),
		row.Struct([]row.Value{row.String("上海"), row.Int(200000)}),
		row.Multiset([]row.Value{row.String("x"), row.String("x")}),
	}
	nulls := make([]row.Value, len(one))
	empty := append([]row.Value(nil), nulls...)
	empty[9], empty[10], empty[11], empty[12] = row.Char(""), row.String(""), row.String(""), row.Bytes(nil)
	empty[20], empty[21], empty[23] = row.Array(nil), row.MapEntries(nil), row.Multiset(nil)
	return []row.Row{
		row.NewRow(row.Insert, one...),
		row.NewRow(row.UpdateBefore, nulls...),
		row.NewRow(row.UpdateAfter, empty...),
		row.NewRow(row.Delete, one...),
	}
}

// Each row is one message; a CDC format decodes it back with Flink's
// kinds: +I and +U are written as inserts, -U and -D as deletes.
func TestRoundTrip(t *testing.T) {
	schema := row.MustParseSchema(allTypesDDL)
	cdcKind := map[row.RowKind]row.RowKind{row.Insert: row.Insert, row.UpdateAfter: row.Insert, row.UpdateBefore: row.Delete, row.Delete: row.Delete}
	for _, name := range []string{JSON, MaxwellJSON, DebeziumJSON, CanalJSON} {
		for _, std := range []string{"SQL", "ISO-8601"} {
			t.Run(name+"/"+std, func(t *testing.T) {
				opts := map[string]string{name + ".timestamp-format.standard": std, "table.local-time-zone": "Asia/Shanghai"}
				f := mustFormat(t, name, schema, opts)
				enc, err := f.NewEncoder()
				if err != nil {
					t.Fatal(err)
				}
				dec, _ := f.NewDecoder()
				var b Batch
				for _, r := range allTypesRows() {
					if name == JSON && r.Kind.IsRetract() {
						continue // insert-only
					}
					msg, null, err := enc.Append(nil, &r)
					if err != nil || null {
						t.Fatalf("encode %s: %v", r, err)
					}
					if err := dec.Decode(msg, &b); err != nil {
						t.Fatalf("decode %s: %v", msg, err)
					}
					want := r.Clone()
					if name != JSON {
						want.Kind = cdcKind[r.Kind]
					} else {
						want.Kind = row.Insert
					}
					if len(b.Rows) != 1 || !b.Rows[0].Equal(&want) {
						t.Errorf("%s\n-> %s\n-> %s", r, msg, rowsText(b.Rows))
					}
				}
			})
		}
	}
}

// The messages are Flink's, byte for byte in shape.
func TestEncodeMessages(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT, amount DECIMAL(10, 2)")
	r := row.NewRow(row.Insert, row.BigInt(7), row.DecimalValue(row.MustDecimal("9549", 10, 2)))
	for _, c := range []struct {
		format string
		kind   row.RowKind
		want   string
	}{
		{MaxwellJSON, row.Insert, `{"data":{"id":7,"amount":9549.00},"type":"insert"}`},
		{MaxwellJSON, row.UpdateAfter, `{"data":{"id":7,"amount":9549.00},"type":"insert"}`},
		{MaxwellJSON, row.UpdateBefore, `{"data":{"id":7,"amount":9549.00},"type":"delete"}`},
		{MaxwellJSON, row.Delete, `{"data":{"id":7,"amount":9549.00},"type":"delete"}`},
		{CanalJSON, row.Insert, `{"data":[{"id":7,"amount":9549.00}],"type":"INSERT"}`},
		{CanalJSON, row.UpdateBefore, `{"data":[{"id":7,"amount":9549.00}],"type":"DELETE"}`},
		{DebeziumJSON, row.UpdateAfter, `{"before":null,"after":{"id":7,"amount":9549.00},"op":"c"}`},
		{DebeziumJSON, row.Delete, `{"before":{"id":7,"amount":9549.00},"after":null,"op":"d"}`},
	} {
		e, err := mustFormat(t, c.format, schema, nil).NewEncoder()
		if err != nil {
			t.Fatal(err)
		}
		r.Kind = c.kind
		if out, null, err := e.Append(nil, &r); err != nil || null || string(out) != c.want {
			t.Errorf("%s %s: %s %v, want %s", c.format, c.kind, out, err, c.want)
		}
	}
	// An encoding error names the field inside the envelope and leaves dst as it was.
	e, _ := mustFormat(t, CanalJSON, schema, nil).NewEncoder()
	bad := row.NewRow(row.Insert, row.BigInt(1), row.String("x"))
	out, _, err := e.Append([]byte("kept"), &bad)
	if err == nil || string(out) != "kept" || err.Error() != `canal-json: field "data[0].amount": json: cannot encode a VARCHAR value as DECIMAL(10, 2)` {
		t.Errorf("bad row: %q %v", out, err)
	}
}
