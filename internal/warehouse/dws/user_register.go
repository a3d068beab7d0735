package dws

import (
	"time"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// UserRegisterJob counts registrations.
const UserRegisterJob = TableUserRegister

var userRegisterTable = &table{
	name:     TableUserRegister,
	measures: counts("register_ct"),
}

// UserRegister is dws_user_user_register_window: one count per
// dwd_user_register row, in the window of its create_time (a business-zone
// datetime, SPEC §4), not of ts.
//
//	dwd_user_register ─ time ─ registers ─ keyBy() ─ window ─┬► dws_user_user_register_window
//	                                                         └► dirty_data (late)
func UserRegister(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(UserRegisterJob)
	j.DeadLetter = TopicDirty
	created := createTime(c.Location)
	beans := c.source(j, TopicUserRegister, created).
		Process("time", withTime(created)).Main().
		Process("registers", operator.Map(func(r *stream.Record) (stream.Record, error) {
			return beanRecord(r, bean{D: []string{}, N: []int64{1}}), nil
		})).Main()
	c.windowed(beans, userRegisterTable).To(TableUserRegister)
	return j
}

// createTime reads create_time ("yyyy-MM-dd HH:mm:ss" in loc) as epoch ms.
func createTime(loc *time.Location) func(*stream.Record) (int64, bool) {
	return func(r *stream.Record) (int64, bool) {
		v, err := r.JSON()
		if err != nil {
			return 0, false
		}
		t, err := time.ParseInLocation(time.DateTime, string(v.GetStringBytes("create_time")), loc)
		if err != nil {
			return 0, false
		}
		return t.UnixMilli(), true
	}
}
