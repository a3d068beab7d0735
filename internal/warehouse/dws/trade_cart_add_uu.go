package dws

import "github.com/rtdw/rtdw/internal/stream"

// CartAddUuJob counts the day's users adding to cart.
const CartAddUuJob = TableCartAddUu

var cartAddUuTable = &table{
	name:     TableCartAddUu,
	measures: counts("cart_add_uu_ct"),
}

// CartAddUu is dws_trade_cart_add_uu_window: a user's first cart add of
// the day counts 1 (last cart-add date per user_id, TTL 1 day).
//
//	dwd_trade_cart_add ─ time ─ keyBy(user_id) ─ first_adds ─ keyBy() ─ window ─┬► dws_trade_cart_add_uu_window
//	                                                                            └► dirty_data (late)
func CartAddUu(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(CartAddUuJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicCartAdd, dbTime).
		Process("time", withTime(dbTime)).Main().
		KeyBy("by_user", userKey).
		Process("first_adds", eventOrdered(uniqueUsers(c, "last_cart_add_date", firstVisitTTL, false))).Main()
	c.windowed(beans, cartAddUuTable).To(TableCartAddUu)
	return j
}
