package ods

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/connector/topicdb"
	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/stream"
)

// TopicDB is the business database's change topic.
const TopicDB = "topic_db"

// EventTime returns a topic_db record's event time in epoch ms (its
// change's ts, seconds, times 1000), for Job.Source. A record from rtdw's
// own producers states it in its rtdw.ts header (topicdb.HeaderTS), read
// without parsing the record (HeaderTime); the producers write there the
// value the JSON carries, so the time is the same. Other records are
// parsed: Maxwell records (the usual case) give it straight from "ts";
// others are decoded. That parse is the one later operators reuse
// (Record.JSON caches it).
//
// A header is believed: a record whose body is malformed but whose header
// is valid gets the header's time (and moves the watermark) where the
// parse would have left it at its log timestamp; it is dead-lettered by
// the job all the same.
func EventTime(format string) func(*stream.Record) (int64, bool) {
	d, err := topicdb.NewDecoder(format)
	if err != nil {
		panic(err) // formats are validated with the config
	}
	return func(r *stream.Record) (int64, bool) {
		if ts, ok := HeaderTime(r); ok {
			return ts, true
		}
		v, err := r.JSON()
		if err != nil {
			return 0, false
		}
		if format == topicdb.Maxwell || format == topicdb.Auto && topicdb.Detect(v) == topicdb.Maxwell {
			if ts := v.Get("ts"); ts != nil && ts.Type() == fastjson.TypeNumber {
				if s, err := ts.Int64(); err == nil && s > 0 {
					return s * 1000, true
				}
			}
			return 0, false
		}
		cs, err := d.DecodeValue(v)
		if err != nil || len(cs) == 0 || cs[0].TS <= 0 {
			return 0, false
		}
		return cs[0].TS * 1000, true
	}
}

// Text is a scalar's text: a string's content or a number's literal, ""
// for anything else (keys and codes are read this way).
func Text(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		return v.String()
	}
	return ""
}

// CountRepaired counts a record whose changes cs the decoder repaired
// (invalid UTF-8 replaced by U+FFFD) once in rtdw_repaired_records_total.
func CountRepaired(ctx *stream.Context, cs []change.Change) {
	for i := range cs {
		if cs[i].Repaired {
			ctx.CountRepaired("invalid_utf8")
			return
		}
	}
}

// Normalize decodes topic_db records into one Maxwell JSON record per row
// change, with the input's key and event time ts*1000. Records that are
// not JSON or not valid changes are dead-lettered (bad_change); valid JSON
// that is no row change (a DDL event, a heartbeat) is skipped and counted
// (rtdw_skipped_changes_total, by reason), and so are bootstrap-start/complete
// markers of the business tables (no row). Invalid UTF-8 is replaced by
// U+FFFD (topicdb.Decoder) and the record counted
// (rtdw_repaired_records_total). What it emits carries no topic_db headers
// (StripHeaders).
func Normalize(format string) stream.Factory {
	return func() stream.Operator { return &normalize{n: NewNormalizer(format)} }
}

// NormalizeDeferring is Normalize that passes some records on without
// parsing them, for a job that routes by rules it learns as it runs
// (dim_app, dwd_base_db: operator.Broadcast) and most of whose input no
// rule covers: the router reads the deferred record's table from its top
// level (DeferredHead) and normalizes it (Normalizer.Route) only when a
// rule covers it, so the rows of other tables are never parsed, whether
// they are held for a config row or dropped at once.
//
// A record is deferred when it carries the rtdw.table header
// (topicdb.HeaderTable) and MaxwellHead vouches for it (one valid row
// change, which Normalize would pass on as it is) with the header's table,
// of a database other than the config database (config rows are always
// normalized: Stream.Broadcast reads them), and of type insert, update,
// delete or bootstrap-insert. A deferred record keeps its topic_db
// headers, which is how Deferred tells it from a normalized one (which has
// none), and gets the time Normalize would give it.
func NormalizeDeferring(format string) stream.Factory {
	return func() stream.Operator { return &normalize{n: NewNormalizer(format), deferring: true} }
}

// Deferred reports whether r is a record NormalizeDeferring passed on
// unparsed (see there).
func Deferred(r *stream.Record) bool { return r.Header(topicdb.HeaderTable) != nil }

type normalize struct {
	n         *Normalizer
	deferring bool
}

func (n *normalize) Open(ctx *stream.Context) error { n.n.Open(ctx); return nil }

func (n *normalize) Process(rec *stream.Record, out stream.Emitter) error {
	if n.deferring {
		if h, ok := n.n.deferrable(rec); ok {
			rec.Time = h.TS * 1000
			out.Emit(0, rec)
			return nil
		}
	}
	return n.n.Normalize(rec, func(r *stream.Record) error { out.Emit(0, r); return nil })
}

// Normalizer is Normalize's work on one record, for the operator and for
// the routers that normalize what it deferred.
type Normalizer struct {
	d      *topicdb.Decoder
	format string
	buf    []byte
	pin    []byte // Pin's summary
	ctx    *stream.Context
}

// NewNormalizer makes a Normalizer of records in format (a valid
// topicdb format: the jobs' configs validate it).
func NewNormalizer(format string) *Normalizer {
	d, err := topicdb.NewDecoder(format)
	if err != nil {
		panic(err)
	}
	d.SetTypes(ColumnTypes)
	return &Normalizer{d: d, format: format}
}

// Open gives the Normalizer the task's context, for its counters.
func (n *Normalizer) Open(ctx *stream.Context) { n.ctx = ctx }

func (n *Normalizer) maxwell(v *fastjson.Value) bool {
	return n.format == topicdb.Maxwell || n.format == topicdb.Auto && topicdb.Detect(v) == topicdb.Maxwell
}

// deferrable reports a record NormalizeDeferring passes on unparsed, with
// its head.
func (n *Normalizer) deferrable(rec *stream.Record) (Head, bool) {
	t := rec.Header(topicdb.HeaderTable)
	if t == nil {
		return Head{}, false
	}
	h, ok := MaxwellHead(rec.Value, n.format)
	if !ok || string(h.Table) != string(t) || IsConfig(string(h.Database)) {
		return h, false
	}
	switch string(h.Type) {
	case change.Insert, change.Update, change.Delete, change.BootstrapInsert:
		return h, true
	}
	return h, false
}

// Normalize emits rec normalized, as the Normalize operator does: emit
// gets one record per row change (none for a record skipped, with the
// skip counted); the error is a bad input to dead-letter rec with, or
// emit's.
func (n *Normalizer) Normalize(rec *stream.Record, emit func(*stream.Record) error) error {
	v, err := rec.JSON()
	if err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	cs, err := n.d.DecodeValue(v)
	if errors.Is(err, change.ErrNotChange) {
		n.ctx.CountSkipped(change.SkipReason(err))
		return nil
	}
	if err != nil {
		return stream.BadInput("bad_change", "%v", err)
	}
	for i := range cs {
		if err := cs[i].Validate(); err != nil {
			return stream.BadInput("bad_change", "%v", err)
		}
	}
	CountRepaired(n.ctx, cs)
	for i := range cs {
		c := &cs[i]
		if c.Type == change.BootstrapStart || c.Type == change.BootstrapComplete {
			if !IsConfig(c.Database) {
				n.ctx.CountSkipped("bootstrap_marker")
				continue
			}
		}
		if len(cs) == 1 && n.maxwell(v) && utf8.Valid(rec.Value) && jsonw.Valid(rec.Value) == nil {
			// Already what Normalize would write: pass the record and its
			// parse on, rather than re-encode and re-parse it. (Invalid
			// UTF-8 anywhere in it takes the re-encoding, which has none.)
			rec.Time = c.TS * 1000
			if hs := StripHeaders(rec.Headers); len(hs) != len(rec.Headers) {
				cp := *rec // the parse goes with the copy
				cp.Headers = hs
				return emit(&cp)
			}
			return emit(rec)
		}
		n.buf = c.AppendMaxwell(n.buf[:0])
		o := rec.Derive(rec.Key, append([]byte(nil), n.buf...), c.TS*1000)
		o.Headers = StripHeaders(o.Headers)
		if err := emit(&o); err != nil {
			return err
		}
	}
	return nil
}

// ChangeRouter is a broadcast router of topic_db changes (dim_app's,
// dwd_base_db's operator.Rules), as Normalizer.Route drives it.
type ChangeRouter interface {
	// Screen decides a change from its database, table and type when that
	// is enough (done): another database or type (handled), no data (a
	// bad input), or no rule for it (handled = final: held until the
	// watermark passes, then out of scope). The names are bytes of the
	// record (valid during the call): most records are decided here, and
	// deciding must not allocate.
	Screen(db, table, typ []byte, emptyData, final bool) (done, handled bool, err error)
	// RouteChange routes a normalized change Screen left undecided; v is
	// its parse.
	RouteChange(rec *stream.Record, db, table, typ string, v *fastjson.Value, out stream.Emitter) (bool, error)
}

// Route is operator.Rules.Route for r over what NormalizeDeferring
// emits. A deferred record is screened from its head (DeferredHead), and
// parsed and normalized only when the screen leaves it to r; a normalized
// record is screened and routed from its parse.
func (n *Normalizer) Route(r ChangeRouter, rec *stream.Record, out stream.Emitter, final bool) (bool, error) {
	if !Deferred(rec) {
		return routeNormalized(r, rec, out, final)
	}
	if h, ok := DeferredHead(rec.Value, n.format); ok {
		if done, handled, err := r.Screen(h.Database, h.Table, h.Type, h.EmptyData(), final); done {
			return handled, err
		}
	}
	handled, changes := true, 0 // true: a record the decoder skips
	err := n.Normalize(rec, func(c *stream.Record) error {
		if changes++; changes > 1 {
			// MaxwellHead promised one change: routing a second after the
			// first could hold back half a record.
			return fmt.Errorf("ods: a deferred topic_db record decoded into several changes: %.200s", rec.Value)
		}
		var err error
		handled, err = routeNormalized(r, c, out, final)
		return err
	})
	return handled, err
}

// Pin is operator.Pinner.Pin for a router over what NormalizeDeferring
// emits: a deferred record (the input record as read) is summed up by its
// database, table and type, all that Screen reads of it, so a held one
// costs its position and these names; a normalized record is held whole
// (nil). The summary is valid until the next call.
func (n *Normalizer) Pin(rec *stream.Record) []byte {
	if !Deferred(rec) {
		return nil
	}
	h, ok := DeferredHead(rec.Value, n.format)
	if !ok || h.EmptyData() {
		return nil // (Screen would dead-letter an empty one: never held)
	}
	n.pin = binary.AppendUvarint(n.pin[:0], uint64(len(h.Database)))
	n.pin = append(n.pin, h.Database...)
	n.pin = binary.AppendUvarint(n.pin, uint64(len(h.Table)))
	n.pin = append(n.pin, h.Table...)
	n.pin = append(n.pin, h.Type...)
	return n.pin
}

// Drop is operator.Pinner.Drop for r: Screen decides the pinned record at
// its release without its bytes (still no rule for its table: out of
// scope). Otherwise the broadcast reads it back and Route decides.
func (n *Normalizer) Drop(r ChangeRouter, pin []byte) bool {
	field := func() []byte {
		l, k := binary.Uvarint(pin)
		if k <= 0 || uint64(len(pin)-k) < l {
			return nil
		}
		f := pin[k : k+int(l)]
		pin = pin[k+int(l):]
		return f
	}
	db := field()
	table := field()
	if db == nil || table == nil {
		return false // not a summary Pin made: read the record back
	}
	done, handled, err := r.Screen(db, table, pin, false, true)
	return done && handled && err == nil
}

func routeNormalized(r ChangeRouter, rec *stream.Record, out stream.Emitter, final bool) (bool, error) {
	v, err := rec.JSON()
	if err != nil {
		return false, stream.BadInput("malformed_json", "%v", err)
	}
	db, table, typ := v.GetStringBytes("database"), v.GetStringBytes("table"), v.GetStringBytes("type")
	var data *fastjson.Object
	if d := v.Get("data"); d != nil {
		data, _ = d.Object()
	}
	if done, handled, err := r.Screen(db, table, typ, data == nil || data.Len() == 0, final); done {
		return handled, err
	}
	return r.RouteChange(rec, string(db), string(table), string(typ), v, out)
}

// ConfigDB is the database of the config tables (table_process_dim,
// table_process_dwd).
const ConfigDB = "gmall_config"

// IsConfig reports whether db is the config database.
func IsConfig(db string) bool { return db == ConfigDB }

// IsConfigTable reports whether a normalized record is a change of the
// config table named table: what Stream.Broadcast sends to every task.
func IsConfigTable(table string) func(*stream.Record) bool {
	return func(r *stream.Record) bool {
		if Deferred(r) {
			return false // config rows are never deferred
		}
		v, err := r.JSON()
		if err != nil {
			return false
		}
		return string(v.GetStringBytes("database")) == ConfigDB && string(v.GetStringBytes("table")) == table
	}
}

// Change reads a normalized record back (valid during the call).
func Change(r *stream.Record) (db, table, typ string, v *fastjson.Value, err error) {
	v, err = r.JSON()
	if err != nil {
		return "", "", "", nil, stream.BadInput("malformed_json", "%v", err)
	}
	return string(v.GetStringBytes("database")), string(v.GetStringBytes("table")), string(v.GetStringBytes("type")), v, nil
}
