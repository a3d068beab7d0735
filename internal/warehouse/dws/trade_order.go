package dws

import "github.com/rtdw/rtdw/internal/stream"

// OrderJob counts the day's ordering users and first-time orderers.
const OrderJob = TableOrder

var orderTable = &table{
	name:     TableOrder,
	measures: counts("order_unique_user_count", "order_new_user_count"),
}

// Order is dws_trade_order_window: a user's first order detail of the day
// counts 1 unique user, and 1 new user if the user never ordered before
// (last order date per user_id, no TTL). Repeated details (a left join's
// partial then complete row) count nothing more: only a user's first fact
// of a day counts, so no dedup is needed here.
//
//	dwd_trade_order_detail ─ time ─ keyBy(user_id) ─ first_orders ─ keyBy() ─ window ─┬► dws_trade_order_window
//	                                                                                  └► dirty_data (late)
func Order(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(OrderJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicOrderDetail, dbTime).
		Process("time", withTime(dbTime)).Main().
		KeyBy("by_user", userKey).
		Process("first_orders", eventOrdered(uniqueUsers(c, "last_order_date", 0, true))).Main()
	c.windowed(beans, orderTable).To(TableOrder)
	return j
}
