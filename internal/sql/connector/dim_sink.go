package connector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The rtdw-dim (redis) sink: writes rows into the dimension store (the
// configured one, the embedded log's, or the Redis of 'host'; see dim.go)
// under the table's PRIMARY KEY, one column, as the row key (its text as
// the lookup reads it), each row a JSON object of the DDL's columns
// (TIMESTAMP 'yyyy-MM-dd HH:mm:ss[.f]', TIMESTAMP_LTZ with 'Z', DECIMAL
// exact: what the lookup decodes back). A -D row deletes the key; -U rows
// are dropped. The dimension table is created in the store if missing
// (its columns the DDL's, its row key the PRIMARY KEY).
//
// Idempotent and fenced: each task buffers its rows, one operation per
// key, and writes them before its checkpoint commits (jdbc_sink_batch.go).
// Every write carries the row's sequence (the checkpoint epoch of the
// task in the high bits, the row's position in the epoch in the low bits)
// and the store refuses a write whose sequence is lower than the one it
// holds for the key (dim.SeqWriter: a compare-and-set in Pebble's batch,
// a Lua script in Redis). A replay after a crash writes the same rows
// with the same sequences, so it changes nothing; a fenced (zombie)
// worker flushing its last, uncommitted epoch late writes sequences lower
// than those the worker that took over wrote for the same or newer rows,
// so it cannot bring back an older row or resurrect a deleted one. A job
// run again from scratch starts its epochs at the clock, above the old
// run's. Rows are written at checkpoints and whenever
// 'sink.buffer-flush.max-rows' rows are buffered.

func init() {
	dimFactory.Options = append(dimFactory.Options,
		spec("sink.buffer-flush.max-rows", "10000", false, "Write early when this many rows (keys) are buffered; rows are always written at each checkpoint."),
		spec("sink.buffer-flush.interval", "", false, "Accepted: rows are written at each checkpoint."),
		spec("sink.max-retries", "3", false, "Retries of a failed write before the task fails (and restarts from its checkpoint)."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
	)
	dimFactory.NewSink = newDimSink
	dimFactory.Doc = "The dimension store dim_app writes (embedded, or Redis as rtdw.yaml configures it): lookup by row key; sink by the PRIMARY KEY (upserts and deletes, sequence-guarded against replays and zombie writers)."
}

type dimSink struct {
	ctx   *Context
	t     *Table
	table string
	key   int
	cols  []int // physical columns, written as the row's fields
	store func() (dim.Getter, error)
	spec  extSpec
}

func newDimSink(ctx *Context, t *Table) (Sink, error) {
	f := dimFactory
	if err := checkOptions(ctx, f, t, []string{"sink.buffer-flush.interval", "sink.parallelism"}); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, err
	}
	if len(t.PrimaryKey) != 1 {
		return nil, fmt.Errorf("%s: the rtdw-dim sink needs a PRIMARY KEY (...) NOT ENFORCED of one column, the row key the rows are written and looked up by", where(f, t))
	}
	if err := checkScalarColumns(f, t, t.PrimaryKey); err != nil {
		return nil, err
	}
	s := &dimSink{ctx: ctx, t: t, key: t.PrimaryKey[0], cols: l.physical}
	if s.table, err = dimTableName(f, t); err != nil {
		return nil, err
	}
	if s.store, err = dimStore(ctx, f, t); err != nil {
		if ctx != nil && ctx.Log != nil {
			return nil, err
		}
		// Planning without a log (EXPLAIN): the job cannot run like this.
		storeErr := err
		s.store = func() (dim.Getter, error) { return nil, storeErr }
	}
	if _, err := s.encoder(); err != nil {
		return nil, fmt.Errorf("%s: %v", where(f, t), err)
	}
	maxRows, retries, err := extOptions(f, t, "sink.buffer-flush.max-rows", 10000, "sink.max-retries", 3)
	if err != nil {
		return nil, err
	}
	s.spec = extSpec{name: nodeName("dim_sink", t), l: l, key: t.PrimaryKey, maxRows: maxRows, retries: retries,
		backoff: 100 * time.Millisecond, open: s.openTask}
	return s, nil
}

// encoder writes the physical columns as a JSON object.
func (s *dimSink) encoder() (*row.JSONEncoder, error) {
	cols := make([]row.Column, 0, s.t.Schema.Len())
	for _, c := range s.cols {
		cols = append(cols, s.t.Schema.Column(c))
	}
	sch, err := row.NewSchema(cols...)
	if err != nil {
		return nil, err
	}
	return row.NewJSONEncoder(sch, row.JSONOptions{TimestampFormat: row.TimestampSQL})
}

func (s *dimSink) Accepts() ChangelogMode { return Retract }

func (s *dimSink) Attach(st stream.Stream) error {
	attachExt(st, &s.spec)
	return nil
}

func (s *dimSink) openTask(*stream.Context) (extWriter, error) {
	g, err := s.store()
	if err != nil {
		return nil, err
	}
	st, ok := g.(dim.Store)
	w, ok2 := g.(dim.SeqWriter)
	if !ok || !ok2 {
		return nil, fmt.Errorf("rtdw-dim %s: the dimension store (%T) has no sequence-guarded writes", s.table, g)
	}
	enc, err := s.encoder()
	if err != nil {
		return nil, err
	}
	return &dimWriter{s: s, store: st, w: w, enc: enc}, nil
}

type dimWriter struct {
	s     *dimSink
	store dim.Store
	w     dim.SeqWriter
	enc   *row.JSONEncoder
	tmp   row.Row
	ops   []dim.SeqOp
	buf   []byte
}

func (w *dimWriter) write(ctx context.Context, b *extBatch) error {
	cols := w.s.cols
	w.ops = w.ops[:0]
	w.buf = w.buf[:0]
	type span struct{ from, to int }
	spans := make([]span, len(b.Ops))
	for i := range b.Ops {
		op := &b.Ops[i]
		if op.Delete {
			continue
		}
		project(&w.tmp, &op.Row, cols)
		from := len(w.buf)
		var err error
		if w.buf, err = w.enc.Append(w.buf, &w.tmp); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		spans[i] = span{from, len(w.buf)}
	}
	for i := range b.Ops {
		op := &b.Ops[i]
		key := valueText(op.Row.Values[w.s.key], time.UTC)
		if key == "" {
			continue // the store has no empty keys (the lookup finds none either)
		}
		so := dim.SeqOp{Key: key, Seq: op.Seq}
		if !op.Delete {
			so.Row = w.buf[spans[i].from:spans[i].to]
		}
		w.ops = append(w.ops, so)
	}
	_, err := w.w.WriteSeq(ctx, w.s.table, w.ops)
	if errors.Is(err, dim.ErrNoTable) {
		var names []string
		for _, c := range cols {
			names = append(names, w.s.t.Schema.Column(c).Name)
		}
		t := dim.Table{Name: w.s.table, Columns: names, RowKey: w.s.t.Schema.Column(w.s.key).Name}
		if err := w.store.CreateTable(ctx, t); err != nil {
			return err
		}
		_, err = w.w.WriteSeq(ctx, w.s.table, w.ops)
	}
	return err
}
