package dwd

import (
	"context"
	"fmt"
	"sync"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// dicNames looks up base_dic names of an output row: for each pair
// (code column, name column) it sets the name column to the dic_name of
// dim_base_dic[code]. A miss leaves the name null; the lookup operator
// counts it (rtdw_dim_lookup_misses_total).
func dicNames(c FactConfig, codeName ...string) stream.Factory {
	if len(codeName)%2 != 0 {
		panic(fmt.Sprintf("dwd: dicNames wants (code, name) pairs, got %v", codeName))
	}
	return operator.Lookup(operator.LookupSpec{
		Dims: c.Dims, Concurrency: c.LookupConcurrency, MissRetry: c.LookupMissRetry,
		Enrich: func(ctx context.Context, value []byte, get dim.Getter) ([]byte, error) {
			p := parsers.Get().(*fastjson.Parser)
			defer parsers.Put(p)
			v, err := p.ParseBytes(value)
			if err != nil {
				return nil, stream.BadInput("malformed_json", "%v", err)
			}
			var a fastjson.Arena
			for i := 0; i < len(codeName); i += 2 {
				code := text(v.Get(codeName[i]))
				if code == "" {
					continue // no code, nothing to look up: the name stays null
				}
				row, ok, err := get.Get(ctx, DicTable, code)
				if err != nil {
					return nil, fmt.Errorf("lookup %s %q: %w", DicTable, code, err)
				}
				if !ok {
					continue
				}
				var rp fastjson.Parser
				r, err := rp.ParseBytes(row)
				if err != nil {
					return nil, fmt.Errorf("%s row %q: %w", DicTable, code, err)
				}
				if name := r.Get("dic_name"); name != nil {
					v.Set(codeName[i+1], a.NewStringBytes(name.GetStringBytes()))
				}
			}
			return jsonw.AppendValue(nil, v), nil
		},
	})
}

// parsers serve lookups, which run on their own goroutines.
var parsers = sync.Pool{New: func() any { return new(fastjson.Parser) }}
