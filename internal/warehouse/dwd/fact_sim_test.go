package dwd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
)

// The seven fact jobs on a simulated shop day equal an independent
// reference computed with encoding/json maps: the set of output keys of
// every job, and the final (upserted) row of each order line. Processing
// time runs in real time here, far within every TTL, so each join finds
// its rows; TTL expiry is covered by the golden cases.
func TestFactsMatchReferenceOnSimulatedShop(t *testing.T) {
	sh, err := mock.NewShop(mock.ShopConfig{Seed: 3, Sessions: 3000, Users: 300, Devices: 600})
	if err != nil {
		t.Fatal(err)
	}
	var db bytes.Buffer
	sink := mock.NewJSONSink(&db, nil)
	ctx := context.Background()
	for {
		ev, ok := sh.Next()
		if !ok {
			break
		}
		if _, err := sink.Write(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateTopic(ctx, FactInput, rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	type change struct {
		Table string                     `json:"table"`
		Type  string                     `json:"type"`
		TS    int64                      `json:"ts"`
		Data  map[string]json.RawMessage `json:"data"`
		Old   map[string]json.RawMessage `json:"old"`
	}
	var changes []change
	var recs []rlog.Record
	sc := bufio.NewScanner(&db)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		var c change
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		changes = append(changes, c)
		recs = append(recs, rlog.Record{Topic: FactInput, Partition: rlog.AutoPartition, Key: c.Data["id"], Value: line})
	}
	for i := 0; i < len(recs); i += 5000 {
		if err := l.Produce(ctx, recs[i:min(i+5000, len(recs))]...); err != nil {
			t.Fatal(err)
		}
	}
	jobs := []*stream.Job{CommentInfo(FactConfig{}), CartAdd(FactConfig{}), OrderDetail(FactConfig{}), OrderCancel(FactConfig{}),
		PaymentSuccess(FactConfig{}), OrderRefund(FactConfig{}), RefundPaymentSuccess(FactConfig{})}
	if err := stream.Run(ctx, stream.Options{Log: l, Drain: true, Interval: 100 * time.Millisecond}, jobs...); err != nil {
		t.Fatal(err)
	}

	// The reference.
	s := func(m map[string]json.RawMessage, k string) string {
		var v any
		json.Unmarshal(m[k], &v)
		return fmt.Sprint(v)
	}
	num := func(m map[string]json.RawMessage, k string) float64 {
		var f float64
		json.Unmarshal(m[k], &f)
		return f
	}
	want := map[string]map[string]bool{}
	add := func(topic, key string) {
		if want[topic] == nil {
			want[topic] = map[string]bool{}
		}
		want[topic][key] = true
	}
	lines := map[string][]string{} // order id -> line ids
	act, cou := map[string]string{}, map[string]string{}
	refundNum := map[string]string{} // order/sku -> refund_num of the completed refund
	for _, c := range changes {
		switch {
		case c.Table == tComment && c.Type == "insert":
			add(CommentInfoJob, s(c.Data, "id"))
		case c.Table == tCart && (c.Type == "insert" || c.Type == "update" && c.Old["sku_num"] != nil && num(c.Data, "sku_num") > num(c.Old, "sku_num")):
			add(CartAddJob, s(c.Data, "id"))
		case c.Table == tOrderDetail && c.Type == "insert":
			add(OrderDetailJob, s(c.Data, "id"))
			lines[s(c.Data, "order_id")] = append(lines[s(c.Data, "order_id")], s(c.Data, "id"))
		case c.Table == tActivity && c.Type == "insert":
			act[s(c.Data, "order_detail_id")] = s(c.Data, "activity_id")
		case c.Table == tCoupon && c.Type == "insert":
			cou[s(c.Data, "order_detail_id")] = s(c.Data, "coupon_id")
		case c.Table == tOrderInfo && c.Type == "update" && s(c.Data, "order_status") == "1003" && s(c.Old, "order_status") == "1001":
			for _, id := range lines[s(c.Data, "id")] {
				add(OrderCancelJob, id)
			}
		case c.Table == tPayment && c.Type == "update" && s(c.Data, "payment_status") == "1602" && c.Old["payment_status"] != nil:
			for _, id := range lines[s(c.Data, "order_id")] {
				add(PaymentSuccessJob, id)
			}
		case c.Table == tRefund && c.Type == "insert":
			add(OrderRefundJob, s(c.Data, "id"))
		case c.Table == tRefund && c.Type == "update" && s(c.Data, "refund_status") == "0705":
			refundNum[s(c.Data, "order_id")+"/"+s(c.Data, "sku_id")] = s(c.Data, "refund_num")
		case c.Table == tRefundPay && c.Type == "update" && s(c.Data, "refund_status") == "1602":
			add(RefundPaymentSuccessJob, s(c.Data, "id"))
		}
	}
	for _, j := range jobs {
		if len(want[j.Name]) == 0 {
			t.Fatalf("%s: the simulated day has no input for it; the comparison is empty", j.Name)
		}
		got := map[string]map[string]any{}
		for _, r := range logtest.ReadAll(t, l, j.Name) {
			var v map[string]any
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("%s: %v: %s", j.Name, err, r.Value)
			}
			got[string(r.Key)] = v // upsert: the last value of a key stands
		}
		t.Logf("%s: %d keys from %d records", j.Name, len(got), len(logtest.ReadAll(t, l, j.Name)))
		var missing, extra []string
		for k := range want[j.Name] {
			if got[k] == nil {
				missing = append(missing, k)
			}
		}
		for k := range got {
			if !want[j.Name][k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing)+len(extra) > 0 {
			t.Errorf("%s: %d keys, want %d; missing %v, extra %v", j.Name, len(got), len(want[j.Name]), missing, extra)
		}
		for k, v := range got {
			switch j.Name {
			case OrderDetailJob, OrderCancelJob, PaymentSuccessJob:
				if a, c := fmt.Sprint(v["activity_id"]), fmt.Sprint(v["coupon_id"]); a != or(act[k], "<nil>") || c != or(cou[k], "<nil>") {
					t.Errorf("%s %s: final row has activity %s coupon %s, want %s %s", j.Name, k, a, c, or(act[k], "<nil>"), or(cou[k], "<nil>"))
				}
			case RefundPaymentSuccessJob:
				if n := fmt.Sprint(v["refund_num"]); n != refundNum[fmt.Sprint(v["order_id"])+"/"+fmt.Sprint(v["sku_id"])] {
					t.Errorf("%s %s: refund_num %s", j.Name, k, n)
				}
			}
		}
	}
	if dl := logtest.ReadAll(t, l, TopicDirty); len(dl) > 0 {
		t.Errorf("%d dead letters, want none; first: %s %s", len(dl), dl[0].Header(stream.HeaderReason), dl[0].Value)
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
