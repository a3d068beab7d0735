package dws

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// ProvinceOrderJob counts orders and sums order amounts per province.
const ProvinceOrderJob = TableProvinceOrder

var provinceOrderTable = &table{
	name:  TableProvinceOrder,
	dims:  []string{"province_id"},
	extra: []string{"province_name"},
	measures: []measure{
		{name: "order_count", kind: distinctMeasure, slot: 0},
		{name: "order_amount", kind: amountMeasure, slot: 0},
	},
}

// ProvinceOrder is dws_trade_province_order_window: per province_id the
// distinct order_ids and the sum of split_total_amount of the window's
// order details (dedup by detail id with corrections), then province_name
// from dim_base_province.
//
//	dwd_trade_order_detail ─ time ─ valid ─ keyBy(id) ─ dedup ─ amounts ─ keyBy(province_id) ─ window ─┬─ dims ► dws_trade_province_order_window
//	                                                                                                   └► dirty_data (late)
func ProvinceOrder(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(ProvinceOrderJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicOrderDetail, dbTime).
		Process("time", withTime(dbTime)).Main().
		Process("valid", validBy(provinceAmounts)).Main().
		KeyBy("by_detail_id", detailKey).
		Process("dedup", dedupDetails(c)).Main().
		Process("amounts", operator.Map(provinceAmounts)).Main()
	c.windowed(beans, provinceOrderTable).
		Process("dims", operator.Lookup(c.lookup(enrichProvince))).Main().
		To(TableProvinceOrder)
	return j
}

func provinceAmounts(rec *stream.Record) (stream.Record, error) {
	v, err := parse(rec)
	if err != nil {
		return stream.Record{}, err
	}
	province, err := need(v, "province_id")
	if err != nil {
		return stream.Record{}, err
	}
	order, err := need(v, "order_id")
	if err != nil {
		return stream.Record{}, err
	}
	amount, err := cents(v, "split_total_amount")
	if err != nil {
		return stream.Record{}, err
	}
	return beanRecord(rec, bean{D: []string{province}, N: []int64{amount}, U: []string{order}, R: retracted(rec)}), nil
}
