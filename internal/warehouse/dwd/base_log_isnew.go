package dwd

import (
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// fixIsNew corrects common.is_new with the device's first visit date, kept
// per mid without TTL (SPEC §3.1): the app reports is_new "1" again after a
// reinstall or cache wipe, which must not count as a new visitor.
//
//	is_new "1", no state        -> remember date(ts)
//	is_new "1", state != date   -> is_new becomes "0"
//	is_new "0", no state        -> remember yesterday (an old device seen first now)
func fixIsNew(loc *time.Location) stream.Factory {
	return func() stream.Operator { return &isNewFixer{days: dayCache{loc: loc}} }
}

type isNewFixer struct {
	first *state.ValueState
	days  dayCache
	zero  *fastjson.Value
}

func (f *isNewFixer) Open(ctx *stream.Context) error {
	f.first = ctx.Value("first_visit_date")
	f.zero = fastjson.MustParse(`"0"`)
	return nil
}

func (f *isNewFixer) Process(r *stream.Record, out stream.Emitter) error {
	v, err := r.JSON()
	if err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	common := v.GetObject("common")
	if common == nil {
		return stream.BadInput("missing_common", "no \"common\" block")
	}
	isNew := string(v.GetStringBytes("common", "is_new"))
	if isNew == "0" || isNew == "1" {
		today, yesterday := f.days.dates(r.Time)
		first, ok, err := f.first.Get(r.Key)
		if err != nil {
			return err
		}
		switch {
		case isNew == "1" && !ok:
			err = f.first.Put(r.Key, today)
		case isNew == "1" && string(first) != string(today):
			common.Set("is_new", f.zero)
		case isNew == "0" && !ok:
			err = f.first.Put(r.Key, yesterday)
		}
		if err != nil {
			return err
		}
	}
	out.Emit(0, r) // r.JSON() now holds the fixed record; r.Value is the original
	return nil
}

// dayCache formats calendar dates, recomputing only when ts leaves the
// cached day (records arrive mostly in time order).
type dayCache struct {
	loc              *time.Location
	from, to         int64
	today, yesterday []byte
}

func (c *dayCache) dates(ts int64) (today, yesterday []byte) {
	if ts < c.from || ts >= c.to || c.today == nil {
		t := time.UnixMilli(ts).In(c.loc)
		start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
		c.from, c.to = start.UnixMilli(), start.AddDate(0, 0, 1).UnixMilli()
		c.today = start.AppendFormat(nil, time.DateOnly)
		c.yesterday = start.AddDate(0, 0, -1).AppendFormat(nil, time.DateOnly)
	}
	return c.today, c.yesterday
}
