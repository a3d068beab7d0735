package mock

import (
	"fmt"
	"strconv"
	"time"
)

// The order lifecycle of SPEC §6:
//
//	1001 unpaid --pay (payment_info 1601 -> 1602 after 20 s)--> 1002 paid
//	1001 unpaid --no payment before the order expires--------> 1003 cancelled
//	1002 paid --half of them--> 1005 refunding (order_refund_info 0701 -> 0702,
//	     refund_payment 1601 -> 1602, order_refund_info 0705) --> 1006 refunded
//	1002 paid --the other half--> 1004 finished, then comment_info per line

// Probabilities and delays of the lifecycle.
const (
	payNowPct   = 80 // orders paid on the payment page that created them
	refundPct   = 50 // paid orders refunded (SPEC §6)
	callbackLag = 20 * time.Second
)

// Payment types 1101/1102/1103 = 40:50:10 and appraise 1201..1204 =
// 80:10:4:1 (SPEC §6).
var (
	paymentTypes   = []string{"1101", "1102", "1103"}
	paymentWeights = []int{40, 50, 10}
	appraises      = []string{"1201", "1202", "1203", "1204"}
	appraiseWeight = []int{80, 10, 4, 1}
	commentTexts   = []string{"物流很快, 包装完好", "和描述一致, 好评", "性价比高", "一般般吧", "用了几天, 还不错", "质量有问题, 不推荐"}
	refundTexts    = []string{"不想要了", "发错货", "质量不好", "尺寸不合适", "降价了"}
)

func (sh *Shop) weighted(ws []int) int {
	total := 0
	for _, w := range ws {
		total += w
	}
	x := sh.rng.IntN(total)
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// createOrder writes the session's planned order at ts in one transaction:
// order_info (1001), order_detail, order_detail_activity,
// order_detail_coupon, the coupon taken into use and the cart rows bought.
func (sh *Shop) createOrder(ts int64, s *shopSession) *order {
	t := &sh.t
	r := sh.rng
	u := s.u
	o := &order{id: sh.nextID(t.order), u: u}
	for _, p := range s.plan {
		o.lines = append(o.lines, &orderLine{sku: p.sku, num: p.num, amount: p.sku.price * p.num})
	}
	sh.applyActivities(o)
	sh.applyCoupon(o)

	var orig, act, coup int64
	for _, l := range o.lines {
		orig += l.amount
		act += l.act
		coup += l.coupon
	}
	first := o.lines[0].sku
	row := t.order.NewRow()
	set := func(col string, v Value) { row[t.order.Col(col)] = v }
	set("id", Int(o.id))
	set("consignee", Str(u.name))
	set("consignee_tel", Str(phone(mix64(uint64(u.id)))))
	set("total_amount", Dec(orig-act-coup))
	set("order_status", Str("1001"))
	set("user_id", Int(u.id))
	set("payment_way", Str("3501"))
	set("delivery_address", Str(fmt.Sprintf("第%d大街第%d号楼%d单元%d门", 1+r.IntN(20), 1+r.IntN(10), 1+r.IntN(9), 100+r.IntN(900))))
	set("order_comment", Str("描述"+strconv.Itoa(100000+r.IntN(900000))))
	set("out_trade_no", Str(strconv.FormatInt(100000000000000+r.Int64N(900000000000000), 10)))
	set("trade_body", Str(fmt.Sprintf("%s等%d件商品", truncRunes(first.name, 50), len(o.lines))))
	set("create_time", sh.dt(ts))
	set("expire_time", sh.dt(ts+int64(30*time.Minute/time.Millisecond)))
	set("img_url", Str(first.img))
	set("province_id", Int(int64(s.ar)))
	set("activity_reduce_amount", Dec(act))
	set("coupon_reduce_amount", Dec(coup))
	set("original_total_amount", Dec(orig))
	set("feight_fee", Dec(0))
	o.row = row

	changes := []Change{insert(t.order, row)}
	for _, l := range o.lines {
		d := t.detail.NewRow()
		d[t.detail.Col("id")] = Int(sh.nextID(t.detail))
		d[t.detail.Col("order_id")] = Int(o.id)
		d[t.detail.Col("sku_id")] = Int(l.sku.id)
		d[t.detail.Col("sku_name")] = Str(l.sku.name)
		d[t.detail.Col("img_url")] = Str(l.sku.img)
		d[t.detail.Col("order_price")] = Dec(l.sku.price)
		d[t.detail.Col("sku_num")] = Int(l.num)
		d[t.detail.Col("create_time")] = sh.dt(ts)
		d[t.detail.Col("source_type")] = Str(strconv.Itoa(2401 + r.IntN(4)))
		d[t.detail.Col("split_total_amount")] = Dec(l.amount - l.act - l.coupon)
		d[t.detail.Col("split_activity_amount")] = Dec(l.act)
		d[t.detail.Col("split_coupon_amount")] = Dec(l.coupon)
		l.row = d
		changes = append(changes, insert(t.detail, d))
	}
	for _, l := range o.lines {
		if l.rule == nil {
			continue
		}
		a := t.detailAct.NewRow()
		a[t.detailAct.Col("id")] = Int(sh.nextID(t.detailAct))
		a[t.detailAct.Col("order_id")] = Int(o.id)
		a[t.detailAct.Col("order_detail_id")] = l.row[t.detail.Col("id")]
		a[t.detailAct.Col("activity_id")] = Int(l.activity.id)
		a[t.detailAct.Col("activity_rule_id")] = Int(l.rule.id)
		a[t.detailAct.Col("sku_id")] = Int(l.sku.id)
		a[t.detailAct.Col("create_time")] = sh.dt(ts)
		changes = append(changes, insert(t.detailAct, a))
	}
	if o.coupon != nil {
		cuID := o.coupon.row[t.couponUse.Col("id")]
		for _, l := range o.lines {
			if !l.couponApplies {
				continue
			}
			c := t.detailCoupon.NewRow()
			c[t.detailCoupon.Col("id")] = Int(sh.nextID(t.detailCoupon))
			c[t.detailCoupon.Col("order_id")] = Int(o.id)
			c[t.detailCoupon.Col("order_detail_id")] = l.row[t.detail.Col("id")]
			c[t.detailCoupon.Col("coupon_id")] = Int(o.coupon.def.id)
			c[t.detailCoupon.Col("coupon_use_id")] = cuID
			c[t.detailCoupon.Col("sku_id")] = Int(l.sku.id)
			c[t.detailCoupon.Col("create_time")] = sh.dt(ts)
			changes = append(changes, insert(t.detailCoupon, c))
		}
		changes = append(changes, update(t.couponUse, &o.coupon.row,
			"coupon_status", Str("1402"), "order_id", Int(o.id), "using_time", sh.dt(ts)))
	}
	// The cart rows bought leave the cart.
	for _, p := range s.plan {
		if p.cart == nil {
			continue
		}
		for i, it := range u.cart {
			if it == p.cart {
				u.cart = append(u.cart[:i], u.cart[i+1:]...)
				break
			}
		}
		changes = append(changes, Change{Table: t.cart, Type: TypeDelete, Data: p.cart.row})
	}
	sh.emitTxn(ts, changes...)
	return o
}

// applyActivities gives each activity's lines the best rule they reach and
// splits its reduction pro rata over them.
func (sh *Shop) applyActivities(o *order) {
	for _, a := range sh.cat.activities {
		var lines []*orderLine
		var amount, num int64
		for _, l := range o.lines {
			if l.sku.activity == a {
				lines = append(lines, l)
				amount += l.amount
				num += l.num
			}
		}
		if len(lines) == 0 {
			continue
		}
		var best *activityRule
		var reduce int64
		for i := range a.rules {
			ru := &a.rules[i]
			switch a.typ {
			case "3101":
				if amount >= ru.condAmount && ru.benefit > reduce {
					best, reduce = ru, ru.benefit
				}
			case "3102":
				// discount is the share paid, in tenths x 100: 900 pays 90%.
				if num >= ru.condNum {
					if red := halfUpDiv(amount*(1000-ru.discount), 1000); red > reduce {
						best, reduce = ru, red
					}
				}
			}
		}
		if best == nil {
			continue
		}
		weights := make([]int64, len(lines))
		for i, l := range lines {
			weights[i] = l.amount
		}
		for i, share := range splitProRata(reduce, weights) {
			lines[i].act = share
			lines[i].activity = a
			lines[i].rule = best
		}
	}
}

// applyCoupon uses the user's best unused coupon that the order reaches, if
// any, and splits its benefit pro rata over the lines it covers.
func (sh *Shop) applyCoupon(o *order) {
	var best *couponHeld
	var bestLines []*orderLine
	for _, ch := range o.u.coupons {
		if ch.row[sh.t.couponUse.Col("coupon_status")].String() != "1401" {
			continue
		}
		var lines []*orderLine
		var amount, left int64
		for _, l := range o.lines {
			if ch.def.covers(l.sku) {
				lines = append(lines, l)
				amount += l.amount
				left += l.amount - l.act
			}
		}
		// A coupon takes at most half of what is left to pay on its lines.
		if len(lines) == 0 || amount < ch.def.condAmount || 2*ch.def.benefit > left {
			continue
		}
		if best == nil || ch.def.benefit > best.def.benefit {
			best, bestLines = ch, lines
		}
	}
	if best == nil {
		return
	}
	weights := make([]int64, len(bestLines))
	for i, l := range bestLines {
		weights[i] = l.amount
	}
	shares := splitProRata(best.def.benefit, weights)
	for i, l := range bestLines {
		if l.act+shares[i] > l.amount {
			return // never: shares are at most half; kept as a guard
		}
	}
	for i, l := range bestLines {
		l.coupon = shares[i]
		l.couponApplies = true
	}
	o.coupon = best
	for i, ch := range o.u.coupons {
		if ch == best {
			o.u.coupons = append(o.u.coupons[:i], o.u.coupons[i+1:]...)
			break
		}
	}
}

// decidePayment pays the order now (payment_info 1601 a few seconds into
// the payment page, success 20 s later) or leaves it unpaid until it is
// cancelled, unless the user pays it from orders_unpaid before.
func (sh *Shop) decidePayment(ts int64, o *order) {
	t := &sh.t
	r := sh.rng
	if !o.paying && r.IntN(100) >= payNowPct {
		o.cancelAt = ts + sh.between(10*time.Minute, 29*time.Minute)
		o.u.unpaid = append(o.u.unpaid, o)
		sh.schedule(o.cancelAt, kCancel, nil, o)
		return
	}
	o.paying = true
	pts := ts + sh.between(2*time.Second, 8*time.Second)
	row := t.payment.NewRow()
	row[t.payment.Col("id")] = Int(sh.nextID(t.payment))
	row[t.payment.Col("out_trade_no")] = o.row[t.order.Col("out_trade_no")]
	row[t.payment.Col("order_id")] = Int(o.id)
	row[t.payment.Col("user_id")] = Int(o.u.id)
	row[t.payment.Col("payment_type")] = Str(paymentTypes[sh.weighted(paymentWeights)])
	row[t.payment.Col("total_amount")] = o.row[t.order.Col("total_amount")]
	row[t.payment.Col("subject")] = o.row[t.order.Col("trade_body")]
	row[t.payment.Col("payment_status")] = Str("1601")
	row[t.payment.Col("create_time")] = sh.dt(pts)
	o.payRow = row
	sh.emitTxn(pts, insert(t.payment, row))
	sh.schedule(pts+callbackLag.Milliseconds(), kCallback, nil, o)
}

// callback: the payment succeeds; the order is paid and its coupon used.
func (sh *Shop) callback(ts int64, o *order) {
	t := &sh.t
	r := sh.rng
	changes := []Change{
		update(t.payment, &o.payRow,
			"trade_no", Str(strconv.FormatInt(4000000000000000000+r.Int64N(1000000000000000000), 10)),
			"payment_status", Str("1602"), "callback_time", sh.dt(ts),
			"callback_content", Str("pay success")),
		update(t.order, &o.row, "order_status", Str("1002"), "operate_time", sh.dt(ts)),
	}
	if o.coupon != nil {
		changes = append(changes, update(t.couponUse, &o.coupon.row, "coupon_status", Str("1403"), "used_time", sh.dt(ts)))
	}
	sh.emitTxn(ts, changes...)
	if r.IntN(100) < refundPct {
		sh.schedule(ts+sh.between(10*time.Minute, 4*time.Hour), kRefund, nil, o)
	} else {
		sh.schedule(ts+sh.between(10*time.Minute, 4*time.Hour), kFinish, nil, o)
	}
}

func (sh *Shop) status(o *order) string { return o.row[sh.t.order.Col("order_status")].String() }

// cancel: an order still unpaid when it expires is cancelled.
func (sh *Shop) cancel(ts int64, o *order) {
	if o.paying || sh.status(o) != "1001" {
		return
	}
	for i, x := range o.u.unpaid {
		if x == o {
			o.u.unpaid = append(o.u.unpaid[:i], o.u.unpaid[i+1:]...)
			break
		}
	}
	sh.emitTxn(ts, update(sh.t.order, &o.row, "order_status", Str("1003"), "operate_time", sh.dt(ts)))
}

func (sh *Shop) finish(ts int64, o *order) {
	sh.emitTxn(ts, update(sh.t.order, &o.row, "order_status", Str("1004"), "operate_time", sh.dt(ts),
		"refundable_time", sh.dt(ts+int64(30*24*time.Hour/time.Millisecond))))
	sh.schedule(ts+sh.between(time.Minute, time.Hour), kComment, nil, o)
}

// comment: one comment_info per order line.
func (sh *Shop) comment(ts int64, o *order) {
	t := sh.t.comment
	var changes []Change
	for _, l := range o.lines {
		row := t.NewRow()
		row[t.Col("id")] = Int(sh.nextID(t))
		row[t.Col("user_id")] = Int(o.u.id)
		row[t.Col("nick_name")] = Str(o.u.nick)
		row[t.Col("sku_id")] = Int(l.sku.id)
		row[t.Col("spu_id")] = Int(l.sku.spu)
		row[t.Col("order_id")] = Int(o.id)
		row[t.Col("appraise")] = Str(appraises[sh.weighted(appraiseWeight)])
		row[t.Col("comment_txt")] = Str(commentTexts[sh.rng.IntN(len(commentTexts))])
		row[t.Col("create_time")] = sh.dt(ts)
		changes = append(changes, insert(t, row))
	}
	sh.emitTxn(ts, changes...)
}

// refundStart: the user asks to refund one line; the order is refunding.
func (sh *Shop) refundStart(ts int64, o *order) {
	t := &sh.t
	r := sh.rng
	l := o.lines[r.IntN(len(o.lines))]
	o.refLine = l
	row := t.refund.NewRow()
	row[t.refund.Col("id")] = Int(sh.nextID(t.refund))
	row[t.refund.Col("user_id")] = Int(o.u.id)
	row[t.refund.Col("order_id")] = Int(o.id)
	row[t.refund.Col("sku_id")] = Int(l.sku.id)
	row[t.refund.Col("refund_type")] = Str("150" + strconv.Itoa(1+r.IntN(2)))
	row[t.refund.Col("refund_num")] = Int(l.num)
	row[t.refund.Col("refund_amount")] = Dec(l.amount - l.act - l.coupon)
	row[t.refund.Col("refund_reason_type")] = Str("130" + strconv.Itoa(1+r.IntN(7)))
	row[t.refund.Col("refund_reason_txt")] = Str(refundTexts[r.IntN(len(refundTexts))])
	row[t.refund.Col("refund_status")] = Str("0701")
	row[t.refund.Col("create_time")] = sh.dt(ts)
	o.refRow = row
	sh.emitTxn(ts,
		update(t.order, &o.row, "order_status", Str("1005"), "operate_time", sh.dt(ts)),
		insert(t.refund, row))
	sh.schedule(ts+sh.between(time.Minute, 30*time.Minute), kRefundApprove, nil, o)
}

func (sh *Shop) refundApprove(ts int64, o *order) {
	sh.emitTxn(ts, update(sh.t.refund, &o.refRow, "refund_status", Str("0702")))
	sh.schedule(ts+sh.between(time.Minute, 30*time.Minute), kRefundPay, nil, o)
}

func (sh *Shop) refundPay(ts int64, o *order) {
	t := &sh.t
	row := t.refundPay.NewRow()
	row[t.refundPay.Col("id")] = Int(sh.nextID(t.refundPay))
	row[t.refundPay.Col("out_trade_no")] = o.row[t.order.Col("out_trade_no")]
	row[t.refundPay.Col("order_id")] = Int(o.id)
	row[t.refundPay.Col("sku_id")] = Int(o.refLine.sku.id)
	row[t.refundPay.Col("payment_type")] = o.payRow[t.payment.Col("payment_type")]
	row[t.refundPay.Col("total_amount")] = o.refRow[t.refund.Col("refund_amount")]
	row[t.refundPay.Col("subject")] = Str("退款")
	row[t.refundPay.Col("refund_status")] = Str("1601")
	row[t.refundPay.Col("create_time")] = sh.dt(ts)
	o.rpRow = row
	sh.emitTxn(ts, insert(t.refundPay, row))
	sh.schedule(ts+callbackLag.Milliseconds(), kRefundDone, nil, o)
}

// refundDone: the refund is paid; the refund and the order complete.
func (sh *Shop) refundDone(ts int64, o *order) {
	t := &sh.t
	sh.emitTxn(ts,
		update(t.refundPay, &o.rpRow, "trade_no", Str(strconv.FormatInt(5000000000000000000+sh.rng.Int64N(1000000000000000000), 10)),
			"refund_status", Str("1602"), "callback_time", sh.dt(ts), "callback_content", Str("refund success")),
		update(t.refund, &o.refRow, "refund_status", Str("0705")),
		update(t.order, &o.row, "order_status", Str("1006"), "operate_time", sh.dt(ts)))
}

// truncRunes cuts s to at most n runes.
func truncRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
