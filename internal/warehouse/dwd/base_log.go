package dwd

import (
	"time"

	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// BaseLogJob is the job's name: its consumer group and state identity.
const BaseLogJob = "dwd_base_log"

// Output topics of dwd_base_log.
const (
	TopicLog           = "topic_log"
	TopicDirty         = "dirty_data"
	TopicTrafficErr    = "dwd_traffic_err"
	TopicTrafficStart  = "dwd_traffic_start"
	TopicTrafficDisp   = "dwd_traffic_display"
	TopicTrafficAction = "dwd_traffic_action"
	TopicTrafficPage   = "dwd_traffic_page"
)

// BaseLogConfig configures dwd_base_log.
type BaseLogConfig struct {
	// Location decides calendar dates for the is_new fix; default Asia/Shanghai.
	Location *time.Location
}

// BaseLog is the log split (SPEC §3.1):
//
//	topic_log ─ etl ─┬─ (bad lines) ──────────────────────────► dirty_data
//	                 └─ keyBy(common.mid) ─ fix_is_new ─ split ─┬► dwd_traffic_err
//	                                                            ├► dwd_traffic_start
//	                                                            ├► dwd_traffic_display
//	                                                            ├► dwd_traffic_action
//	                                                            └► dwd_traffic_page
func BaseLog(cfg BaseLogConfig) *stream.Job {
	loc := cfg.Location
	if loc == nil {
		loc = ShanghaiLocation()
	}
	j := stream.NewJob(BaseLogJob)
	j.DeadLetter = TopicDirty

	split := j.Source(TopicLog, stream.EventTime(logTime), ods.PlausibleTime()).
		Process("etl", validateLog).Main().
		KeyBy("by_mid", midKey).
		Process("fix_is_new", fixIsNew(loc)).Main().
		Process("split", splitLog)

	split.Port(portErr).To(TopicTrafficErr)
	split.Port(portStart).To(TopicTrafficStart)
	split.Port(portDisplay).To(TopicTrafficDisp)
	split.Port(portAction).To(TopicTrafficAction)
	split.Port(portPage).To(TopicTrafficPage)
	return j
}

// ShanghaiLocation is the default business time zone (SPEC §0).
func ShanghaiLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}
