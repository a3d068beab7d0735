package dim

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	dimstore "github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
	"github.com/rtdw/rtdw/internal/testenv"
)

// dim_app's writes are fenced (docs/decisions/2026-12-06-fencing-sink-writes.md):
// worker A checkpoints once, buffers newer ops and stalls; worker B, restored
// from the same committed state (the partition moved), replays A's ops and
// writes newer ones; then A flushes late (its Kafka transaction would be
// fenced, but its external write happens). The store keeps B's rows and
// B's deletes. A crash after a write and before the checkpoint commits
// replays the same ops with the same sequences, which apply again.
func testWriterFencing(t *testing.T, store dimstore.Store) {
	ctx := context.Background()
	db := streamtest.MemDB(t) // the task state both workers restore from
	var zombie *writer
	factory := func() stream.Operator {
		w := newWriter(store)().(*writer)
		zombie = w
		return w
	}
	rec := func(line string) stream.Record { return stream.Record{Value: []byte(line)} }
	put := func(key, name string) stream.Record {
		return rec(fmt.Sprintf(`{"op":"put","table":"dim_user","key":%q,"row":{"id":%s,"name":%q}}`, key, key, name))
	}
	del := func(key string) stream.Record {
		return rec(fmt.Sprintf(`{"op":"delete","table":"dim_user","key":%q}`, key))
	}
	feed := func(h *stream.Harness, recs ...stream.Record) {
		t.Helper()
		for _, r := range recs {
			if err := h.Process(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := func(key string) string {
		t.Helper()
		b, ok, err := store.Get(ctx, "dim_user", key)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return "<missing>"
		}
		return string(b)
	}
	rows := func() string { return get("1") + " " + get("2") + " " + get("3") + " " + get("4") }

	// Worker A: one committed checkpoint.
	a, err := stream.NewHarness(db, "write_dims", factory, streamtest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	feed(a, rec(`{"op":"create","table":"dim_user","columns":["id","name"],"row_key":"id"}`),
		put("1", "v0"), put("2", "v0"), put("3", "v0"))
	if err := a.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got, want := rows(), `{"id":1,"name":"v0"} {"id":2,"name":"v0"} {"id":3,"name":"v0"} <missing>`; got != want {
		t.Fatalf("after A's checkpoint: %s\nwant %s", got, want)
	}
	// A reads further (version 1 of the rows) and stalls before its
	// checkpoint. Before them, the router released rows of other keys it
	// had held (no rule yet) on its processing-time timer.
	others := []stream.Record{put("5", "x"), put("6", "x"), put("7", "x"), put("8", "x")}
	feed(a, others...)
	feed(a, put("1", "v1"), del("2"), put("3", "v1"), put("4", "v1"))
	zombieA := zombie

	// Worker B takes the partition over: it restores the committed state
	// (a later clock changes nothing: the epoch is in the state), replays
	// what A buffered and gets further (version 2); its router releases
	// the held rows later.
	b, err := stream.NewHarness(db, "write_dims", factory, streamtest.Epoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	feed(b, put("1", "v1"), del("2"), put("3", "v1"), put("4", "v1"),
		put("1", "v2"), put("2", "v2"), del("3"))
	feed(b, others...)
	if err := b.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"name":"v2"} {"id":2,"name":"v2"} <missing> {"id":4,"name":"v1"}`
	if got := rows(); got != want {
		t.Fatalf("after B's checkpoint: %s\nwant %s", got, want)
	}

	// The zombie flushes late: its older writes are refused (1 is not set
	// back to v1, 2 not deleted again, 3 not resurrected); its write of 4
	// is the same row B wrote, with the same sequence.
	if err := zombieA.PrepareCheckpoint(nil); err != nil {
		t.Fatal(err)
	}
	if got := rows(); got != want {
		t.Errorf("after the zombie's late flush: %s\nwant %s", got, want)
	}

	// B writes the next epoch and crashes before its checkpoint commits;
	// meanwhile something else overwrites key 1 unguarded (no sequence
	// change). The restarted task replays the same ops with the same
	// sequences: they apply again, to the same rows.
	feed(b, put("1", "v3"), del("4"), put("3", "v3"))
	bw := zombie
	if err := bw.PrepareCheckpoint(nil); err != nil { // the write, then the crash
		t.Fatal(err)
	}
	want = `{"id":1,"name":"v3"} {"id":2,"name":"v2"} {"id":3,"name":"v3"} <missing>`
	if got := rows(); got != want {
		t.Fatalf("after B's write: %s\nwant %s", got, want)
	}
	if err := store.Put(ctx, "dim_user", "1", []byte(`{"id":1,"name":"other"}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(); err != nil {
		t.Fatal(err)
	}
	feed(b, put("1", "v3"), del("4"), put("3", "v3"))
	if err := b.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got := rows(); got != want {
		t.Errorf("after the replay: %s\nwant %s", got, want)
	}
	// The epoch moved on with the checkpoint: the next writes win over
	// the replayed ones.
	feed(b, put("3", "v4"))
	if err := b.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got := get("3"); got != `{"id":3,"name":"v4"}` {
		t.Errorf("next epoch: 3 = %s", got)
	}
}

func TestDimWriterFencingRedis(t *testing.T) {
	addr := testenv.Redis(t)
	s, err := dimstore.OpenRedis(dimstore.RedisOptions{Addr: addr, KeyPrefix: fmt.Sprintf("fence%d:", fenceN.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	testWriterFencing(t, s)
}

func TestDimWriterFencingPebble(t *testing.T) {
	s, err := dimstore.OpenPebble(streamtest.MemDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	testWriterFencing(t, s)
}

var fenceN atomic.Int64
