package dwd

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

const tRefundDone = "refund_payment+order_refund_info+order_info"

// RefundPaymentSuccess is dwd_trade_refund_payment_success (SPEC §3.2):
// refunds paid back, with the refunded quantity and the order's province.
//
//	topic_db ─ decode (refund_payment update -> 1602; order_refund_info update -> 0705;
//	│                  order_info update -> 1006)
//	├ keyBy(order id, sku id) ─ refund_payment ⋈ order_refund_info   (order_info passes)
//	└ keyBy(order id)         ─ … ⋈ order_info ─ project
//	                          ─ lookup dim_base_dic[payment_type] ─► dwd_trade_refund_payment_success
//
// Two stages because the joins have two keys: a refund is per order line
// (order and sku), the order row per order. All three changes are written
// in one transaction, so both joins keep state RefundTTL (5 s).
func RefundPaymentSuccess(c FactConfig) *stream.Job {
	c = c.mustValidate()
	j, src := factJob(RefundPaymentSuccessJob, c)
	src.Process("decode", decodeFacts(c, map[string]factRule{
		tRefundPay: {keys: []string{"id", "order_id", "sku_id"}, keep: statusTo("refund_status", "", "1602")},
		tRefund:    {keys: []string{"order_id", "sku_id"}, keep: statusTo("refund_status", "", "0705")},
		tOrderInfo: {keys: []string{"id"}, keep: statusTo("order_status", "", "1006")},
	})).Main().
		KeyBy("by_order_sku", orderSkuKey).
		Process("join_refund", bypass(passTables(tOrderInfo), operator.Join(operator.JoinSpec{
			Sides: 2, TTL: c.RefundTTL,
			Side:  sideOf(tRefundPay, tRefund),
			RowID: func(r *stream.Record) ([]byte, error) { return keyOf(r, "data", "id") },
			Combine: func(l []byte, rs [][]byte) ([]byte, error) {
				return envelope(tRefundRP, "payment", l, "refund", rs[0]), nil
			},
		}))).Main().
		KeyBy("by_order", refundOrderKey).
		Process("join_order_info", operator.Join(operator.JoinSpec{
			Sides: 2, TTL: c.RefundTTL,
			Side:  sideOf(tRefundRP, tOrderInfo),
			RowID: func(r *stream.Record) ([]byte, error) { return keyOf(r, "payment", "data", "id") },
			Combine: func(l []byte, rs [][]byte) ([]byte, error) {
				return envelope(tRefundDone, "refund", l, "order", rs[0]), nil
			},
		})).Main().
		Process("project", operator.Map(projectRefundPayment)).Main().
		Process("lookup_payment_type", dicNames(c, "payment_type_code", "payment_type_name")).Main().
		To(RefundPaymentSuccessJob)
	return j
}

// orderSkuKey keys a refund row by order and sku (order_info by its id).
func orderSkuKey(r *stream.Record) ([]byte, error) {
	t, err := tableOf(r)
	if err != nil || t == tOrderInfo {
		return orderKey(r)
	}
	o, err := keyOf(r, "data", "order_id")
	if err != nil {
		return nil, err
	}
	s, err := keyOf(r, "data", "sku_id")
	if err != nil {
		return nil, err
	}
	return append(append(o, '/'), s...), nil
}

// refundOrderKey keys the joined refund and the order row by order.
func refundOrderKey(r *stream.Record) ([]byte, error) {
	if t, err := tableOf(r); err != nil || t != tRefundRP {
		return orderKey(r)
	}
	return keyOf(r, "payment", "data", "order_id")
}

func projectRefundPayment(r *stream.Record) (stream.Record, error) {
	v, err := r.JSON()
	if err != nil {
		return stream.Record{}, stream.BadInput("malformed_json", "%v", err)
	}
	rp := v.Get("refund", "payment", "data")
	ri := v.Get("refund", "refund", "data")
	oi := v.Get("order", "data")
	ts := v.GetInt64("refund", "payment", "ts")
	var w row
	w.col("id", rp.Get("id"))
	w.col("user_id", oi.Get("user_id"))
	w.col("order_id", rp.Get("order_id"))
	w.col("sku_id", rp.Get("sku_id"))
	w.col("province_id", oi.Get("province_id"))
	w.col("payment_type_code", rp.Get("payment_type"))
	w.raw("payment_type_name", nil)
	w.raw("date_id", dateOf(rp.Get("callback_time")))
	w.col("callback_time", rp.Get("callback_time"))
	w.col("refund_num", ri.Get("refund_num"))
	w.col("refund_amount", rp.Get("total_amount"))
	w.int("ts", ts)
	return r.Derive([]byte(text(rp.Get("id"))), w.bytes(), ts*1000), nil
}
