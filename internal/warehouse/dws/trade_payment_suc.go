package dws

import "github.com/rtdw/rtdw/internal/stream"

// PaymentSucJob counts the day's paying users and first-time payers.
const PaymentSucJob = TablePaymentSuc

var paymentSucTable = &table{
	name:     TablePaymentSuc,
	measures: counts("payment_suc_unique_user_count", "payment_suc_new_user_count"),
}

// PaymentSuc is dws_trade_payment_suc_window: a user's first successful
// payment of the day counts 1 unique user, and 1 new user if the user
// never paid before (last pay date per user_id, kept without TTL because
// "ever paid" is forever). A payment has one row per order detail: only
// the first counts.
//
//	dwd_trade_order_payment_success ─ time ─ keyBy(user_id) ─ first_payments ─ keyBy() ─ window ─┬► dws_trade_payment_suc_window
//	                                                                                             └► dirty_data (late)
func PaymentSuc(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(PaymentSucJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicOrderPaymentSuccess, dbTime).
		Process("time", withTime(dbTime)).Main().
		KeyBy("by_user", userKey).
		Process("first_payments", eventOrdered(uniqueUsers(c, "last_payment_date", 0, true))).Main()
	c.windowed(beans, paymentSucTable).To(TablePaymentSuc)
	return j
}
