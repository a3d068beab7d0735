package dwd

import (
	"errors"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/connector/topicdb"
	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// fact is one decoded row change of the business database.
type fact struct {
	Table, Type string
	TS          int64           // epoch seconds
	Data        *fastjson.Value // the row after the change
	Old         *fastjson.Value // update: previous values of the changed columns; else nil
}

// factRule selects a table's changes for a job.
type factRule struct {
	// keep selects the changes the job uses; it may reject a selected
	// change as bad input (stream.BadInput). Nil keeps inserts.
	keep func(f *fact) (bool, error)
	// keys are columns a kept change must carry (non-null): the keys the
	// job joins and writes by. Missing ones dead-letter the record.
	keys []string
}

// inserts keeps row inserts (not bootstrap-insert: a snapshot row is state
// that existed before, not a business event now, as Flink's type='insert').
func inserts(f *fact) (bool, error) { return f.Type == change.Insert, nil }

// statusTo keeps updates that changed col to the value to (from any value
// when from is "", else only from from).
func statusTo(col, from, to string) func(f *fact) (bool, error) {
	return func(f *fact) (bool, error) {
		if f.Type != change.Update || f.Old == nil {
			return false, nil
		}
		old := f.Old.Get(col)
		if old == nil || (from != "" && text(old) != from) {
			return false, nil
		}
		return text(f.Data.Get(col)) == to, nil
	}
}

// text is a scalar's text (ods.Text).
func text(v *fastjson.Value) string { return ods.Text(v) }

// decodeFacts is every fact job's first operator: it decodes a topic_db
// record in the configured format (Maxwell, Debezium, Canal or auto),
// keeps the business database's changes the rules select, and emits each
// as one Maxwell JSON record (the format the later operators read) at
// event time ts*1000. Changes of other tables and databases, and records
// that are no row change (DDL), are filtered; malformed records, changes
// that a rule rejects and changes without a key are dead-lettered with
// the original input, so the reason comes with what was really received.
// Records that are no row change are counted (rtdw_skipped_changes_total),
// and so are records whose invalid UTF-8 the decoder replaced by U+FFFD
// (rtdw_repaired_records_total).
//
// A record whose rtdw.table header (topicdb.HeaderTable) names a table
// the rules do not select is skipped without parsing it, once
// ods.MaxwellHead has read its top level and found a valid change that
// the full path would drop too (another table, or another database).
// Whatever that check cannot vouch for (a malformed body, a header that
// does not match its body, another format) takes the full path, so the
// outcome, output, drop or dead letter, is the same with or without the
// header. Emitted records carry no topic_db headers (ods.StripHeaders).
func decodeFacts(c FactConfig, rules map[string]factRule) stream.Factory {
	return func() stream.Operator {
		dec, err := topicdb.NewDecoder(c.TopicDBFormat)
		if err != nil {
			panic(err) // FactConfig validated the format
		}
		dec.SetTypes(ods.ColumnTypes)
		dec.Reuse() // each change is done with before the next record
		return &factDecoder{db: c.Database, format: c.TopicDBFormat, dec: dec, rules: rules}
	}
}

type factDecoder struct {
	db     string
	format string
	dec    *topicdb.Decoder
	rules  map[string]factRule
	p, po  fastjson.Parser
	buf    []byte
	ctx    *stream.Context
}

func (d *factDecoder) Open(ctx *stream.Context) error { d.ctx = ctx; return nil }

// skip reports a record the full path would drop as out of scope, told by
// its header and its top level, without parsing it.
func (d *factDecoder) skip(r *stream.Record) bool {
	t := r.Header(topicdb.HeaderTable)
	if t == nil {
		return false
	}
	if _, ok := d.rules[string(t)]; ok {
		return false
	}
	h, ok := ods.MaxwellHead(r.Value, d.format)
	if !ok {
		return false
	}
	_, ok = d.rules[string(h.Table)]
	return !ok || string(h.Database) != d.db
}

func (d *factDecoder) Process(r *stream.Record, out stream.Emitter) error {
	if d.skip(r) {
		return nil
	}
	v, err := r.JSON()
	if err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	if err := jsonw.Valid(r.Value); err != nil {
		return stream.BadInput("malformed_json", "%v", err) // the parser is lenient
	}
	cs, err := d.dec.DecodeValue(v)
	if errors.Is(err, change.ErrNotChange) {
		d.ctx.CountSkipped(change.SkipReason(err))
		return nil
	}
	if err != nil {
		return stream.BadInput("bad_change", "%v", err)
	}
	ods.CountRepaired(d.ctx, cs)
	for i := range cs {
		c := &cs[i]
		rule, ok := d.rules[c.Table]
		if !ok || c.Database != d.db {
			continue
		}
		f := fact{Table: c.Table, Type: c.Type, TS: c.TS}
		if f.Data, err = d.p.ParseBytes(c.Data); err != nil {
			return stream.BadInput("bad_change", "data: %v", err)
		}
		if c.Old != nil {
			if f.Old, err = d.po.ParseBytes(c.Old); err != nil {
				return stream.BadInput("bad_change", "old: %v", err)
			}
		}
		keep := rule.keep
		if keep == nil {
			keep = inserts
		}
		ok, err := keep(&f)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		for _, k := range rule.keys {
			if x := f.Data.Get(k); x == nil || x.Type() == fastjson.TypeNull || text(x) == "" {
				return stream.BadInput("missing_key", "%s.%s is missing", c.Table, k)
			}
		}
		d.buf = c.AppendMaxwell(d.buf[:0])
		o := r.Derive(r.Key, d.buf, c.TS*1000)
		o.Headers = ods.StripHeaders(o.Headers)
		out.Emit(0, &o)
	}
	return nil
}
