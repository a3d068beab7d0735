package olap_test

import (
	"errors"
	"testing"

	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
)

func TestTables(t *testing.T) {
	pt := olaptest.ProvinceTable()
	ts := olap.NewTables("pg")
	ts.Put(&pt)
	if got, ok := ts.Get(pt.Name); !ok || got != &pt {
		t.Fatalf("Get(%s) = %p, %v; want the table put, true", pt.Name, got, ok)
	}
	if _, ok := ts.Get("nope"); ok {
		t.Fatal("Get of a table never put found one")
	}

	t.Run("not ensured", func(t *testing.T) {
		// Even an empty batch needs its table: the lookup comes first.
		e := ts.Lookup("nope")
		if e.Table != nil {
			t.Fatalf("Lookup of a table never put: %v", e.Table)
		}
		for _, c := range []struct {
			name string
			call func() (*olap.Table, bool, error)
			want string
		}{
			{"Batch loading", func() (*olap.Table, bool, error) {
				tb, b, err := e.Batch("loading", nil)
				return tb, b != nil, err
			}, "pg: table nope was not ensured before loading"},
			{"Batch deleting", func() (*olap.Table, bool, error) {
				tb, b, err := e.Batch("deleting", [][]byte{olaptest.Row(0, "1", "Beijing", 1, "1")})
				return tb, b != nil, err
			}, "pg: table nope was not ensured before deleting"},
			{"Versioned", func() (*olap.Table, bool, error) {
				tb, vb, err := e.Versioned(nil, nil)
				return tb, vb != nil, err
			}, "pg: table nope was not ensured before loading"},
		} {
			tb, batch, err := c.call()
			if err == nil || err.Error() != c.want || tb != nil || batch {
				t.Errorf("%s: table %v, batch %v, err %v; want no table, no batch, err %q", c.name, tb, batch, err, c.want)
			}
		}
	})

	t.Run("empty", func(t *testing.T) {
		e := ts.Lookup(pt.Name)
		if tb, batch, err := e.Batch("loading", [][]byte{}); tb != nil || batch != nil || err != nil {
			t.Errorf("Batch of no rows = %v, %v, %v; want nothing to do and no error", tb, batch, err)
		}
		if tb, vb, err := e.Versioned(nil, nil); tb != nil || vb != nil || err != nil {
			t.Errorf("Versioned of no rows = %v, %v, %v; want nothing to do and no error", tb, vb, err)
		}
	})

	t.Run("decode error", func(t *testing.T) {
		e := ts.Lookup(pt.Name)
		tb, batch, err := e.Batch("loading", [][]byte{[]byte(`{"stt":`)})
		var re *olap.RowError
		if tb != nil || batch != nil || !errors.As(err, &re) || re.Code != "olap_malformed_json" || err.Error() != "pg: "+re.Error() {
			t.Errorf("Batch of malformed JSON = %v, %v, %v; want a RowError olap_malformed_json behind the prefix pg: ", tb, batch, err)
		}
		row := olaptest.Row(0, "1", "Beijing", 1, "1")
		tv, vb, err := e.Versioned([][]byte{row}, []uint64{1, 2})
		if tv != nil || vb != nil || err == nil || err.Error() != "pg: olap: 1 rows with 2 versions" {
			t.Errorf("Versioned with a version too many = %v, %v, %v; want error %q", tv, vb, err, "pg: olap: 1 rows with 2 versions")
		}
	})

	t.Run("decodes", func(t *testing.T) {
		e := ts.Lookup(pt.Name)
		rows := [][]byte{
			olaptest.Row(0, "1", "Beijing", 1, "1.5"),
			olaptest.Row(0, "2", "Shanghai", 2, "2"),
			olaptest.Row(0, "1", "Beijing", 3, "3.25"), // the same key: the last row wins
		}
		tb, batch, err := e.Batch("loading", rows)
		if err != nil || tb != &pt {
			t.Fatalf("Batch = table %p, err %v; want the table put (%p) and no error", tb, err, &pt)
		}
		if len(batch) != 2 || batch[0][3] != "1" || batch[0][5] != int64(3) || batch[0][6] != olap.Cents(325) ||
			batch[1][3] != "2" || batch[1][6] != olap.Cents(200) {
			t.Errorf("Batch rows = %v; want province 1 (count 3, 3.25) then 2 (2.00)", batch)
		}

		tv, vb, err := e.Versioned(rows, []uint64{7, 5, 6}) // the first row of key 1 has the highest version
		if err != nil || tv != &pt {
			t.Fatalf("Versioned = table %p, err %v; want the table put (%p) and no error", tv, err, &pt)
		}
		if len(vb.Rows) != 2 || vb.Rows[0][5] != int64(1) || vb.Versions[0] != 7 || vb.Versions[1] != 5 ||
			vb.Keys[0] != olap.KeyText(&pt, vb.Rows[0]) {
			t.Errorf("Versioned = rows %v, versions %v, keys %q; want key 1 at version 7 (count 1), key 2 at 5", vb.Rows, vb.Versions, vb.Keys)
		}
	})
	t.Run("decoded", func(t *testing.T) {
		rows := [][]byte{olaptest.Row(0, "1", "Beijing", 1, "1.5")}
		decoded := [][]any{{"given"}} // not what rows decode to: shows which is used
		tb, batch, err := ts.Lookup(pt.Name).Decoded(&pt, rows, decoded)
		if err != nil || tb != &pt || len(batch) != 1 || batch[0][0] != "given" {
			t.Fatalf("Decoded by the ensured definition = %v, %v, %v; want the decoded rows as given", tb, batch, err)
		}
		// Another definition of the table (ensured first by someone else):
		// the rows are decoded by the ensured one, as Batch does.
		other := pt
		other.Columns = append([]olap.Column{{Name: "extra", Type: olap.String}}, pt.Columns...)
		tb, batch, err = ts.Lookup(pt.Name).Decoded(&other, rows, decoded)
		if err != nil || tb != &pt || len(batch) != 1 || batch[0][3] != "1" {
			t.Fatalf("Decoded by another definition = %v, %v, %v; want rows decoded by the ensured table", tb, batch, err)
		}
		if _, _, err := ts.Lookup("nope").Decoded(&pt, rows, decoded); err == nil {
			t.Fatal("Decoded for a table never ensured: no error")
		}
	})
}
