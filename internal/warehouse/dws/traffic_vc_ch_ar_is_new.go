package dws

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// VcChArIsNewPageViewJob summarizes page views by version, channel,
// province and new/returning visitor.
const VcChArIsNewPageViewJob = TableVcChArIsNewPageView

var vcChArIsNewTable = &table{
	name:     TableVcChArIsNewPageView,
	dims:     []string{"vc", "ch", "ar", "is_new"},
	measures: counts("uv_ct", "sv_ct", "pv_ct", "dur_sum"),
}

// VcChArIsNewPageView is dws_traffic_vc_ch_ar_is_new_page_view_window: per
// page view pv_ct 1 and dur_sum during_time; sv_ct 1 when the page starts a
// session (no last_page_id); uv_ct 1 on the device's first view of the
// day, from its last visit date kept per mid (TTL 1 day).
//
//	dwd_traffic_page ─ time ─ keyBy(mid) ─ visits ─ keyBy(vc,ch,ar,is_new) ─ window ─┬► dws_traffic_vc_ch_ar_is_new_page_view_window
//	                                                                                 └► dirty_data (late)
func VcChArIsNewPageView(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(VcChArIsNewPageViewJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicTrafficPage, logTime).
		Process("time", withTime(logTime)).Main().
		KeyBy("by_mid", midKey).
		Process("visits", eventOrdered(pageVisits(c))).Main()
	c.windowed(beans, vcChArIsNewTable).To(TableVcChArIsNewPageView)
	return j
}

// midKey keys page logs by device.
func midKey(r *stream.Record) ([]byte, error) {
	v, err := parse(r)
	if err != nil {
		return nil, err
	}
	mid, ok := text(v, "common", "mid")
	if !ok {
		return nil, stream.BadInput("missing_field", `no "common.mid"`)
	}
	return []byte(mid), nil
}

func pageVisits(c Config) stream.Factory {
	d := days{c.Location}
	return operator.KeyedProcess(func() *operator.KeyedFuncs {
		var last *state.ValueState
		return &operator.KeyedFuncs{
			Open: func(ctx *stream.Context) error {
				last = ctx.Value("last_visit_date", ctx.EventTimeTTL(firstVisitTTL))
				return nil
			},
			Process: func(rec *stream.Record, out stream.Emitter) error {
				v, err := parse(rec)
				if err != nil {
					return err
				}
				if v.Get("page") == nil {
					return stream.BadInput("missing_field", `no "page"`)
				}
				// A missing dimension is kept as "" (the view still counts).
				dims := make([]string, 4)
				for i, k := range []string{"vc", "ch", "ar", "is_new"} {
					dims[i], _ = text(v, "common", k)
				}
				var uv, sv int64
				if _, ok := text(v, "page", "last_page_id"); !ok {
					sv = 1
				}
				// Read before firstOfDay marks the device seen: a view
				// dead-lettered here must not take the day's first visit.
				dur, err := ods.PageDuration(v.Get("page", "during_time"))
				if err != nil {
					return err
				}
				first, err := firstOfDay(last, rec.Key, d.date(rec.Time))
				if err != nil {
					return err
				}
				if first {
					uv = 1
				}
				b := beanRecord(rec, bean{D: dims, N: []int64{uv, sv, 1, dur}})
				out.Emit(0, &b)
				return nil
			},
		}
	})
}
