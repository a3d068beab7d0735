package ods_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
	"github.com/rtdw/rtdw/internal/warehouse/ods/odstest"
)

type emitted struct{ recs []stream.Record }

func (e *emitted) Emit(_ int, r *stream.Record) {
	e.recs = append(e.recs, stream.Record{Key: append([]byte(nil), r.Key...), Value: append([]byte(nil), r.Value...), Time: r.Time, Headers: r.Headers})
}

// Normalize (dim_app's and dwd_base_db's first operator) gives the same
// outputs and errors for a record with topic_db headers as without, for
// malformed records and headers that belie their records too; it emits
// no topic_db header, and keeps other headers.
func TestNormalizeSameWithOrWithoutHeaders(t *testing.T) {
	const ts = 1717200000
	values := []string{`{"database":"gmall","table":"order_info","type":"insert","ts":1717200000,"data":{"id":1}}`}
	for _, e := range odstest.Extras {
		v := e.Value
		if strings.Contains(v, "%[1]d") {
			v = fmt.Sprintf(v, ts)
		}
		values = append(values, v)
	}
	other := rlog.Header{Key: "x", Value: []byte("y")}
	for _, format := range []string{topicdb.Auto, topicdb.Maxwell, topicdb.Debezium, topicdb.Canal} {
		run := func(v string, hs []rlog.Header) (string, []stream.Record) {
			r := &stream.Record{Value: []byte(v), Time: 42, Headers: hs}
			var out emitted
			err := ods.Normalize(format)().Process(r, &out)
			return fmt.Sprint(err), out.recs
		}
		for _, v := range values {
			wantErr, want := run(v, nil)
			for _, hs := range [][]rlog.Header{
				{{Key: topicdb.HeaderTable, Value: []byte("order_info")}, {Key: topicdb.HeaderTS, Value: []byte("1717200000000")}},
				{{Key: topicdb.HeaderTable, Value: []byte("no_such_table")}, {Key: topicdb.HeaderTS, Value: []byte("1")}},
				{{Key: topicdb.HeaderTS, Value: []byte("x")}},
			} {
				gotErr, got := run(v, hs)
				if gotErr != wantErr || !reflect.DeepEqual(got, want) {
					t.Errorf("%s, headers %v: %.100s\ngot  %s %v\nwant %s %v", format, hs, v, gotErr, got, wantErr, want)
				}
				// Other headers go on as before.
				_, withOther := run(v, append([]rlog.Header{other}, hs...))
				_, wantOther := run(v, []rlog.Header{other})
				if !reflect.DeepEqual(withOther, wantOther) {
					t.Errorf("%s, headers %v + x: %.100s\ngot  %v\nwant %v", format, hs, v, withOther, wantOther)
				}
			}
		}
	}
}

// NormalizeDeferring passes on unparsed, with its headers, a business row
// change its header vouches for (most of a simulated day), and emits what
// Normalize emits for everything else (config rows, bootstrap markers,
// the malformed and belying records of odstest.Extras, other formats). A
// deferred record normalized later (Normalizer.Route) is what Normalize
// would have emitted: the same value, time and headers but topic_db's.
func TestNormalizeDeferring(t *testing.T) {
	recs := odstest.WithExtras(odstest.ShopTopicDB(t, mock.ShopConfig{Seed: 3, Sessions: 200, Users: 60, Devices: 100, Bootstrap: true}), 7)
	other := rlog.Header{Key: "x", Value: []byte("y")}
	for _, format := range []string{topicdb.Auto, topicdb.Maxwell, topicdb.Debezium} {
		deferred, configRows := 0, 0
		for _, lr := range recs {
			hs := append([]rlog.Header{other}, lr.Headers...)
			run := func(f stream.Factory) (string, []stream.Record) {
				r := &stream.Record{Key: lr.Key, Value: lr.Value, Time: 42, Headers: hs}
				var out emitted
				err := f().Process(r, &out)
				return fmt.Sprint(err), out.recs
			}
			wantErr, want := run(ods.Normalize(format))
			gotErr, got := run(ods.NormalizeDeferring(format))
			if len(got) == 1 && ods.Deferred(&got[0]) {
				deferred++
				if format == topicdb.Debezium {
					t.Fatalf("debezium: deferred %s", lr.Value)
				}
				if gotErr != "<nil>" || wantErr != "<nil>" || len(want) != 1 || string(got[0].Value) != string(lr.Value) ||
					got[0].Time != want[0].Time || !reflect.DeepEqual(got[0].Headers, hs) {
					t.Fatalf("%s: deferred %s at %d, Normalize gives %s %v", format, got[0].Value, got[0].Time, wantErr, want)
				}
				// Normalized when the screen leaves it to the router: what
				// Normalize emits, and screened with what its parse says.
				n := ods.NewNormalizer(format)
				var r recorder
				handled, err := n.Route(&r, &got[0], nil, false)
				if err != nil || !handled || !reflect.DeepEqual(r.routed, want) || len(r.screened) != 2 || r.screened[0] != r.screened[1] {
					t.Fatalf("%s: Route of deferred %s: %v %v %v (screened %q), want %v", format, lr.Value, handled, err, r.routed, r.screened, want)
				}
				continue
			}
			if gotErr != wantErr || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: %.100s\ngot  %s %v\nwant %s %v", format, lr.Value, gotErr, got, wantErr, want)
			}
			if strings.Contains(string(lr.Value), `"gmall_config"`) && len(got) == 1 {
				configRows++
			}
		}
		if format != topicdb.Debezium && (deferred < len(recs)*3/4 || configRows == 0) {
			t.Fatalf("%s: %d of %d records deferred, %d config rows normalized: not much of a test", format, deferred, len(recs), configRows)
		}
	}
}

// A deferred record (and only one) tells the routers to read its head,
// not its parse; the config-table filter of Stream.Broadcast never parses
// one (config rows are never deferred).
func TestDeferredHead(t *testing.T) {
	v := []byte(`{"database":"gmall","table":"order_info","type":"insert","ts":1717200000,"data":{ }}`)
	r := &stream.Record{Value: v, Headers: []rlog.Header{{Key: topicdb.HeaderTable, Value: []byte("order_info")}}}
	if !ods.Deferred(r) || ods.Deferred(&stream.Record{Value: v}) {
		t.Fatal("Deferred is told by the rtdw.table header")
	}
	h, ok := ods.DeferredHead(v, topicdb.Auto)
	if !ok || string(h.Database) != "gmall" || string(h.Table) != "order_info" || string(h.Type) != "insert" || h.TS != 1717200000 || !h.EmptyData() {
		t.Fatalf("head %+v %v", h, ok)
	}
	if h, _ := ods.DeferredHead([]byte(`{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"id":1}}`), topicdb.Auto); h.EmptyData() {
		t.Fatal("data with a member is not empty")
	}
	// A config row's head, deferred by mistake, is not a config row to the
	// filter: it does not parse deferred records.
	cfg := &stream.Record{Value: []byte(`{"database":"gmall_config","table":"table_process_dim","type":"insert","ts":1,"data":{"a":1}}`)}
	if !ods.IsConfigTable("table_process_dim")(cfg) {
		t.Fatal("a normalized config row is one")
	}
	cfg.Headers = r.Headers
	if ods.IsConfigTable("table_process_dim")(cfg) {
		t.Fatal("a deferred record is never a config row")
	}
}

// recorder is an ods.ChangeRouter that screens nothing out and records
// what it is asked.
type recorder struct {
	screened []string
	routed   []stream.Record
}

func (r *recorder) Screen(db, table, typ []byte, emptyData, final bool) (bool, bool, error) {
	r.screened = append(r.screened, fmt.Sprintf("%s %s %s %v %v", db, table, typ, emptyData, final))
	return false, false, nil
}

func (r *recorder) RouteChange(rec *stream.Record, db, table, typ string, v *fastjson.Value, _ stream.Emitter) (bool, error) {
	if string(v.GetStringBytes("table")) != table {
		return false, fmt.Errorf("parse of table %s for %s", v.GetStringBytes("table"), table)
	}
	r.routed = append(r.routed, stream.Record{Key: rec.Key, Value: rec.Value, Time: rec.Time, Headers: rec.Headers})
	return true, nil
}
