package dws

import (
	"time"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// userKey keys DB facts by user_id.
func userKey(r *stream.Record) ([]byte, error) {
	v, err := parse(r)
	if err != nil {
		return nil, err
	}
	u, err := need(v, "user_id")
	return []byte(u), err
}

// uniqueUsers is the keyed step of the three "unique user" trade tables:
// per user_id the last date is kept in state named stateName (with ttl, 0
// for none). A user's first fact of a day counts 1 in N[0]; with countNew,
// a user never seen before (no state at all: so the state has no TTL)
// counts 1 in N[1] too. Dates only move forward.
func uniqueUsers(c Config, stateName string, ttl time.Duration, countNew bool) stream.Factory {
	d := days{c.Location}
	return operator.KeyedProcess(func() *operator.KeyedFuncs {
		var last *state.ValueState
		return &operator.KeyedFuncs{
			Open: func(ctx *stream.Context) error {
				var opts []state.Option
				if ttl > 0 {
					opts = append(opts, ctx.EventTimeTTL(ttl))
				}
				last = ctx.Value(stateName, opts...)
				return nil
			},
			Process: func(rec *stream.Record, out stream.Emitter) error {
				today := d.date(rec.Time)
				prev, seen, err := last.Get(rec.Key)
				if err != nil {
					return err
				}
				if seen && today <= string(prev) {
					return nil
				}
				if err := last.Put(rec.Key, []byte(today)); err != nil {
					return err
				}
				n := []int64{1}
				if countNew {
					n = append(n, 0)
					if !seen {
						n[1] = 1
					}
				}
				b := beanRecord(rec, bean{D: []string{}, N: n})
				out.Emit(0, &b)
				return nil
			},
		}
	})
}
