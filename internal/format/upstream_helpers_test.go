package format

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// Helpers of the upstream_*_test.go files: records written in the shapes
// the CDC tools' documentation shows (and real deployments produce),
// decoded through FromOptions with a table's WITH options, as the Kafka
// connector configures its value format.

// upstreamCase is one record and what it decodes to: its rows, one per
// line (row.Row's text: kind, then the values), or "error: " / "skipped: "
// and a substring of the reason (see check).
type upstreamCase struct {
	name string
	in   string // the record value; "<nil>" is a Kafka tombstone (a null value)
	want string
}

// kafkaValueOptions are a Kafka table's WITH options with its value format
// and that format's options (given without the 'value.<format>.' prefix).
func kafkaValueOptions(format string, opts ...string) map[string]string {
	m := map[string]string{
		"connector":                    "kafka",
		"topic":                        "cdc",
		"properties.bootstrap.servers": "localhost:9092",
		"properties.group.id":          "rtdw",
		"scan.startup.mode":            "earliest-offset",
		"key.format":                   "json",
		"key.fields":                   "id",
		"key.json.ignore-parse-errors": "true", // the key's format's: not the value's
		"value.format":                 format,
		"value.fields-include":         "ALL",
	}
	for i := 0; i+1 < len(opts); i += 2 {
		k := opts[i]
		if k != LocalTimeZoneOption {
			k = "value." + format + "." + k
		}
		m[k] = opts[i+1]
	}
	return m
}

// upstreamFormat configures the value format of a Kafka table of ddl.
func upstreamFormat(t testing.TB, ddl string, options map[string]string) *Format {
	t.Helper()
	f, err := FromOptions(row.MustParseSchema(ddl), options, "value")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// decodeTyped decodes one record as decodeAll, and checks that every
// value has its column's type: the kind, and a DECIMAL's precision and
// scale (BINARY decodes as VARBINARY, doc.go).
func decodeTyped(t testing.TB, f *Format, in string, metadata ...string) (string, *Batch) {
	t.Helper()
	got, b := decodeAll(t, f, in, metadata...)
	checkTypes(t, f.Schema(), b.Rows)
	return got, b
}

func checkTypes(t testing.TB, s *row.Schema, rows []row.Row) {
	t.Helper()
	for i := range rows {
		r := &rows[i]
		if len(r.Values) != s.Len() {
			t.Errorf("row %d has %d values for %d columns", i, len(r.Values), s.Len())
			continue
		}
		for j, v := range r.Values {
			if v.IsNull() {
				continue
			}
			c := s.Column(j)
			want := c.Type.Kind
			if want == row.KindBinary {
				want = row.KindVarBinary
			}
			if v.Kind() != want {
				t.Errorf("row %d column %s: a %v value for %s", i, c.Name, v.Kind(), c.Type)
				continue
			}
			if want == row.KindDecimal {
				if d := v.Decimal(); d.Precision() != c.Type.Precision || d.Scale() != c.Type.Scale {
					t.Errorf("row %d column %s: %s is DECIMAL(%d, %d), want %s", i, c.Name, v, d.Precision(), d.Scale(), c.Type)
				}
			}
		}
	}
}

// runUpstream runs cases against one format, each with a new decoder.
func runUpstream(t *testing.T, f *Format, cases []upstreamCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := decodeTyped(t, f, c.in)
			check(t, got, c.want)
		})
	}
}

// upstreamFile reads a file of testdata/upstream.
func upstreamFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "upstream", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withConnectSchema is a record as Kafka Connect's JsonConverter writes it
// with schemas.enable = true: the schema first, then the payload.
func withConnectSchema(schema, payload string) string {
	return `{"schema":` + strings.TrimSpace(schema) + `,"payload":` + payload + `}`
}

// topicRecords reads a JSON Lines file of testdata/upstream as a topic's
// record values: one per line, "<tombstone>" a null value; blank lines
// and lines starting with '#' are comments.
func topicRecords(t testing.TB, name string) [][]byte {
	t.Helper()
	var recs [][]byte
	sc := bufio.NewScanner(strings.NewReader(upstreamFile(t, name)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		switch {
		case len(line) == 0 || line[0] == '#':
		case string(line) == "<tombstone>":
			recs = append(recs, nil)
		default:
			recs = append(recs, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// table materializes a changelog keyed by its first column, as a sink
// with that primary key does, checking that every -U and -D row is the
// row the table holds (an update's before image, overlaid from a partial
// "old", must be exactly the previous state).
type table struct {
	rows map[string]row.Row
}

func (tb *table) apply(t testing.TB, rec int, r *row.Row) {
	t.Helper()
	if tb.rows == nil {
		tb.rows = map[string]row.Row{}
	}
	key := r.Values[0].String()
	held, ok := tb.rows[key]
	switch r.Kind {
	case row.Insert, row.UpdateAfter:
		if r.Kind == row.Insert && ok {
			t.Errorf("record %d: %s inserts key %s, which holds %s", rec, r, key, held)
		}
		c := r.Clone()
		c.Kind = row.Insert
		tb.rows[key] = c
	case row.UpdateBefore, row.Delete:
		c := r.Clone()
		c.Kind = row.Insert
		if !ok {
			t.Errorf("record %d: %s retracts key %s, which holds nothing", rec, r, key)
		} else if !c.Equal(&held) {
			t.Errorf("record %d: %s retracts\n%s, the row held", rec, r, held)
		}
		delete(tb.rows, key)
	}
}

// String lists the rows held, sorted by key text.
func (tb *table) String() string {
	var lines []string
	for _, r := range tb.rows {
		lines = append(lines, r.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// replay decodes a topic's records with one decoder (as a task does) into
// a table, and returns it with the number of rows of each record.
func replay(t testing.TB, f *Format, recs [][]byte) (*table, []int) {
	t.Helper()
	d, err := f.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	tb := &table{}
	var counts []int
	var b Batch
	for i, rec := range recs {
		if err := d.Decode(rec, &b); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if b.Skipped != nil {
			t.Fatalf("record %d skipped: %v", i, b.Skipped)
		}
		checkTypes(t, f.Schema(), b.Rows)
		for j := range b.Rows {
			tb.apply(t, i, &b.Rows[j])
		}
		counts = append(counts, len(b.Rows))
	}
	return tb, counts
}

// metaText reads metadata keys of a decoded record as "key=value" lines.
func metaText(t testing.TB, b *Batch, keys ...string) string {
	t.Helper()
	var lines []string
	for _, k := range keys {
		v, ok := b.Meta.Get(k)
		if !ok {
			t.Fatalf("no metadata key %q", k)
		}
		lines = append(lines, k+"="+v.String())
	}
	return strings.Join(lines, "\n")
}
