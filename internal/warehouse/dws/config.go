package dws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// Input topics (SPEC §3) and the dead-letter topic.
const (
	TopicTrafficPage         = "dwd_traffic_page"
	TopicUserRegister        = "dwd_user_register"
	TopicCartAdd             = "dwd_trade_cart_add"
	TopicOrderDetail         = "dwd_trade_order_detail"
	TopicOrderPaymentSuccess = "dwd_trade_order_payment_success"
	TopicOrderRefund         = "dwd_trade_order_refund"
	TopicDirty               = "dirty_data"
	defaultWindow            = 10 * time.Second
	defaultOutOfOrderness    = 3 * time.Second
	defaultIdleTimeout       = 30 * time.Second
	defaultAllowedLateness   = 24 * time.Hour
	defaultDedupTTL          = time.Hour
	defaultLookupMissRetry   = 2 * time.Second
	firstVisitTTL            = 24 * time.Hour
	backAfterDays            = 8
	retractHeader            = "dws.retract"
	lateReason               = "late"
	defaultLookupConcurrency = 16
	dimTableSku              = "dim_sku_info"
	dimTableSpu              = "dim_spu_info"
	dimTableTrademark        = "dim_base_trademark"
	dimTableCategory1        = "dim_base_category1"
	dimTableCategory2        = "dim_base_category2"
	dimTableCategory3        = "dim_base_category3"
	dimTableProvince         = "dim_base_province"
)

// Config configures the DWS jobs. The zero value plus Dims is usable:
// Validate fills the defaults.
type Config struct {
	// Location is the business time zone of stt, edt and cur_date and of
	// calendar dates in keyed state; default Asia/Shanghai.
	Location *time.Location
	// Window is the tumbling window size; default 10 s.
	Window time.Duration
	// OutOfOrderness bounds how late a record may be; default 3 s.
	OutOfOrderness time.Duration
	// IdleTimeout marks a silent input partition idle; default 30 s (see
	// the package doc for why not the engine's 5 s).
	IdleTimeout time.Duration
	// AllowedLateness is how long, in event time, a window's totals are
	// kept after it fired: a fact that arrives within it (a partition that
	// fell behind while the others ran ahead, after a restart) updates its
	// window's row, emitted again (rows are upserts), so the DWS totals
	// equal the DWD ones; a later fact is dead-lettered as "late". Default
	// 24 h; negative for none (every fact after its window fired is late).
	AllowedLateness time.Duration
	// DedupTTL is how long, in event time (the details' own times), an
	// order detail's counted value is remembered (replays and corrections
	// within it count once); default 1 h.
	DedupTTL time.Duration
	// Dims is what the enrichment lookups read (warehouse.Config.Dims).
	// Required by the three jobs that enrich.
	Dims dim.Getter
	// LookupConcurrency: in-flight lookups per task; default 16.
	LookupConcurrency int
	// LookupMissRetry: how long a missing dimension row is retried before
	// its columns stay null (dim_app may be a little behind); default 2 s,
	// negative for no retry.
	LookupMissRetry time.Duration
}

// Validate fills defaults and reports unusable settings.
func (c *Config) Validate() error {
	if c.Location == nil {
		c.Location = Shanghai()
	}
	if c.Window == 0 {
		c.Window = defaultWindow
	}
	if c.OutOfOrderness == 0 {
		c.OutOfOrderness = defaultOutOfOrderness
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.AllowedLateness == 0 {
		c.AllowedLateness = defaultAllowedLateness // negative stays: none (operator.AllowedLateness)
	}
	if c.DedupTTL == 0 {
		c.DedupTTL = defaultDedupTTL
	}
	if c.LookupConcurrency == 0 {
		c.LookupConcurrency = defaultLookupConcurrency
	}
	switch {
	case c.LookupMissRetry == 0:
		c.LookupMissRetry = defaultLookupMissRetry
	case c.LookupMissRetry < 0:
		c.LookupMissRetry = 0
	}
	var errs []error
	if c.Window < time.Second || c.Window%time.Second != 0 {
		errs = append(errs, fmt.Errorf("window %s must be whole seconds (stt and edt have second precision)", c.Window))
	}
	if c.OutOfOrderness < 0 || c.IdleTimeout < 0 || c.DedupTTL < 0 || c.LookupConcurrency < 0 {
		errs = append(errs, fmt.Errorf("out-of-orderness (%s), idle timeout (%s), dedup TTL (%s) and lookup concurrency (%d) must not be negative",
			c.OutOfOrderness, c.IdleTimeout, c.DedupTTL, c.LookupConcurrency))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("dws: %w", err)
	}
	return nil
}

// mustValid validates a copy for a job builder: builders have no error
// return (warehouse.JobSpec), so a bad setting is a programming error.
// Without a dimension store the enriching jobs fail when they first look
// up (and say why), while every other job still builds and runs.
func (c Config) mustValid() Config {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	if c.Dims == nil {
		c.Dims = noDims{}
	}
	return c
}

type noDims struct{}

func (noDims) Get(context.Context, string, string) ([]byte, bool, error) {
	return nil, false, errors.New("dws: no dimension store configured (warehouse.Config.Dims)")
}

// source reads a topic with the jobs' event-time settings.
func (c *Config) source(j *stream.Job, topic string, eventTime func(*stream.Record) (int64, bool)) stream.Stream {
	return j.Source(topic, stream.EventTime(eventTime), stream.OutOfOrderness(c.OutOfOrderness), stream.IdleTimeout(c.IdleTimeout), ods.PlausibleTime())
}

// Shanghai is the default business time zone (SPEC §0).
func Shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}
