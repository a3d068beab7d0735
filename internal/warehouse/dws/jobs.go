package dws

import "github.com/rtdw/rtdw/internal/stream"

// JobSpec names one DWS job for the warehouse registry.
type JobSpec struct {
	Name    string
	Summary string
	Build   func(Config) *stream.Job
}

// TopicPartitions is how many partitions a DWS topic is created with (by
// its job or by the OLAP load, whichever starts first; an existing topic
// keeps its own). DWS rows are aggregates, a few per dimension and 10 s
// window, so one partition carries them, and the load reading them is
// then one task per table, making one load per table and checkpoint
// instead of one per partition: DuckDB has a single writer, and Doris and
// StarRocks count a version per load. Live, four partitions made the load
// a fifth of the warehouse's CPU (docs/benchmarks.md).
const TopicPartitions = 1

// newJob starts a DWS job: its name is its table's, and its topic's.
func newJob(name string) *stream.Job {
	return stream.NewJob(name).Partitions(name, TopicPartitions)
}

// Jobs lists the DWS jobs in SPEC §4 order. Each job's name is its table's.
func Jobs() []JobSpec {
	return []JobSpec{
		{KeywordPageViewJob, "dwd_traffic_page -> search keyword words per 10 s window", KeywordPageView},
		{VcChArIsNewPageViewJob, "dwd_traffic_page -> uv/sessions/pv/duration by version, channel, province, is_new", VcChArIsNewPageView},
		{HomeDetailPageViewJob, "dwd_traffic_page -> home and good_detail unique visitors", HomeDetailPageView},
		{UserLoginJob, "dwd_traffic_page -> unique and back (>= 8 days) logged-in users", UserLogin},
		{UserRegisterJob, "dwd_user_register -> registrations (by create_time)", UserRegister},
		{CartAddUuJob, "dwd_trade_cart_add -> unique cart-adding users", CartAddUu},
		{PaymentSucJob, "dwd_trade_order_payment_success -> unique and new paying users", PaymentSuc},
		{OrderJob, "dwd_trade_order_detail -> unique and new ordering users", Order},
		{SkuOrderJob, "dwd_trade_order_detail (dedup) -> amounts per sku, with sku/spu/trademark/category dims", SkuOrder},
		{ProvinceOrderJob, "dwd_trade_order_detail (dedup) -> orders and amount per province", ProvinceOrder},
		{TmCategoryRefundJob, "dwd_trade_order_refund -> refunded orders per user, trademark, category", TmCategoryRefund},
	}
}
