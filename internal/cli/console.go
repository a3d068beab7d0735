package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
	"github.com/rtdw/rtdw/web"
)

// consoleSetup is what the web console of a long-running command (run,
// demo, sql, worker, ingest mysql) shows: its jobs, the OLAP database the
// SQL editor (and the dashboard, when mounted) queries, its state store.
type consoleSetup struct {
	process string
	jobs    []*stream.Job
	// querier is the process's own OLAP sink (the warehouse's load job
	// writes through it); nil with olapCfg set: the configured OLAP
	// database is opened when a query comes (lazyOLAP).
	querier olap.Querier
	olapCfg *Config
	// warehouse: the DWS tables are offered in the editor.
	warehouse bool
	// dashboard mounts the ADS dashboard (/dashboard/, /api/ads).
	dashboard bool
	state     *pebble.DB
	// kafka: counts by reading (transaction markers take offsets), lag
	// from the jobs' consumer groups (group prefix + job name).
	kafka       bool
	groupPrefix string
	// dims is the process's dimension store, read by `rtdw dim` commands
	// run while it holds the data dir (/api/dim/); nil: none.
	dims dim.Store
}

// workerConsole is a cluster-mode worker's console: record counts read
// (transaction markers take offsets), lag from the consumer groups, the
// SQL editor and dashboard on a shared OLAP database (an embedded DuckDB
// file per worker is none).
func workerConsole(cfg Config, jobs []*stream.Job, state *pebble.DB) consoleSetup {
	cs := consoleSetup{process: "worker", jobs: jobs, state: state, warehouse: true, kafka: true, groupPrefix: cfg.Kafka.GroupIDPrefix}
	if !cfg.OLAP.DuckDB() {
		cs.olapCfg, cs.dashboard = &cfg, true
	}
	return cs
}

// mountConsole mounts the console (and the dashboard) on mux and returns
// what stops it.
func mountConsole(mux *http.ServeMux, reg *prometheus.Registry, l rlog.Log, g *globals, cs consoleSetup) (func(), error) {
	q := cs.querier
	var lazy *lazyOLAP
	if q == nil && cs.olapCfg != nil {
		cfg := *cs.olapCfg
		lazy = &lazyOLAP{idle: 30 * time.Second, open: func(ctx context.Context) (olap.Sink, error) {
			// Writable as a load opens it: a DuckDB file is one instance
			// per process and configuration, shared with the SQL jobs'
			// rtdw-olap tables. Queries are confined and rolled back.
			return g.openOLAP(ctx, cfg, false)
		}}
		q = lazy
	}
	o := web.ConsoleOptions{Process: cs.process, Log: l, Gatherer: reg, Jobs: cs.jobs, Querier: q, State: cs.state,
		Dashboard: cs.dashboard, CountRecords: cs.kafka, LagFromLog: cs.kafka, GuardHost: g.authToken == "", Logger: g.logger}
	if cs.olapCfg != nil && cs.olapCfg.OLAP.Timeout > 0 {
		o.QueryTimeout = cs.olapCfg.OLAP.Timeout
	}
	if cs.kafka {
		o.GroupOf = func(job string) string { return cs.groupPrefix + job }
	}
	if cs.warehouse {
		for _, t := range dws.Tables() {
			o.Tables = append(o.Tables, t.Name)
		}
	}
	c, err := web.NewConsole(o)
	if err != nil {
		return nil, err
	}
	c.Register(mux)
	if cs.dashboard {
		var loc *time.Location
		if cs.olapCfg != nil {
			loc = cs.olapCfg.location()
		}
		h, err := web.New(web.Options{Querier: q, Location: loc, Logger: g.logger})
		if err != nil {
			c.Close()
			return nil, err
		}
		h.Register(mux)
	}
	return func() {
		c.Close()
		if lazy != nil {
			lazy.Close()
		}
	}, nil
}

// lazyOLAP opens the OLAP database for a query and closes it once idle,
// so a process that loads nothing holds no DuckDB file lock (which would
// keep 'rtdw query' out) while nobody looks.
type lazyOLAP struct {
	open func(context.Context) (olap.Sink, error)
	idle time.Duration

	mu     sync.Mutex
	sink   olap.Sink
	users  int
	timer  *time.Timer
	closed bool
}

var errConsoleClosed = errors.New("olap: the process is stopping")

func (q *lazyOLAP) Query(ctx context.Context, sql string, args ...any) (*olap.Result, error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, errConsoleClosed
	}
	if q.sink == nil {
		s, err := q.open(ctx)
		if err != nil {
			q.mu.Unlock()
			return nil, fmt.Errorf("olap: %w", err)
		}
		q.sink = s
	}
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	q.users++
	sink := q.sink
	q.mu.Unlock()
	res, err := sink.Query(ctx, sql, args...)
	q.mu.Lock()
	q.users--
	if q.users == 0 && !q.closed {
		q.timer = time.AfterFunc(q.idle, q.release)
	}
	q.mu.Unlock()
	return res, err
}

func (q *lazyOLAP) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.users == 0 && q.sink != nil {
		q.sink.Close()
		q.sink = nil
	}
}

// Close closes the database (queries running finish first: the server
// has shut down).
func (q *lazyOLAP) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	if q.timer != nil {
		q.timer.Stop()
	}
	if q.sink != nil {
		q.sink.Close()
		q.sink = nil
	}
}
