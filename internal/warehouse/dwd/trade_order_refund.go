package dwd

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

const tRefundOrder = "order_refund_info+order_info"

// OrderRefund is dwd_trade_order_refund (SPEC §3.2): refund requests
// with their order's province and the names of their type and reason.
//
//	topic_db ─ decode (order_refund_info insert; order_info update -> 1005)
//	         ─ keyBy(order id) ─ refund ⋈ order_info (TTL RefundTTL) ─ project
//	         ─ lookup dim_base_dic[refund_type], [refund_reason_type] ─► dwd_trade_order_refund
//
// The refund row and the order's status change are written in one
// transaction, so a short TTL (5 s) suffices.
func OrderRefund(c FactConfig) *stream.Job {
	c = c.mustValidate()
	j, src := factJob(OrderRefundJob, c)
	src.Process("decode", decodeFacts(c, map[string]factRule{
		tRefund:    {keys: []string{"id", "order_id"}},
		tOrderInfo: {keys: []string{"id"}, keep: statusTo("order_status", "", "1005")},
	})).Main().
		KeyBy("by_order", orderKey).
		Process("join_order_info", operator.Join(operator.JoinSpec{
			Sides: 2, TTL: c.RefundTTL,
			Side:  sideOf(tRefund, tOrderInfo),
			RowID: func(r *stream.Record) ([]byte, error) { return keyOf(r, "data", "id") },
			Combine: func(l []byte, rs [][]byte) ([]byte, error) {
				return envelope(tRefundOrder, "refund", l, "order", rs[0]), nil
			},
		})).Main().
		Process("project", operator.Map(projectRefund)).Main().
		Process("lookup_dic", dicNames(c, "refund_type_code", "refund_type_name", "refund_reason_type_code", "refund_reason_type_name")).Main().
		To(OrderRefundJob)
	return j
}

func projectRefund(r *stream.Record) (stream.Record, error) {
	v, err := r.JSON()
	if err != nil {
		return stream.Record{}, stream.BadInput("malformed_json", "%v", err)
	}
	ri, oi := v.Get("refund", "data"), v.Get("order", "data")
	ts := v.GetInt64("refund", "ts")
	var w row
	w.col("id", ri.Get("id"))
	w.col("user_id", ri.Get("user_id"))
	w.col("order_id", ri.Get("order_id"))
	w.col("sku_id", ri.Get("sku_id"))
	w.col("province_id", oi.Get("province_id"))
	w.raw("date_id", dateOf(ri.Get("create_time")))
	w.col("create_time", ri.Get("create_time"))
	w.col("refund_type_code", ri.Get("refund_type"))
	w.raw("refund_type_name", nil)
	w.col("refund_reason_type_code", ri.Get("refund_reason_type"))
	w.raw("refund_reason_type_name", nil)
	w.col("refund_reason_txt", ri.Get("refund_reason_txt"))
	w.col("refund_num", ri.Get("refund_num"))
	w.col("refund_amount", ri.Get("refund_amount"))
	w.int("ts", ts)
	return r.Derive([]byte(text(ri.Get("id"))), w.bytes(), ts*1000), nil
}
