package dwd

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

const tCancelLine = "order_line+cancel"

// OrderCancel is dwd_trade_order_cancel (SPEC §3.2): the order lines of
// cancelled orders.
//
//	topic_db ─ decode (the order-detail inserts; order_info update 1001 -> 1003)
//	│  the two stages of dwd_trade_order_detail (the cancels pass through them)
//	└ keyBy(order id) ─ … line ⋈ order_info ─ by order
//	                  ─ line ⋈ cancel (TTL CancelTTL) ─ project ─► dwd_trade_order_cancel
//
// The order lines are joined here as in dwd_trade_order_detail (a stage
// has one input topic, so the job does not read that topic next to
// topic_db); they wait CancelTTL (30 min + 5 s: an unpaid order is
// cancelled within 30 minutes) for the cancel of their order. Output: the
// order-detail columns with date_id from the cancel's operate_time, plus
// cancel_time (= operate_time); ts is the cancel's.
func OrderCancel(c FactConfig) *stream.Job {
	c = c.mustValidate()
	j, src := factJob(OrderCancelJob, c)
	rules := orderDetailRules()
	rules[tOrderInfo] = factRule{keys: []string{"id"}, keep: func(f *fact) (bool, error) {
		if f.Type == "insert" {
			return true, nil
		}
		return statusTo("order_status", "1001", "1003")(f)
	}}
	isCancel := func(t string, r *stream.Record) bool {
		v, _ := r.JSON()
		return t == tOrderInfo && string(v.GetStringBytes("type")) == "update"
	}
	orderLines(src.Process("decode", decodeFacts(c, rules)).Main(), c, isCancel).
		Process("rekey_by_order", operator.Map(byOrder)).Main().
		Process("join_cancel", operator.Join(operator.JoinSpec{
			Sides: 2, TTL: c.CancelTTL,
			Side:  sideOf(tOrderLine, tOrderInfo),
			RowID: func(r *stream.Record) ([]byte, error) { return keyOf(r, "line", "detail", "data", "id") },
			Combine: func(l []byte, rs [][]byte) ([]byte, error) {
				return envelope(tCancelLine, "order_line", l, "cancel", rs[0]), nil
			},
		})).Main().
		Process("project", operator.Map(projectCancel)).Main().
		To(OrderCancelJob)
	return j
}

func projectCancel(r *stream.Record) (stream.Record, error) {
	v, err := r.JSON()
	if err != nil {
		return stream.Record{}, stream.BadInput("malformed_json", "%v", err)
	}
	l := lineOf(v.Get("order_line"))
	cancel := v.Get("cancel", "data")
	ts := v.GetInt64("cancel", "ts")
	var w row
	err = l.write(&w, cancel.Get("operate_time"), func(w *row) { w.col("cancel_time", cancel.Get("operate_time")) })
	if err != nil {
		return stream.Record{}, err
	}
	w.int("ts", ts)
	return r.Derive([]byte(text(l.detail.Get("id"))), w.bytes(), ts*1000), nil
}
