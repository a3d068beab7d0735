package ods_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
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
