package dws

import (
	"context"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

type enrichFunc = func(ctx context.Context, value []byte, get dim.Getter) ([]byte, error)

func (c *Config) lookup(fn enrichFunc) operator.LookupSpec {
	return operator.LookupSpec{Dims: c.Dims, Concurrency: c.LookupConcurrency, MissRetry: c.LookupMissRetry, Enrich: fn}
}

// fields collects the columns an enrichment sets: a string, or null for
// what the dimensions do not know (a missing row or column).
type fields struct {
	names []string
	vals  []*string
}

func (f *fields) set(name string, val string, ok bool) {
	f.names = append(f.names, name)
	if ok {
		f.vals = append(f.vals, &val)
	} else {
		f.vals = append(f.vals, nil)
	}
}

// apply returns v (a JSON object, parsed by the caller) with the fields
// set, as JSON.
func (f *fields) apply(v *fastjson.Value) ([]byte, error) {
	if v.Type() != fastjson.TypeObject {
		return nil, stream.BadInput("malformed_json", "enrich: not a JSON object: %s", v.Type())
	}
	a := arenas.Get()
	defer arenas.Put(a)
	o := v.GetObject()
	for i, n := range f.names {
		if f.vals[i] == nil {
			o.Set(n, a.NewNull())
		} else {
			o.Set(n, a.NewString(*f.vals[i]))
		}
	}
	return jsonw.AppendValue(nil, v), nil
}

// Enrichments run for every window row, several at once (the lookup's
// concurrency): their parsers and arenas come from pools.
var (
	parserPool fastjson.ParserPool
	arenas     fastjson.ArenaPool
)

// parsers lends one enrichment its parsers: the values they return stay
// valid until done gives them back.
type parsers struct {
	n  int
	ps [8]*fastjson.Parser
}

func (s *parsers) parse(b []byte) (*fastjson.Value, error) {
	p := parserPool.Get()
	if s.n < len(s.ps) {
		s.ps[s.n] = p
		s.n++
	} // else left to the collector
	return p.ParseBytes(b)
}

func (s *parsers) done() {
	for _, p := range s.ps[:s.n] {
		parserPool.Put(p)
	}
	s.n = 0
}

// dimRow reads one dimension row; nil when key is empty or the row is
// missing (the lookup counts the miss).
func dimRow(ctx context.Context, get dim.Getter, ps *parsers, table, key string) (*fastjson.Value, error) {
	if key == "" {
		return nil, nil
	}
	raw, ok, err := get.Get(ctx, table, key)
	if err != nil {
		return nil, fmt.Errorf("dimension %s[%s]: %w", table, key, err)
	}
	if !ok {
		return nil, nil
	}
	v, err := ps.parse(raw)
	if err != nil || v.Type() != fastjson.TypeObject {
		return nil, fmt.Errorf("dimension %s[%s] is not a JSON object: %q", table, key, raw)
	}
	return v, nil
}

// col is a dimension row's column as text (ok=false: no row or no value).
func col(row *fastjson.Value, name string) (string, bool) {
	if row == nil {
		return "", false
	}
	return text(row, name)
}

// enrichSku fills a sku window row from the sku, its spu, trademark and
// category path.
func enrichSku(ctx context.Context, value []byte, get dim.Getter) ([]byte, error) {
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
	name, ok := col(sku, "sku_name")
	f.set("sku_name", name, ok)
	spuID, ok := col(sku, "spu_id")
	f.set("spu_id", spuID, ok)
	spu, err := dimRow(ctx, get, &ps, dimTableSpu, spuID)
	if err != nil {
		return nil, err
	}
	name, ok = col(spu, "spu_name")
	f.set("spu_name", name, ok)
	tmID, ok := col(sku, "tm_id")
	f.set("trademark_id", tmID, ok)
	c3ID, ok := col(sku, "category3_id")
	f.set("category3_id", c3ID, ok)
	if err := trademarkAndCategories(ctx, get, &ps, &f, tmID, c3ID); err != nil {
		return nil, err
	}
	return f.apply(v)
}

// trademarkAndCategories sets trademark_name and the category path
// (category3's name, category2 and 1 ids and names) from a trademark and a
// category3 id.
func trademarkAndCategories(ctx context.Context, get dim.Getter, ps *parsers, f *fields, tmID, c3ID string) error {
	tm, err := dimRow(ctx, get, ps, dimTableTrademark, tmID)
	if err != nil {
		return err
	}
	name, ok := col(tm, "tm_name")
	f.set("trademark_name", name, ok)
	c3, err := dimRow(ctx, get, ps, dimTableCategory3, c3ID)
	if err != nil {
		return err
	}
	name, ok = col(c3, "name")
	f.set("category3_name", name, ok)
	c2ID, ok := col(c3, "category2_id")
	f.set("category2_id", c2ID, ok)
	c2, err := dimRow(ctx, get, ps, dimTableCategory2, c2ID)
	if err != nil {
		return err
	}
	name, ok = col(c2, "name")
	f.set("category2_name", name, ok)
	c1ID, ok := col(c2, "category1_id")
	f.set("category1_id", c1ID, ok)
	c1, err := dimRow(ctx, get, ps, dimTableCategory1, c1ID)
	if err != nil {
		return err
	}
	name, ok = col(c1, "name")
	f.set("category1_name", name, ok)
	return nil
}

// enrichProvince fills province_name.
func enrichProvince(ctx context.Context, value []byte, get dim.Getter) ([]byte, error) {
	var ps parsers
	defer ps.done()
	v, err := ps.parse(value)
	if err != nil {
		return nil, stream.BadInput("malformed_json", "%v", err)
	}
	id, _ := text(v, "province_id")
	p, err := dimRow(ctx, get, &ps, dimTableProvince, id)
	if err != nil {
		return nil, err
	}
	var f fields
	name, ok := col(p, "name")
	f.set("province_name", name, ok)
	return f.apply(v)
}
