package dws

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// SkuOrderJob sums order amounts per SKU.
const SkuOrderJob = TableSkuOrder

var skuOrderTable = &table{
	name: TableSkuOrder,
	dims: []string{"sku_id"},
	extra: []string{"sku_name", "spu_id", "spu_name", "trademark_id", "trademark_name",
		"category1_id", "category1_name", "category2_id", "category2_name", "category3_id", "category3_name"},
	measures: []measure{
		{name: "original_amount", kind: amountMeasure, slot: 0},
		{name: "activity_reduce_amount", kind: amountMeasure, slot: 1},
		{name: "coupon_reduce_amount", kind: amountMeasure, slot: 2},
		{name: "order_amount", kind: amountMeasure, slot: 3},
	},
}

// SkuOrder is dws_trade_sku_order_window: order detail amounts per sku_id,
// each detail counted once with its latest value (dedup by id with
// corrections), then the window row enriched from dim_sku_info ->
// dim_spu_info -> dim_base_trademark -> dim_base_category3 -> 2 -> 1.
//
//	dwd_trade_order_detail ─ time ─ valid ─ keyBy(id) ─ dedup ─ amounts ─ keyBy(sku_id) ─ window ─┬─ dims ► dws_trade_sku_order_window
//	                                                                                              └► dirty_data (late)
func SkuOrder(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(SkuOrderJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicOrderDetail, dbTime).
		Process("time", withTime(dbTime)).Main().
		Process("valid", validBy(skuAmounts)).Main().
		KeyBy("by_detail_id", detailKey).
		Process("dedup", dedupDetails(c)).Main().
		Process("amounts", operator.Map(skuAmounts)).Main()
	c.windowed(beans, skuOrderTable).
		Process("dims", operator.Lookup(c.lookup(enrichSku))).Main().
		To(TableSkuOrder)
	return j
}

func skuAmounts(rec *stream.Record) (stream.Record, error) {
	v, err := parse(rec)
	if err != nil {
		return stream.Record{}, err
	}
	sku, err := need(v, "sku_id")
	if err != nil {
		return stream.Record{}, err
	}
	var n [4]int64
	for i, k := range []string{"split_original_amount", "split_activity_amount", "split_coupon_amount", "split_total_amount"} {
		if n[i], err = cents(v, k); err != nil {
			return stream.Record{}, err
		}
	}
	return beanRecord(rec, bean{D: []string{sku}, N: n[:], R: retracted(rec)}), nil
}
