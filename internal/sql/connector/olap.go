package connector

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/jsonw"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	_ "github.com/rtdw/rtdw/internal/olap/backends" // every OLAP kind rtdw.yaml may configure
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'rtdw-olap' connector (alias 'duckdb'): a sink into the OLAP
// database rtdw.yaml configures (embedded DuckDB in the data dir by
// default; PostgreSQL, Doris, StarRocks or ClickHouse), so `rtdw query` and
// the dashboard read what SQL jobs write.
//
// The table ('table-name', default the table's own name) is created if
// missing from the DDL's columns, the PRIMARY KEY first (the key of the
// upserts; a table without one is refused: the sink upserts by key). Column
// types map to the OLAP's portable types: integer types and BOOLEAN (1/0)
// to int64; DECIMAL, FLOAT and DOUBLE to decimal, which is DECIMAL(16, 2)
// (values are rounded HALF_UP to 2 places; one beyond 14 integer digits is
// dead-lettered); DATE to date; TIMESTAMP and TIMESTAMP_LTZ (in the session
// time zone) to datetime, to the second; every other type to string (TIME
// as 'HH:mm:ss', BYTES as base64, ARRAY/MAP/ROW as their text). Column and
// table names must be plain identifiers ([A-Za-z_][A-Za-z0-9_]*).
//
// Exactly-once, as the built-in warehouse loads its DWS tables: the SQL
// job writes each row as a JSON object, keyed by its primary key, into an
// internal topic named after the OLAP table, and the connector adds a
// load job (olap.LoadJob, named olap_load_<table>) that upserts that
// topic's rows into the table before each of its checkpoints commits; a
// replay upserts the same rows again, which changes nothing. Upsert and
// retract streams are accepted. Where the OLAP supports deletes
// (olap.Deleter: DuckDB, PostgreSQL, Doris, StarRocks, ClickHouse), a -U
// or -D row deletes its key: it is written into the topic as its key
// columns with the header rtdw.olap.op = delete, and the load job deletes
// the keys of its batch (last operation per key wins, so the +U that
// usually follows a -U replaces its delete; a replay deletes again, which
// changes nothing). A backend that cannot delete drops -U rows (the +U
// that follows replaces the row by key) and dead-letters -D rows
// (rtdw_dead_letters_total counts them) with the reason "rtdw-olap:
// deletes are not supported".

var olapFactory = &Factory{
	Name:    "rtdw-olap",
	Aliases: []string{"duckdb"},
	Doc:     "The OLAP database of rtdw.yaml (embedded DuckDB by default): upsert sink by PRIMARY KEY (and deletes), read by `rtdw query` and the dashboard.",
	Options: []OptionSpec{
		spec("table-name", "", false, "OLAP table to write; default the table's name. Created if missing."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
		spec("sink.buffer-flush.*", "", false, "Accepted and not used: rows are loaded at every checkpoint of the load job."),
	},
}

func init() {
	olapFactory.NewSink = newOLAPSink
	Register(olapFactory)
}

var identRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

type olapSink struct {
	ctx   *Context
	t     *Table
	l     *layout
	table olap.Table
	cols  []int // schema index of each OLAP column, in table.Columns order
	key   []int
	// deletes: the OLAP applies deletes (an olap.Deleter), so -D rows are
	// written as deletes rather than dead-lettered.
	deletes bool
}

func newOLAPSink(ctx *Context, t *Table) (Sink, error) {
	f := olapFactory
	if err := checkOptions(ctx, f, t, []string{"sink.parallelism", "sink.buffer-flush.*"}); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, err
	}
	if len(t.PrimaryKey) == 0 {
		return nil, fmt.Errorf("%s: rtdw-olap needs a PRIMARY KEY (...) NOT ENFORCED: rows are upserted by it", where(f, t))
	}
	name := opt(t, "table-name", t.ObjectName)
	if !identRE.MatchString(name) {
		return nil, fmt.Errorf("%s: table name '%s' must match %s", where(f, t), name, identRE)
	}
	s := &olapSink{ctx: ctx, t: t, l: l, key: t.PrimaryKey, table: olap.Table{Name: name}}
	order := append(slices.Clone(t.PrimaryKey), l.physical...)
	for _, c := range order {
		if slices.Contains(s.cols, c) {
			continue
		}
		col := t.Schema.Column(c)
		if !identRE.MatchString(col.Name) {
			return nil, fmt.Errorf("%s: column name '%s' must match %s", where(f, t), col.Name, identRE)
		}
		s.cols = append(s.cols, c)
		s.table.Columns = append(s.table.Columns, olap.Column{Name: col.Name, Type: olapType(col.Type)})
	}
	for _, c := range t.PrimaryKey {
		s.table.Key = append(s.table.Key, t.Schema.Column(c).Name)
	}
	if err := s.table.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", where(f, t), err)
	}
	s.deletes = olapDeletes(ctx)
	return s, nil
}

// olapDeletes reports whether the OLAP the context loads into deletes.
func olapDeletes(ctx *Context) bool {
	if ctx == nil {
		return false
	}
	if ctx.OLAPSink != nil {
		_, ok := ctx.OLAPSink.(olap.Deleter)
		return ok
	}
	kind := olap.KindDuckDB
	if ctx.OLAP != nil && ctx.OLAP.Kind != "" {
		kind = ctx.OLAP.Kind
	}
	switch kind {
	case olap.KindDuckDB, olap.KindPostgres, olap.KindDoris, olap.KindStarRocks, olap.KindClickHouse:
		return true
	}
	return false
}

// olapType maps a column type to the OLAP's portable type.
func olapType(t row.Type) olap.Type {
	switch {
	case t.IsInteger(), t.Kind == row.KindBoolean:
		return olap.Int64
	case t.Kind == row.KindDecimal, t.Kind == row.KindFloat, t.Kind == row.KindDouble:
		return olap.Decimal
	case t.Kind == row.KindDate:
		return olap.Date
	case t.Kind == row.KindTimestamp, t.Kind == row.KindTimestampLTZ:
		return olap.DateTime
	}
	return olap.String
}

// Accepts retract streams: -U and -D rows delete their key (a backend
// without deletes drops -U rows and dead-letters -D rows).
func (s *olapSink) Accepts() ChangelogMode { return Retract }

// Attach writes the rows as JSON into the table's topic and adds the load
// job that upserts them.
func (s *olapSink) Attach(st stream.Stream) error {
	topic := s.table.Name
	st.Process(nodeName("olap_encode", s.t), func() stream.Operator { return &olapEncode{s: s} }).Main().To(topic)
	if s.ctx == nil || s.ctx.AddJob == nil {
		return nil // planning only
	}
	backend := s.ctx.OLAPSink
	if backend == nil {
		var cfg olap.Config
		if s.ctx.OLAP != nil {
			cfg = *s.ctx.OLAP
		}
		if cfg.DataDir == "" {
			cfg.DataDir = s.ctx.DataDir
		}
		if cfg.Logger == nil {
			cfg.Logger = s.ctx.Logger
		}
		backend = newSharedOLAP(cfg)
	}
	s.ctx.AddJob(olap.LoadJob("olap_load_"+s.table.Name, []olap.Table{s.table}, backend))
	return nil
}

// olapEncode writes a row as the JSON object the load job reads, keyed
// by its primary key.
type olapEncode struct {
	s          *olapSink
	full       row.Row
	key, value []byte
}

func (e *olapEncode) Open(*stream.Context) error { return nil }

func (e *olapEncode) Process(rec *stream.Record, out stream.Emitter) error {
	if rec.Row == nil {
		return stream.BadInput("untyped_record", "the rtdw-olap sink needs typed rows")
	}
	r := e.s.l.full(rec.Row, &e.full)
	del := false
	switch r.Kind {
	case row.UpdateBefore:
		if !e.s.deletes {
			return nil // the +U that follows replaces the row
		}
		// A -U deletes its key; the +U that usually follows replaces the
		// delete in the load job's batch (last operation per key wins),
		// and when none follows the old row goes.
		del = true
	case row.Delete:
		if !e.s.deletes {
			return stream.BadInput("olap_delete", "rtdw-olap: deletes are not supported (the OLAP load path only upserts); the row stays in table %s", e.s.table.Name)
		}
		del = true
	}
	e.key = e.key[:0]
	for _, c := range e.s.key {
		if r.Values[c].IsNull() {
			return stream.BadInput("olap_missing_key", "rtdw-olap: key column %s is NULL", e.s.t.Schema.Column(c).Name)
		}
		e.key = row.AppendKey(e.key, r.Values[c])
	}
	n := len(e.s.cols)
	if del {
		n = len(e.s.key) // the key columns lead
	}
	v, err := e.s.appendJSON(e.value[:0], r, n)
	if err != nil {
		return stream.BadInput("encode_failed", "rtdw-olap: %v", err)
	}
	e.value = v
	cp := *rec
	cp.Key, cp.Value, cp.Row, cp.Headers = e.key, v, nil, nil
	if del {
		cp.Headers = olapDeleteHeaders
	}
	out.Emit(0, &cp)
	return nil
}

var olapDeleteHeaders = []rlog.Header{{Key: olap.HeaderOp, Value: []byte(olap.OpDelete)}}

// appendJSON writes r's first n OLAP columns as a JSON object in the
// layouts olap.DecodeRow reads.
func (s *olapSink) appendJSON(dst []byte, r *row.Row, n int) ([]byte, error) {
	dst = append(dst, '{')
	for i, c := range s.cols[:n] {
		if i > 0 {
			dst = append(dst, ',')
		}
		col := s.table.Columns[i]
		dst = jsonw.AppendString(dst, []byte(col.Name))
		dst = append(dst, ':')
		v := r.Values[c]
		if v.IsNull() {
			dst = append(dst, "null"...)
			continue
		}
		t := s.t.Schema.Column(c).Type
		switch col.Type {
		case olap.Int64:
			if t.Kind == row.KindBoolean {
				dst = strconv.AppendInt(dst, map[bool]int64{false: 0, true: 1}[v.Bool()], 10)
			} else {
				dst = strconv.AppendInt(dst, v.Int64(), 10)
			}
		case olap.Decimal:
			var text []byte
			if t.Kind == row.KindDecimal {
				text = v.Decimal().Append(nil)
			} else {
				f := v.Float64()
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return dst, fmt.Errorf("column %s: %v is not a decimal", col.Name, f)
				}
				text = strconv.AppendFloat(nil, f, 'f', -1, 64)
			}
			if _, err := olap.ParseCents(string(text)); err != nil {
				return dst, fmt.Errorf("column %s: %v", col.Name, err)
			}
			dst = append(dst, text...)
		case olap.Date:
			dst = append(row.AppendDate(append(dst, '"'), v.Days()), '"')
		case olap.DateTime:
			ms := v.Millis()
			if t.Kind == row.KindTimestampLTZ {
				var loc *time.Location
				if s.ctx != nil {
					loc = s.ctx.Loc
				}
				ms = row.InstantToLocal(ms, loc)
			}
			dst = append(row.AppendTimestamp(append(dst, '"'), ms, 0, 0), '"')
		default:
			var text string
			switch t.Kind {
			case row.KindBinary, row.KindVarBinary:
				text = base64.StdEncoding.EncodeToString([]byte(v.Str()))
			case row.KindChar, row.KindVarChar:
				text = v.Str()
			default:
				text = v.String()
			}
			dst = jsonw.AppendString(dst, []byte(text))
		}
	}
	return append(dst, '}'), nil
}

// sharedOLAP opens the configured OLAP on first use, once per process and
// configuration, so that every rtdw-olap table of the process loads
// through one connection (an embedded DuckDB file must not be opened
// twice). A failed open is retried by the next call (the load task
// restarts).
type sharedOLAP struct{ cfg olap.Config }

var (
	olapMu   sync.Mutex
	olapOpen = map[string]olap.Sink{}
)

// get returns the process's sink for the configuration, opening it.
func (s *sharedOLAP) get(ctx context.Context) (olap.Sink, error) {
	cfg := s.cfg
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	id := fmt.Sprintf("%s|%s|%s|%s|%s|%s", cfg.Kind, cfg.Database, cfg.Path, cfg.DSN, cfg.Addr, cfg.QueryAddr)
	olapMu.Lock()
	defer olapMu.Unlock()
	if sink, ok := olapOpen[id]; ok {
		return sink, nil
	}
	sink, err := olap.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	olapOpen[id] = sink
	return sink, nil
}

// CloseOLAP closes the OLAP databases rtdw-olap opened in this process
// (not a Context.OLAPSink, which is its owner's): call it when the jobs
// have stopped.
func CloseOLAP() error {
	olapMu.Lock()
	defer olapMu.Unlock()
	var errs []error
	for id, sink := range olapOpen {
		errs = append(errs, sink.Close())
		delete(olapOpen, id)
	}
	return errors.Join(errs...)
}

func (s *sharedOLAP) Query(ctx context.Context, q string, args ...any) (*olap.Result, error) {
	sink, err := s.get(ctx)
	if err != nil {
		return nil, err
	}
	return sink.Query(ctx, q, args...)
}

func (s *sharedOLAP) EnsureTable(ctx context.Context, t olap.Table) error {
	sink, err := s.get(ctx)
	if err != nil {
		return err
	}
	return sink.EnsureTable(ctx, t)
}

func (s *sharedOLAP) Upsert(ctx context.Context, table string, rows [][]byte) error {
	sink, err := s.get(ctx)
	if err != nil {
		return err
	}
	return sink.Upsert(ctx, table, rows)
}

// Delete deletes through the shared database, which must be an
// olap.Deleter (the connector writes deletes only then).
func (s *sharedOLAP) Delete(ctx context.Context, table string, keys [][]byte) error {
	sink, err := s.get(ctx)
	if err != nil {
		return err
	}
	d, ok := sink.(olap.Deleter)
	if !ok {
		return fmt.Errorf("rtdw-olap: the %s OLAP does not support deletes", s.cfg.Kind)
	}
	return d.Delete(ctx, table, keys)
}

// Close does nothing: the shared database is closed by CloseOLAP.
func (s *sharedOLAP) Close() error { return nil }

// UpsertVersioned and DeleteVersioned fence a zombie's late writes when
// the database takes versions (olap.VersionedSink: every backend rtdw
// has), so the load job versions its writes through the shared database
// as it does through a backend it holds itself.
func (s *sharedOLAP) UpsertVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64) error {
	sink, err := s.get(ctx)
	if err != nil {
		return err
	}
	if vs, ok := sink.(olap.VersionedSink); ok {
		return vs.UpsertVersioned(ctx, table, rows, versions)
	}
	return sink.Upsert(ctx, table, rows)
}

func (s *sharedOLAP) DeleteVersioned(ctx context.Context, table string, keys [][]byte, versions []uint64) error {
	sink, err := s.get(ctx)
	if err != nil {
		return err
	}
	if vs, ok := sink.(olap.VersionedSink); ok {
		return vs.DeleteVersioned(ctx, table, keys, versions)
	}
	return s.Delete(ctx, table, keys)
}

// sharedPlainOLAP is the shared database of a kind whose plain writes
// apply whatever version a key holds (olap.PlainWriter), known before it
// opens: an embedded load task writes it without versions.
type sharedPlainOLAP struct{ *sharedOLAP }

func (sharedPlainOLAP) PlainWritesApply() {}

func newSharedOLAP(cfg olap.Config) olap.Sink {
	s := &sharedOLAP{cfg: cfg}
	switch cfg.Kind {
	case "", olap.KindDuckDB, olap.KindPostgres:
		return sharedPlainOLAP{s}
	}
	return s
}

var (
	_ olap.VersionedSink = (*sharedOLAP)(nil)
	_ olap.PlainWriter   = sharedPlainOLAP{}
)
