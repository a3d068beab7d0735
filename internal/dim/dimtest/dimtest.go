// Package dimtest is the conformance suite every dim.Store backend passes.
package dimtest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/rtdw/rtdw/internal/dim"
)

// Run checks the Store contract on stores made by open (each call a new,
// empty store; open registers its own cleanup).
func Run(t *testing.T, open func(t *testing.T) dim.Store) {
	ctx := context.Background()
	t.Run("PutGetDelete", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, dim.Table{Name: "dim_sku_info", Columns: []string{"id", "sku_name", "price"}, RowKey: "id"})
		// Fields outside the columns are dropped; columns come out in table order.
		must(t, s.Put(ctx, "dim_sku_info", "1", []byte(`{"price":"9.90","id":"1","extra":true,"sku_name":"小米 \"12\""}`)))
		wantRow(t, s, "dim_sku_info", "1", `{"id":"1","sku_name":"小米 \"12\"","price":"9.90"}`)
		// Upsert replaces the whole row; a missing column is left out.
		must(t, s.Put(ctx, "dim_sku_info", "1", []byte(`{"id":"1","price":null}`)))
		wantRow(t, s, "dim_sku_info", "1", `{"id":"1","price":null}`)
		// Keys are opaque strings, ':' included (the Redis layout's separator).
		must(t, s.Put(ctx, "dim_sku_info", "a:b", []byte(`{"id":"a:b"}`)))
		wantRow(t, s, "dim_sku_info", "a:b", `{"id":"a:b"}`)
		wantMissing(t, s, "dim_sku_info", "a")
		must(t, s.Delete(ctx, "dim_sku_info", "1"))
		wantMissing(t, s, "dim_sku_info", "1")
		must(t, s.Delete(ctx, "dim_sku_info", "1")) // deleting a missing row is fine
		wantRow(t, s, "dim_sku_info", "a:b", `{"id":"a:b"}`)
	})
	t.Run("NoColumnsKeepsAll", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, dim.Table{Name: "dim_base_dic", RowKey: "dic_code"})
		must(t, s.Put(ctx, "dim_base_dic", "1101", []byte(`{"dic_code":"1101","dic_name":"未支付"}`)))
		wantRow(t, s, "dim_base_dic", "1101", `{"dic_code":"1101","dic_name":"未支付"}`)
	})
	t.Run("BadInput", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, dim.Table{Name: "dim_x", Columns: []string{"id"}, RowKey: "id"})
		for _, row := range []string{`[1]`, `"s"`, `{"id":1`, `{'id':1}`, ``} {
			if err := s.Put(ctx, "dim_x", "1", []byte(row)); !errors.Is(err, dim.ErrBadRow) {
				t.Errorf("Put %q: got %v, want ErrBadRow", row, err)
			}
		}
		if err := s.Put(ctx, "dim_x", "", []byte(`{"id":1}`)); !errors.Is(err, dim.ErrEmptyKey) {
			t.Errorf("Put with empty key: got %v, want ErrEmptyKey", err)
		}
		for _, name := range []string{"", "a:b", "a*", "a b", "a\x00"} {
			if err := s.CreateTable(ctx, dim.Table{Name: name}); !errors.Is(err, dim.ErrBadName) {
				t.Errorf("CreateTable %q: got %v, want ErrBadName", name, err)
			}
		}
		wantMissing(t, s, "dim_x", "1")
	})
	t.Run("MissingTable", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, "dim_nope", "1", []byte(`{"id":1}`)); !errors.Is(err, dim.ErrNoTable) {
			t.Fatalf("Put to a missing table: got %v, want ErrNoTable", err)
		}
		wantMissing(t, s, "dim_nope", "1")
		must(t, s.DropTable(ctx, "dim_nope")) // dropping a missing table is fine (replays)
		wantTables(t, s, nil)
	})
	t.Run("UpdateColumnsKeepsRows", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, dim.Table{Name: "dim_user_info", Columns: []string{"id", "name"}, RowKey: "id"})
		must(t, s.Put(ctx, "dim_user_info", "7", []byte(`{"id":"7","name":"Ann","gender":"F"}`)))
		mustCreate(t, s, dim.Table{Name: "dim_user_info", Columns: []string{"id", "gender"}, RowKey: "id"})
		// Rows written before stay as they were.
		wantRow(t, s, "dim_user_info", "7", `{"id":"7","name":"Ann"}`)
		// Later puts follow the new columns.
		must(t, s.Put(ctx, "dim_user_info", "8", []byte(`{"id":"8","name":"Bo","gender":"M"}`)))
		wantRow(t, s, "dim_user_info", "8", `{"id":"8","gender":"M"}`)
		wantTables(t, s, []dim.Table{{Name: "dim_user_info", Columns: []string{"id", "gender"}, RowKey: "id", Rows: 2}})
	})
	t.Run("DropAndList", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, dim.Table{Name: "dim_b", Columns: []string{"id"}, RowKey: "id"})
		mustCreate(t, s, dim.Table{Name: "dim_a", Columns: []string{"id", "v"}, RowKey: "id"})
		// A table whose name extends another's must not share its rows.
		mustCreate(t, s, dim.Table{Name: "dim_a2", Columns: []string{"id"}, RowKey: "id"})
		for _, k := range []string{"1", "2", "3"} {
			must(t, s.Put(ctx, "dim_a", k, []byte(`{"id":"`+k+`"}`)))
		}
		must(t, s.Put(ctx, "dim_a2", "1", []byte(`{"id":"1"}`)))
		wantTables(t, s, []dim.Table{
			{Name: "dim_a", Columns: []string{"id", "v"}, RowKey: "id", Rows: 3},
			{Name: "dim_a2", Columns: []string{"id"}, RowKey: "id", Rows: 1},
			{Name: "dim_b", Columns: []string{"id"}, RowKey: "id", Rows: 0},
		})
		must(t, s.DropTable(ctx, "dim_a"))
		wantMissing(t, s, "dim_a", "1")
		wantRow(t, s, "dim_a2", "1", `{"id":"1"}`)
		wantTables(t, s, []dim.Table{
			{Name: "dim_a2", Columns: []string{"id"}, RowKey: "id", Rows: 1},
			{Name: "dim_b", Columns: []string{"id"}, RowKey: "id", Rows: 0},
		})
		// Recreated, the table starts empty: its old rows are gone.
		mustCreate(t, s, dim.Table{Name: "dim_a", Columns: []string{"id"}, RowKey: "id"})
		wantMissing(t, s, "dim_a", "2")
		wantTables(t, s, []dim.Table{
			{Name: "dim_a", Columns: []string{"id"}, RowKey: "id", Rows: 0},
			{Name: "dim_a2", Columns: []string{"id"}, RowKey: "id", Rows: 1},
			{Name: "dim_b", Columns: []string{"id"}, RowKey: "id", Rows: 0},
		})
	})
	t.Run("ManyRowsDrop", func(t *testing.T) {
		// More rows than one SCAN batch.
		s := open(t)
		mustCreate(t, s, dim.Table{Name: "dim_many", Columns: []string{"id"}, RowKey: "id"})
		for i := range 2500 {
			k := itoa(i)
			must(t, s.Put(ctx, "dim_many", k, []byte(`{"id":`+k+`}`)))
		}
		wantTables(t, s, []dim.Table{{Name: "dim_many", Columns: []string{"id"}, RowKey: "id", Rows: 2500}})
		must(t, s.DropTable(ctx, "dim_many"))
		mustCreate(t, s, dim.Table{Name: "dim_many", Columns: []string{"id"}, RowKey: "id"})
		wantTables(t, s, []dim.Table{{Name: "dim_many", Columns: []string{"id"}, RowKey: "id", Rows: 0}})
	})
	t.Run("Notifies", func(t *testing.T) {
		s := open(t)
		n, ok := s.(dim.Notifier)
		if !ok {
			t.Fatalf("%T is not a dim.Notifier", s)
		}
		got := make(chan dim.Change, 100)
		cancel := n.Subscribe(func(c dim.Change) {
			if c.Table != "" { // resets are backend-specific (reconnects)
				got <- c
			}
		})
		defer cancel()
		mustCreate(t, s, dim.Table{Name: "dim_n", Columns: []string{"id"}, RowKey: "id"})
		must(t, s.Put(ctx, "dim_n", "1", []byte(`{"id":1}`)))
		must(t, s.Delete(ctx, "dim_n", "1"))
		must(t, s.DropTable(ctx, "dim_n"))
		want := []dim.Change{{Table: "dim_n"}, {Table: "dim_n", Key: "1"}, {Table: "dim_n", Key: "1"}, {Table: "dim_n"}}
		for i, w := range want {
			if c := <-got; c != w {
				t.Fatalf("change %d: got %+v, want %+v", i, c, w)
			}
		}
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustCreate(t *testing.T, s dim.Store, tb dim.Table) {
	t.Helper()
	must(t, s.CreateTable(context.Background(), tb))
}

func wantRow(t *testing.T, s dim.Store, table, key, want string) {
	t.Helper()
	row, ok, err := s.Get(context.Background(), table, key)
	if err != nil || !ok || string(row) != want {
		t.Fatalf("Get %s/%s = %s, %v, %v; want %s", table, key, row, ok, err, want)
	}
}

func wantMissing(t *testing.T, s dim.Store, table, key string) {
	t.Helper()
	row, ok, err := s.Get(context.Background(), table, key)
	if err != nil || ok {
		t.Fatalf("Get %s/%s = %s, %v, %v; want missing", table, key, row, ok, err)
	}
}

func wantTables(t *testing.T, s dim.Store, want []dim.Table) {
	t.Helper()
	got, err := s.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Tables = %+v\nwant %+v", got, want)
	}
}
