package dws

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// UserLoginJob counts the day's logged-in users and those coming back.
const UserLoginJob = TableUserLogin

var userLoginTable = &table{
	name:     TableUserLogin,
	measures: counts("back_ct", "uu_ct"),
}

// UserLogin is dws_user_user_login_window. A login is a page view with a
// uid that starts a session or follows the login page. Per uid the last
// login date is kept (no TTL: "back" needs to look 8 days and more into
// the past): the first login of a day counts in uu_ct, and also in back_ct
// when the previous login is 8 or more calendar days earlier.
//
//	dwd_traffic_page ─ time ─ logins ─ keyBy(uid) ─ first_logins ─ keyBy() ─ window ─┬► dws_user_user_login_window
//	                                                                                 └► dirty_data (late)
func UserLogin(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(UserLoginJob)
	j.DeadLetter = TopicDirty
	beans := c.source(j, TopicTrafficPage, logTime).
		Process("time", withTime(logTime)).Main().
		Process("logins", operator.Filter(func(r *stream.Record) (bool, error) {
			v, _ := r.JSON()
			if _, ok := text(v, "common", "uid"); !ok {
				return false, nil
			}
			last, ok := text(v, "page", "last_page_id")
			return !ok || last == "login", nil
		})).Main().
		KeyBy("by_uid", func(r *stream.Record) ([]byte, error) {
			v, _ := r.JSON()
			uid, _ := text(v, "common", "uid")
			return []byte(uid), nil
		}).
		Process("first_logins", eventOrdered(firstLogins(c))).Main()
	c.windowed(beans, userLoginTable).To(TableUserLogin)
	return j
}

func firstLogins(c Config) stream.Factory {
	d := days{c.Location}
	return operator.KeyedProcess(func() *operator.KeyedFuncs {
		var last *state.ValueState
		return &operator.KeyedFuncs{
			Open: func(ctx *stream.Context) error {
				last = ctx.Value("last_login_date")
				return nil
			},
			Process: func(rec *stream.Record, out stream.Emitter) error {
				today := d.date(rec.Time)
				prev, seen, err := last.Get(rec.Key)
				if err != nil {
					return err
				}
				if seen && today <= string(prev) {
					return nil // logged in today already (or a late login of an earlier day)
				}
				var back int64
				if seen && between(string(prev), today) >= backAfterDays {
					back = 1
				}
				if err := last.Put(rec.Key, []byte(today)); err != nil {
					return err
				}
				b := beanRecord(rec, bean{D: []string{}, N: []int64{back, 1}})
				out.Emit(0, &b)
				return nil
			},
		}
	})
}
