package dws

import (
	"context"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// TmCategoryRefundJob counts refunded orders per user, trademark and category.
const TmCategoryRefundJob = TableTmCategoryRefund

var tmCategoryRefundTable = &table{
	name:  TableTmCategoryRefund,
	dims:  []string{"user_id", "trademark_id", "category3_id"},
	extra: []string{"trademark_name", "category1_id", "category1_name", "category2_id", "category2_name", "category3_name"},
	measures: []measure{
		{name: "refund_count", kind: distinctMeasure, slot: 0},
	},
}

// TmCategoryRefund is dws_trade_trademark_category_user_refund_window:
// each refund's sku is looked up (dim_sku_info) for its trademark and
// category3, which with user_id key the window; refund_count is the
// distinct order_ids. The row then gets the trademark name and the
// category path. A sku the dimensions do not know keys the window with an
// empty trademark and category (the lookup counts the miss).
//
//	dwd_trade_order_refund ─ time ─ valid ─ sku ─ refunds ─ keyBy(user,tm,c3) ─ window ─┬─ dims ► dws_trade_trademark_category_user_refund_window
//	                                                                                    └► dirty_data (late)
func TmCategoryRefund(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(TmCategoryRefundJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicOrderRefund, dbTime).
		Process("time", withTime(dbTime)).Main().
		Process("valid", operator.Filter(func(r *stream.Record) (bool, error) {
			v, _ := r.JSON()
			for _, k := range []string{"user_id", "order_id", "sku_id"} {
				if _, err := need(v, k); err != nil {
					return false, err
				}
			}
			return true, nil
		})).Main().
		Process("sku", operator.Lookup(c.lookup(enrichRefundSku))).Main().
		Process("refunds", operator.Map(refundBean)).Main()
	c.windowed(beans, tmCategoryRefundTable).
		Process("dims", operator.Lookup(c.lookup(enrichRefundRow))).Main().
		To(TableTmCategoryRefund)
	return j
}

// enrichRefundSku adds the sku's trademark_id and category3_id to the fact.
func enrichRefundSku(ctx context.Context, value []byte, get dim.Getter) ([]byte, error) {
	var ps parsers
	defer ps.done()
	v, err := ps.parse(value)
	if err != nil {
		return nil, stream.BadInput("malformed_json", "%v", err)
	}
	skuID, _ := text(v, "sku_id")
	sku, err := dimRow(ctx, get, &ps, dimTableSku, skuID)
	if err != nil {
		return nil, err
	}
	var f fields
	tm, ok := col(sku, "tm_id")
	f.set("trademark_id", tm, ok)
	c3, ok := col(sku, "category3_id")
	f.set("category3_id", c3, ok)
	return f.apply(v)
}

func refundBean(rec *stream.Record) (stream.Record, error) {
	v, err := parse(rec)
	if err != nil {
		return stream.Record{}, err
	}
	user, _ := text(v, "user_id")
	order, _ := text(v, "order_id")
	tm, _ := text(v, "trademark_id")
	c3, _ := text(v, "category3_id")
	return beanRecord(rec, bean{D: []string{user, tm, c3}, U: []string{order}}), nil
}

// enrichRefundRow fills the trademark name and the category path.
func enrichRefundRow(ctx context.Context, value []byte, get dim.Getter) ([]byte, error) {
	var ps parsers
	defer ps.done()
	v, err := ps.parse(value)
	if err != nil {
		return nil, stream.BadInput("malformed_json", "%v", err)
	}
	tm, _ := text(v, "trademark_id")
	c3, _ := text(v, "category3_id")
	var f fields
	if err := trademarkAndCategories(ctx, get, &ps, &f, tm, c3); err != nil {
		return nil, err
	}
	return f.apply(v)
}
