package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rtdw/rtdw/internal/olap"
)

func init() {
	olap.Register(olap.KindPostgres, func(ctx context.Context, c olap.Config) (olap.Sink, error) {
		return Open(ctx, Options{DSN: c.DSN, QueryDSN: c.QueryDSN, Schema: c.Database, Timeout: c.Timeout,
			AllowExternalAccess: c.AllowExternalAccess, Logger: c.Logger})
	})
}

// Options configure a PostgreSQL sink.
type Options struct {
	// DSN of the role that creates and loads the tables.
	DSN string
	// QueryDSN: the role queries connect as; default DSN. Give one that
	// can only SELECT the tables (docs/olap.md): it is what keeps a query
	// from the server's files when DSN is a superuser's.
	QueryDSN string
	// AllowExternalAccess runs queries with all the privileges of their
	// role. Off (the default), a query whose role is a superuser or may
	// read or write server files or run programs first drops to the
	// predefined role pg_read_all_data, for its transaction.
	AllowExternalAccess bool
	// Logger gets the warning that queries connect as such a role.
	Logger *slog.Logger
	// Schema of the tables; default gmall_realtime.
	Schema string
	// Timeout of one load or query; default 60 s.
	Timeout time.Duration
	// MaxIdle query connections kept open; default 4.
	MaxIdle int
}

// Validate fills defaults and reports unusable options.
func (o *Options) Validate() error {
	if o.DSN == "" {
		return errors.New("postgres: Options.DSN is required")
	}
	if o.Schema == "" {
		o.Schema = olap.DefaultDatabase
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.MaxIdle <= 0 {
		o.MaxIdle = 4
	}
	if o.QueryDSN == "" {
		o.QueryDSN = o.DSN
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// Sink is a PostgreSQL database.
type Sink struct {
	o    Options
	cfg  *pgx.ConnConfig // the writer's
	qcfg *pgx.ConnConfig // the queries'
	// dropRole: the query role is privileged (superuser, server files or
	// programs) and external access is off: each query transaction runs
	// SET LOCAL ROLE pg_read_all_data first.
	dropRole bool

	mu     sync.Mutex // one writer: loads and DDL
	writer *pgx.Conn
	tables *olap.Tables

	idle chan *pgx.Conn // query connections
}

// Open connects (and checks the connection).
func Open(ctx context.Context, o Options) (*Sink, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: dsn: %w", err)
	}
	cfg.RuntimeParams["search_path"] = quote(o.Schema) + ", public"
	qcfg, err := pgx.ParseConfig(o.QueryDSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: query dsn: %w", err)
	}
	qcfg.RuntimeParams["search_path"] = cfg.RuntimeParams["search_path"]
	if qcfg.DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol {
		// The simple protocol runs "SET TRANSACTION READ WRITE; INSERT
		// ..." as one query; the extended protocol takes one statement.
		qcfg.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
	}
	s := &Sink{o: o, cfg: cfg, qcfg: qcfg, tables: olap.NewTables(olap.KindPostgres), idle: make(chan *pgx.Conn, o.MaxIdle)}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, err := s.get(ctx)
	if err != nil {
		return nil, err
	}
	if !o.AllowExternalAccess {
		var role string
		var privileged bool
		if err := c.QueryRow(ctx, privilegedSQL).Scan(&role, &privileged); err != nil {
			c.Close(context.Background()) // the sink is not returned: nothing would close it
			return nil, fmt.Errorf("postgres: checking the query role's privileges: %w", err)
		}
		if privileged {
			s.dropRole = true
			o.Logger.Warn("olap: PostgreSQL queries connect as a role that can reach the server's files or programs; "+
				"each runs as pg_read_all_data instead, which a crafted query can leave: set olap.query_dsn to a role that can only SELECT",
				"role", role)
		}
	}
	s.put(c)
	return s, nil
}

// privilegedSQL: the current role and whether it is a superuser or may use
// the predefined roles that read or write server files or run programs.
const privilegedSQL = `SELECT r.rolname::text, r.rolsuper OR EXISTS (
	SELECT 1 FROM pg_roles g
	WHERE g.rolname IN ('pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program')
	  AND pg_has_role(r.oid, g.oid, 'MEMBER'))
FROM pg_roles r WHERE r.rolname = current_user`

func (s *Sink) get(ctx context.Context) (*pgx.Conn, error) {
	select {
	case c := <-s.idle:
		if !c.IsClosed() {
			return c, nil
		}
	default:
	}
	c, err := pgx.ConnectConfig(ctx, s.qcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return c, nil
}

func (s *Sink) put(c *pgx.Conn) {
	if c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		return
	}
	select {
	case s.idle <- c:
	default:
		c.Close(context.Background())
	}
}

// Close closes every connection.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writer != nil {
		s.writer.Close(context.Background())
		s.writer = nil
	}
	for {
		select {
		case c := <-s.idle:
			c.Close(context.Background())
		default:
			return nil
		}
	}
}

func quote(id string) string { return pgx.Identifier{id}.Sanitize() }

func sqlType(t olap.Type) string {
	switch t {
	case olap.String:
		return "TEXT"
	case olap.Int64:
		return "BIGINT"
	case olap.Decimal:
		return "NUMERIC(16,2)"
	case olap.Date:
		return "DATE"
	case olap.DateTime:
		return "TIMESTAMP"
	}
	return ""
}

// CreateTableSQL is the DDL of t in schema.
func CreateTableSQL(schema string, t olap.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", quote(schema), quote(t.Name))
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "%s %s", quote(c.Name), sqlType(c.Type))
		if t.IsKey(c.Name) {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(", ")
	}
	fmt.Fprintf(&b, "PRIMARY KEY (%s))", quoteList(t.Key))
	return b.String()
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = quote(id)
	}
	return strings.Join(q, ", ")
}

// alreadyExists: another process created the object between our IF NOT
// EXISTS check and our CREATE (PostgreSQL's catalog race).
func alreadyExists(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P07" || pe.Code == "42P06" || pe.Code == "23505")
}

// writerConn returns the writer connection, reconnecting after a failure.
func (s *Sink) writerConn(ctx context.Context) (*pgx.Conn, error) {
	if s.writer != nil && !s.writer.IsClosed() {
		return s.writer, nil
	}
	c, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s.writer = c
	return c, nil
}

// dropWriter closes the writer after an error: its session state (a
// failed transaction, half a COPY) is not worth repairing.
func (s *Sink) dropWriter() {
	if s.writer != nil {
		s.writer.Close(context.Background())
		s.writer = nil
	}
}

// TableSchema is the schema its tables are in (olap.SchemaOwner).
func (s *Sink) TableSchema() string { return s.o.Schema }

// EnsureTable creates the schema and table if they do not exist.
func (s *Sink) EnsureTable(ctx context.Context, t olap.Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tables.Get(t.Name); ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	c, err := s.writerConn(ctx)
	if err != nil {
		return err
	}
	for _, ddl := range []string{"CREATE SCHEMA IF NOT EXISTS " + quote(s.o.Schema), CreateTableSQL(s.o.Schema, t), VersionTableSQL(s.o.Schema)} {
		if _, err := c.Exec(ctx, ddl); err != nil && !alreadyExists(err) {
			s.dropWriter()
			return fmt.Errorf("postgres: create table %s: %w", t.Name, err)
		}
	}
	s.tables.Put(&t)
	return nil
}

// Upsert loads rows in one transaction: COPY into a staging table, then
// INSERT ... ON CONFLICT DO UPDATE.
func (s *Sink) Upsert(ctx context.Context, table string, rows [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, batch, err := s.tables.Lookup(table).Batch("loading", rows)
	if batch == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	c, err := s.writerConn(ctx)
	if err != nil {
		return err
	}
	if err := s.load(ctx, c, t, batch); err != nil {
		s.dropWriter()
		return fmt.Errorf("postgres: load %s: %w", table, err)
	}
	return nil
}

func (s *Sink) load(ctx context.Context, c *pgx.Conn, t *olap.Table, batch [][]any) error {
	stage := "rtdw_stage_" + t.Name
	target := quote(s.o.Schema) + "." + quote(t.Name)
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE IF NOT EXISTS %s (LIKE %s) ON COMMIT DELETE ROWS", quote(stage), target)); err != nil {
		return err
	}
	src := make([][]any, len(batch))
	for i, row := range batch {
		src[i] = copyRow(row, 0)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, t.ColumnNames(), pgx.CopyFromRows(src)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, upsertSQL(target, quote(stage), t)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// upsertSQL moves the rows of the staging table stage into target: INSERT
// ... ON CONFLICT (key) DO UPDATE (DO NOTHING when every column is a key
// column).
func upsertSQL(target, stage string, t *olap.Table) string {
	cols := quoteList(t.ColumnNames())
	var set []string
	for _, col := range t.Columns[len(t.Key):] {
		set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", quote(col.Name), quote(col.Name)))
	}
	conflict := "DO NOTHING"
	if len(set) > 0 {
		conflict = "DO UPDATE SET " + strings.Join(set, ", ")
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT (%s) %s", target, cols, cols, stage, quoteList(t.Key), conflict)
}

// copyRow is a decoded row as COPY takes it (decimals as pgtype.Numeric),
// with room for extra more values.
func copyRow(row []any, extra int) []any {
	r := make([]any, len(row), len(row)+extra)
	for j, v := range row {
		r[j] = pgValue(v)
	}
	return r
}

// pgValue is a decoded value as pgx takes it: Cents as a NUMERIC with two
// decimals, the rest as they are.
func pgValue(v any) any {
	if cents, ok := v.(olap.Cents); ok {
		return pgtype.Numeric{Int: big.NewInt(int64(cents)), Exp: -2, Valid: true}
	}
	return v
}

// Delete removes the rows of the keys in one statement (olap.Deleter).
func (s *Sink) Delete(ctx context.Context, table string, keys [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, batch, err := s.tables.Lookup(table).Batch("deleting", keys)
	if batch == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	c, err := s.writerConn(ctx)
	if err != nil {
		return err
	}
	var q strings.Builder
	fmt.Fprintf(&q, "DELETE FROM %s.%s WHERE (%s) IN (", quote(s.o.Schema), quote(t.Name), quoteList(t.Key))
	var args []any
	for i, row := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j := range t.Key {
			if j > 0 {
				q.WriteString(", ")
			}
			args = append(args, pgValue(row[j]))
			fmt.Fprintf(&q, "$%d", len(args))
		}
		q.WriteByte(')')
	}
	q.WriteByte(')')
	if _, err := c.Exec(ctx, q.String(), args...); err != nil {
		s.dropWriter()
		return fmt.Errorf("postgres: delete from %s: %w", table, err)
	}
	return nil
}

// Query runs one statement in a READ ONLY transaction that is rolled
// back; as pg_read_all_data when the query role is privileged (dropRole).
func (s *Sink) Query(ctx context.Context, query string, args ...any) (*olap.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	c, err := s.get(ctx)
	if err != nil {
		return nil, err
	}
	defer s.put(c)
	res, err := s.query(ctx, c, query, args)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return res, nil
}

func (s *Sink) query(ctx context.Context, c *pgx.Conn, query string, args []any) (*olap.Result, error) {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.Background())
	if s.dropRole {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE pg_read_all_data"); err != nil {
			return nil, fmt.Errorf("the query role may reach server files, and dropping to pg_read_all_data failed "+
				"(PostgreSQL >= 14 has it): set olap.query_dsn to a role that can only SELECT: %w", err)
		}
	}
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	res := &olap.Result{Columns: make([]string, len(fds)), Types: make([]olap.Type, len(fds)), Rows: [][]any{}}
	for i, fd := range fds {
		res.Columns[i] = fd.Name
		if typ, ok := c.TypeMap().TypeForOID(fd.DataTypeOID); ok {
			res.Types[i] = olap.TypeOfDatabaseType(typ.Name)
		}
	}
	exact := olap.ExactDecimals(ctx)
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			if n, ok := v.(pgtype.Numeric); ok && exact && n.Valid && !n.NaN && n.InfinityModifier == pgtype.Finite {
				v = olap.DecimalOf(n.Int, -int(n.Exp))
			} else if n, ok := v.(pgtype.Numeric); ok {
				f, err := n.Float64Value()
				if err != nil {
					return nil, err
				}
				v = nil
				if f.Valid {
					v = f.Float64
				}
			}
			vals[i] = olap.NormalizeValue(v)
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}
