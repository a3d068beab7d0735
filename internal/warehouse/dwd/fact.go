package dwd

import (
	"context"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// Names of the business-fact jobs (SPEC §3.2). Each job writes the topic of
// its own name.
const (
	CommentInfoJob          = "dwd_interaction_comment_info"
	CartAddJob              = "dwd_trade_cart_add"
	OrderDetailJob          = "dwd_trade_order_detail"
	OrderCancelJob          = "dwd_trade_order_cancel"
	PaymentSuccessJob       = "dwd_trade_order_payment_success"
	OrderRefundJob          = "dwd_trade_order_refund"
	RefundPaymentSuccessJob = "dwd_trade_refund_payment_success"
)

// FactInput is the topic every business-fact job reads.
const FactInput = "topic_db"

// DicTable is the dimension table of base_dic, keyed by dic_code, rows
// {"dic_code":..., "dic_name":...}.
const DicTable = "dim_base_dic"

// Default TTLs of the fact joins (SPEC §3.2, Flink's table.exec.state.ttl
// in the reference jobs). They are event time here: rows join when their
// ts are less than the TTL apart, so a replay or a slow drain joins what
// a live run joins (operator.JoinSpec.TTL).
const (
	DefaultOrderDetailTTL = 10 * time.Second
	DefaultCancelTTL      = 30*time.Minute + 5*time.Second
	DefaultRefundTTL      = 5 * time.Second
)

// Payment success joins an order line whose event time lies within
// [payment - PaymentLower, payment + PaymentUpper] (SPEC §3.2).
const (
	PaymentLower = 30 * time.Minute
	PaymentUpper = 5 * time.Second
)

// FactConfig configures the business-fact jobs. The zero value is usable:
// Validate fills the defaults.
type FactConfig struct {
	// Database is the business database whose changes count; default "gmall".
	Database string
	// TopicDBFormat is one of topicdb.Formats; default "auto".
	TopicDBFormat string
	// Dims is what the base_dic lookups read through. Nil means no dimension
	// store: every lookup misses (counted in rtdw_dim_lookup_misses_total)
	// and the *_name columns are null.
	Dims dim.Getter
	// LookupConcurrency bounds in-flight lookups per task; default 16.
	LookupConcurrency int
	// LookupMissRetry retries a missing dimension row this long (a
	// dimension written just before the fact); 0: a miss is final.
	LookupMissRetry time.Duration
	// TTLs of the regular joins, in event time (see the defaults).
	OrderDetailTTL time.Duration // order_detail ⋈ order_info, ⟕ activity, ⟕ coupon; default 10 s
	CancelTTL      time.Duration // order detail ⋈ cancel; default 30 min + 5 s
	RefundTTL      time.Duration // refund joins; default 5 s
}

// Validate fills defaults and reports unusable settings.
func (c *FactConfig) Validate() error {
	if c.Database == "" {
		c.Database = "gmall"
	}
	if c.TopicDBFormat == "" {
		c.TopicDBFormat = topicdb.Auto
	}
	if _, err := topicdb.NewDecoder(c.TopicDBFormat); err != nil {
		return fmt.Errorf("dwd: %w", err)
	}
	if c.Dims == nil {
		c.Dims = noDims{}
	}
	if c.LookupConcurrency < 0 || c.LookupMissRetry < 0 {
		return fmt.Errorf("dwd: lookup concurrency %d and miss retry %s must not be negative", c.LookupConcurrency, c.LookupMissRetry)
	}
	for _, t := range []struct {
		d   *time.Duration
		def time.Duration
	}{{&c.OrderDetailTTL, DefaultOrderDetailTTL}, {&c.CancelTTL, DefaultCancelTTL}, {&c.RefundTTL, DefaultRefundTTL}} {
		if *t.d < 0 {
			return fmt.Errorf("dwd: join TTL %s must not be negative", *t.d)
		}
		if *t.d == 0 {
			*t.d = t.def
		}
	}
	return nil
}

// mustValidate is for the job builders, whose signature has no error: a
// bad config is caught by callers that Validate first (the registry).
func (c FactConfig) mustValidate() FactConfig {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

// noDims is the Getter of a warehouse without a dimension store: every
// lookup misses, and the lookup operator counts it.
type noDims struct{}

func (noDims) Get(context.Context, string, string) ([]byte, bool, error) { return nil, false, nil }

// factJob starts a fact job: topic_db with event time = the change's ts.
func factJob(name string, c FactConfig) (*stream.Job, stream.Stream) {
	j := stream.NewJob(name)
	j.DeadLetter = TopicDirty
	return j, j.Source(FactInput, stream.EventTime(ods.EventTime(c.TopicDBFormat)), ods.PlausibleTime())
}
