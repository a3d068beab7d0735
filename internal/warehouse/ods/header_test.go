package ods

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
)

type captureLog struct {
	rlog.Log
	recs []rlog.Record
}

func (c *captureLog) Produce(_ context.Context, recs ...rlog.Record) error {
	for _, r := range recs {
		if r.Topic == TopicDB {
			c.recs = append(c.recs, r)
		}
	}
	return nil
}

// shopTopicDB returns the topic_db records the shop's LogSink writes for a
// simulated day, bootstrap included.
func shopTopicDB(t testing.TB, sessions int) []rlog.Record {
	t.Helper()
	sh, err := mock.NewShop(mock.ShopConfig{Seed: 11, Sessions: sessions, Users: 300, Devices: 600, Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	l := &captureLog{}
	s := mock.NewLogSink(l, TopicDB, "topic_log")
	ctx := context.Background()
	for {
		ev, ok := sh.Next()
		if !ok {
			break
		}
		if _, err := s.Write(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return l.recs
}

// For every record of a simulated day, the event time read from rtdw.ts
// equals the one parsed from the record (ts*1000), in every format setting
// that reads Maxwell, and MaxwellHead reads the record's own fields.
func TestEventTimeHeaderEqualsParse(t *testing.T) {
	recs := shopTopicDB(t, 2000)
	if len(recs) < 5000 {
		t.Fatalf("only %d records", len(recs))
	}
	for _, format := range []string{topicdb.Auto, topicdb.Maxwell} {
		et := EventTime(format)
		var p fastjson.Parser
		for _, lr := range recs {
			with := &stream.Record{Key: lr.Key, Value: lr.Value, Time: lr.Timestamp, Headers: lr.Headers}
			without := &stream.Record{Key: lr.Key, Value: lr.Value, Time: lr.Timestamp}
			hts, hok := HeaderTime(with)
			got, ok := et(with)
			want, wok := et(without)
			if !hok || !ok || !wok || got != want || hts != want {
				t.Fatalf("%s: %s: header %d %v, event time %d %v, parsed %d %v", format, lr.Value, hts, hok, got, ok, want, wok)
			}
			h, ok := MaxwellHead(lr.Value, format)
			v, err := p.ParseBytes(lr.Value)
			if !ok || err != nil {
				t.Fatalf("%s: MaxwellHead refused a shop record: %s", format, lr.Value)
			}
			if string(h.Database) != string(v.GetStringBytes("database")) || string(h.Table) != string(lr.Header(topicdb.HeaderTable)) ||
				string(h.Type) != string(v.GetStringBytes("type")) || h.TS*1000 != want {
				t.Fatalf("%s: MaxwellHead %s/%s/%s/%d of %s", format, h.Database, h.Table, h.Type, h.TS, lr.Value)
			}
		}
	}
}

// A header that is missing or that no producer writes leaves the time to
// the parse; a usable one is believed, whatever the body.
func TestEventTimeHeaderOrParse(t *testing.T) {
	body := []byte(`{"database":"gmall","table":"t","type":"insert","ts":1700000000,"data":{"id":1}}`)
	et := EventTime(topicdb.Auto)
	for _, c := range []struct {
		header string
		value  []byte
		want   int64
		ok     bool
	}{
		{"", body, 1700000000000, true},
		{"1700000005000", body, 1700000005000, true}, // believed (a producer writes the JSON's own)
		{"1700000000500", body, 1700000000000, true}, // not a whole second: parsed
		{"0", body, 1700000000000, true},
		{"-1000", body, 1700000000000, true},
		{"+1000", body, 1700000000000, true},
		{"1e12", body, 1700000000000, true},
		{"1234567890123456789000", body, 1700000000000, true},
		{"abc", body, 1700000000000, true},
		{"", []byte(`{"database":"gmall"`), 0, false},
		{"1700000000000", []byte(`{"database":"gmall"`), 1700000000000, true}, // malformed body: the header's time
	} {
		r := &stream.Record{Value: c.value}
		if c.header != "" {
			r.Headers = []rlog.Header{{Key: topicdb.HeaderTS, Value: []byte(c.header)}}
		}
		if got, ok := et(r); got != c.want || ok != c.ok {
			t.Errorf("rtdw.ts %q, %s: %d %v, want %d %v", c.header, c.value, got, ok, c.want, c.ok)
		}
	}
}

func TestStripHeaders(t *testing.T) {
	tab := rlog.Header{Key: topicdb.HeaderTable, Value: []byte("t")}
	ts := rlog.Header{Key: topicdb.HeaderTS, Value: []byte("1000")}
	other := rlog.Header{Key: "x", Value: []byte("y")}
	if got := StripHeaders(nil); got != nil {
		t.Errorf("nil: %v", got)
	}
	if got := StripHeaders([]rlog.Header{tab, ts}); got != nil {
		t.Errorf("ours only: %v, want nil", got)
	}
	in := []rlog.Header{other}
	if got := StripHeaders(in); &got[0] != &in[0] {
		t.Error("nothing to strip: want the same slice")
	}
	in = []rlog.Header{tab, other, ts}
	if got := StripHeaders(in); !reflect.DeepEqual(got, []rlog.Header{other}) || in[0].Key != topicdb.HeaderTable {
		t.Errorf("mixed: %v (input %v)", got, in)
	}
}

// headCases: records MaxwellHead must read, and records it must leave to
// the decoder (ok=false).
var headCases = []struct {
	in     string
	ok     bool
	format string // default auto
}{
	{`{"database":"gmall","table":"cart_info","type":"insert","ts":1700000000,"xid":1,"commit":true,"data":{"id":1,"s":"a\"}{[b\\"}}`, true, ""},
	{` { "database" : "gmall" , "table":"t","type":"update","ts":1,"data":{"a":[1,{"b":null}]},"old":{"a":2} } `, true, ""},
	{`{"database":"gmall","table":"t","type":"delete","ts":1,"data":{},"old":null}`, true, ""},
	{`{"database":"gmall","table":"t","type":"bootstrap-start","ts":1,"data":{}}`, true, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{},"table":"u"}`, true, ""}, // the first table counts
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{}}`, true, topicdb.Maxwell},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{}}`, false, topicdb.Debezium},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{}}`, false, topicdb.Canal},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{}`, false, ""},   // truncated
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{}}x`, false, ""}, // tail
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":"` + "\x01" + `"}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":01}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":NaN}}`, false, ""},
	{`{"database":"gmall","t\u0061ble":"t","type":"insert","ts":1,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t\u0041","type":"insert","ts":1,"data":{}}`, false, ""},
	{`{"database":"","table":"t","type":"insert","ts":1,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"","type":"insert","ts":1,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"table-create","ts":1,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"upsert","ts":1,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":0,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":-1,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1.5,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":"1","data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1234567890123456789,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":null}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":[{}]}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{},"old":[]}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{},"op":"c"}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{},"payload":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{},"isDdl":false}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{},"pkNames":["id"]}`, false, ""},
	{`{"database":1,"table":"t","type":"insert","ts":1,"data":{}}`, false, ""},
	{`{"database":"gmall","type":"insert","ts":1,"data":{}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":` + strings.Repeat("[", 250) + strings.Repeat("]", 250) + `}}`, false, ""},
	{`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"a":` + strings.Repeat("[", 150) + strings.Repeat("]", 150) + `}}`, true, ""},
	{`{}`, false, ""},
	{`[]`, false, ""},
	{``, false, ""},
	{`"x"`, false, ""},
}

func TestMaxwellHead(t *testing.T) {
	for _, c := range headCases {
		f := c.format
		if f == "" {
			f = topicdb.Auto
		}
		_, ok := MaxwellHead([]byte(c.in), f)
		if ok != c.ok {
			t.Errorf("%s %.120s: ok %v, want %v", f, c.in, ok, c.ok)
		}
		if err := headAgrees([]byte(c.in), f); err != nil {
			t.Errorf("%s %.120s: %v", f, c.in, err)
		}
	}
}

// headAgrees checks MaxwellHead's promise on b: when it reads a head, the
// full path (Record.JSON, fastjson's validator, topicdb's decoder) decodes
// b into one valid change with the same fields.
func headAgrees(b []byte, format string) error {
	h, ok := MaxwellHead(b, format)
	if !ok {
		return nil
	}
	r := &stream.Record{Value: b}
	v, err := r.JSON()
	if err != nil {
		return fmt.Errorf("head read, but the parse fails: %v", err)
	}
	if err := fastjson.ValidateBytes(b); err != nil {
		return fmt.Errorf("head read, but the validator fails: %v", err)
	}
	d, _ := topicdb.NewDecoder(format)
	cs, err := d.DecodeValue(v)
	if errors.Is(err, change.ErrNotChange) || err != nil || len(cs) != 1 {
		return fmt.Errorf("head read, but the decoder gives %d changes, %v", len(cs), err)
	}
	c := cs[0]
	if err := c.Validate(); err != nil {
		return fmt.Errorf("head read, but the change is invalid: %v", err)
	}
	if c.Database != string(h.Database) || c.Table != string(h.Table) || c.Type != string(h.Type) || c.TS != h.TS {
		return fmt.Errorf("head %s/%s/%s/%d, decoded %s/%s/%s/%d", h.Database, h.Table, h.Type, h.TS, c.Database, c.Table, c.Type, c.TS)
	}
	return nil
}

// FuzzMaxwellHead: whatever the bytes, a head MaxwellHead reads is what
// the full path decodes (it never vouches for a record the full path would
// dead-letter or read differently).
func FuzzMaxwellHead(f *testing.F) {
	for _, c := range headCases {
		f.Add([]byte(c.in))
	}
	for i, r := range shopTopicDB(f, 30) {
		if i%7 == 0 {
			f.Add(r.Value)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, format := range []string{topicdb.Auto, topicdb.Maxwell} {
			if err := headAgrees(b, format); err != nil {
				t.Fatalf("%s %q: %v", format, b, err)
			}
		}
	})
}

// BenchmarkTopicDBRead compares, per shop record, what a fact job's
// decoder spends on a record of a table it does not read: the skip check
// (MaxwellHead) against the parse and validation the full path starts with.
func BenchmarkTopicDBRead(b *testing.B) {
	recs := shopTopicDB(b, 300)
	b.Run("MaxwellHead", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			MaxwellHead(recs[i%len(recs)].Value, topicdb.Auto)
		}
	})
	b.Run("ParseValidate", func(b *testing.B) {
		var p fastjson.Parser
		for i := 0; i < b.N; i++ {
			v := recs[i%len(recs)].Value
			p.ParseBytes(v)
			fastjson.ValidateBytes(v)
		}
	})
	b.Run("ParseValidateDecode", func(b *testing.B) {
		var p fastjson.Parser
		d, _ := topicdb.NewDecoder(topicdb.Auto)
		for i := 0; i < b.N; i++ {
			v := recs[i%len(recs)].Value
			x, _ := p.ParseBytes(v)
			fastjson.ValidateBytes(v)
			d.DecodeValue(x)
		}
	})
}
