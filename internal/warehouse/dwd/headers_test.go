package dwd

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
	"github.com/rtdw/rtdw/internal/warehouse/ods/odstest"
)

func topicDBJobs(*embedded.Log) []*stream.Job {
	return []*stream.Job{BaseDB(BaseDBConfig{}), CommentInfo(FactConfig{}), CartAdd(FactConfig{}), OrderDetail(FactConfig{}),
		OrderCancel(FactConfig{}), PaymentSuccess(FactConfig{}), OrderRefund(FactConfig{}), RefundPaymentSuccess(FactConfig{})}
}

// dwd_base_db and the seven fact jobs make the same records (outputs and
// dead letters, with their keys, partitions, times and headers) from a
// simulated day with the odd records of odstest.Extras mixed in, whether
// the records carry the topic_db headers or not.
func TestJobsSameWithOrWithoutHeaders(t *testing.T) {
	recs := odstest.WithExtras(odstest.ShopTopicDB(t, mock.ShopConfig{Seed: 7, Sessions: 1500, Users: 300, Devices: 600, Bootstrap: true}), 41)
	with := odstest.Outcome(t, odstest.Drain(t, recs, 1, topicDBJobs))
	without := odstest.Outcome(t, odstest.Drain(t, odstest.Stripped(recs), 1, topicDBJobs))
	if d := odstest.Diff(without, with); d != "" {
		t.Fatalf("outcome without (-) and with (+) headers:\n%s", d)
	}
	// The outcome is worth comparing: every job wrote, the extras were
	// dead-lettered by every job, and nothing carries a topic_db header
	// but dead letters (their input's).
	count := map[string]int{}
	for _, line := range with {
		topic, _, _ := strings.Cut(line, " ")
		count[topic]++
		if strings.Contains(line, topicdb.HeaderTable) {
			t.Fatalf("a record carries a topic_db header: %s", line)
		}
	}
	for _, j := range topicDBJobs(nil)[1:] {
		if count[j.Name] == 0 {
			t.Errorf("job %s wrote nothing", j.Name)
		}
	}
	for _, topic := range []string{"dwd_tool_coupon_get", "dwd_interaction_favor_add", "dwd_user_register", "dwd_cart_updates"} {
		if count[topic] == 0 {
			t.Errorf("dwd_base_db wrote nothing to %s", topic)
		}
	}
	if count[TopicDirty] < 8*5 {
		t.Errorf("%d dead letters: the extras did not reach the jobs", count[TopicDirty])
	}
}

type emitted struct{ recs []stream.Record }

func (e *emitted) Emit(port int, r *stream.Record) {
	e.recs = append(e.recs, stream.Record{Key: append([]byte(nil), r.Key...), Value: append([]byte(nil), r.Value...), Time: r.Time, Headers: r.Headers})
}

// process runs one record through a fresh decoder, the way a task does:
// event time first, then the operator.
func process(op stream.Operator, format string, r *stream.Record) (string, []stream.Record) {
	if ts, ok := ods.EventTime(format)(r); ok {
		r.Time = ts
	}
	var out emitted
	err := op.Process(r, &out)
	return fmt.Sprint(err), out.recs
}

// A record handled by the fact decoder with topic_db headers gives what it
// gives without them (outputs, drops, dead-letter reasons), for malformed
// records and for headers that do not match their record, for every
// header a producer could write on it.
func TestFactDecoderSameWithOrWithoutHeaders(t *testing.T) {
	const ts = 1717200000
	var values []string
	for _, e := range odstest.Extras {
		v := e.Value
		if strings.Contains(v, "%[1]d") {
			v = fmt.Sprintf(v, ts)
		}
		values = append(values, v)
	}
	for _, c := range headCases {
		values = append(values, c)
	}
	tables := []string{"", "order_detail", "order_info", "cart_info", "sku_info", "payment_info", "no_such_table"}
	rules := map[string]map[string]factRule{
		"order_detail": orderDetailRules(),
		"cart_add":     {tCart: {keys: []string{"id"}, keep: cartAdded}},
	}
	for _, format := range []string{topicdb.Auto, topicdb.Maxwell} {
		c := FactConfig{TopicDBFormat: format}
		c = c.mustValidate()
		for name, rs := range rules {
			for _, v := range values {
				wantErr, want := process(decodeFacts(c, rs)(), format, &stream.Record{Value: []byte(v), Time: 42})
				for _, table := range tables {
					for _, hts := range []string{"", "1717200000000", "1717200005000", "x"} {
						var hs []rlog.Header
						if table != "" {
							hs = append(hs, rlog.Header{Key: topicdb.HeaderTable, Value: []byte(table)})
						}
						if hts != "" {
							hs = append(hs, rlog.Header{Key: topicdb.HeaderTS, Value: []byte(hts)})
						}
						gotErr, got := process(decodeFacts(c, rs)(), format, &stream.Record{Value: []byte(v), Time: 42, Headers: hs})
						if gotErr != wantErr || !reflect.DeepEqual(got, want) {
							t.Errorf("%s %s, headers %v: %.100s\ngot  %s %v\nwant %s %v", format, name, hs, v, gotErr, got, wantErr, want)
						}
					}
				}
			}
		}
	}
}

// headCases are records at the edge of what MaxwellHead reads.
var headCases = []string{
	`{"database":"gmall","table":"sku_info","type":"insert","ts":1717200000,"data":{"id":1},"table":"order_detail"}`,
	`{"database":"gmall","table":"order_detail","type":"insert","ts":1717200000,"data":{"id":1,"order_id":2,"sku_num":1,"order_price":1.00},"table":"sku_info"}`,
	`{"database":"gmall","table":"order_info","type":"insert","ts":1717200000,"data":{"id":1},"database":"other"}`,
	`{"database":"gmall","table":"sku_info","type":"insert","ts":1717200000,"data":{"id":1},"op":"c","after":{"id":1},"source":{"db":"gmall","table":"order_info"}}`,
	`{"database":"gmall","table":"sku_info","type":"insert","ts":1717200000,"data":[{"id":1}]}`,
	`{"database":"gmall","table":"sku_info","type":"insert","ts":1717200000,"data":{"id":1},"old":"x"}`,
	`{"database":"gmall","table":"sku_info","type":"insert","ts":1717200000.5,"data":{"id":1}}`,
	`{"database":"gmall","table":"sku_info","type":"bootstrap-start","ts":1717200000}`,
	`{"database":"gmall","table":"sku_info","type":"insert","ts":1717200000,"data":{"id":"\ud800"}}`,
	`{"database":"gmall","table":"sku\u005finfo","type":"insert","ts":1717200000,"data":{"id":1}}`,
	`{"data":[{"id":"7","order_id":"8","sku_num":"1","order_price":"1.00"}],"database":"gmall","table":"order_detail","type":"INSERT","es":1717200000000,"ts":1717200000000,"isDdl":false,"pkNames":["id"],"mysqlType":{"id":"bigint","order_id":"bigint","sku_num":"bigint","order_price":"decimal(10,2)"}}`,
}

// On a simulated day, the decoders skip by header exactly the records of
// the tables they do not read: the shortcut is taken, not just harmless.
func TestFactDecoderSkipsOtherTables(t *testing.T) {
	recs := odstest.ShopTopicDB(t, mock.ShopConfig{Seed: 9, Sessions: 300, Users: 100, Devices: 200, Bootstrap: true})
	c := FactConfig{}
	c = c.mustValidate()
	d := decodeFacts(c, orderDetailRules())().(*factDecoder)
	skipped := 0
	for _, lr := range recs {
		r := &stream.Record{Value: lr.Value, Headers: lr.Headers}
		_, read := d.rules[string(lr.Header(topicdb.HeaderTable))]
		if d.skip(r) == read {
			t.Fatalf("skip %v for %s", !read, lr.Value)
		}
		if !read {
			skipped++
		}
	}
	if skipped < len(recs)/2 {
		t.Fatalf("%d of %d records skipped", skipped, len(recs))
	}
}

// dwd_base_db's router decides a deferred record (ods.NormalizeDeferring)
// whose table and type no rule covers from its head, without parsing it,
// and parses one a rule covers. The records have a body the parser
// rejects behind a head that reads well, which NormalizeDeferring never
// defers: what the router does with them shows whether it parsed.
func TestFactRouterParsesOnlyCoveredDeferredRecords(t *testing.T) {
	r := newFactRouter("gmall", topicdb.Auto, DefaultBaseDBRules())
	deferred := func(table, typ string) *stream.Record {
		v := `{"database":"gmall","table":"` + table + `","type":"` + typ + `","ts":1717200000,"data":{"id":tru}}`
		return &stream.Record{Value: []byte(v), Headers: []rlog.Header{{Key: topicdb.HeaderTable, Value: []byte(table)}}}
	}
	for _, final := range []bool{false, true} {
		for _, c := range [][2]string{{"order_info", "insert"}, {"user_info", "update"}} {
			handled, err := r.Route(deferred(c[0], c[1]), nil, final)
			if err != nil || handled != final {
				t.Fatalf("%s %s, final %v: handled %v, %v", c[0], c[1], final, handled, err)
			}
		}
		_, err := r.Route(deferred("user_info", "insert"), nil, final)
		if bi, ok := stream.AsBadInput(err); !ok || bi.Code != "malformed_json" {
			t.Fatalf("user_info insert, final %v: %v, want malformed_json", final, err)
		}
	}
}

// A deferred record no rule covers, the bulk of dwd_base_db's input, is
// decided without allocating.
func TestFactRouterDecidesUncoveredDeferredRecordsWithoutAllocating(t *testing.T) {
	r := newFactRouter("gmall", topicdb.Auto, DefaultBaseDBRules())
	odstest.HoldsUncoveredWithoutAllocating(t, func(rec *stream.Record) (bool, error) { return r.Route(rec, nil, false) })
}
