package dim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/valyala/fastjson"

	dimstore "github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/stream"
)

// writer applies the router's ops to the dimension store. It buffers them
// and writes them, in order, when the task checkpoints, before the
// checkpoint commits: a crash replays ops since the last checkpoint, and
// since every op is an idempotent upsert, delete or DDL, the store
// converges to the same rows (DESIGN: external sinks).
type writer struct {
	store  dimstore.Store
	ops    []op
	p      fastjson.Parser
	logger *slog.Logger
}

type op struct {
	kind, table, key string
	row              []byte
	columns          []string
	rowKey           string
}

func newWriter(store dimstore.Store) stream.Factory {
	return func() stream.Operator { return &writer{store: store} }
}

func (w *writer) Open(ctx *stream.Context) error { w.logger = ctx.Logger; return nil }

func (w *writer) Process(rec *stream.Record, _ stream.Emitter) error {
	v, err := w.p.ParseBytes(rec.Value)
	if err != nil {
		return fmt.Errorf("dim op: %w", err) // our own output: a bug, not bad input
	}
	o := op{kind: string(v.GetStringBytes("op")), table: string(v.GetStringBytes("table")), key: string(v.GetStringBytes("key"))}
	switch o.kind {
	case opPut:
		o.row = v.Get("row").MarshalTo(nil)
	case opCreate:
		for _, c := range v.GetArray("columns") {
			o.columns = append(o.columns, string(c.GetStringBytes()))
		}
		o.rowKey = string(v.GetStringBytes("row_key"))
	}
	w.ops = append(w.ops, o)
	return nil
}

// PrepareCheckpoint writes the buffered ops.
func (w *writer) PrepareCheckpoint(stream.Emitter) error {
	if len(w.ops) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, o := range w.ops {
		var err error
		switch o.kind {
		case opCreate:
			err = w.store.CreateTable(ctx, dimstore.Table{Name: o.table, Columns: o.columns, RowKey: o.rowKey})
		case opDrop:
			err = w.store.DropTable(ctx, o.table)
		case opPut:
			err = w.store.Put(ctx, o.table, o.key, o.row)
			if errors.Is(err, dimstore.ErrNoTable) {
				// Another task processed a config delete before this one
				// did: this task drops the table too when it gets there.
				w.logger.Debug("put into a dropped dimension table skipped", "table", o.table, "key", o.key)
				err = nil
			}
		case opDelete:
			err = w.store.Delete(ctx, o.table, o.key)
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
