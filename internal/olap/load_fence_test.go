package olap_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// plainSink hides a sink's versioned writes: the load job then writes
// plain upserts and deletes, as before fencing.
type plainSink struct{ olap.Sink }

func (p plainSink) Delete(ctx context.Context, table string, keys [][]byte) error {
	return p.Sink.(olap.Deleter).Delete(ctx, table, keys)
}

// The load job's writes are fenced (docs/decisions/2026-12-06-fencing-sink-writes.md):
// worker A checkpoints once, buffers newer rows and stalls; worker B,
// restored from the same committed state (the partition moved), replays
// A's rows and writes newer ones; then A flushes late (its Kafka
// transaction would be fenced, but its write to the OLAP happens). The
// table keeps B's rows and B's deletes. A crash after a write and before
// the checkpoint commits replays the same rows with the same versions,
// which apply again; the next epoch's writes win.
func TestLoadJobFencesAZombie(t *testing.T) {
	db, err := duckdb.Open(bg, duckdb.Options{Path: filepath.Join(t.TempDir(), "gmall_realtime.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := func(t *testing.T, sink olap.Sink, table string) (fenced bool) {
		tb := olaptest.ProvinceTable()
		tb.Name = table
		state := streamtest.MemDB(t) // the task state both workers restore from
		var last stream.Operator
		factory := func() stream.Operator {
			last = olap.NewLoader(tb, sink)()
			return last
		}
		names := map[string]string{"1": "北京", "2": "天津", "3": "河北", "4": "山西", "5": "内蒙古", "6": "辽宁", "7": "吉林", "8": "黑龙江"}
		put := func(p string, n int) stream.Record {
			return stream.Record{Value: olaptest.Row(0, p, names[p], n, fmt.Sprint(n))}
		}
		del := func(p string) stream.Record {
			return stream.Record{Value: olaptest.Row(0, p, "", 0, "0"), Headers: []rlog.Header{{Key: olap.HeaderOp, Value: []byte(olap.OpDelete)}}}
		}
		feed := func(h *stream.Harness, recs ...stream.Record) {
			t.Helper()
			for _, r := range recs {
				if err := h.Process(r); err != nil {
					t.Fatal(err)
				}
			}
		}
		rows := func() string {
			t.Helper()
			res, err := db.Query(bg, "SELECT province_id, order_count FROM "+tb.Name+" WHERE province_id < '5' ORDER BY province_id")
			if err != nil {
				t.Fatal(err)
			}
			return olaptest.Format(res)
		}
		flush := func(op stream.Operator) {
			t.Helper()
			if err := op.(interface{ PrepareCheckpoint(stream.Emitter) error }).PrepareCheckpoint(nil); err != nil {
				t.Fatal(err)
			}
		}

		// Worker A: one committed checkpoint.
		a, err := stream.NewHarness(state, "load_"+tb.Name, factory, streamtest.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		feed(a, put("1", 0), put("2", 0), put("3", 0))
		if err := a.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if got, want := rows(), "1 | 0\n2 | 0\n3 | 0\n"; got != want {
			t.Fatalf("after A's checkpoint:\n%swant:\n%s", got, want)
		}
		// A reads further (rows of other keys, then version 1 of the
		// rows) and stalls before its checkpoint.
		others := []stream.Record{put("5", 1), put("6", 1), put("7", 1), put("8", 1)}
		feed(a, others...)
		feed(a, put("1", 1), del("2"), put("3", 1), put("4", 1))
		zombie := last

		// Worker B takes the partition over: it restores the committed
		// state (a later clock changes nothing: the epoch is in the
		// state), replays what A read and gets further (version 2).
		b, err := stream.NewHarness(state, "load_"+tb.Name, factory, streamtest.Epoch.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		feed(b, put("1", 1), del("2"), put("3", 1), put("4", 1), put("1", 2), put("2", 2), del("3"))
		// B reads the other keys' rows after them: a task that merges
		// partitions (or topics) may interleave keys differently on a
		// replay, which per-key positions do not depend on.
		feed(b, others...)
		if err := b.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		want := "1 | 2\n2 | 2\n4 | 1\n"
		if got := rows(); got != want {
			t.Fatalf("after B's checkpoint:\n%swant:\n%s", got, want)
		}

		// The zombie flushes late.
		flush(zombie)
		if got := rows(); got != want {
			return false
		}

		// B writes the next epoch and crashes before its checkpoint
		// commits; meanwhile key 1 is overwritten without a version. The
		// restarted task replays the same rows with the same versions:
		// they apply again.
		feed(b, put("1", 3), del("4"), put("3", 3))
		flush(last) // the write, then the crash
		want = "1 | 3\n2 | 2\n3 | 3\n"
		if got := rows(); got != want {
			t.Fatalf("after B's write:\n%swant:\n%s", got, want)
		}
		if err := db.Upsert(bg, tb.Name, [][]byte{olaptest.Row(0, "1", "x", 99, "99")}); err != nil {
			t.Fatal(err)
		}
		if err := b.Restore(); err != nil {
			t.Fatal(err)
		}
		feed(b, put("1", 3), del("4"), put("3", 3))
		if err := b.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if got := rows(); got != want {
			t.Fatalf("after the replay:\n%swant:\n%s", got, want)
		}
		// The epoch moved on with the checkpoint: the next writes win.
		feed(b, put("3", 4), put("4", 4))
		if err := b.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if got, want := rows(), "1 | 3\n2 | 2\n3 | 4\n4 | 4\n"; got != want {
			t.Fatalf("next epoch:\n%swant:\n%s", got, want)
		}
		return true
	}

	t.Run("versioned", func(t *testing.T) {
		if !run(t, db, "dws_fence_versioned") {
			t.Fatal("the zombie's late flush changed the table: its older writes were applied")
		}
	})
	// The control: without versioned writes (the loader before fencing,
	// and still a sink that is no VersionedSink) the same zombie's flush
	// sets key 1 back, deletes 2 and brings 3 back.
	t.Run("plain", func(t *testing.T) {
		if run(t, plainSink{db}, "dws_fence_plain") {
			t.Fatal("the zombie's flush through a plain sink changed nothing: the scenario does not make a zombie")
		}
	})
}
