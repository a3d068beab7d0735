package olap

import (
	"testing"
	"time"
)

func TestParseCents(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		bad  bool
	}{
		{in: "0", want: "0.00"},
		{in: "12", want: "12.00"},
		{in: "12.3", want: "12.30"},
		{in: "12.345", want: "12.35"}, // half up
		{in: "12.344999", want: "12.34"},
		{in: "-0.125", want: "-0.13"}, // half away from zero, as DECIMAL casts do
		{in: "1e2", want: "100.00"},
		{in: "1.5E-1", want: "0.15"},
		{in: "0.004", want: "0.00"},
		{in: "99999999999999.99", want: "99999999999999.99"},
		{in: "99999999999999.995", bad: true}, // rounds past 14 integer digits
		{in: "100000000000000", bad: true},
		{in: "1e400", bad: true},
		{in: "abc", bad: true},
		{in: "", bad: true},
		{in: "1.2.3", bad: true},
	} {
		got, err := ParseCents(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseCents(%q) = %s, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("ParseCents(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}

func TestDecodeRow(t *testing.T) {
	tb := Table{Name: "t", Columns: []Column{{"d", Date}, {"id", String}, {"n", Int64}, {"amt", Decimal}, {"ts", DateTime}}, Key: []string{"d", "id"}}
	if err := tb.Validate(); err != nil {
		t.Fatal(err)
	}
	row, err := DecodeRow(&tb, []byte(`{"d":"2024-06-01","id":12,"n":"7","amt":"1.5","ts":"2024-06-01 23:59:59","extra":[1]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), "12", int64(7), Cents(150), time.Date(2024, 6, 1, 23, 59, 59, 0, time.UTC)}
	for i := range want {
		if row[i] != want[i] {
			t.Fatalf("column %d = %#v, want %#v", i, row[i], want[i])
		}
	}
	row, err = DecodeRow(&tb, []byte(`{"d":"2024-06-01","id":"a","n":null}`), nil)
	if err != nil || row[2] != nil || row[3] != nil || row[4] != nil {
		t.Fatalf("missing and null non-key columns: %v, %v", row, err)
	}
	for in, code := range map[string]string{
		`[1]`:                                                    "olap_malformed_json",
		`{"d":"2024-06-01"`:                                      "olap_malformed_json",
		`{"d":"2024-06-01"}`:                                     "olap_missing_key",
		`{"d":"2024-06-01","id":null}`:                           "olap_missing_key",
		`{"d":"2024-06-01","id":true}`:                           "olap_bad_value",
		`{"d":"2024-6-1","id":"a"}`:                              "olap_bad_value",
		`{"d":20240601,"id":"a"}`:                                "olap_bad_value",
		`{"d":"2024-06-01","id":"a","n":1.5}`:                    "olap_bad_value",
		`{"d":"2024-06-01","id":"a","amt":{}}`:                   "olap_bad_value",
		`{"d":"2024-06-01","id":"a","ts":"2024-06-01T10:00:00"}`: "olap_bad_value",
	} {
		_, err := DecodeRow(&tb, []byte(in), nil)
		re, ok := err.(*RowError)
		if !ok || re.Code != code {
			t.Errorf("DecodeRow(%s) = %v, want %s", in, err, code)
		}
	}
}

func TestTableValidate(t *testing.T) {
	ok := Table{Name: "t", Columns: []Column{{"cur_date", Date}, {"x", Int64}}, Key: []string{"cur_date"}, PartitionBy: "cur_date"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Table{
		{Name: "t-1", Columns: ok.Columns, Key: ok.Key},
		{Name: "t", Columns: []Column{{"a", "float"}}, Key: []string{"a"}},
		{Name: "t", Columns: ok.Columns},
		{Name: "t", Columns: ok.Columns, Key: []string{"x"}},
		{Name: "t", Columns: ok.Columns, Key: ok.Key, PartitionBy: "x"},
		{Name: "t", Columns: []Column{{"a", String}, {"a", String}}, Key: []string{"a"}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v): no error", bad)
		}
	}
}
