package exec

import (
	"errors"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// DedupSpec is a deduplication: ROW_NUMBER() OVER (PARTITION BY keys
// ORDER BY time [DESC]) with rn = 1. The input is repartitioned by the
// keys (the record key is the dedup key).
type DedupSpec struct {
	// KeepLast keeps the last row per key (ORDER BY time DESC), else the
	// first (ASC).
	KeepLast bool
	// TimeCol is the ORDER BY column: a row-time attribute when RowTime,
	// else a processing-time one, which orders by arrival (its value is
	// not read). -1: processing time.
	TimeCol int
	RowTime bool
	// GenerateUpdateBefore: a retract changelog (-U old, +U new), else
	// an upsert one (+U new only).
	GenerateUpdateBefore bool
	// Schema is the input rows' schema: the kept row is stored in its
	// binary row format (not needed for proc-time keep-first, which keeps
	// no row).
	Schema *row.Schema
	// StateTTL forgets a key this long (event time: the stamp and the
	// clock are the records' ttlNow, as GroupAggSpec.StateTTL) after its
	// last update; 0 keeps keys forever. A key seen again after expiring
	// starts afresh (+I), as in Flink.
	StateTTL time.Duration
}

func (s DedupSpec) rowTime() bool { return s.RowTime && s.TimeCol >= 0 }

// keepsRow reports whether the operator keeps the whole row (all but
// proc-time keep-first, which keeps a flag).
func (s DedupSpec) keepsRow() bool { return s.KeepLast || s.rowTime() }

// Validate reports a spec the operator cannot run (a planning error).
func (s DedupSpec) Validate() error {
	if s.RowTime && s.TimeCol < 0 {
		return errors.New("dedup: row time without a time column")
	}
	if s.keepsRow() && s.Schema == nil {
		return errors.New("dedup: no input schema")
	}
	if s.Schema != nil && s.TimeCol >= s.Schema.Len() {
		return fmt.Errorf("dedup: time column %d of a %d-column schema", s.TimeCol, s.Schema.Len())
	}
	return nil
}

// Dedup returns the deduplication operator, with the semantics of Flink's
// Deduplicate functions:
//
//   - proc-time keep first (ProcTimeDeduplicateKeepFirstRowFunction): the
//     first row of a key is emitted (+I), later ones are dropped; the
//     output is insert-only;
//   - proc-time keep last (ProcTimeDeduplicateKeepLastRowFunction): the
//     first row emits +I, each later one -U (the kept row; only with
//     GenerateUpdateBefore) and +U (the new one), skipped when equal to
//     the kept row and no StateTTL is set; on a changelog input a -U/-D
//     row emits -D of the kept row (its full content) and forgets it;
//   - row-time (RowTimeDeduplicateFunction, rows processed as they
//     arrive): keep first replaces the kept row by a row with a strictly
//     smaller time, keep last by a row with a time at least the kept
//     row's, emitting -U (old; with GenerateUpdateBefore) and +U (new);
//     the first row of a key emits +I.
//
// Keep-first and row-time dedup need an insert-only input (as Flink): a
// -U/-D row is dead-lettered (code "unexpected_retraction"); a +U row
// counts as a new row. A NULL row time is dead-lettered (code
// "null_rowtime").
func Dedup(spec DedupSpec) stream.Factory {
	return func() stream.Operator { return &dedup{spec: spec} }
}

type dedup struct {
	spec  DedupSpec
	ctx   *stream.Context
	kept  *state.ValueState // key -> binary row (or a flag, proc-time keep-first)
	width int
	prev  row.Row
	emit  RowEmitter
	enc   []byte
	now   int64 // the current record's ttlNow (the TTL clock)
}

func (d *dedup) Open(ctx *stream.Context) error {
	if err := d.spec.Validate(); err != nil {
		return err
	}
	var opts []state.Option
	if d.spec.StateTTL > 0 {
		// The TTL clock is the record's ttlNow: a key is stamped with its
		// row's event time and aged by the next row's (group_agg.go).
		opts = append(opts, state.WithEventTimeTTL(d.spec.StateTTL, func() int64 { return d.now }))
	}
	d.ctx, d.kept = ctx, ctx.Value("kept", opts...)
	d.width = d.spec.TimeCol + 1
	if d.spec.keepsRow() {
		d.width = d.spec.Schema.Len()
	}
	return nil
}

var dedupSeen = []byte{1}

func (d *dedup) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "dedup", d.width)
	if err != nil {
		return err
	}
	if d.spec.keepsRow() && len(in.Values) != d.width {
		return stream.BadInput("bad_row", "dedup: row of %d columns, schema has %d", len(in.Values), d.width)
	}
	d.now = ttlNow(d.ctx.Watermark(), rec.Time)
	retract := in.Kind.IsRetract()
	if retract && !(d.spec.KeepLast && !d.spec.rowTime()) {
		return stream.BadInput("unexpected_retraction", "dedup: %s row on an insert-only deduplication", in.Kind)
	}
	if d.spec.rowTime() && in.Values[d.spec.TimeCol].IsNull() {
		return stream.BadInput("null_rowtime", "dedup: NULL row time in column %d", d.spec.TimeCol)
	}

	if !d.spec.keepsRow() { // proc-time keep first
		_, seen, err := d.kept.Get(rec.Key)
		if err != nil || seen {
			return err
		}
		if err := d.kept.Put(rec.Key, dedupSeen); err != nil {
			return err
		}
		d.emit.Set(in.Values)
		d.emit.Emit(out, rec, row.Insert)
		return nil
	}

	raw, had, err := d.kept.Get(rec.Key)
	if err != nil {
		return err
	}
	if had {
		if err := row.DecodeRow(raw, d.spec.Schema, &d.prev); err != nil {
			return fmt.Errorf("dedup: key %x: %w", rec.Key, err)
		}
	}
	if retract { // proc-time keep last on a changelog
		if !had {
			return nil // removing a row that is not there
		}
		d.emit.Set(d.prev.Values)
		d.emit.Emit(out, rec, row.Delete)
		return d.kept.Delete(rec.Key)
	}
	if had && d.spec.rowTime() {
		c := row.Compare(in.Values[d.spec.TimeCol], d.prev.Values[d.spec.TimeCol])
		if d.spec.KeepLast && c < 0 || !d.spec.KeepLast && c >= 0 {
			return nil // the kept row stays
		}
	}
	if had && !d.spec.rowTime() && d.spec.StateTTL <= 0 && valuesEqual(d.prev.Values, in.Values) {
		return nil // proc-time keep last: an identical row changes nothing
	}
	kept := row.Row{Kind: row.Insert, Values: in.Values}
	enc, err := row.AppendRow(d.enc[:0], d.spec.Schema, &kept)
	if err != nil {
		return stream.BadInput("bad_row", "dedup: %v", err)
	}
	d.enc = enc
	if err := d.kept.Put(rec.Key, enc); err != nil {
		return err
	}
	if !had {
		d.emit.Set(in.Values)
		d.emit.Emit(out, rec, row.Insert)
		return nil
	}
	if d.spec.GenerateUpdateBefore {
		d.emit.Set(d.prev.Values)
		d.emit.Emit(out, rec, row.UpdateBefore)
	}
	d.emit.Set(in.Values)
	d.emit.Emit(out, rec, row.UpdateAfter)
	return nil
}
