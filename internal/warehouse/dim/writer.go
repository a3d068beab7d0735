package dim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/valyala/fastjson"

	dimstore "github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/fence"
	"github.com/rtdw/rtdw/internal/stream"
)

// writer applies the router's ops to the dimension store. It buffers them
// and writes them, in order, when the task checkpoints, before the
// checkpoint commits: a crash replays ops since the last checkpoint, and
// since every op is an idempotent upsert, delete or DDL, the store
// converges to the same rows (DESIGN: external sinks).
//
// Fencing (docs/decisions/2026-12-06-fencing-sink-writes.md). Puts and
// deletes are sequence-guarded (dimstore.SeqWriter): each carries
// epoch<<22 | its position among the epoch's puts and deletes of the same
// table and key (1, 2, ...; saturating at 2^22-1), and the store refuses a
// write whose sequence is below the one it holds for the key; a delete
// leaves its sequence behind. The epoch is the task's checkpoint interval
// number, kept in the operator's state so it commits with the checkpoint:
// a task's first epoch is the milliseconds since 2020 when it first ran,
// and each checkpoint that wrote a put or delete adds one. A replay (a
// crash, or the worker that took over a partition) restores the last
// committed epoch and reads the same input from the same offsets, so an
// op gets the same sequence in every attempt and a later op of its key a
// greater one: the replay rewrites the same rows, and a fenced (zombie)
// worker flushing its uncommitted epoch late cannot bring back an older
// row or resurrect a deleted one. Positions count per key, not over the
// task, because only one key's order is replayed exactly: the router may
// release records it held (no rule yet) on a processing-time timer, at
// another point among other keys' records in each attempt, but a key's
// records always in their order. This orders one key's writes as long as
// they come from one task: topic_db is keyed by the source row's primary
// key and dim_app keeps that key up to the writer, so it holds for rules
// whose sink_row_key is the source primary key (all the default rules).
// DDL (create, drop) is not guarded.
type writer struct {
	store  dimstore.Store
	seq    dimstore.SeqWriter // nil: the store has no guarded writes
	ops    []op
	p      fastjson.Parser
	logger *slog.Logger

	seqs *fence.Seq // numbers puts and deletes per table NUL key
	run  []dimstore.SeqOp
}

type op struct {
	kind, table, key string
	row              []byte
	columns          []string
	rowKey           string
	seq              uint64 // put, delete
}

func newWriter(store dimstore.Store) stream.Factory {
	return func() stream.Operator { return &writer{store: store} }
}

func (w *writer) Open(ctx *stream.Context) error {
	w.logger = ctx.Logger
	if sw, ok := w.store.(dimstore.SeqWriter); ok {
		w.seq = sw
	} else {
		w.logger.Warn("dim_app: the dimension store has no sequence-guarded writes; writes are not fenced against a zombie worker", "store", fmt.Sprintf("%T", w.store))
	}
	seqs, err := fence.Open(ctx, "ext", "dim_app")
	if err != nil {
		return err
	}
	w.seqs = seqs
	return nil
}

// nextSeq counts a put or delete of table and key and returns its sequence.
func (w *writer) nextSeq(table, key string) uint64 { return w.seqs.Next(table + "\x00" + key) }

func (w *writer) Process(rec *stream.Record, _ stream.Emitter) error {
	v, err := w.p.ParseBytes(rec.Value)
	if err != nil {
		return fmt.Errorf("dim op: %w", err) // our own output: a bug, not bad input
	}
	o := op{kind: string(v.GetStringBytes("op")), table: string(v.GetStringBytes("table")), key: string(v.GetStringBytes("key"))}
	switch o.kind {
	case opPut:
		o.row = v.Get("row").MarshalTo(nil)
		o.seq = w.nextSeq(o.table, o.key)
	case opDelete:
		o.seq = w.nextSeq(o.table, o.key)
	case opCreate:
		for _, c := range v.GetArray("columns") {
			o.columns = append(o.columns, string(c.GetStringBytes()))
		}
		o.rowKey = string(v.GetStringBytes("row_key"))
	}
	w.ops = append(w.ops, o)
	return nil
}

// PrepareCheckpoint writes the buffered ops, then starts the next epoch
// (committed with the checkpoint) if this one numbered any put or delete.
func (w *writer) PrepareCheckpoint(stream.Emitter) error {
	if err := w.flush(); err != nil {
		return err
	}
	return w.seqs.Advance()
}

// flush writes the buffered ops in order: DDL one by one, and each run of
// consecutive puts and deletes of one table in one guarded write.
func (w *writer) flush() error {
	if len(w.ops) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := 0; i < len(w.ops); {
		o := &w.ops[i]
		var err error
		switch o.kind {
		case opCreate:
			err = w.store.CreateTable(ctx, dimstore.Table{Name: o.table, Columns: o.columns, RowKey: o.rowKey})
			i++
		case opDrop:
			err = w.store.DropTable(ctx, o.table)
			i++
		case opPut, opDelete:
			j := i + 1
			for j < len(w.ops) && (w.ops[j].kind == opPut || w.ops[j].kind == opDelete) && w.ops[j].table == o.table {
				j++
			}
			err = w.write(ctx, w.ops[i:j])
			i = j
		default:
			err = fmt.Errorf("unknown op %q", o.kind)
		}
		if err != nil {
			return fmt.Errorf("dim store %s %s: %w", o.kind, o.table, err)
		}
	}
	clear(w.ops)
	w.ops = w.ops[:0]
	return nil
}

// write applies a run of puts and deletes of one table.
func (w *writer) write(ctx context.Context, ops []op) error {
	table := ops[0].table
	var err error
	if w.seq != nil {
		w.run = w.run[:0]
		for _, o := range ops {
			w.run = append(w.run, dimstore.SeqOp{Key: o.key, Row: o.row, Seq: o.seq})
		}
		_, err = w.seq.WriteSeq(ctx, table, w.run)
		clear(w.run)
	} else {
		for _, o := range ops {
			if o.kind == opPut {
				err = w.store.Put(ctx, table, o.key, o.row)
			} else {
				err = w.store.Delete(ctx, table, o.key)
			}
			if err != nil {
				break
			}
		}
	}
	if errors.Is(err, dimstore.ErrNoTable) {
		// Another task processed a config delete before this one did:
		// this task drops the table too when it gets there.
		w.logger.Debug("write into a dropped dimension table skipped", "table", table, "ops", len(ops))
		err = nil
	}
	return err
}
