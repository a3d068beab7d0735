package dws

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// HomeDetailPageViewJob counts the day's unique visitors of the home and
// good_detail pages.
const HomeDetailPageViewJob = TableHomeDetailPageView

var homeDetailTable = &table{
	name:     TableHomeDetailPageView,
	measures: counts("home_uv_ct", "good_detail_uv_ct"),
}

// HomeDetailPageView is dws_traffic_home_detail_page_view_window: a
// device's first home view of the day counts 1 in home_uv_ct, its first
// good_detail view 1 in good_detail_uv_ct (two dates per mid, TTL 1 day).
// Views that count nothing are not sent to the window.
//
//	dwd_traffic_page ─ time ─ home_or_detail ─ keyBy(mid) ─ first_views ─ keyBy() ─ window ─┬► dws_traffic_home_detail_page_view_window
//	                                                                                        └► dirty_data (late)
func HomeDetailPageView(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(HomeDetailPageViewJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicTrafficPage, logTime).
		Process("time", withTime(logTime)).Main().
		Process("home_or_detail", operator.Filter(func(r *stream.Record) (bool, error) {
			v, _ := r.JSON()
			p := string(v.GetStringBytes("page", "page_id"))
			return p == "home" || p == "good_detail", nil
		})).Main().
		KeyBy("by_mid", midKey).
		Process("first_views", eventOrdered(homeDetailFirstViews(c))).Main()
	c.windowed(beans, homeDetailTable).To(TableHomeDetailPageView)
	return j
}

func homeDetailFirstViews(c Config) stream.Factory {
	d := days{c.Location}
	return operator.KeyedProcess(func() *operator.KeyedFuncs {
		var home, detail *state.ValueState
		return &operator.KeyedFuncs{
			Open: func(ctx *stream.Context) error {
				home = ctx.Value("home_last_date", ctx.EventTimeTTL(firstVisitTTL))
				detail = ctx.Value("good_detail_last_date", ctx.EventTimeTTL(firstVisitTTL))
				return nil
			},
			Process: func(rec *stream.Record, out stream.Emitter) error {
				v, err := parse(rec)
				if err != nil {
					return err
				}
				slot, st := 0, home
				if string(v.GetStringBytes("page", "page_id")) == "good_detail" {
					slot, st = 1, detail
				}
				first, err := firstOfDay(st, rec.Key, d.date(rec.Time))
				if err != nil || !first {
					return err
				}
				n := []int64{0, 0}
				n[slot] = 1
				b := beanRecord(rec, bean{D: []string{}, N: n})
				out.Emit(0, &b)
				return nil
			},
		}
	})
}

// firstOfDay reports whether today is later than the key's stored date
// (or none is stored) and then stores it. Dates only move forward: a late
// record of an earlier day neither counts that day again nor rewinds the
// state.
func firstOfDay(st *state.ValueState, key []byte, today string) (bool, error) {
	prev, seen, err := st.Get(key)
	if err != nil {
		return false, err
	}
	if seen && today <= string(prev) {
		return false, nil
	}
	return true, st.Put(key, []byte(today))
}
