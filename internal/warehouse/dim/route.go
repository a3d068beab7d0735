package dim

import (
	"log/slog"
	"strconv"
	"sync"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// Ops dim_app's router emits to the writer, one JSON object per record.
const (
	opCreate = "create"
	opDrop   = "drop"
	opPut    = "put"
	opDelete = "delete"
)

// router is the broadcast state of dim_app: the table_process_dim rules.
type router struct {
	businessDB string
	format     string          // topic_db's
	norm       *ods.Normalizer // of the records ods.NormalizeDeferring deferred
	set        *ruleSet
	buf        []byte
	warned     *sync.Map // sink table + column: missing columns reported once
	// created: tables this task made sure exist since it started (the
	// store's DDL is idempotent; defaults have no config change to create them).
	created map[string]bool
}

var (
	_ operator.Rules       = (*router)(nil)
	_ operator.RulesOpener = (*router)(nil)
	_ ods.ChangeRouter     = (*router)(nil)
)

func (r *router) Open(ctx *stream.Context) { r.norm.Open(ctx) }

// Apply follows a table_process_dim change, and emits the table DDL it
// implies (every task does; the store's DDL is idempotent, so parallel
// tasks racing on it is harmless: SPEC §7).
func (r *router) Apply(rec *stream.Record, out stream.Emitter) error {
	_, _, typ, v, err := ods.Change(rec)
	if err != nil {
		return err
	}
	row, removed, err := r.set.Apply(typ, v.Get("data"), v.Get("old"), "sink_table", func(d *fastjson.Value) (Rule, string, error) {
		rule, err := ruleOf(d)
		return rule, rule.SinkTable, err
	})
	if err != nil {
		return stream.BadInput("bad_config", "%s: %v", ConfigTable, err)
	}
	for _, name := range removed {
		r.emitDDL(out, rec, opDrop, Rule{SinkTable: name})
	}
	if row != nil {
		r.emitDDL(out, rec, opCreate, *row)
	}
	if row != nil || len(removed) > 0 {
		r.set.index()
	}
	return nil
}

func (r *router) emitDDL(out stream.Emitter, rec *stream.Record, op string, rule Rule) {
	b := append(r.buf[:0], `{"op":`...)
	b = strconv.AppendQuote(b, op)
	b = append(b, `,"table":`...)
	b = jsonw.AppendString(b, []byte(rule.SinkTable))
	if op == opCreate {
		b = append(b, `,"columns":[`...)
		for i, c := range rule.SinkColumns {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, []byte(c))
		}
		b = append(b, `],"row_key":`...)
		b = jsonw.AppendString(b, []byte(rule.SinkRowKey))
	}
	b = append(b, '}')
	r.buf = b
	o := rec.Derive([]byte(rule.SinkTable), append([]byte(nil), b...), rec.Time)
	out.Emit(0, &o)
	if r.created == nil {
		r.created = map[string]bool{}
	}
	r.created[rule.SinkTable] = op == opCreate
}

// Route turns a business row change into a put or delete of each
// dimension table its source table feeds (ods.Normalizer.Route: a record
// of a table no rule covers is decided unparsed).
func (r *router) Route(rec *stream.Record, out stream.Emitter, final bool) (bool, error) {
	return r.norm.Route(r, rec, out, final)
}

// Pin and Drop implement operator.Pinner: a held row of a table no rule
// covers is kept as its position in topic_db (ods.Normalizer.Pin).
func (r *router) Pin(rec *stream.Record) []byte { return r.norm.Pin(rec) }

// Drop implements operator.Pinner.
func (r *router) Drop(pin []byte) bool { return r.norm.Drop(r, pin) }

// Screen implements ods.ChangeRouter.
func (r *router) Screen(db, table, typ []byte, emptyData, final bool) (done, handled bool, err error) {
	if string(db) != r.businessDB {
		return true, true, nil // another database: not dim_app's
	}
	switch string(typ) {
	case change.Insert, change.Update, change.Delete, change.BootstrapInsert:
	default:
		return true, true, nil
	}
	if emptyData {
		return true, false, stream.BadInput("empty_data", "%s.%s %s has no data", db, table, typ)
	}
	if len(r.set.bySource[string(table)]) == 0 {
		return true, final, nil
	}
	return false, false, nil
}

// RouteChange implements ods.ChangeRouter.
func (r *router) RouteChange(rec *stream.Record, db, table, typ string, v *fastjson.Value, out stream.Emitter) (bool, error) {
	data := v.Get("data")
	for _, rule := range r.set.bySource[table] {
		key := ods.Text(data.Get(rule.SinkRowKey))
		if key == "" {
			return false, stream.BadInput("no_row_key", "%s.%s has no %s for %s", db, table, rule.SinkRowKey, rule.SinkTable)
		}
		if !r.created[rule.SinkTable] {
			r.emitDDL(out, rec, opCreate, rule)
		}
		b := append(r.buf[:0], `{"op":`...)
		if typ == change.Delete {
			b = append(b, `"delete"`...)
		} else {
			b = append(b, `"put"`...)
		}
		b = append(b, `,"table":`...)
		b = jsonw.AppendString(b, []byte(rule.SinkTable))
		b = append(b, `,"key":`...)
		b = jsonw.AppendString(b, []byte(key))
		if typ != change.Delete {
			b = append(b, `,"row":{`...)
			for i, c := range rule.SinkColumns {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonw.AppendString(b, []byte(c))
				b = append(b, ':')
				cv := data.Get(c)
				if cv == nil {
					r.reportMissing(rule, c, table)
					b = append(b, "null"...)
					continue
				}
				b = cv.MarshalTo(b)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
		r.buf = b
		o := rec.Derive([]byte(key), append([]byte(nil), b...), rec.Time)
		out.Emit(0, &o)
	}
	return true, nil
}

func (r *router) Marshal() ([]byte, error) { return r.set.marshal() }
func (r *router) Unmarshal(b []byte) error { return r.set.unmarshal(b) }

// reportMissing logs, once per sink table and column, a config row naming
// a column the source rows do not have: the column is written as null.
func (r *router) reportMissing(rule Rule, column, source string) {
	if _, seen := r.warned.LoadOrStore(rule.SinkTable+"\x00"+column, true); seen {
		return
	}
	slog.Warn("dim_app: config names a column the source table does not have; writing null",
		"sink_table", rule.SinkTable, "column", column, "source_table", source)
}
