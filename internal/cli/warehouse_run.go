package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse"
	dimjob "github.com/rtdw/rtdw/internal/warehouse/dim"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
)

// LoadJob is the job that upserts the DWS topics into the OLAP tables.
const LoadJob = "olap_load"

// warehouseRun is what running the warehouse's jobs needs besides the
// log: the dimension store they write and look up (behind a cache) and
// the OLAP database the DWS rows are loaded into.
type warehouseRun struct {
	jobs  []*stream.Job
	dims  dim.Store
	cache *dim.Cache
	olap  olap.Sink // nil when no DWS job runs
	close func()
}

// openWarehouse builds the named jobs (all when names is empty) with their
// dimension store and, when a DWS job is among them, the OLAP load job.
func (g *globals) openWarehouse(ctx context.Context, cfg Config, l rlog.Log, names []string) (*warehouseRun, error) {
	w := &warehouseRun{}
	var closers []func()
	w.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	wc := cfg.warehouse()
	if cfg.Mode != "kafka" || cfg.Dim.Kind == "redis" {
		store, cache, err := openDims(cfg, l)
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { cache.Close(); store.Close() })
		w.dims, w.cache = store, cache
		wc.Dims, wc.DimStore = cache, store
	}
	// olap_load is not a warehouse job but runs with them (all by default).
	var sel []string
	load := len(names) == 0
	for _, n := range names {
		if n == LoadJob {
			load = true
		} else {
			sel = append(sel, n)
		}
	}
	var jobs []*stream.Job
	if len(names) == 0 || len(sel) > 0 {
		var err error
		if jobs, err = warehouse.Select(wc, sel); err != nil {
			w.close()
			return nil, usageError{err}
		}
	}
	if w.dims == nil {
		for _, j := range jobs {
			if j.Name == dimjob.Job {
				w.close()
				return nil, usagef("dim_app in cluster mode writes to Redis: set dim.kind: redis in rtdw.yaml")
			}
		}
	}
	if err := g.rebuildLostDimsOf(ctx, cfg, l, jobs, w.dims); err != nil {
		w.close()
		return nil, err
	}
	if cfg.Mode == "kafka" && cfg.OLAP.DuckDB() {
		load = false // an embedded DuckDB file per worker is no shared warehouse
	}
	var tables []olap.Table
	if load {
		tables = dws.Tables()
	}
	if len(tables) > 0 {
		sink, err := g.openOLAP(ctx, cfg, false)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("olap: %w", err)
		}
		closers = append(closers, func() { sink.Close() })
		w.olap = sink
		if _, err := reloadLostTables(ctx, l, loadGroup(cfg), sink, tables, g.logger); err != nil {
			w.close()
			return nil, err
		}
		lj := olap.LoadJob(LoadJob, tables, sink)
		for _, t := range tables {
			lj.Partitions(t.Name, dws.TopicPartitions) // as the DWS jobs writing them
		}
		if cfg.OLAP.DuckDB() {
			// Rows become visible when the load commits: DuckDB upserts
			// the few rows a DWS commit brings cheaply, so the load commits
			// four times as often as the jobs (only when rows arrived), and
			// a window waits up to a quarter interval for it, not a whole
			// one. A Doris or StarRocks load is a version: those keep the
			// interval.
			lj.CheckpointEvery(max(cfg.CheckpointInterval/4, 10*time.Millisecond))
		}
		jobs = append(jobs, lj)
	}
	w.jobs = jobs
	return w, nil
}
