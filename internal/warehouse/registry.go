package warehouse

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/stream"
	dimjob "github.com/rtdw/rtdw/internal/warehouse/dim"
	"github.com/rtdw/rtdw/internal/warehouse/dwd"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
)

// Config is what the warehouse's jobs need to know.
type Config struct {
	// Location is the business time zone (SPEC §0); default Asia/Shanghai.
	Location *time.Location
	// TopicDBFormat selects the topic_db codec (topicdb.Formats) for jobs
	// that read topic_db; "auto" (default) detects it per record.
	TopicDBFormat string
	// Dims is what lookup joins read dimension rows through (usually a
	// dim.Cache over the configured dim.Store).
	Dims dim.Getter
	// DimStore is where dim_app writes dimension rows.
	DimStore dim.Store
	// DimRules and BaseDBRules replace the built-in table_process_dim and
	// table_process_dwd rows (SPEC's) that apply until config rows arrive
	// from gmall_config; nil keeps the built-in ones.
	DimRules    []dimjob.Rule
	BaseDBRules []dwd.BaseDBRule
	// DWSAllowedLateness is the DWS jobs' dws.Config.AllowedLateness: how
	// long, in event time, a fact arriving after its window fired still
	// updates the window's row (0: the default, 24 h; negative: none).
	DWSAllowedLateness time.Duration
}

// JobSpec describes one runnable job.
type JobSpec struct {
	Name    string
	Summary string
	Build   func(Config) *stream.Job
}

// Jobs lists the warehouse's jobs in pipeline order.
func Jobs() []JobSpec {
	return append([]JobSpec{
		{Name: dimjob.Job, Summary: "topic_db dimension rows -> dimension store, routed by table_process_dim (live config)", Build: func(c Config) *stream.Job {
			return dimjob.App(dimjob.Config{Store: c.DimStore, TopicDBFormat: c.TopicDBFormat, Rules: c.DimRules})
		}},
		{Name: dwd.BaseLogJob, Summary: "topic_log -> dirty_data + dwd_traffic_{err,start,display,action,page} with the is_new fix", Build: func(c Config) *stream.Job {
			return dwd.BaseLog(dwd.BaseLogConfig{Location: c.Location})
		}},
		{Name: dwd.BaseDBJob, Summary: "topic_db -> one topic per table_process_dwd row (coupon get/use, favor add, user register; live config)", Build: func(c Config) *stream.Job {
			return dwd.BaseDB(dwd.BaseDBConfig{TopicDBFormat: c.TopicDBFormat, Rules: c.BaseDBRules})
		}},
		{Name: dwd.CommentInfoJob, Summary: "topic_db comment_info inserts + base_dic appraise name", Build: fact(dwd.CommentInfo)},
		{Name: dwd.CartAddJob, Summary: "topic_db cart_info inserts and sku_num increases", Build: fact(dwd.CartAdd)},
		{Name: dwd.OrderDetailJob, Summary: "topic_db order_detail ⋈ order_info ⟕ activity ⟕ coupon (TTL 10 s)", Build: fact(dwd.OrderDetail)},
		{Name: dwd.OrderCancelJob, Summary: "order lines of orders cancelled (1001 -> 1003) within 30 min", Build: fact(dwd.OrderCancel)},
		{Name: dwd.PaymentSuccessJob, Summary: "order lines ⋈ payment_info 1602 (interval -30 min..+5 s) + payment type name", Build: fact(dwd.PaymentSuccess)},
		{Name: dwd.OrderRefundJob, Summary: "order_refund_info ⋈ order_info 1005 + refund type and reason names", Build: fact(dwd.OrderRefund)},
		{Name: dwd.RefundPaymentSuccessJob, Summary: "refund_payment 1602 ⋈ order_refund_info 0705 ⋈ order_info 1006 + payment type name", Build: fact(dwd.RefundPaymentSuccess)},
	}, dwsJobs()...)
}

// Select builds the named jobs (all when names is empty).
func Select(c Config, names []string) ([]*stream.Job, error) {
	all := Jobs()
	if len(names) == 0 {
		var jobs []*stream.Job
		for _, s := range all {
			jobs = append(jobs, s.Build(c))
		}
		return afterDims(jobs), nil
	}
	var jobs []*stream.Job
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		found := false
		for _, s := range all {
			if s.Name == n {
				jobs = append(jobs, s.Build(c))
				found = true
			}
		}
		if !found {
			var known []string
			for _, s := range all {
				known = append(known, s.Name)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("unknown job %q (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return afterDims(jobs), nil
}

// afterDims orders drained runs so dim_app has written every dimension
// before the jobs that look them up run (DESIGN "dimension visibility").
func afterDims(jobs []*stream.Job) []*stream.Job {
	for _, j := range jobs {
		if j.Name != dimjob.Job {
			j.After(dimjob.Job)
		}
	}
	return jobs
}

// fact adapts a business-fact job builder (SPEC §3.2) to the registry.
func fact(build func(dwd.FactConfig) *stream.Job) func(Config) *stream.Job {
	return func(c Config) *stream.Job {
		return build(dwd.FactConfig{TopicDBFormat: c.TopicDBFormat, Dims: c.Dims})
	}
}

// dwsJobs are the summary-layer jobs (SPEC §4), with the defaults of
// dws.Config for what warehouse.Config does not set.
func dwsJobs() []JobSpec {
	var out []JobSpec
	for _, s := range dws.Jobs() {
		build := s.Build
		out = append(out, JobSpec{Name: s.Name, Summary: s.Summary, Build: func(c Config) *stream.Job {
			return build(dws.Config{Location: c.Location, Dims: c.Dims, AllowedLateness: c.DWSAllowedLateness})
		}})
	}
	return out
}
