package dws

import "github.com/rtdw/rtdw/internal/olap"

// Table names (SPEC §4): also the topics the jobs write.
const (
	TableKeywordPageView     = "dws_traffic_source_keyword_page_view_window"
	TableVcChArIsNewPageView = "dws_traffic_vc_ch_ar_is_new_page_view_window"
	TableHomeDetailPageView  = "dws_traffic_home_detail_page_view_window"
	TableUserLogin           = "dws_user_user_login_window"
	TableUserRegister        = "dws_user_user_register_window"
	TableCartAddUu           = "dws_trade_cart_add_uu_window"
	TablePaymentSuc          = "dws_trade_payment_suc_window"
	TableOrder               = "dws_trade_order_window"
	TableSkuOrder            = "dws_trade_sku_order_window"
	TableProvinceOrder       = "dws_trade_province_order_window"
	TableTmCategoryRefund    = "dws_trade_trademark_category_user_refund_window"
)

// PartitionColumn is the day column every table is partitioned by.
const PartitionColumn = "cur_date"

type measureKind int

const (
	countMeasure    measureKind = iota // int64 sum of bean.N[slot]
	amountMeasure                      // decimal(16,2): bean.N[slot] are cents
	distinctMeasure                    // int64: distinct bean.U[slot] in the window
)

type measure struct {
	name string
	kind measureKind
	slot int // index into bean.N (count, amount) or bean.U (distinct)
}

// table is a DWS table's spec: the window's key dimensions (string
// columns, in key order), columns filled by a lookup after the window
// (null until then), and the measures, in column order.
type table struct {
	name     string
	dims     []string
	extra    []string
	measures []measure
}

func counts(names ...string) []measure {
	ms := make([]measure, len(names))
	for i, n := range names {
		ms[i] = measure{name: n, kind: countMeasure, slot: i}
	}
	return ms
}

var tables = []*table{
	keywordTable, vcChArIsNewTable, homeDetailTable, userLoginTable, userRegisterTable,
	cartAddUuTable, paymentSucTable, orderTable, skuOrderTable, provinceOrderTable, tmCategoryRefundTable,
}

// Tables describes the OLAP tables the DWS jobs' topics load into:
// stt, edt, cur_date, the dimension columns (key dimensions first), then
// the measures. The key is (stt, edt, cur_date, key dimensions); rows are
// upserted by it, so a re-emitted window replaces its row.
func Tables() []olap.Table {
	out := make([]olap.Table, 0, len(tables))
	for _, t := range tables {
		out = append(out, t.olap())
	}
	return out
}

func (t *table) olap() olap.Table {
	cols := []olap.Column{{Name: "stt", Type: olap.DateTime}, {Name: "edt", Type: olap.DateTime}, {Name: PartitionColumn, Type: olap.Date}}
	key := []string{"stt", "edt", PartitionColumn}
	for _, d := range t.dims {
		cols = append(cols, olap.Column{Name: d, Type: olap.String})
		key = append(key, d)
	}
	for _, e := range t.extra {
		cols = append(cols, olap.Column{Name: e, Type: olap.String})
	}
	for _, m := range t.measures {
		typ := olap.Int64
		if m.kind == amountMeasure {
			typ = olap.Decimal
		}
		cols = append(cols, olap.Column{Name: m.name, Type: typ})
	}
	return olap.Table{Name: t.name, Columns: cols, Key: key, PartitionBy: PartitionColumn}
}
