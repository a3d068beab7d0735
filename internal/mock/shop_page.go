package mock

import (
	"strconv"
	"time"
)

// page emits the page log of s.pages[s.step], with the business changes its
// actions make, and schedules the next page.
func (sh *Shop) page(s *shopSession) {
	r := sh.rng
	lg := sh.lg
	page, last, next := pageAt(s.pages, s.step)
	ts := s.ts
	if page == pGoodDetail {
		s.sku = 1 + r.IntN(numSkus)
	}

	// Actions first: each adds 2-3 s to the page (SPEC §6). Business
	// actions need a logged-in user, as in the shop's app.
	lg.nActs = 0
	switch page {
	case pGoodDetail:
		if s.u != nil {
			if r.IntN(10) < 3 {
				lg.addAction("favor_add", "sku_id", s.sku)
			}
			cartPct := 3
			if next == pCart {
				cartPct = 8
			}
			if r.IntN(10) < cartPct {
				lg.addAction("cart_add", "sku_id", s.sku)
			}
			if r.IntN(10) < 2 {
				if c := 1 + r.IntN(numCoupons); !s.u.holds(c) {
					lg.addAction("get_coupon", "coupon_id", c)
				}
			}
		}
	case pCart:
		if s.u != nil && len(s.u.cart) > 0 {
			if r.IntN(10) < 3 {
				lg.addAction("cart_add_num", "sku_id", int(s.u.cart[r.IntN(len(s.u.cart))].sku.id))
			}
			if r.IntN(10) < 2 {
				if it := s.u.cart[r.IntN(len(s.u.cart))]; it.row[sh.t.cart.Col("sku_num")].Int64() > 1 {
					lg.addAction("cart_minus_num", "sku_id", int(it.sku.id))
				}
			}
			if r.IntN(10) < 1 && len(s.u.cart) > 1 {
				lg.addAction("cart_remove", "sku_id", int(s.u.cart[r.IntN(len(s.u.cart))].sku.id))
			}
		}
	case pTrade:
		if r.IntN(10) < 3 {
			lg.addAction("trade_add_address", "address_id", 1+r.IntN(numAddresses))
		}
	}
	nActs := lg.nActs
	view := 5000 + r.IntN(15001)
	at := ts
	for i := range nActs {
		at += int64(2000 + r.IntN(1001))
		lg.acts[i].ts = at
	}
	during := int64(view) + (at - ts)
	for i := range nActs {
		sh.act(s, &lg.acts[i])
	}

	// The trade page decides what is bought; the payment page creates the
	// order (order_info 1001 and its lines) when it opens.
	var item string
	switch page {
	case pTrade:
		if s.u != nil {
			sh.planOrder(s)
			item = sh.planSkuIDs(s)
		}
	case pPayment:
		if s.u != nil && (s.pay != nil || len(s.plan) > 0) {
			o := s.pay
			if o == nil {
				o = sh.createOrder(ts, s)
			}
			s.pay, s.plan = nil, nil
			item = strconv.FormatInt(o.id, 10)
			sh.decidePayment(ts, o)
		}
	case pLogin:
		if s.u == nil {
			sh.login(ts+int64(2000+r.IntN(3000)), s)
		}
	}

	dst, done := appendPageStart(nil, r, s.common, page, last, during, s.sku)
	switch {
	case done:
	case page == pTrade && item != "":
		dst = append(dst, `,"item_type":"sku_ids","item":"`...)
		dst = append(dst, item...)
		dst = append(dst, '"')
	case page == pPayment && item != "":
		dst = append(dst, `,"item_type":"order_id","item":"`...)
		dst = append(dst, item...)
		dst = append(dst, '"')
	}
	dst = append(dst, '}')
	dst = appendDisplays(dst, r, page)
	dst = appendActions(dst, lg.acts[:nActs])
	dst = lg.appendErrAndTs(dst, ts)
	sh.pushLog(ts, s.mid, dst)

	if page == pLogin && s.u != nil && s.uid == 0 {
		// Pages after the login page carry the user id.
		s.uid = s.u.id
		sh.buildCommon(s)
	}
	s.ts = ts + during
	s.step++
	if s.step < len(s.pages) {
		sh.schedule(s.ts, kPage, s, nil)
	}
}

func (u *user) holds(coupon int) bool {
	for _, c := range u.coupons {
		if c.def.id == int64(coupon) {
			return true
		}
	}
	return false
}

func (u *user) cartItem(sku int64) *cartItem {
	for _, it := range u.cart {
		if it.sku.id == sku {
			return it
		}
	}
	return nil
}

// act applies one action's business change at the action's time.
func (sh *Shop) act(s *shopSession, a *action) {
	r := sh.rng
	u := s.u
	ts := a.ts
	t := &sh.t
	switch a.id {
	case "favor_add":
		sk := sh.cat.skus[a.item-1]
		row := t.favor.NewRow()
		row[t.favor.Col("id")] = Int(sh.nextID(t.favor))
		row[t.favor.Col("user_id")] = Int(u.id)
		row[t.favor.Col("sku_id")] = Int(sk.id)
		row[t.favor.Col("spu_id")] = Int(sk.spu)
		row[t.favor.Col("is_cancel")] = Str("0")
		row[t.favor.Col("create_time")] = sh.dt(ts)
		sh.emitTxn(ts, insert(t.favor, row))
	case "cart_add":
		sk := sh.cat.skus[a.item-1]
		num := int64(1 + r.IntN(2))
		if it := u.cartItem(sk.id); it != nil {
			n := it.row[t.cart.Col("sku_num")].Int64() + num
			sh.emitTxn(ts, update(t.cart, &it.row, "sku_num", Int(n), "operate_time", sh.dt(ts)))
			return
		}
		row := t.cart.NewRow()
		row[t.cart.Col("id")] = Int(sh.nextID(t.cart))
		row[t.cart.Col("user_id")] = Str(strconv.FormatInt(u.id, 10))
		row[t.cart.Col("sku_id")] = Int(sk.id)
		row[t.cart.Col("cart_price")] = Dec(sk.price)
		row[t.cart.Col("sku_num")] = Int(num)
		row[t.cart.Col("img_url")] = Str(sk.img)
		row[t.cart.Col("sku_name")] = Str(sk.name)
		row[t.cart.Col("is_checked")] = Int(1)
		row[t.cart.Col("create_time")] = sh.dt(ts)
		row[t.cart.Col("is_ordered")] = Int(0)
		row[t.cart.Col("source_type")] = Str(strconv.Itoa(2401 + r.IntN(4)))
		u.cart = append(u.cart, &cartItem{sku: sk, row: row})
		sh.emitTxn(ts, insert(t.cart, row))
	case "cart_add_num", "cart_minus_num":
		it := u.cartItem(int64(a.item))
		d := int64(1)
		if a.id == "cart_minus_num" {
			d = -1
		}
		n := it.row[t.cart.Col("sku_num")].Int64() + d
		sh.emitTxn(ts, update(t.cart, &it.row, "sku_num", Int(n), "operate_time", sh.dt(ts)))
	case "cart_remove":
		for i, it := range u.cart {
			if it.sku.id == int64(a.item) {
				u.cart = append(u.cart[:i], u.cart[i+1:]...)
				sh.emitTxn(ts, Change{Table: t.cart, Type: TypeDelete, Data: it.row})
				break
			}
		}
	case "get_coupon":
		cp := sh.cat.coupons[a.item-1]
		row := t.couponUse.NewRow()
		row[t.couponUse.Col("id")] = Int(sh.nextID(t.couponUse))
		row[t.couponUse.Col("coupon_id")] = Int(cp.id)
		row[t.couponUse.Col("user_id")] = Int(u.id)
		row[t.couponUse.Col("coupon_status")] = Str("1401")
		row[t.couponUse.Col("create_time")] = sh.dt(ts)
		row[t.couponUse.Col("get_time")] = sh.dt(ts)
		u.coupons = append(u.coupons, &couponHeld{def: cp, row: row})
		sh.emitTxn(ts, insert(t.couponUse, row))
	}
}

// login makes an anonymous session's user known at ts: a new user registers
// (user_info insert) or an existing one logs in.
func (sh *Shop) login(ts int64, s *shopSession) {
	r := sh.rng
	if r.IntN(10) < 3 {
		id := sh.nextID(sh.t.user)
		row := NewUserRow(id, ts, sh.loc, r)
		u := &user{id: id, name: row[sh.t.user.Col("name")].String(), nick: row[sh.t.user.Col("nick_name")].String()}
		if id <= int64(len(sh.users)) { // ids continue after IDBase, never inside 1..Users
			panic("mock: registered user id inside the existing range")
		}
		s.u = u
		sh.emitTxn(ts, insert(sh.t.user, row))
		return
	}
	s.u = sh.userByID(1 + r.Int64N(int64(sh.cfg.Users)))
}

// planOrder decides what the session's trade page shows: an unpaid order of
// the user's (paid now), the cart, or the sku viewed ("buy now").
func (sh *Shop) planOrder(s *shopSession) {
	u := s.u
	for i, o := range u.unpaid {
		// Pay later only while the order lives; the callback lands 20 s
		// after the payment starts, before the cancel.
		if !o.paying && o.row[sh.t.order.Col("order_status")].String() == "1001" && s.ts+int64(5*time.Minute/time.Millisecond) < o.cancelAt {
			u.unpaid = append(u.unpaid[:i], u.unpaid[i+1:]...)
			o.paying = true
			s.pay = o
			return
		}
	}
	s.plan = s.plan[:0]
	for _, it := range u.cart {
		if len(s.plan) == 5 {
			break
		}
		s.plan = append(s.plan, planLine{sku: it.sku, num: it.row[sh.t.cart.Col("sku_num")].Int64(), cart: it})
	}
	if len(s.plan) == 0 {
		id := s.sku
		if id == 0 {
			id = 1 + sh.rng.IntN(numSkus)
		}
		s.plan = append(s.plan, planLine{sku: sh.cat.skus[id-1], num: int64(1 + sh.rng.IntN(2))})
	}
}

func (sh *Shop) planSkuIDs(s *shopSession) string {
	var b []byte
	if s.pay != nil {
		for i, l := range s.pay.lines {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, l.sku.id, 10)
		}
		return string(b)
	}
	for i, p := range s.plan {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, p.sku.id, 10)
	}
	return string(b)
}
