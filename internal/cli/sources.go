package cli

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/connector/mysqlcdc"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// SourcesConfig is the sources: block of rtdw.yaml: capture that runs
// inside `rtdw run`, next to the jobs, into the same log.
type SourcesConfig struct {
	MySQL *MySQLSourceConfig `yaml:"mysql"`
}

// MySQLSourceConfig is sources.mysql: the flags of `rtdw ingest mysql`.
type MySQLSourceConfig struct {
	DSN       string   `yaml:"dsn"`
	Databases []string `yaml:"databases"`
	Tables    []string `yaml:"tables"`
	// Snapshot: initial (default), never or only.
	Snapshot string `yaml:"snapshot"`
	// Topic, default topic_db.
	Topic    string `yaml:"topic"`
	ServerID uint32 `yaml:"server_id"`
}

// startSources starts the configured sources on l and returns the function
// that stops them (before l is closed). A source that fails is logged and
// started again with backoff, as a failed task is: the jobs keep running.
func startSources(ctx context.Context, g *globals, cfg Config, l rlog.Log) func() {
	m := cfg.Sources.MySQL
	if m == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		topic := m.Topic
		if topic == "" {
			topic = "topic_db"
		}
		for backoff := time.Second; ctx.Err() == nil; backoff = min(2*backoff, time.Minute) {
			err := errors.New("sources.mysql: dsn and databases are required")
			if m.DSN != "" && len(m.Databases) > 0 {
				if _, err = rlog.EnsureTopic(ctx, l, topic, rlog.TopicConfig{Partitions: cfg.Partitions}); err == nil {
					err = mysqlcdc.Run(ctx, l, mysqlcdc.Config{DSN: m.DSN, Databases: m.Databases, Tables: m.Tables,
						Snapshot: m.Snapshot, Topic: topic, ServerID: m.ServerID, Logger: g.logger, Location: cfg.location()})
				}
			}
			if ctx.Err() != nil || (err == nil && m.Snapshot == mysqlcdc.SnapshotOnly) {
				return
			}
			g.logger.Error("sources.mysql failed; retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
