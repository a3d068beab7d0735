package dim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rtdw/rtdw/internal/dim"
)

// Guarded writes: a write with a lower sequence than the key's is refused
// (a zombie writer), an equal one applied (a replay); a delete leaves its
// sequence behind, so an older put cannot bring the row back; dropping the
// table forgets the sequences.
func testWriteSeq(t *testing.T, open func(t *testing.T) dim.Store) {
	ctx := context.Background()
	s := open(t)
	w := s.(dim.SeqWriter)
	if _, err := w.WriteSeq(ctx, "dim_user", []dim.SeqOp{{Key: "1", Row: []byte(`{"id":1}`), Seq: 1}}); !errors.Is(err, dim.ErrNoTable) {
		t.Fatalf("missing table: %v", err)
	}
	if err := s.CreateTable(ctx, dim.Table{Name: "dim_user", Columns: []string{"id", "name"}, RowKey: "id"}); err != nil {
		t.Fatal(err)
	}
	write := func(want int, ops ...dim.SeqOp) {
		t.Helper()
		n, err := w.WriteSeq(ctx, "dim_user", ops)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("applied %d of %d, want %d", n, len(ops), want)
		}
	}
	get := func(key string) string {
		t.Helper()
		b, ok, err := s.Get(ctx, "dim_user", key)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return "<missing>"
		}
		return string(b)
	}
	put := func(key, row string, seq uint64) dim.SeqOp { return dim.SeqOp{Key: key, Row: []byte(row), Seq: seq} }
	del := func(key string, seq uint64) dim.SeqOp { return dim.SeqOp{Key: key, Seq: seq} }

	// The worker that took over writes sequences 10 and 11.
	write(3, put("1", `{"id":1,"name":"new","x":0}`, 10), put("2", `{"id":2,"name":"b"}`, 10), del("3", 11))
	// The fenced worker's late flush: older sequences, refused; except
	// for key 4, which the new owner has not written (yet).
	write(1, put("1", `{"id":1,"name":"old"}`, 9), put("3", `{"id":3,"name":"resurrected"}`, 9), del("2", 9), put("4", `{"id":4}`, 9))
	if got := get("1") + get("2") + get("3") + get("4"); got != `{"id":1,"name":"new"}{"id":2,"name":"b"}<missing>{"id":4}` {
		t.Errorf("after the zombie: %s", got)
	}
	// A replay of the same sequence is applied; in one batch the later op wins.
	write(2, put("1", `{"id":1,"name":"new2"}`, 10), del("1", 12))
	write(1, put("1", `{"id":1,"name":"back"}`, 13))
	if got := get("1"); got != `{"id":1,"name":"back"}` {
		t.Errorf("key 1: %s", got)
	}
	// Unguarded writes still work and leave the sequence alone.
	if err := s.Put(ctx, "dim_user", "1", []byte(`{"id":1,"name":"unguarded"}`)); err != nil {
		t.Fatal(err)
	}
	write(0, put("1", `{"id":1,"name":"stale"}`, 12))
	// Dropping the table forgets the sequences.
	if err := s.DropTable(ctx, "dim_user"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(ctx, dim.Table{Name: "dim_user", Columns: []string{"id", "name"}, RowKey: "id"}); err != nil {
		t.Fatal(err)
	}
	write(1, put("1", `{"id":1,"name":"fresh"}`, 1))
	if got := get("1"); got != `{"id":1,"name":"fresh"}` {
		t.Errorf("after drop: %s", got)
	}
	if _, err := w.WriteSeq(ctx, "dim_user", []dim.SeqOp{{Key: "", Row: []byte(`{}`), Seq: 1}}); !errors.Is(err, dim.ErrEmptyKey) {
		t.Errorf("empty key: %v", err)
	}
}

func TestPebbleWriteSeq(t *testing.T) { testWriteSeq(t, openPebble) }

func TestRedisWriteSeq(t *testing.T) { testWriteSeq(t, redisOpener(t)) }
