package stream

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the engine's Prometheus metrics. Tasks count locally and
// publish at each checkpoint, keeping the per-record path free of atomics.
type Metrics struct {
	RecordsIn   *prometheus.CounterVec
	RecordsOut  *prometheus.CounterVec
	DeadLetters *prometheus.CounterVec
	Late        *prometheus.CounterVec
	Lag         *prometheus.GaugeVec
	Watermark   *prometheus.GaugeVec
	Checkpoint  *prometheus.HistogramVec
	Restarts    *prometheus.CounterVec
	Skipped     *prometheus.CounterVec
	// SkippedChanges and Repaired are counted by operators
	// (Context.CountSkipped, Context.CountRepaired).
	SkippedChanges *prometheus.CounterVec
	Repaired       *prometheus.CounterVec
}

// NewMetrics registers the engine metrics on reg (nil: a private registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		RecordsIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_records_in_total",
			Help: "Records received per operator."}, []string{"job", "operator"}),
		RecordsOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_records_out_total",
			Help: "Records emitted per operator."}, []string{"job", "operator"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_dead_letters_total",
			Help: "Records sent to the dead-letter topic, by reason code."}, []string{"job", "reason"}),
		Late: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_late_records_total",
			Help: "Records that arrived behind the watermark."}, []string{"job", "operator"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rtdw_consumer_lag",
			Help: "Records between a task's committed offset and its input's end."}, []string{"job", "topic", "partition"}),
		Watermark: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rtdw_watermark_ms",
			Help: "A task's event-time watermark (epoch ms)."}, []string{"job", "stage", "partition"}),
		Checkpoint: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rtdw_checkpoint_duration_seconds",
			Help: "Time to commit a checkpoint (outputs + state + offsets).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"job"}),
		Restarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_task_restarts_total",
			Help: "Task failures recovered by restarting from the last checkpoint."}, []string{"job"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_skipped_records_total",
			Help: "Input records without a value (tombstones, empty records), skipped."}, []string{"job", "topic"}),
		SkippedChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_skipped_changes_total",
			Help: "Valid input records an operator skipped as carrying no row change (DDL, transaction and heartbeat markers), by reason."}, []string{"job", "operator", "reason"}),
		Repaired: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_repaired_records_total",
			Help: "Input records an operator kept after a documented repair (invalid UTF-8 replaced by U+FFFD), by reason."}, []string{"job", "operator", "reason"}),
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(m.RecordsIn, m.RecordsOut, m.DeadLetters, m.Late, m.Lag, m.Watermark, m.Checkpoint, m.Restarts, m.Skipped, m.SkippedChanges, m.Repaired)
	return m
}
