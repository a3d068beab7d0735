package cli

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/stream"
	dimjob "github.com/rtdw/rtdw/internal/warehouse/dim"
)

// Rebuilding a lost Redis dimension store from topic_db. dim_app writes
// the dimension rows to the store and commits its topic_db offsets with
// its checkpoints; Redis itself keeps no offsets. A Redis that loses its
// keys (restarted without persistence, FLUSHALL or FLUSHDB, dim.redis.db
// or key_prefix pointed elsewhere) would otherwise be filled only with
// the changes that arrive next, and lookups would miss every other row.
//
// So the store holds a marker, <key_prefix>dim_app:loaded, set once
// dim_app's offsets and the store agree. Before dim_app starts, a missing
// marker while the store has no table and dim_app has consumed topic_db
// past its start means the keys were lost: dim_app is reset as `rtdw job
// reset dim_app --to-earliest` does (offsets to the start of topic_db,
// state cleared: a new write epoch, so the replayed rows apply), and
// replays topic_db into the store (as far as its retention keeps it). The
// marker is set after the reset is committed: a crash in between finds
// the marker missing and dim_app at the start of its input, so it only
// sets the marker, and dim_app replays from the durable offsets. A missing
// marker with tables present is a store written before markers existed
// (or a marker evicted alone): it is only marked.
//
// On Kafka the reset is done only while no worker is in dim_app's group
// (as `rtdw job reset`): a worker starting next to running ones warns and
// leaves the marker missing, so each start warns until the operator stops
// them and resets dim_app.

// dimsLoadedMarker names the marker key (after the key prefix).
const dimsLoadedMarker = dimjob.Job + ":loaded"

// rebuildLostDimsOf rebuilds a lost Redis store when dim_app is among
// jobs (see rebuildLostDims).
func (g *globals) rebuildLostDimsOf(ctx context.Context, cfg Config, l rlog.Log, jobs []*stream.Job, store dim.Store) error {
	rs, ok := store.(*dim.RedisStore)
	if !ok || !slices.ContainsFunc(jobs, func(j *stream.Job) bool { return j.Name == dimjob.Job }) {
		return nil
	}
	prefix := "" // the embedded log's groups are the jobs' names
	if cfg.Mode == "kafka" {
		prefix = cfg.Kafka.GroupIDPrefix
	}
	if _, err := rebuildLostDims(ctx, l, prefix, rs, g.logger); err != nil {
		return fmt.Errorf("dim.redis: %w", err)
	}
	return nil
}

// rebuildLostDims resets dim_app when the Redis store lost the keys it
// wrote (see above); it reports whether it did. prefix is the groups'
// prefix (kafka.group_id_prefix on Kafka, "" on the embedded log).
func rebuildLostDims(ctx context.Context, l rlog.Log, prefix string, s *dim.RedisStore, logger *slog.Logger) (bool, error) {
	marked, err := s.HasMarker(ctx, dimsLoadedMarker)
	if err != nil || marked {
		return false, err
	}
	tables, err := s.HasTables(ctx)
	if err != nil {
		return false, err
	}
	if tables {
		return false, s.SetMarker(ctx, dimsLoadedMarker)
	}
	e, err := jobEnvOf(l, prefix)
	if err != nil {
		return false, err
	}
	job := dimjob.Job
	offs, err := e.offsets(ctx, job)
	if err != nil {
		return false, err
	}
	var consumed int64
	for _, o := range offs {
		if !o.internal && o.committed > o.start {
			consumed += o.committed - o.start
		}
	}
	if consumed == 0 {
		return false, s.SetMarker(ctx, dimsLoadedMarker) // a new store, or nothing left to replay
	}
	if e.kafka != nil {
		st, members, err := e.kafka.GroupState(ctx, e.group(job))
		if err != nil {
			return false, err
		}
		if len(members) > 0 {
			logger.Warn(fmt.Sprintf("dimension store lost its keys though dim_app wrote them, but other workers run dim_app (group %s is %s): "+
				"stop them and run `rtdw job reset %s --to-earliest`, then start them again to rebuild it from topic_db", e.group(job), st, job),
				"marker", dimsLoadedMarker, "records", consumed, "workers", strings.Join(members, ", "))
			return false, nil
		}
	}
	others, err := e.jobs(ctx)
	if err != nil {
		return false, err
	}
	_, changelogs, err := e.stateSummary(ctx, job, others)
	if err != nil {
		return false, err
	}
	plan := map[rlog.TopicPartition]int64{}
	for _, o := range offs {
		if plan[o.tp], err = e.resetOffset(ctx, o, &jobResetOptions{earliest: true}, 0); err != nil {
			return false, err
		}
	}
	if err := e.applyReset(ctx, job, plan, changelogs); err != nil {
		return false, err
	}
	logger.Warn("dimension store lost its keys though dim_app wrote them: rebuilding it from topic_db",
		"marker", dimsLoadedMarker, "records", consumed)
	return true, s.SetMarker(ctx, dimsLoadedMarker)
}

// jobEnvOf is the jobEnv of an open log (jobs' groups are prefix + name);
// it has no SQL job registry (kind is not asked of it).
func jobEnvOf(l rlog.Log, prefix string) (*jobEnv, error) {
	gl, ok := l.(rlog.GroupLister)
	if !ok {
		return nil, fmt.Errorf("this log does not list consumer groups")
	}
	e := &jobEnv{l: l, gl: gl, prefix: prefix, reg: &sqlJobRegistry{}}
	e.kafka, _ = l.(*kafka.Log)
	return e, nil
}
