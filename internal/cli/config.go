package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	"github.com/rtdw/rtdw/internal/failstop"
	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/remote"
	"github.com/rtdw/rtdw/internal/membudget"
	"github.com/rtdw/rtdw/internal/warehouse"
)

// Config is rtdw.yaml. Every key is optional.
type Config struct {
	// Mode: embedded (default). kafka is cluster mode.
	Mode string `yaml:"mode"`
	// DataDir, if set and --data-dir is not given.
	DataDir string `yaml:"data_dir"`
	// Timezone of business dates (SPEC §0).
	Timezone string `yaml:"timezone"`
	// Partitions of topics rtdw creates.
	Partitions int32 `yaml:"partitions"`
	// CheckpointInterval between atomic commits of every task.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// MaxEventTimeSkew: a source record more than this ahead of the wall
	// clock is dead-lettered (future_event_time) without moving the
	// watermark; default 24h, negative: accept any time.
	MaxEventTimeSkew time.Duration `yaml:"max_event_time_skew"`
	// Sync: fsync every checkpoint (survives power loss, not just kill -9).
	Sync *bool `yaml:"sync"`
	// HTTPAddr is where `rtdw run` serves /metrics, the status page and
	// topic commands (as --http-addr; "" is off). Unset: 127.0.0.1:8088,
	// or a free port if that one is taken; none with --drain.
	HTTPAddr *string `yaml:"http_addr"`
	// AuthToken, if set and neither --auth-token nor RTDW_AUTH_TOKEN is,
	// is required by every HTTP endpoint rtdw serves (but /healthz) and
	// sent by its clients of a running rtdw.
	AuthToken string `yaml:"auth_token"`
	// Jobs to run when --jobs is not given (default all).
	Jobs []string `yaml:"jobs"`
	// SQL files or directories of Flink SQL jobs that `run` and `worker`
	// run (as --sql does); built-in jobs then run only when named by jobs.
	SQL []string `yaml:"sql"`
	// TopicDBFormat: how topic_db records are encoded (auto, maxwell,
	// debezium, canal); auto detects per record.
	TopicDBFormat string `yaml:"topic_db_format"`
	// Kafka is cluster mode's broker connection (mode: kafka).
	Kafka KafkaConfig `yaml:"kafka"`
	// Sources: capture that `rtdw run` runs next to the jobs (sources.go).
	Sources SourcesConfig `yaml:"sources"`
	// OLAP is where DWS tables are loaded and queried (olap_config.go).
	OLAP OLAPConfig `yaml:"olap"`
	// Dim is where dimension tables live and the lookup cache (dim_config.go).
	Dim DimConfig `yaml:"dim"`
	// DWS tunes the summary-layer jobs (dws_config.go).
	DWS DWSConfig `yaml:"dws"`
	// Memory is the process's memory budget (env RTDW_MEMORY overrides
	// it), divided by internal/membudget between the Go heap's soft limit,
	// Pebble's block cache and overhead. Unset: 90% of the cgroup's
	// memory limit when there is one (a container), else none.
	Memory string `yaml:"memory"`
}

func defaultConfig() Config {
	return Config{Mode: "embedded", TopicDBFormat: topicdb.Auto, Timezone: "Asia/Shanghai", Partitions: 4, CheckpointInterval: time.Second, Dim: defaultDimConfig()}
}

// loadConfig reads path over the defaults; unknown keys are errors.
func loadConfig(path string) (Config, error) {
	c := defaultConfig()
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

func (c *Config) validate() error {
	switch c.Mode {
	case "", "embedded":
		c.Mode = "embedded"
	case "kafka":
		if err := c.Kafka.validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("mode: %q is not embedded or kafka", c.Mode)
	}
	if _, err := topicdb.NewDecoder(c.TopicDBFormat); err != nil {
		return err
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	if c.Partitions < 1 || c.Partitions > 4096 {
		return fmt.Errorf("partitions: %d is not in 1..4096", c.Partitions)
	}
	if c.CheckpointInterval <= 0 {
		return fmt.Errorf("checkpoint_interval: %s must be > 0", c.CheckpointInterval)
	}
	if err := c.Dim.validate(); err != nil {
		return err
	}
	if c.Memory != "" {
		if _, err := c.memoryPlan(""); err != nil {
			return err
		}
	}
	return nil
}

// memoryPlan divides the memory budget: RTDW_MEMORY, else memory, else
// 90% of the memory limit in the first of cgroupFiles that gives one
// (cgroup v2, then v1; below membudget.Min: no budget).
func (c Config) memoryPlan(cgroupFiles ...string) (membudget.Plan, error) {
	for _, v := range []struct{ name, value string }{{"RTDW_MEMORY", os.Getenv("RTDW_MEMORY")}, {"memory", c.Memory}} {
		if v.value == "" {
			continue
		}
		n, err := parseBytes(v.value)
		if err != nil {
			return membudget.Plan{}, fmt.Errorf("%s: %w", v.name, err)
		}
		p, err := membudget.New(n, v.name)
		if err != nil {
			return p, fmt.Errorf("%s: %w", v.name, err)
		}
		return p, nil
	}
	for _, f := range cgroupFiles {
		if n, err := membudget.Cgroup(f); err == nil && n > 0 {
			if n*9/10 >= membudget.Min {
				return membudget.New(n*9/10, "90% of "+f)
			}
			break // the container's limit, too small for a budget
		}
	}
	return membudget.New(0, "")
}

// applyMemory applies the memory budget to this process (once: the Go
// limit is process-wide) and returns its plan.
func (g *globals) applyMemory(c Config) (membudget.Plan, error) {
	p, err := c.memoryPlan(membudget.CgroupFiles...)
	if err != nil {
		return p, err
	}
	if p.Total > 0 && !g.memoryApplied {
		p.Apply()
		g.memoryApplied = true
		if g.logger != nil {
			g.logger.Info(p.String())
		}
	}
	return p, nil
}

func (c Config) warehouse() warehouse.Config {
	return warehouse.Config{Location: c.location(), TopicDBFormat: c.TopicDBFormat, DWSAllowedLateness: c.DWS.AllowedLateness}
}

// location is the warehouse zone (timezone, validated): business dates,
// and the zone the binlog reader renders TIMESTAMP columns in.
func (c Config) location() *time.Location {
	loc, _ := time.LoadLocation(c.Timezone)
	return loc
}

// setup loads the config and resolves the data dir (flag > config > default).
func (g *globals) setup(cmdFlagChanged func(string) bool) (Config, error) {
	c, err := loadConfig(g.configFile)
	if err != nil {
		return c, err
	}
	if c.DataDir != "" && !cmdFlagChanged("data-dir") && os.Getenv("RTDW_DATA_DIR") == "" {
		g.dataDir = c.DataDir
	}
	if !cmdFlagChanged("auth-token") {
		if g.authToken = os.Getenv("RTDW_AUTH_TOKEN"); g.authToken == "" {
			g.authToken = c.AuthToken
		}
	}
	return c, nil
}

// guard is the httpguard setup of a server: the --auth-token, warnings
// to the logger, default limits.
func (g *globals) guard() httpguard.Options {
	return httpguard.Options{Token: g.authToken, Logger: g.logger}
}

// openLog opens the data dir's embedded log for a process that runs jobs.
func (g *globals) openLog(c Config) (rlog.Log, error) {
	if c.Mode == "kafka" {
		return nil, errors.New("mode: kafka: jobs run as `rtdw worker --config FILE --jobs NAME` processes (any number, sharing the partitions); topic commands work as usual")
	}
	if err := os.MkdirAll(g.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	noSync := c.Sync != nil && !*c.Sync
	ctx := g.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	mem, err := g.applyMemory(c)
	if err != nil {
		return nil, err
	}
	l, err := embedded.OpenContext(ctx, embedded.Options{Dir: filepath.Join(g.dataDir, "log"), NoSync: noSync, Logger: g.logger, CacheBytes: mem.BlockCache})
	if err != nil && (ctx.Err() != nil || failstop.IsDiskFull(err)) {
		return nil, err // stopped by a signal, or no space: not another process's lock
	}
	if err != nil {
		return nil, fmt.Errorf("%w (is another rtdw process using --data-dir %s?)", err, g.dataDir)
	}
	// We hold the store's lock, so an rtdw.addr here is left by a process
	// that died: remove it before anyone follows it to another instance.
	os.Remove(filepath.Join(g.dataDir, addrFile))
	return l, nil
}

// openTopics opens the log topic commands use: Kafka in mode kafka;
// otherwise the data dir's log, directly or, when a running rtdw holds the
// data dir, through that process's HTTP address (written to rtdw.addr), so
// tail works while jobs run.
func (g *globals) openTopics(c Config) (rlog.Log, error) {
	if c.Mode == "kafka" {
		return c.Kafka.open()
	}
	l, err := g.openLog(c)
	if err == nil {
		return l, nil
	}
	addr, token, ok := g.runningProcess()
	if !ok {
		return nil, err
	}
	r := remote.New(addr, token).WithAuthToken(g.authToken)
	if _, perr := r.ListTopics(context.Background()); perr != nil {
		if errors.Is(perr, remote.ErrUnauthorized) {
			return nil, perr
		}
		return nil, fmt.Errorf("%w; the rtdw holding it does not answer at %s: %v", err, addr, perr)
	}
	return r, nil
}

// addrFile, in the data dir, names the HTTP address of the rtdw holding it.
const addrFile = "rtdw.addr"
