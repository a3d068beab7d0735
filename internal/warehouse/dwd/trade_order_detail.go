package dwd

import (
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// Tables of the business database the order jobs read, and the tables of
// the records the order-detail join builds.
const (
	tOrderDetail  = "order_detail"
	tOrderInfo    = "order_info"
	tActivity     = "order_detail_activity"
	tCoupon       = "order_detail_coupon"
	tLine         = "order_detail+activity+coupon" // stage 1 output
	tOrderLine    = OrderDetailJob                 // stage 2 output: a dwd_trade_order_detail row
	tPayment      = "payment_info"
	tRefund       = "order_refund_info"
	tRefundPay    = "refund_payment"
	tComment      = "comment_info"
	tCart         = "cart_info"
	tRefundRP     = "refund_payment+order_refund_info"
	tPaymentOrder = "payment_info+order_detail"
)

// OrderDetail is dwd_trade_order_detail (SPEC §3.2): every order line
// with its order, activity and coupon.
//
//	topic_db ─ decode (inserts of order_detail, order_info,
//	│                  order_detail_activity, order_detail_coupon)
//	├ keyBy(order_detail id) ─ order_detail ⟕ activity ⟕ coupon   (order_info passes)
//	└ keyBy(order id)        ─ line ⋈ order_info ─ project ─► dwd_trade_order_detail
//
// Two stages because the joins have two keys: the left joins are by order
// line (an order has many lines, each with its own activity and coupon
// rows), the inner join is by order. The join operator holds one right row
// per key, so each join runs keyed by its own key. order_info rows travel
// through the first stage untouched (a stage has one input). All joins
// join rows less than OrderDetailTTL apart in event time (the rows' ts;
// Flink's table.exec.state.ttl bounds it in processing time, which would
// make a replay or a slow drain join less), so an activity or coupon row
// written that much later than its line finds nothing to complete.
//
// Which rows join does not depend on timing; how many times a line is
// written does: a line read before its activity row is written partial,
// then complete; read after it, only complete. The last version of each
// line is the same either way (docs/reliability.md, "Event time and
// drains").
//
// Output upserts by order_detail id: the line is written as soon as its
// order is known, and again, completed, when its activity or coupon row
// arrives (SPEC: DWS counts each line once).
func OrderDetail(c FactConfig) *stream.Job {
	c = c.mustValidate()
	j, src := factJob(OrderDetailJob, c)
	lines := orderLines(src.Process("decode", decodeFacts(c, orderDetailRules())).Main(), c, nil)
	lines.Process("project", operator.Map(projectOrderDetail)).Main().
		To(OrderDetailJob)
	return j
}

// orderDetailRules selects the rows of the order-detail join.
func orderDetailRules() map[string]factRule {
	return map[string]factRule{
		tOrderDetail: {keys: []string{"id", "order_id"}, keep: func(f *fact) (bool, error) {
			if f.Type != "insert" {
				return false, nil
			}
			return true, checkNumbers(f, "sku_num", "order_price")
		}},
		tOrderInfo: {keys: []string{"id"}},
		tActivity:  {keys: []string{"order_detail_id"}},
		tCoupon:    {keys: []string{"order_detail_id"}},
	}
}

// orderLines builds the two join stages of dwd_trade_order_detail on the
// decoded stream. Rows of other tables for which pass is true go through
// both stages untouched; the result is keyed by order id: tOrderLine rows
// (the joined lines) and the passed rows.
func orderLines(decoded stream.Stream, c FactConfig, pass func(string, *stream.Record) bool) stream.Stream {
	if pass == nil {
		pass = func(string, *stream.Record) bool { return false }
	}
	stage1Pass := func(t string, r *stream.Record) bool { return t == tOrderInfo || pass(t, r) }
	return decoded.
		KeyBy("by_order_detail", lineKey).
		Process("join_activity_coupon", bypass(stage1Pass, operator.Join(operator.JoinSpec{
			Sides: 3, Left: true, TTL: c.OrderDetailTTL,
			Side:  sideOf(tOrderDetail, tActivity, tCoupon),
			RowID: func(r *stream.Record) ([]byte, error) { return keyOf(r, "data", "id") },
			Combine: func(l []byte, rs [][]byte) ([]byte, error) {
				return envelope(tLine, "detail", l, "activity", rs[0], "coupon", rs[1]), nil
			},
		}))).Main().
		KeyBy("by_order", orderKey).
		Process("join_order_info", bypass(pass, operator.Join(operator.JoinSpec{
			Sides: 2, TTL: c.OrderDetailTTL,
			Side:  sideOf(tLine, tOrderInfo),
			RowID: func(r *stream.Record) ([]byte, error) { return keyOf(r, "detail", "data", "id") },
			Combine: func(l []byte, rs [][]byte) ([]byte, error) {
				return envelope(tOrderLine, "line", l, "order", rs[0]), nil
			},
		}))).Main()
}

// sideOf numbers a join's tables in the order given (the left one first).
func sideOf(tables ...string) func(*stream.Record) (int, error) {
	return func(r *stream.Record) (int, error) {
		t, err := tableOf(r)
		if err != nil {
			return 0, err
		}
		for i, x := range tables {
			if x == t {
				return i, nil
			}
		}
		return 0, stream.BadInput("join_side", "table %q is no side of %v", t, tables)
	}
}

// lineKey keys a row by its order line (other tables: by their id).
func lineKey(r *stream.Record) ([]byte, error) {
	t, err := tableOf(r)
	if err != nil {
		return nil, err
	}
	switch t {
	case tActivity, tCoupon:
		return keyOf(r, "data", "order_detail_id")
	case tOrderDetail:
		return keyOf(r, "data", "id")
	}
	return orderKey(r)
}

// orderKey keys a row by its order.
func orderKey(r *stream.Record) ([]byte, error) {
	t, err := tableOf(r)
	if err != nil {
		return nil, err
	}
	switch t {
	case tOrderInfo:
		return keyOf(r, "data", "id")
	case tLine:
		return keyOf(r, "detail", "data", "order_id")
	case tOrderLine:
		return keyOf(r, "line", "detail", "data", "order_id")
	}
	return keyOf(r, "data", "order_id")
}

// orderLine is a joined order line's parts (each nil when missing).
type orderLine struct {
	detail, activity, coupon, order *fastjson.Value
	ts                              int64 // order_detail's ts
}

func lineOf(v *fastjson.Value) orderLine {
	l := v.Get("line")
	ts, _ := l.Get("detail", "ts").Int64()
	return orderLine{detail: l.Get("detail", "data"), activity: l.Get("activity", "data"),
		coupon: l.Get("coupon", "data"), order: v.Get("order", "data"), ts: ts}
}

// byOrder re-keys the joined lines by order id (the join keyed them by
// line) at their line's event time, for a later join by order in the same
// stage; passed rows are keyed by order already.
func byOrder(r *stream.Record) (stream.Record, error) {
	t, err := tableOf(r)
	if err != nil || t != tOrderLine {
		return *r, err
	}
	k, err := orderKey(r)
	if err != nil {
		return stream.Record{}, err
	}
	v, _ := r.JSON()
	return r.Derive(k, r.Value, lineOf(v).ts*1000), nil
}

// projectOrderDetail writes a dwd_trade_order_detail row.
func projectOrderDetail(r *stream.Record) (stream.Record, error) {
	v, err := r.JSON()
	if err != nil {
		return stream.Record{}, stream.BadInput("malformed_json", "%v", err)
	}
	l := lineOf(v)
	var w row
	if err := l.write(&w, l.detail.Get("create_time"), nil); err != nil {
		return stream.Record{}, err
	}
	w.int("ts", l.ts)
	return r.Derive([]byte(text(l.detail.Get("id"))), w.bytes(), l.ts*1000), nil
}

// write writes the order-detail columns, date_id from the given datetime;
// more, if set, writes columns after create_time.
func (l orderLine) write(w *row, date *fastjson.Value, more func(*row)) error {
	d := l.detail
	w.col("id", d.Get("id"))
	w.col("order_id", d.Get("order_id"))
	w.col("user_id", l.order.Get("user_id"))
	w.col("sku_id", d.Get("sku_id"))
	w.col("sku_name", d.Get("sku_name"))
	w.col("province_id", l.order.Get("province_id"))
	w.col("activity_id", l.activity.Get("activity_id"))
	w.col("activity_rule_id", l.activity.Get("activity_rule_id"))
	w.col("coupon_id", l.coupon.Get("coupon_id"))
	w.raw("date_id", dateOf(date))
	w.col("create_time", d.Get("create_time"))
	if more != nil {
		more(w)
	}
	w.col("sku_num", d.Get("sku_num"))
	orig, err := mulDecimal(d.Get("sku_num"), d.Get("order_price"))
	if err != nil {
		return err
	}
	w.raw("split_original_amount", orig)
	w.col("split_activity_amount", d.Get("split_activity_amount"))
	w.col("split_coupon_amount", d.Get("split_coupon_amount"))
	w.col("split_total_amount", d.Get("split_total_amount"))
	return nil
}
