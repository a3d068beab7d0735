// Package connector holds the SQL layer's table connectors (Flink's
// DynamicTableSource/Sink factories): 'connector' = 'kafka',
// 'upsert-kafka', 'print', 'blackhole', 'datagen', 'filesystem',
// 'rtdw-olap', ... Each connector is one file; it validates its WITH
// options with Flink's names (an unknown or bad option is an error naming
// it and listing the supported ones) and attaches itself to an engine job.
package connector

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// ChangelogMode is the set of row kinds a stream carries (Flink's
// ChangelogMode): what a source produces and what a sink accepts.
type ChangelogMode uint8

const (
	// InsertOnly: +I only.
	InsertOnly ChangelogMode = iota
	// Upsert: +I, +U, -D keyed by the primary key (no -U).
	Upsert
	// Retract: +I, -U, +U, -D.
	Retract
)

func (m ChangelogMode) String() string {
	switch m {
	case InsertOnly:
		return "insert-only"
	case Upsert:
		return "upsert"
	default:
		return "retract"
	}
}

// Context is what a connector may use: the log the jobs run on, the
// session and the place to add helper jobs.
type Context struct {
	Log       rlog.Log
	KafkaMode bool
	DataDir   string
	OLAP      *olap.Config // the configured OLAP (rtdw-olap); nil: embedded DuckDB in DataDir
	Loc       *time.Location
	Job       string    // the job the table is read or written by
	Out       io.Writer // print connector output; os.Stdout when nil
	Logger    *slog.Logger
	Now       func() time.Time
	// AddJob adds a helper job that runs with the SQL job (rtdw-olap's
	// load job); nil when the caller only plans (EXPLAIN).
	AddJob func(*stream.Job)
	// Prepare runs before the job starts, once per run: generator and
	// file sources write their rows into the topic the job reads here.
	AddPrepare func(func() error)
	// OLAPSink is the caller's open OLAP backend, when it has one (rtdw
	// run loads the warehouse's DWS tables into it): rtdw-olap then loads
	// into it rather than opening the database a second time. Nil: the
	// connector opens the OLAP of OLAP / DataDir itself, once per process
	// (CloseOLAP closes what it opened).
	OLAPSink   olap.Sink
	Dims       dim.Store     // the configured dimension store (rtdw.yaml dim:) for rtdw-dim; nil: the embedded log's
	AddService func(Service) // runs a function next to the job while it runs unbounded (mysql-cdc's capture; Services); nil: none
}

// MetadataColumn is a column read from the format's or connector's
// metadata (`c TYPE METADATA FROM 'key' [VIRTUAL]`).
type MetadataColumn struct {
	Index   int // in Table.Schema
	Key     string
	Virtual bool // read-only: not written by a sink
}

// Table is a catalog table as a connector sees it: its physical and
// metadata columns (computed columns are the planner's business), keys
// and options.
type Table struct {
	Name          string // qualified name, for messages
	ObjectName    string // the table's own name (default topic / table-name)
	Schema        *row.Schema
	Metadata      []MetadataColumn
	PrimaryKey    []int // indexes in Schema
	PartitionKeys []int
	Options       map[string]string
}

// Source is a configured table source.
type Source interface {
	// Mode is the changelog mode of the rows it produces.
	Mode() ChangelogMode
	// Attach adds the source to j: rows arrive typed (Record.Row) in
	// Table.Schema order. opts carry the event-time assigner and
	// watermark settings the planner derived from the DDL.
	Attach(j *stream.Job, opts ...stream.SourceOption) (stream.Stream, error)
}

// Sink is a configured table sink.
type Sink interface {
	// Accepts is the most general changelog mode it can write; the
	// planner refuses a query whose output needs more.
	Accepts() ChangelogMode
	// Attach makes s (typed rows in Table.Schema order; metadata
	// columns that are not VIRTUAL included) the sink's input.
	Attach(s stream.Stream) error
}

// OptionSpec documents one option.
type OptionSpec struct {
	Key      string
	Default  string
	Required bool
	Doc      string
}

// Factory makes a connector's sources and sinks.
type Factory struct {
	Name    string
	Aliases []string
	Doc     string
	Options []OptionSpec
	// NewSource / NewSink are nil when the connector cannot be read /
	// written.
	NewSource func(ctx *Context, t *Table) (Source, error)
	NewSink   func(ctx *Context, t *Table) (Sink, error)
	NewLookup func(ctx *Context, t *Table, keyCols []int) (LookupSource, error) // nil: no lookup joins (LookupSource)
	// Projectable reports whether a source of t can read any subset of
	// its columns (Flink's SupportsProjectionPushDown): formats that
	// decode fields by name. The planner then hands NewSource a Table of
	// only the columns a query uses, so the decoder skips the others.
	Projectable func(t *Table) bool
}

var (
	mu        sync.RWMutex
	factories = map[string]*Factory{}
)

// Register adds a connector factory under its name and aliases.
func Register(f *Factory) {
	mu.Lock()
	defer mu.Unlock()
	factories[strings.ToLower(f.Name)] = f
	for _, a := range f.Aliases {
		factories[strings.ToLower(a)] = f
	}
}

// Lookup finds the factory of 'connector' = name.
func Lookup(name string) (*Factory, error) {
	mu.RLock()
	defer mu.RUnlock()
	if f, ok := factories[strings.ToLower(name)]; ok {
		return f, nil
	}
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown connector %q (supported: %s)", name, strings.Join(names, ", "))
}

// Lookup tables (Flink's LookupTableSource): a table whose connector has
// Factory.NewLookup can be the right side of a lookup join
// (JOIN d FOR SYSTEM_TIME AS OF s.proc_time AS d ON s.k = d.k), run by
// internal/sql/exec.LookupJoin. keyCols of NewLookup are the table's
// columns (indexes in Table.Schema) the join's equality conditions bind,
// in the order of the keys Lookup is called with. lookup.go holds the
// options every lookup connector shares (cache, async, retries) and the
// per-task cache the join keeps.

// LookupSource answers point lookups by key columns.
type LookupSource interface {
	// Lookup returns the rows (in Table.Schema order, kind +I, owned by
	// the caller) whose key columns equal keys (never NULL: a NULL key
	// matches nothing, and the join does not ask). It is called from
	// several goroutines at once. Errors from the store are returned
	// wrapped with stream.Retryable when a retry may succeed (network,
	// timeouts); a row the store holds that cannot be read as the
	// table's types is a stream.BadInput (the input row is dead-lettered).
	Lookup(ctx context.Context, keys []row.Value) ([]row.Row, error)
}

// LookupOptions are how a lookup join runs against a table: Flink's
// lookup.cache / lookup.partial-cache.* (and the legacy lookup.cache.*),
// lookup.async and lookup.max-retries, parsed by the connector.
type LookupOptions struct {
	Cache         LookupCacheOptions
	Async         bool
	AsyncCapacity int // lookups in flight per task with Async
	MaxRetries    int // attempts after the first before the task fails
}

// LookupConfigured is a LookupSource that carries its table's lookup
// options (every lookup source of this package is one); LookupOptionsOf
// reads them.
type LookupConfigured interface {
	LookupOptions() LookupOptions
}
