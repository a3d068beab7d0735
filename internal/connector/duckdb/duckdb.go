package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"

	duck "github.com/duckdb/duckdb-go/v2"

	"github.com/rtdw/rtdw/internal/olap"
)

func init() {
	olap.Register(olap.KindDuckDB, func(ctx context.Context, c olap.Config) (olap.Sink, error) {
		return Open(ctx, Options{Path: c.Path, ReadOnly: c.ReadOnly, AllowExternalAccess: c.AllowExternalAccess})
	})
}

// Options configure a DuckDB sink.
type Options struct {
	// Path of the database file; its directory is created.
	Path string
	// ReadOnly opens an existing file for queries only (several processes
	// may), failing if it does not exist.
	ReadOnly bool
	// AllowExternalAccess keeps DuckDB's default: SQL may read and write
	// files (read_csv, COPY ... TO, EXPORT DATABASE, ATTACH), install and
	// load extensions and change settings. Off, the database is opened
	// with enable_external_access=false and lock_configuration=true, for
	// every connection: queries see the warehouse tables only, and no
	// query can turn it back on. Loads never need external access.
	AllowExternalAccess bool
}

// Validate reports unusable options.
func (o *Options) Validate() error {
	if o.Path == "" {
		return errors.New("duckdb: Options.Path is required")
	}
	return nil
}

// Sink is a DuckDB database file.
type Sink struct {
	db        *sql.DB
	connector *duck.Connector
	readOnly  bool

	mu       sync.Mutex // one writer: loads and DDL
	tables   *olap.Tables
	versions bool // the version table exists
	// replaces: per table, the loads left that go straight to INSERT OR
	// REPLACE (see upsert).
	replaces map[string]int
}

// Open opens (creating if needed) the database file.
func Open(ctx context.Context, o Options) (*Sink, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var params []string
	if o.ReadOnly {
		if _, err := os.Stat(o.Path); err != nil {
			return nil, fmt.Errorf("duckdb: no database at %s (nothing loaded yet?): %w", o.Path, err)
		}
		params = append(params, "access_mode=READ_ONLY")
	} else if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	if !o.AllowExternalAccess {
		// Startup settings of the database instance, so they hold for
		// every connection of the pool; with the configuration locked, a
		// query's SET or RESET is refused.
		params = append(params, "enable_external_access=false", "lock_configuration=true")
	}
	dsn := o.Path
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	cn, err := duck.NewConnector(dsn, nil)
	if err != nil {
		return nil, openError(o.Path, err)
	}
	s := &Sink{db: sql.OpenDB(cn), connector: cn, readOnly: o.ReadOnly, tables: olap.NewTables(olap.KindDuckDB), replaces: map[string]int{}}
	if err := s.db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("duckdb: open %s: %w", o.Path, err)
	}
	return s, nil
}

// DB is the underlying database, for tests and benchmarks.
func (s *Sink) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Sink) Close() error {
	err := s.db.Close()
	if cerr := s.connector.Close(); err == nil {
		err = cerr
	}
	return err
}

func sqlType(t olap.Type) string {
	switch t {
	case olap.String:
		return "VARCHAR"
	case olap.Int64:
		return "BIGINT"
	case olap.Decimal:
		return "DECIMAL(16,2)"
	case olap.Date:
		return "DATE"
	case olap.DateTime:
		return "TIMESTAMP"
	}
	return ""
}

func quote(id string) string { return `"` + id + `"` }

// CreateTableSQL is the DDL of t (DuckDB has no partitions: cur_date is a
// key column like the others).
func CreateTableSQL(t olap.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (", quote(t.Name))
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "%s %s", quote(c.Name), sqlType(c.Type))
		if t.IsKey(c.Name) {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(", ")
	}
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = quote(k)
	}
	fmt.Fprintf(&b, "PRIMARY KEY (%s))", strings.Join(keys, ", "))
	return b.String()
}

// TableSchema is DuckDB's default schema, where its tables are created (olap.SchemaOwner).
func (s *Sink) TableSchema() string { return "main" }

// EnsureTable creates the table if it does not exist.
func (s *Sink) EnsureTable(ctx context.Context, t olap.Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tables.Get(t.Name); ok {
		return nil
	}
	if !s.readOnly {
		if _, err := s.db.ExecContext(ctx, CreateTableSQL(t)); err != nil {
			return fmt.Errorf("duckdb: create table %s: %w", t.Name, err)
		}
		if !s.versions {
			if _, err := s.db.ExecContext(ctx, VersionTableSQL); err != nil {
				return fmt.Errorf("duckdb: create table %s: %w", olap.VersionTable, err)
			}
			s.versions = true
		}
	}
	s.tables.Put(&t)
	return nil
}

// Upsert loads rows in one transaction: appended as a relation, then
// inserted into the table, replacing rows of the same key (see upsert).
func (s *Sink) Upsert(ctx context.Context, table string, rows [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, batch, err := s.tables.Lookup(table).Batch("loading", rows)
	if batch == nil {
		return err
	}
	return s.upsert(ctx, t, batch)
}

// UpsertDecoded is Upsert for rows decoded already (olap.DecodedUpserter).
func (s *Sink) UpsertDecoded(ctx context.Context, t *olap.Table, rows [][]byte, decoded [][]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, batch, err := s.tables.Lookup(t.Name).Decoded(t, rows, decoded)
	if batch == nil {
		return err
	}
	return s.upsert(ctx, t, batch)
}

func (s *Sink) upsert(ctx context.Context, t *olap.Table, batch [][]any) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	defer conn.Close()
	n := s.replaces[t.Name]
	if n > 0 {
		s.replaces[t.Name] = n - 1
	}
	insertFirst := n == 0
	if err := load(ctx, conn, t, batch, insertFirst); err != nil {
		if !insertFirst {
			return fmt.Errorf("duckdb: load %s: %w", t.Name, err)
		}
		// A key of the batch is loaded already (an update, or rows
		// loaded again after a restart): replace, and for the table's
		// next loads go straight to it. The appender reports the
		// conflict as text only, so any failure is retried this way; a
		// failure that is no conflict fails again.
		s.replaces[t.Name] = replaceLoads
		if err := load(ctx, conn, t, batch, false); err != nil {
			return fmt.Errorf("duckdb: load %s: %w", t.Name, err)
		}
	}
	return nil
}

// replaceLoads is how many loads of a table use INSERT OR REPLACE at once
// after one found a key loaded already, before a plain INSERT is tried
// again: a table whose rows are updated pays for a failed INSERT on one
// load in that many, not on every one.
const replaceLoads = 16

// load inserts batch into t in one transaction. A plain INSERT (insert)
// costs less than half an INSERT OR REPLACE in DuckDB (0.7-0.8 against
// 1.5-1.7 ms for ten rows into a table of 100,000 with a primary key;
// ON CONFLICT DO NOTHING costs as much as OR REPLACE: the conflict
// handling, not the index, is the cost) and is what a stream of new
// windows needs; it fails on a key loaded already, and nothing of the
// batch is then written.
func load(ctx context.Context, conn *sql.Conn, t *olap.Table, batch [][]any, insert bool) error {
	list := columnList(t)
	verb := "INSERT OR REPLACE"
	if insert {
		verb = "INSERT"
	}
	query := fmt.Sprintf("%s INTO %s (%s) SELECT %s FROM rtdw_batch", verb, quote(t.Name), list, list)
	return inTx(ctx, conn, func() error { return appendRows(conn, query, t, batch, nil) })
}

// inTx runs fn in a transaction on conn, committed when fn succeeds and
// rolled back when it or the commit fails.
func inTx(ctx context.Context, conn *sql.Conn, fn func() error) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if err = fn(); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// duckValue is a decoded value as the driver takes it: Cents as a
// DECIMAL(16,2), the rest as they are.
func duckValue(v any) any {
	if c, ok := v.(olap.Cents); ok {
		return duck.Decimal{Width: 16, Scale: 2, Value: big.NewInt(int64(c))}
	}
	return v
}

func columnList(t *olap.Table) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quote(c.Name)
	}
	return strings.Join(cols, ", ")
}

// appendRows appends batch (the table's columns, then with vb set each
// row's key text and version) to a relation rtdw_batch and runs query
// over it.
func appendRows(conn *sql.Conn, query string, t *olap.Table, batch [][]any, vb *olap.VersionedBatch) error {
	types := make([]duck.TypeInfo, len(t.Columns), len(t.Columns)+2)
	for i, c := range t.Columns {
		var e error
		if c.Type == olap.Decimal {
			types[i], e = duck.NewDecimalInfo(16, 2)
		} else {
			types[i], e = duck.NewTypeInfo(duckType(c.Type))
		}
		if e != nil {
			return e
		}
	}
	names := t.ColumnNames()
	if vb != nil {
		kt, err := duck.NewTypeInfo(duck.TYPE_VARCHAR)
		if err != nil {
			return err
		}
		vt, err := duck.NewTypeInfo(duck.TYPE_BIGINT)
		if err != nil {
			return err
		}
		types = append(types, kt, vt)
		names = append(names, stageKey, stageVersion)
	}
	return conn.Raw(func(dc any) error {
		a, err := duck.NewQueryAppender(dc.(driver.Conn), query, "rtdw_batch", types, names)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(types))
		for r, row := range batch {
			for i, v := range row {
				vals[i] = duckValue(v)
			}
			if vb != nil {
				vals[len(row)], vals[len(row)+1] = vb.Keys[r], int64(vb.Versions[r])
			}
			if err := a.AppendRow(vals...); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close() // runs the query over what is left
	})
}

// Delete removes the rows of table with the keys of keys (JSON objects
// holding the key columns), in one transaction; a missing key is no error,
// so a replayed delete changes nothing (olap.Deleter).
func (s *Sink) Delete(ctx context.Context, table string, keys [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, batch, err := s.tables.Lookup(table).Batch("deleting", keys)
	if batch == nil {
		return err
	}
	// DecodeBatch orders a row's values as the table's columns; the key's
	// values are at the key columns' positions.
	pos := make([]int, len(t.Key))
	for i, k := range t.Key {
		for j, c := range t.Columns {
			if c.Name == k {
				pos[i] = j
			}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	defer tx.Rollback()
	const per = 256 // keys per statement
	for len(batch) > 0 {
		n := min(per, len(batch))
		var q strings.Builder
		fmt.Fprintf(&q, "DELETE FROM %s WHERE ", quote(t.Name))
		var args []any
		for i, row := range batch[:n] {
			if i > 0 {
				q.WriteString(" OR ")
			}
			q.WriteByte('(')
			for j, k := range t.Key {
				if j > 0 {
					q.WriteString(" AND ")
				}
				args = append(args, duckValue(row[pos[j]]))
				fmt.Fprintf(&q, "%s = ?", quote(k))
			}
			q.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("duckdb: delete from %s: %w", table, err)
		}
		batch = batch[n:]
	}
	return tx.Commit()
}

func duckType(t olap.Type) duck.Type {
	switch t {
	case olap.Int64:
		return duck.TYPE_BIGINT
	case olap.Date:
		return duck.TYPE_DATE
	case olap.DateTime:
		return duck.TYPE_TIMESTAMP
	}
	return duck.TYPE_VARCHAR
}

// Query runs one statement in a transaction that is rolled back, so it
// cannot change the tables (unless the sink is read-only: then it cannot
// anyway).
func (s *Sink) Query(ctx context.Context, query string, args ...any) (*olap.Result, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	defer conn.Close()
	if err := oneStatement(conn, query); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	exact := olap.ExactDecimals(ctx)
	res, err := olap.ScanSQL(rows, func(v any, _ olap.Type) any {
		if d, ok := v.(duck.Decimal); ok {
			if exact {
				return olap.DecimalOf(d.Value, int(d.Scale))
			}
			return d.Float64()
		}
		return v
	})
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	return res, nil
}

// oneStatement refuses a query of several statements: the driver would
// run all but the last outside the query's transaction (a "ROLLBACK;"
// first would let the rest write). Only a query with a ';' can hold
// several, so only those are prepared twice.
func oneStatement(conn *sql.Conn, query string) error {
	if !strings.Contains(query, ";") {
		return nil
	}
	return conn.Raw(func(dc any) error {
		st, err := dc.(driver.Conn).Prepare(query) // one statement or an error
		if err != nil {
			if strings.Contains(err.Error(), "multi-statement") {
				return errors.New("duckdb: a query is one SQL statement; this one holds several")
			}
			return nil // the query itself reports it
		}
		return st.Close()
	})
}

// openError names why DuckDB could not open path: another process holds
// its lock, or the file is corrupt (not "locked": a corrupt block's
// checksum error mentions a "block", which an earlier match on "lock"
// took for a lock conflict).
func openError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock"):
		return fmt.Errorf("duckdb: %s is open in another process (a running rtdw holds it for writing; DuckDB allows one writer process): %w", path, err)
	case strings.Contains(msg, "Corrupt database file") || strings.Contains(msg, "not a valid DuckDB database file") ||
		strings.Contains(msg, "Could not read enough bytes"):
		return fmt.Errorf("duckdb: %s is corrupt: move it away and start rtdw again, which reloads the OLAP tables from the DWS topics: %w", path, err)
	}
	return fmt.Errorf("duckdb: open %s: %w", path, err)
}
