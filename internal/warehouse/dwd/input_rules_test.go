package dwd

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	dimstore "github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/dim"
)

// Input rules of topic_db (docs/ingestion.md, "Input rules"): what the
// jobs do with records that are easy to get silently wrong. Each test runs
// the real jobs on an embedded log and checks their outputs, dead letters
// and counters; expected values are written by hand.

// ruleEnv is a topic_db log the jobs drain, with one metrics registry.
type ruleEnv struct {
	l *embedded.Log
	m *stream.Metrics
}

func newRuleEnv(t *testing.T, lines ...string) *ruleEnv {
	t.Helper()
	l := openTopicDB(t)
	produceTopicDB(t, l, lines...)
	return &ruleEnv{l: l, m: stream.NewMetrics(nil)}
}

func (e *ruleEnv) drain(t *testing.T, jobs ...*stream.Job) {
	t.Helper()
	opts := stream.Options{Log: e.l, Drain: true, Interval: 50 * time.Millisecond, Metrics: e.m}
	if err := stream.Run(context.Background(), opts, jobs...); err != nil {
		t.Fatal(err)
	}
}

// read returns a topic's values ("" list when the topic does not exist).
func (e *ruleEnv) read(t *testing.T, topic string) []rlog.Record {
	t.Helper()
	if _, err := e.l.DescribeTopic(context.Background(), topic); err != nil {
		return nil
	}
	return logtest.ReadAll(t, e.l, topic)
}

// A Maxwell record whose data is an array (Canal's shape, but Maxwell's
// lower-case type) is dead-lettered with a reason that says so, and
// counted; it used to be read as a Canal message of an unknown type and
// dropped uncounted.
func TestInputRuleMaxwellDataArrayDeadLettered(t *testing.T) {
	in := `{"database":"gmall","table":"user_info","type":"insert","ts":1795222800,"data":[{"id":1,"create_time":"2026-11-21 09:00:00"}]}`
	e := newRuleEnv(t, in)
	e.drain(t, BaseDB(BaseDBConfig{}))
	dl := e.read(t, "dirty_data")
	if len(dl) != 1 || string(dl[0].Value) != in {
		t.Fatalf("dirty_data = %v, want the record once", dl)
	}
	reason := string(dl[0].Header(stream.HeaderReason))
	if !strings.HasPrefix(reason, "bad_change: ") || !strings.Contains(reason, `"data" is an array`) {
		t.Errorf("reason %q does not say data is an array", reason)
	}
	if n := testutil.ToFloat64(e.m.DeadLetters.WithLabelValues(BaseDBJob, "bad_change")); n != 1 {
		t.Errorf("rtdw_dead_letters_total{bad_change} = %v, want 1", n)
	}
	if got := e.read(t, "dwd_user_register"); len(got) != 0 {
		t.Errorf("dwd_user_register got %d records", len(got))
	}
}

// Invalid UTF-8 in topic_db reaches every job the same way: each invalid
// byte is U+FFFD, in the DWD topics (the config-driven split and the fact
// jobs) as in the dimensions; each job counts the record as repaired.
func TestInputRuleInvalidUTF8IsReplacementCharEverywhere(t *testing.T) {
	lines := []string{
		`{"database":"gmall","table":"base_trademark","type":"insert","ts":1795222800,"data":{"id":1,"tm_name":"小` + "\xff" + `米"}}`,
		`{"database":"gmall","table":"comment_info","type":"insert","ts":1795222801,"data":{"id":2,"user_id":5,"sku_id":7,"appraise":"1201","comment_txt":"好` + "\xfe\xfe" + `评"}}`,
		`{"database":"gmall","table":"user_info","type":"insert","ts":1795222802,"data":{"id":3,"name":"张` + "\xe5\xbc" + `","create_time":"2026-11-21 09:00:02"}}`,
	}
	e := newRuleEnv(t, lines...)
	st, err := dimstore.OpenPebble(e.l.StateStore())
	if err != nil {
		t.Fatal(err)
	}
	rules := []BaseDBRule{{SourceTable: "user_info", SourceType: "insert", SinkTable: "dwd_user_register", SinkColumns: []string{"id", "name", "create_time"}}}
	e.drain(t, dim.App(dim.Config{Store: st}), BaseDB(BaseDBConfig{Rules: rules}), CommentInfo(FactConfig{}))

	// Written by hand: one U+FFFD per invalid byte ("\xe5\xbc" is a
	// truncated 3-byte sequence: two bytes, two replacements).
	raw, ok, err := st.Get(context.Background(), "dim_base_trademark", "1")
	if err != nil || !ok {
		t.Fatalf("dim_base_trademark[1]: %v %v", ok, err)
	}
	if !strings.Contains(string(raw), `"tm_name":"小`+"\uFFFD"+`米"`) {
		t.Errorf("dim_base_trademark[1] = %s, want tm_name 小\uFFFD米", raw)
	}
	check := func(topic, want string) {
		t.Helper()
		recs := e.read(t, topic)
		if len(recs) != 1 {
			t.Fatalf("%s: %d records, want 1", topic, len(recs))
		}
		if v := recs[0].Value; !utf8.Valid(v) || !strings.Contains(string(v), want) {
			t.Errorf("%s = %q, want valid UTF-8 with %s", topic, v, want)
		}
	}
	check("dwd_user_register", `"name":"张`+"\uFFFD\uFFFD"+`"`)
	check(CommentInfoJob, `"comment_txt":"好`+"\uFFFD\uFFFD"+`评"`)
	if dl := e.read(t, "dirty_data"); len(dl) != 0 {
		t.Errorf("dead letters: %v", dl)
	}
	for _, c := range []struct {
		job, op string
		want    float64
	}{{dim.Job, "normalize", 3}, {BaseDBJob, "normalize", 3}, {CommentInfoJob, "decode", 3}} {
		if n := testutil.ToFloat64(e.m.Repaired.WithLabelValues(c.job, c.op, "invalid_utf8")); n != c.want {
			t.Errorf("rtdw_repaired_records_total{%s/%s} = %v, want %v", c.job, c.op, n, c.want)
		}
	}
}

// A Maxwell database-create record has no table: it is skipped and
// counted, not dead-lettered (it used to fail "table missing").
func TestInputRuleMaxwellDatabaseDDLSkipped(t *testing.T) {
	e := newRuleEnv(t,
		`{"type":"database-create","database":"gmall_bak","sql":"CREATE DATABASE gmall_bak","charset":"utf8mb4","ts":1795222800}`,
		`{"type":"table-create","database":"gmall","table":"t_new","def":{"database":"gmall","table":"t_new","columns":[]},"ts":1795222801}`,
		`{"database":"gmall","table":"user_info","type":"insert","ts":1795222802,"data":{"id":3,"create_time":"2026-11-21 09:00:02"}}`)
	e.drain(t, BaseDB(BaseDBConfig{}), CommentInfo(FactConfig{}))
	if dl := e.read(t, "dirty_data"); len(dl) != 0 {
		t.Fatalf("dead letters: %s", dl[0].Header(stream.HeaderReason))
	}
	if got := e.read(t, "dwd_user_register"); len(got) != 1 {
		t.Errorf("dwd_user_register: %d records, want 1", len(got))
	}
	for _, c := range []struct{ job, op string }{{BaseDBJob, "normalize"}, {CommentInfoJob, "decode"}} {
		if n := testutil.ToFloat64(e.m.SkippedChanges.WithLabelValues(c.job, c.op, "ddl")); n != 2 {
			t.Errorf("rtdw_skipped_changes_total{%s/%s, ddl} = %v, want 2", c.job, c.op, n)
		}
	}
}

// Canal INIT rows (its full snapshot) are inserts: dimensions load them as
// they load Maxwell's bootstrap-insert (they used to be dropped).
func TestInputRuleCanalInitIsInsert(t *testing.T) {
	e := newRuleEnv(t,
		`{"data":[{"id":"1","tm_name":"小米","logo_url":"u"},{"id":"2","tm_name":"华为","logo_url":"v"}],"database":"gmall","es":1795222800000,"isDdl":false,`+
			`"mysqlType":{"id":"bigint","tm_name":"varchar(100)","logo_url":"varchar(200)"},"old":null,"pkNames":["id"],"table":"base_trademark","ts":1795222800100,"type":"INIT"}`)
	st, err := dimstore.OpenPebble(e.l.StateStore())
	if err != nil {
		t.Fatal(err)
	}
	e.drain(t, dim.App(dim.Config{Store: st}))
	for key, want := range map[string]string{"1": `"tm_name":"小米"`, "2": `"tm_name":"华为"`} {
		raw, ok, err := st.Get(context.Background(), "dim_base_trademark", key)
		if err != nil || !ok || !strings.Contains(string(raw), want) || !strings.Contains(string(raw), `"id":`+key) {
			t.Errorf("dim_base_trademark[%s] = %s (%v, %v), want a row with %s", key, raw, ok, err, want)
		}
	}
	if dl := e.read(t, "dirty_data"); len(dl) != 0 {
		t.Errorf("dead letters: %s", dl[0].Header(stream.HeaderReason))
	}
}

// Debezium without the schema envelope: a DECIMAL as base64 bytes and a
// DATETIME as an epoch number cannot be read (scale, unit unknown); the
// event is dead-lettered with the connector settings that fix it. A
// DECIMAL as a string (decimal.handling.mode=string) is read as the number.
func TestInputRuleDebeziumSchemalessTypes(t *testing.T) {
	base64Dec := `{"before":null,"after":{"id":1,"user_id":5,"total_amount":"AU8=","create_time":"2026-11-21 09:00:00"},` +
		`"source":{"db":"gmall","table":"order_info","ts_ms":1795222800000},"op":"c","ts_ms":1795222800100}`
	epochDT := `{"before":null,"after":{"id":3,"create_time":1795255200000},` +
		`"source":{"db":"gmall","table":"user_info","ts_ms":1795222801000},"op":"c","ts_ms":1795222801100}`
	stringDec := `{"before":null,"after":{"id":7,"order_id":1,"sku_id":7,"order_price":"12.50","sku_num":2,"create_time":"2026-11-21 09:00:02"},` +
		`"source":{"db":"gmall","table":"order_detail","ts_ms":1795222802000},"op":"c","ts_ms":1795222802100}`
	e := newRuleEnv(t, base64Dec, epochDT, stringDec)
	rules := []BaseDBRule{
		{SourceTable: "order_info", SourceType: "insert", SinkTable: "dwd_orders", SinkColumns: []string{"id", "total_amount"}},
		{SourceTable: "user_info", SourceType: "insert", SinkTable: "dwd_user_register", SinkColumns: []string{"id", "create_time"}},
		{SourceTable: "order_detail", SourceType: "insert", SinkTable: "dwd_details", SinkColumns: []string{"id", "order_price", "create_time"}},
	}
	e.drain(t, BaseDB(BaseDBConfig{Rules: rules}))
	reasons := map[string]string{}
	for _, r := range e.read(t, "dirty_data") {
		reasons[string(r.Value)] = string(r.Header(stream.HeaderReason))
	}
	if len(reasons) != 2 {
		t.Fatalf("%d dead letters, want 2: %v", len(reasons), reasons)
	}
	for in, wants := range map[string][]string{
		base64Dec: {"bad_change: ", "gmall.order_info.total_amount", "decimal.handling.mode=string", "value.converter.schemas.enable=true"},
		epochDT:   {"bad_change: ", "gmall.user_info.create_time", "DATETIME", "value.converter.schemas.enable=true"},
	} {
		reason, ok := reasons[in]
		if !ok {
			t.Errorf("not dead-lettered: %s", in)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(reason, w) {
				t.Errorf("reason %q lacks %q", reason, w)
			}
		}
	}
	for _, topic := range []string{"dwd_orders", "dwd_user_register"} {
		if got := e.read(t, topic); len(got) != 0 {
			t.Errorf("%s got %s", topic, got[0].Value)
		}
	}
	got := e.read(t, "dwd_details")
	if want := `{"create_time":"2026-11-21 09:00:02","id":7,"order_price":12.50,"ts":1795222802}`; len(got) != 1 || canon(t, got[0].Value) != want {
		t.Errorf("dwd_details = %v, want %s (the DECIMAL string as its number)", got, want)
	}
	if n := testutil.ToFloat64(e.m.DeadLetters.WithLabelValues(BaseDBJob, "bad_change")); n != 2 {
		t.Errorf("rtdw_dead_letters_total{bad_change} = %v, want 2", n)
	}
}

// A change whose time is in seconds where milliseconds are expected (a
// Debezium ts_ms of 1795222801: January 1970) is dead-lettered at each
// job's source (implausible_event_time, ods.PlausibleTime) rather than
// read at that time; the change beside it, with a plausible time, passes.
func TestInputRuleImplausibleEventTimeDeadLettered(t *testing.T) {
	secs := `{"before":null,"after":{"id":2,"user_id":5,"sku_id":7,"appraise":"1201","comment_txt":"ok"},` +
		`"source":{"db":"gmall","table":"comment_info","ts_ms":1795222801},"op":"c","ts_ms":1795222801}`
	ms := `{"before":null,"after":{"id":3,"user_id":5,"sku_id":7,"appraise":"1201","comment_txt":"ok"},` +
		`"source":{"db":"gmall","table":"comment_info","ts_ms":1795222802000},"op":"c","ts_ms":1795222802100}`
	e := newRuleEnv(t, secs, ms)
	st, err := dimstore.OpenPebble(e.l.StateStore())
	if err != nil {
		t.Fatal(err)
	}
	e.drain(t, dim.App(dim.Config{Store: st}), BaseDB(BaseDBConfig{}), CommentInfo(FactConfig{}))
	jobs := map[string]bool{}
	for _, r := range e.read(t, "dirty_data") {
		job, _, _ := strings.Cut(string(r.Header(stream.HeaderJob)), "/") // job/operator
		if reason := string(r.Header(stream.HeaderReason)); string(r.Value) != secs || !strings.HasPrefix(reason, "implausible_event_time: ") {
			t.Errorf("%s dead-lettered %s: %s", job, r.Value, reason)
		}
		jobs[job] = true
	}
	for _, job := range []string{dim.Job, BaseDBJob, CommentInfoJob} {
		if !jobs[job] {
			t.Errorf("%s did not dead-letter the change in seconds", job)
		}
		if n := testutil.ToFloat64(e.m.DeadLetters.WithLabelValues(job, "implausible_event_time")); n != 1 {
			t.Errorf("rtdw_dead_letters_total{%s, implausible_event_time} = %v, want 1", job, n)
		}
	}
	if got := e.read(t, CommentInfoJob); len(got) != 1 || !strings.Contains(string(got[0].Value), `"id":3`) {
		t.Errorf("%s = %v, want the change with a plausible time only", CommentInfoJob, got)
	}
}
