package dws

import "github.com/rtdw/rtdw/internal/stream"

// JobSpec names one DWS job for the warehouse registry.
type JobSpec struct {
	Name    string
	Summary string
	Build   func(Config) *stream.Job
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
