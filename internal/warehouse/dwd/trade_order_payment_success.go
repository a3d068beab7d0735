package dwd

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// PaymentSuccess is dwd_trade_order_payment_success (SPEC §3.2): the
// order lines of paid orders, with the payment type's name.
//
//	topic_db ─ decode (the order-detail inserts; payment_info update -> 1602)
//	│  the two stages of dwd_trade_order_detail (payments pass through them)
//	└ keyBy(order id) ─ … line ⋈ order_info ─ by order
//	                  ─ payment ⋈ line, line time in [payment - 30 min, payment + 5 s]
//	                  ├ late ─► dirty_data (reason "late")
//	                  └ project ─ lookup dim_base_dic[payment_type] ─► dwd_trade_order_payment_success
//
// An interval join on event time (ts*1000 of each change): a line is kept
// until the watermark passes its time + 30 min, a payment until it passes
// its time + 5 s. A left-joined line that was written partially and then
// completed joins the payment in both versions, in that order, under the
// same key (upsert: the complete one is the last).
func PaymentSuccess(c FactConfig) *stream.Job {
	c = c.mustValidate()
	j, src := factJob(PaymentSuccessJob, c)
	rules := orderDetailRules()
	rules[tPayment] = factRule{keys: []string{"order_id"}, keep: statusTo("payment_status", "", "1602")}
	paid := orderLines(src.Process("decode", decodeFacts(c, rules)).Main(), c, passTables(tPayment)).
		Process("rekey_by_order", operator.Map(byOrder)).Main().
		Process("join_payment", operator.IntervalJoin(operator.IntervalJoinSpec{
			Side:  sideOf(tPayment, tOrderLine),
			Lower: -PaymentLower, Upper: PaymentUpper,
			Combine: func(pay, line *stream.Record) ([]byte, error) {
				return envelope(tPaymentOrder, "payment", pay.Value, "order_line", line.Value), nil
			},
		}))
	paid.Port(operator.PortLate).Process("late", operator.Filter(lateInput))
	paid.Main().
		Process("project", operator.Map(projectPayment)).Main().
		Process("lookup_payment_type", dicNames(c, "payment_type_code", "payment_type_name")).Main().
		To(PaymentSuccessJob)
	return j
}

// lateInput dead-letters a row that came behind the watermark: the rows it
// should have joined may be gone, so it is counted, not joined partially.
func lateInput(*stream.Record) (bool, error) {
	return false, stream.BadInput("late", "behind the watermark of the interval join")
}

func projectPayment(r *stream.Record) (stream.Record, error) {
	v, err := r.JSON()
	if err != nil {
		return stream.Record{}, stream.BadInput("malformed_json", "%v", err)
	}
	l := lineOf(v.Get("order_line"))
	p := v.Get("payment", "data")
	ts := v.GetInt64("payment", "ts")
	d := l.detail
	var w row
	w.col("order_detail_id", d.Get("id"))
	w.col("order_id", d.Get("order_id"))
	w.col("user_id", l.order.Get("user_id"))
	w.col("sku_id", d.Get("sku_id"))
	w.col("sku_name", d.Get("sku_name"))
	w.col("province_id", l.order.Get("province_id"))
	w.col("activity_id", l.activity.Get("activity_id"))
	w.col("activity_rule_id", l.activity.Get("activity_rule_id"))
	w.col("coupon_id", l.coupon.Get("coupon_id"))
	w.col("payment_type_code", p.Get("payment_type"))
	w.raw("payment_type_name", nil)
	w.col("callback_time", p.Get("callback_time"))
	w.col("sku_num", d.Get("sku_num"))
	orig, err := mulDecimal(d.Get("sku_num"), d.Get("order_price"))
	if err != nil {
		return stream.Record{}, err
	}
	w.raw("split_original_amount", orig)
	w.col("split_activity_amount", d.Get("split_activity_amount"))
	w.col("split_coupon_amount", d.Get("split_coupon_amount"))
	w.col("split_payment_amount", d.Get("split_total_amount"))
	w.int("ts", ts)
	return r.Derive([]byte(text(d.Get("id"))), w.bytes(), ts*1000), nil
}
