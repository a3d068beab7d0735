package dwd

import (
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// CartAdd is dwd_trade_cart_add (SPEC §3.2): items put into a cart, as
// the number added.
//
//	topic_db ─ decode (cart_info insert, or update that raised sku_num)
//	         ─ project (sku_num = inserted value or the increase) ─► dwd_trade_cart_add
func CartAdd(c FactConfig) *stream.Job {
	c = c.mustValidate()
	j, src := factJob(CartAddJob, c)
	src.Process("decode", decodeFacts(c, map[string]factRule{
		tCart: {keys: []string{"id"}, keep: cartAdded},
	})).Main().
		Process("project", operator.Map(projectCartAdd)).Main().
		To(CartAddJob)
	return j
}

// cartAdded keeps inserts and updates whose sku_num grew; sku_num must be
// an integer for the increase to be computed.
func cartAdded(f *fact) (bool, error) {
	if f.Type != "insert" && f.Type != "update" {
		return false, nil
	}
	x := f.Data.Get("sku_num")
	if x == nil || x.Type() != fastjson.TypeNumber {
		return false, stream.BadInput("bad_field_type", "cart_info.sku_num %s is no integer", x)
	}
	n, err := x.Int64()
	if err != nil {
		return false, stream.BadInput("bad_field_type", "cart_info.sku_num %s is no integer", x)
	}
	if f.Type == "insert" {
		return true, nil
	}
	old := f.Old.Get("sku_num")
	if old == nil {
		return false, nil // sku_num did not change
	}
	o, err := old.Int64()
	if err != nil && old.Type() != fastjson.TypeNull {
		return false, stream.BadInput("bad_field_type", "old cart_info.sku_num %s is no integer", old)
	}
	return n > o, nil
}

func projectCartAdd(r *stream.Record) (stream.Record, error) {
	v, err := r.JSON()
	if err != nil {
		return stream.Record{}, stream.BadInput("malformed_json", "%v", err)
	}
	d := v.Get("data")
	ts := v.GetInt64("ts")
	n := d.GetInt64("sku_num") - v.GetInt64("old", "sku_num") // old is absent for an insert
	var w row
	w.col("id", d.Get("id"))
	w.col("user_id", d.Get("user_id"))
	w.col("sku_id", d.Get("sku_id"))
	w.int("sku_num", n)
	w.int("ts", ts)
	return r.Derive([]byte(text(d.Get("id"))), w.bytes(), ts*1000), nil
}
