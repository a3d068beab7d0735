package olap

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Backend kinds.
const (
	KindDuckDB     = "duckdb"
	KindPostgres   = "postgres"
	KindDoris      = "doris"
	KindStarRocks  = "starrocks"
	KindClickHouse = "clickhouse"
)

// DefaultDatabase is the OLAP database of the gmall warehouse (SPEC §4).
const DefaultDatabase = "gmall_realtime"

// Config selects and configures the OLAP backend: the `olap:` block of
// rtdw.yaml. Fields a backend does not use are ignored.
type Config struct {
	// Kind: duckdb (default), postgres, doris, starrocks or clickhouse.
	Kind string `yaml:"kind"`
	// Database holding the DWS tables (a schema in PostgreSQL); default
	// gmall_realtime.
	Database string `yaml:"database"`
	// Path of the DuckDB file; default <data dir>/olap/gmall_realtime.duckdb.
	Path string `yaml:"path"`
	// DSN of PostgreSQL: postgres://user:pass@host:5432/db?sslmode=disable.
	DSN string `yaml:"dsn"`
	// Addr: Doris/StarRocks FE HTTP address (http://fe:8030, Stream Load);
	// ClickHouse HTTP interface (http://ch:8123).
	Addr string `yaml:"addr"`
	// QueryAddr: Doris/StarRocks FE MySQL-protocol host:port (9030), for
	// DDL and queries.
	QueryAddr string `yaml:"query_addr"`
	User      string `yaml:"user"`
	Password  string `yaml:"password"`
	// Protocol of ClickHouse: http (the only one supported).
	Protocol string `yaml:"protocol"`
	// Replicas: Doris/StarRocks replication_num of created tables; default 1.
	Replicas int `yaml:"replicas"`
	// Buckets: Doris/StarRocks hash buckets of created tables; default 4.
	Buckets int `yaml:"buckets"`
	// Timeout of one load or query; default 60 s.
	Timeout time.Duration `yaml:"timeout"`
	// AllowExternalAccess lets queries (rtdw query, the dashboard API)
	// reach outside the warehouse tables: DuckDB's files, COPY TO, EXPORT,
	// ATTACH and extensions; on PostgreSQL, the connecting role's own
	// privileges (server files and programs for a superuser). Off by
	// default: DuckDB runs with enable_external_access=false and a locked
	// configuration, PostgreSQL queries drop to a read-only role (see
	// QueryDSN). Loads are not affected.
	AllowExternalAccess bool `yaml:"allow_external_access"`
	// QueryDSN: PostgreSQL DSN of the role queries connect as (one that
	// can only SELECT the warehouse tables); default DSN. The loader always
	// uses DSN.
	QueryDSN string `yaml:"query_dsn"`

	// ReadOnly: the caller only queries (rtdw query); DuckDB then opens
	// its file read-only, so it works next to other readers.
	ReadOnly bool `yaml:"-"`
	// DataDir is rtdw's data dir, for the default DuckDB path.
	DataDir string       `yaml:"-"`
	Logger  *slog.Logger `yaml:"-"`
}

// DuckDB reports whether the backend is the embedded DuckDB (the default
// when Kind is unset): a file of this process, with one writer.
func (c *Config) DuckDB() bool { return c.Kind == "" || c.Kind == KindDuckDB }

// Validate fills defaults and reports unusable settings.
func (c *Config) Validate() error {
	if c.Kind == "" {
		c.Kind = KindDuckDB
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if !identRE.MatchString(c.Database) {
		return fmt.Errorf("olap: database %q must match %s", c.Database, identRE)
	}
	if c.Timeout == 0 {
		c.Timeout = time.Minute
	}
	if c.Timeout < 0 {
		return fmt.Errorf("olap: timeout %s must be > 0", c.Timeout)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch c.Kind {
	case KindDuckDB:
		if c.Path == "" {
			if c.DataDir == "" {
				return fmt.Errorf("olap: duckdb needs a path (or a data dir)")
			}
			c.Path = filepath.Join(c.DataDir, "olap", c.Database+".duckdb")
		}
	case KindPostgres:
		if c.DSN == "" {
			return fmt.Errorf("olap: postgres needs dsn (postgres://user:pass@host:5432/db)")
		}
	case KindDoris, KindStarRocks:
		if c.Addr == "" || c.QueryAddr == "" {
			return fmt.Errorf("olap: %s needs addr (FE HTTP, http://fe:8030) and query_addr (FE MySQL port, fe:9030)", c.Kind)
		}
		if c.Replicas == 0 {
			c.Replicas = 1
		}
		if c.Buckets == 0 {
			c.Buckets = 4
		}
		if c.Replicas < 0 || c.Buckets < 0 {
			return fmt.Errorf("olap: replicas and buckets must be > 0")
		}
	case KindClickHouse:
		if c.Addr == "" {
			return fmt.Errorf("olap: clickhouse needs addr (the HTTP interface, http://ch:8123)")
		}
		switch c.Protocol {
		case "", "http":
			c.Protocol = "http"
		default:
			return fmt.Errorf("olap: clickhouse protocol %q: only http (port 8123) is supported", c.Protocol)
		}
	default:
		return fmt.Errorf("olap: kind %q is not one of duckdb, postgres, doris, starrocks, clickhouse", c.Kind)
	}
	return nil
}

// Opener opens a backend from a validated Config.
type Opener func(ctx context.Context, c Config) (Sink, error)

var (
	regMu    sync.Mutex
	backends = map[string]Opener{}
)

// Register makes a backend kind available to Open; connectors call it
// from init, as database/sql drivers do (the connectors import this
// package, so it cannot import them).
func Register(kind string, open Opener) {
	regMu.Lock()
	defer regMu.Unlock()
	backends[kind] = open
}

// Open validates c and opens its backend.
func Open(ctx context.Context, c Config) (Sink, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	regMu.Lock()
	open, ok := backends[c.Kind]
	var kinds []string
	for k := range backends {
		kinds = append(kinds, k)
	}
	regMu.Unlock()
	if !ok {
		sort.Strings(kinds)
		return nil, fmt.Errorf("olap: backend %s is not linked into this program (linked: %v; import internal/olap/backends)", c.Kind, kinds)
	}
	s, err := open(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("olap %s: %w", c.Kind, err)
	}
	return s, nil
}
