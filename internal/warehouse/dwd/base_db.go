package dwd

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/jsonw"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// BaseDBJob is the config-driven fact split of SPEC §3.3.
const BaseDBJob = "dwd_base_db"

// BaseDBConfigTable is the config table dwd_base_db follows.
const BaseDBConfigTable = "table_process_dwd"

// BaseDBRule is one row of gmall_config.table_process_dwd: changes of
// source_table of type source_type go to topic sink_table as the row
// restricted to sink_columns, plus ts.
type BaseDBRule struct {
	SourceTable string   `json:"source_table" yaml:"source_table"`
	SourceType  string   `json:"source_type" yaml:"source_type"`
	SinkTable   string   `json:"sink_table" yaml:"sink_table"`
	SinkColumns []string `json:"sink_columns" yaml:"sink_columns"`
}

// Validate reports a rule that cannot route anything.
func (r BaseDBRule) Validate() error {
	switch {
	case r.SourceTable == "" || r.SinkTable == "" || len(r.SinkColumns) == 0:
		return fmt.Errorf("config row %q: source_table, sink_table and sink_columns are required", r.SinkTable)
	case r.SourceType != change.Insert && r.SourceType != change.Update && r.SourceType != change.Delete:
		return fmt.Errorf("config row %q: source_type %q is not insert, update or delete", r.SinkTable, r.SourceType)
	}
	return nil
}

// DefaultBaseDBRules are SPEC §3.3's rows, applied until table_process_dwd
// rows arrive (overridable in rtdw.yaml).
func DefaultBaseDBRules() []BaseDBRule {
	rule := func(src, typ, sink, columns string) BaseDBRule {
		return BaseDBRule{SourceTable: src, SourceType: typ, SinkTable: sink, SinkColumns: strings.Split(columns, ",")}
	}
	return []BaseDBRule{
		rule("coupon_use", "insert", "dwd_tool_coupon_get", "id,coupon_id,user_id,get_time,coupon_status"),
		rule("coupon_use", "update", "dwd_tool_coupon_use", "id,coupon_id,user_id,order_id,using_time,used_time,coupon_status"),
		rule("favor_info", "insert", "dwd_interaction_favor_add", "id,user_id,sku_id,create_time"),
		rule("user_info", "insert", "dwd_user_register", "id,create_time"),
	}
}

// BaseDBConfig configures dwd_base_db.
type BaseDBConfig struct {
	TopicDBFormat  string // default auto
	BusinessDB     string // default gmall
	Rules          []BaseDBRule
	OutOfOrderness time.Duration // default 3 s: how long unrouted rows wait for config
	MaxHold        time.Duration // and at most this long in processing time; default 10 s
}

// headerSink carries a routed record's topic to the dynamic sink.
const headerSink = "rtdw.sink"

// BaseDB builds dwd_base_db:
//
//	topic_db ─ normalize ─ broadcast(table_process_dwd rows) ─ route ─ topic <sink_table>
func BaseDB(c BaseDBConfig) *stream.Job {
	if c.TopicDBFormat == "" {
		c.TopicDBFormat = "auto"
	}
	if c.BusinessDB == "" {
		c.BusinessDB = "gmall"
	}
	if c.Rules == nil {
		c.Rules = DefaultBaseDBRules()
	}
	if c.OutOfOrderness == 0 {
		c.OutOfOrderness = 3 * time.Second
	}
	var known []string
	for _, r := range c.Rules {
		known = append(known, r.SinkTable)
	}
	j := stream.NewJob(BaseDBJob)
	j.Source(ods.TopicDB, stream.EventTime(ods.EventTime(c.TopicDBFormat)), stream.OutOfOrderness(c.OutOfOrderness), ods.PlausibleTime()).
		Process("normalize", ods.NormalizeDeferring(c.TopicDBFormat)).Main().
		Broadcast("config", ods.IsConfigTable(BaseDBConfigTable)).
		Process("route", operator.Broadcast(func() operator.Rules {
			return newFactRouter(c.BusinessDB, c.TopicDBFormat, c.Rules)
		}, c.MaxHold)).Main().
		ToDynamic("sink_facts", func(r *stream.Record) (string, error) {
			if t := r.Header(headerSink); len(t) > 0 {
				return string(t), nil
			}
			return "", fmt.Errorf("no %s header", headerSink)
		}, known...)
	return j
}

// factRouter is dwd_base_db's broadcast state: rules keyed by sink table,
// indexed by "source_table:source_type".
type factRouter struct {
	businessDB string
	format     string          // topic_db's
	norm       *ods.Normalizer // of the records ods.NormalizeDeferring deferred
	set        *ods.ConfigRows[BaseDBRule]
	bySource   map[string][]BaseDBRule
	srcKey     []byte // Screen's bySource key, reused
	buf        []byte
}

func newFactRouter(db, format string, rules []BaseDBRule) *factRouter {
	r := &factRouter{businessDB: db, format: format, norm: ods.NewNormalizer(format),
		set: ods.NewConfigRows(rules, func(r BaseDBRule) string { return r.SinkTable })}
	r.index()
	return r
}

var (
	_ operator.RulesOpener = (*factRouter)(nil)
	_ ods.ChangeRouter     = (*factRouter)(nil)
)

func (r *factRouter) Open(ctx *stream.Context) { r.norm.Open(ctx) }

func (r *factRouter) index() {
	r.bySource = map[string][]BaseDBRule{}
	for _, x := range r.set.Sorted() {
		k := x.SourceTable + ":" + x.SourceType
		r.bySource[k] = append(r.bySource[k], x)
	}
}

func (r *factRouter) Apply(rec *stream.Record, _ stream.Emitter) error {
	_, _, typ, v, err := ods.Change(rec)
	if err != nil {
		return err
	}
	row, removed, err := r.set.Apply(typ, v.Get("data"), v.Get("old"), "sink_table", func(d *fastjson.Value) (BaseDBRule, string, error) {
		x := BaseDBRule{
			SourceTable: string(d.GetStringBytes("source_table")),
			SourceType:  string(d.GetStringBytes("source_type")),
			SinkTable:   string(d.GetStringBytes("sink_table")),
		}
		for _, c := range strings.Split(string(d.GetStringBytes("sink_columns")), ",") {
			if c = strings.TrimSpace(c); c != "" {
				x.SinkColumns = append(x.SinkColumns, c)
			}
		}
		return x, x.SinkTable, x.Validate()
	})
	if err != nil {
		return stream.BadInput("bad_config", "%s: %v", BaseDBConfigTable, err)
	}
	if row != nil || len(removed) > 0 {
		r.index()
	}
	return nil
}

// Route writes a matching change as its row restricted to sink_columns
// plus ts (epoch seconds), keyed by the first column, to sink_table
// (ods.Normalizer.Route: a change no rule covers is decided unparsed).
func (r *factRouter) Route(rec *stream.Record, out stream.Emitter, final bool) (bool, error) {
	return r.norm.Route(r, rec, out, final)
}

// Pin and Drop implement operator.Pinner: a held row of a table no rule
// covers is kept as its position in topic_db (ods.Normalizer.Pin).
func (r *factRouter) Pin(rec *stream.Record) []byte { return r.norm.Pin(rec) }

// Drop implements operator.Pinner.
func (r *factRouter) Drop(pin []byte) bool { return r.norm.Drop(r, pin) }

// Screen implements ods.ChangeRouter.
func (r *factRouter) Screen(db, table, typ []byte, emptyData, final bool) (done, handled bool, err error) {
	if string(db) != r.businessDB {
		return true, true, nil
	}
	switch string(typ) {
	case change.Insert, change.Update, change.Delete:
	default:
		return true, true, nil // bootstrap rows are history, not new facts
	}
	if emptyData {
		return true, false, stream.BadInput("empty_data", "%s.%s %s has no data", db, table, typ)
	}
	r.srcKey = append(append(append(r.srcKey[:0], table...), ':'), typ...)
	if len(r.bySource[string(r.srcKey)]) == 0 {
		return true, final, nil
	}
	return false, false, nil
}

// RouteChange implements ods.ChangeRouter.
func (r *factRouter) RouteChange(rec *stream.Record, db, table, typ string, v *fastjson.Value, out stream.Emitter) (bool, error) {
	data := v.Get("data")
	for _, rule := range r.bySource[table+":"+typ] {
		first := data.Get(rule.SinkColumns[0])
		if first == nil || first.Type() == fastjson.TypeNull {
			return false, stream.BadInput("no_key", "%s.%s has no %s for %s", db, table, rule.SinkColumns[0], rule.SinkTable)
		}
		var key []byte
		if first.Type() == fastjson.TypeString {
			key = append(key, first.GetStringBytes()...)
		} else {
			key = first.MarshalTo(nil)
		}
		b := append(r.buf[:0], '{')
		for _, c := range rule.SinkColumns {
			b = jsonw.AppendString(b, []byte(c))
			b = append(b, ':')
			if cv := data.Get(c); cv != nil {
				b = cv.MarshalTo(b)
			} else {
				b = append(b, "null"...)
			}
			b = append(b, ',')
		}
		b = append(b, `"ts":`...)
		b = strconv.AppendInt(b, v.GetInt64("ts"), 10)
		b = append(b, '}')
		r.buf = b
		o := rec.Derive(key, append([]byte(nil), b...), rec.Time)
		o.Headers = append(o.Headers[:len(o.Headers):len(o.Headers)], rlog.Header{Key: headerSink, Value: []byte(rule.SinkTable)})
		out.Emit(0, &o)
	}
	return true, nil
}

func (r *factRouter) Marshal() ([]byte, error) { return json.Marshal(r.set) }

func (r *factRouter) Unmarshal(b []byte) error {
	r.set = &ods.ConfigRows[BaseDBRule]{}
	if err := json.Unmarshal(b, r.set); err != nil {
		return err
	}
	r.index()
	return nil
}
