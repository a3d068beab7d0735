package fence_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rtdw/rtdw/internal/fence"
	"github.com/rtdw/rtdw/internal/stream"
)

// numberer numbers each record's value as a key's write and, at a
// checkpoint, starts the next epoch.
type numberer struct {
	seqs *fence.Seq
	got  *[]uint64
}

func (n *numberer) Open(ctx *stream.Context) (err error) {
	n.seqs, err = fence.Open(ctx, "ext", "test")
	return err
}

func (n *numberer) Process(r *stream.Record, _ stream.Emitter) error {
	*n.got = append(*n.got, n.seqs.Next(string(r.Value)))
	return nil
}

func (n *numberer) PrepareCheckpoint(stream.Emitter) error { return n.seqs.Advance() }

// Sequences count per key within an epoch; a checkpoint that numbered a
// write starts the next epoch, an empty one keeps it; a restore from the
// last checkpoint (a new owner, or a zombie's twin) numbers the same
// records alike.
func TestSeqPerKeyEpochs(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []uint64
	start := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	h, err := stream.NewHarness(db, "op", func() stream.Operator { return &numberer{got: &got} }, start)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	e := uint64(start.Sub(fence.Base).Milliseconds()) // the first epoch: ms since 2020
	feed := func(vals ...string) {
		t.Helper()
		got = got[:0]
		for _, v := range vals {
			if err := h.Process(stream.Record{Value: []byte(v)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := func(what string, seqs ...uint64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(seqs) {
			t.Fatalf("%s: %v, want %v", what, got, seqs)
		}
	}
	seq := func(epoch, pos uint64) uint64 { return epoch<<fence.PosBits | pos }

	feed("a", "a", "b")
	want("first epoch", seq(e, 1), seq(e, 2), seq(e, 1))
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil { // nothing numbered: the epoch stays
		t.Fatal(err)
	}
	feed("b", "a")
	want("second epoch", seq(e+1, 1), seq(e+1, 1))

	// A restore from the last checkpoint numbers the same records alike.
	if err := h.Restore(); err != nil {
		t.Fatal(err)
	}
	feed("b", "a", "a")
	want("after the restore", seq(e+1, 1), seq(e+1, 1), seq(e+1, 2))
}
