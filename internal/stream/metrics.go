package stream

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

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
	// What a job read and wrote, counted when committed: records of its
	// source topics, and records written to its output topics (neither
	// repartition topics nor dead letters). Operator counters
	// (RecordsIn/RecordsOut) count every operator a record passes.
	SourceRecords *prometheus.CounterVec
	SinkRecords   *prometheus.CounterVec
	// CheckpointFailures counts commits that failed (the task restarts
	// from the last checkpoint); LastCheckpoint is when one last committed.
	CheckpointFailures *prometheus.CounterVec
	LastCheckpoint     *prometheus.GaugeVec
	// Freshness is, at a task's last checkpoint, the age of the newest
	// source record it committed (wall clock minus the record's log
	// timestamp): how far its output lags what reached its inputs. Per
	// partition, as lag and watermarks are (the job's is their max).
	Freshness *prometheus.GaugeVec
	// StateWritten is the keyed state and timer changes a job's
	// checkpoints committed, in bytes of keys and values, per operator and
	// state ("timers" for an operator's timers): their share of the
	// store's write-ahead log. State written and deleted within one
	// checkpoint (a record waiting a moment) costs nothing here.
	StateWritten *prometheus.CounterVec
	// StoreBytes is the disk space of the store keyed state (and in
	// embedded mode the log's index) lives in.
	StoreBytes prometheus.Gauge
	// TaskTime splits a job's task time (embedded mode) into busy
	// (processing records, firing timers), idle (waiting for input) and
	// commit (checkpoints: the log or the transaction making outputs
	// durable, rtdw's backpressure): Flink's busy / idle / backpressured.
	TaskTime *prometheus.CounterVec
	// StageBusy is the busy part of TaskTime per stage (a chain of fused
	// operators between shuffles: Flink's job vertex).
	StageBusy *prometheus.CounterVec
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
		SourceRecords: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_source_records_total",
			Help: "Records a job read from its source topics (committed)."}, []string{"job", "topic"}),
		SinkRecords: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_sink_records_total",
			Help: "Records a job wrote to its output topics (committed; not repartition topics or dead letters), and rows its operators writing outside the log received (topic: the operator's name)."}, []string{"job", "topic"}),
		CheckpointFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_checkpoint_failures_total",
			Help: "Checkpoints whose commit failed (the task restarted from the last one)."}, []string{"job"}),
		LastCheckpoint: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rtdw_last_checkpoint_timestamp_seconds",
			Help: "When a job last committed a checkpoint (Unix seconds; 0: not yet)."}, []string{"job"}),
		Freshness: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rtdw_freshness_seconds",
			Help: "At a task's last checkpoint, the age of the newest source record it committed (wall clock minus the record's log timestamp); a job's is the max over its partitions."}, []string{"job", "partition"}),
		StateWritten: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_state_written_bytes_total",
			Help: "Bytes (keys and values) of keyed state and timer changes a job's checkpoints committed, per operator and state (its share of the store's write-ahead log)."}, []string{"job", "operator", "state"}),
		StoreBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtdw_state_store_bytes",
			Help: "Disk space of the local store keyed state lives in (embedded mode: with the log's index)."}),
		TaskTime: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_task_seconds_total",
			Help: "Time a job's tasks spent busy (processing records and timers), idle (waiting for input) or committing checkpoints."}, []string{"job", "state"}),
		StageBusy: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_stage_busy_seconds_total",
			Help: "Time a job's tasks spent processing the records and timers of one stage (operators between shuffles)."}, []string{"job", "stage"}),
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(m.RecordsIn, m.RecordsOut, m.DeadLetters, m.Late, m.Lag, m.Watermark, m.Checkpoint, m.Restarts, m.Skipped, m.SkippedChanges, m.Repaired,
		m.SourceRecords, m.SinkRecords, m.CheckpointFailures, m.LastCheckpoint, m.Freshness, m.StateWritten, m.StoreBytes, m.TaskTime, m.StageBusy)
	return m
}

// initSeries creates a job's series at zero when its task starts, so
// dashboards and alerts see them before data flows (a counter that
// appears only with its first increment hides "nothing yet").
func (t *task) initSeries() {
	m, job := t.o.Metrics, t.job.Name
	m.Restarts.WithLabelValues(job)
	m.CheckpointFailures.WithLabelValues(job)
	m.LastCheckpoint.WithLabelValues(job)
	m.Freshness.WithLabelValues(job, strconv.Itoa(int(t.part)))
	m.Checkpoint.WithLabelValues(job)
	for _, st := range []string{"busy", "idle", "commit"} {
		m.TaskTime.WithLabelValues(job, st)
	}
	for _, sr := range t.stages {
		m.StageBusy.WithLabelValues(job, strconv.Itoa(sr.stage.id))
		for _, in := range sr.insts {
			m.RecordsIn.WithLabelValues(job, in.node.Name)
			m.RecordsOut.WithLabelValues(job, in.node.Name)
			m.Late.WithLabelValues(job, in.node.Name)
			if in.sink != "" {
				m.SinkRecords.WithLabelValues(job, in.sink)
			}
		}
		for _, n := range sr.stage.nodes {
			if n.kind == kindSink && n.topic != "" {
				m.SinkRecords.WithLabelValues(job, n.topic)
			}
		}
	}
	for _, s := range t.segs {
		if s.node.kind == kindSource {
			m.SourceRecords.WithLabelValues(job, s.tp.Topic)
		}
	}
}
