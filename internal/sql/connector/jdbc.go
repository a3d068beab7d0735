package connector

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'jdbc' connector: a table of MySQL, MariaDB or PostgreSQL, with
// Flink's JDBC connector options. This file holds what every role shares
// (the URL, the connection pool, quoting, value conversion: jdbcConn), the
// lookup source and the bounded scan source; the sink lives in
// jdbc_sink*.go and sets jdbcFactory.NewSink (and appends its options).
//
// URLs: jdbc:mysql://host[:port][/database][?params], jdbc:mariadb://...
// (the MySQL protocol, go-sql-driver/mysql) and
// jdbc:postgresql://host[:port][/database][?params] (pgx). Of the JDBC
// URL parameters rtdw uses: MySQL serverTimezone / connectionTimeZone (the
// zone of DATETIME and TIMESTAMP text read into a TIMESTAMP_LTZ column),
// useSSL / requireSSL / sslMode (TLS; certificates are verified only with
// sslMode VERIFY_CA or VERIFY_IDENTITY, as Connector/J), connectTimeout and
// socketTimeout (ms); PostgreSQL sslmode (or ssl=true: require),
// currentSchema (search_path), connectTimeout (s), ApplicationName, and
// user / password in the URL of both. Other parameters are ignored (one
// info log line). 'table-name' may be qualified (db.table, schema.table).
//
// Column names are the DDL's; values are read into the DDL's types as CAST
// from the database's value would (sqlValue): a value that does not fit
// dead-letters the input row of a lookup with code lookup_bad_value.
//
// Lookup (Flink's JdbcRowDataLookupFunction): SELECT the table's columns
// WHERE key = ? AND ..., one query per key (cached per task by the
// lookup.cache options), on a pool shared by every table of the same
// database in the process. Every database error is a retryable store
// error: the join retries 'lookup.max-retries' times, then the task fails
// and restarts from its checkpoint (a missing table stalls the job, loud
// in the log, rather than dead-letter every row).
//
// Scan (bounded, as Flink's JDBC source): rtdw's engine reads topics, so
// before the job starts (Context.AddPrepare) the table is read, ordered by
// its PRIMARY KEY (else by every column, so that the order is repeatable),
// into an internal topic ("_rtdw-jdbc-<table>-<hash>"; the hash covers the
// job, the URL without password, the table and the schema), each row keyed
// by its position, followed by an end marker. The table is read once per
// job: a restart after a crash reads on from the position after the last
// row the topic holds (rows are not read twice, so the job's output equals
// an uninterrupted run's), and a later run of the same job, finding the
// marker, reads nothing more (the bounded source has ended, as a finished
// Flink source is not read again on restore). A job of another name reads
// the table anew. A value that does not fit its column is written as a bad
// record, dead-lettered when the job reads it.

var jdbcIgnored = []string{"driver", "scan.partition.column", "scan.partition.num", "scan.partition.lower-bound",
	"scan.partition.upper-bound", "scan.fetch-size", "scan.auto-commit", "compatible-mode"}

var jdbcFactory = &Factory{
	Name: "jdbc",
	Doc:  "A MySQL, MariaDB or PostgreSQL table: bounded scan source, lookup source (with cache), sink.",
	Options: withLookupOptions(
		spec("url", "", true, "jdbc:mysql://host:3306/db, jdbc:mariadb://host:3306/db or jdbc:postgresql://host:5432/db, with parameters."),
		spec("table-name", "", true, "The table (db.table or schema.table may qualify it)."),
		spec("username", "", false, "User name (or 'user' in the URL)."),
		spec("password", "", false, "Password (or 'password' in the URL)."),
		spec("driver", "", false, "Accepted and not used: the driver follows the URL."),
		spec("connection.max-retry-timeout", "60 s", false, "Timeout of establishing a connection."),
		spec("scan.partition.column", "", false, "Accepted and not used: the scan reads the table in one query."),
		spec("scan.partition.num", "", false, "Accepted and not used."),
		spec("scan.partition.lower-bound", "", false, "Accepted and not used."),
		spec("scan.partition.upper-bound", "", false, "Accepted and not used."),
		spec("scan.fetch-size", "", false, "Accepted and not used: rows are streamed."),
		spec("scan.auto-commit", "true", false, "Accepted and not used."),
		spec("compatible-mode", "", false, "Accepted and not used."),
	),
}

func init() {
	jdbcFactory.NewSource = newJDBCSource
	jdbcFactory.NewLookup = newJDBCLookup
	Register(jdbcFactory)
}

// jdbcDialect is the database family of a URL.
type jdbcDialect uint8

const (
	dialectMySQL jdbcDialect = iota // MySQL and MariaDB
	dialectPostgres
)

// jdbcConn is a parsed jdbc table: how to connect and how to write SQL
// for it.
type jdbcConn struct {
	dialect jdbcDialect
	dsn     string // go-sql-driver DSN (MySQL) or postgres:// URL (pgx)
	display string // the URL without password, for messages
	table   string // quoted, qualified
	loc     *time.Location
}

// parseJDBC reads the connection options of t (not the role's options:
// the caller checked those with checkOptions).
func parseJDBC(ctx *Context, f *Factory, t *Table) (*jdbcConn, error) {
	raw := opt(t, "url", "")
	rest, ok := strings.CutPrefix(raw, "jdbc:")
	if !ok {
		return nil, fmt.Errorf("%s: 'url' = '%s': want jdbc:mysql://, jdbc:mariadb:// or jdbc:postgresql://", where(f, t), raw)
	}
	u, err := url.Parse(rest)
	if err != nil || u.Host == "" || strings.Contains(u.Host, ",") {
		return nil, fmt.Errorf("%s: 'url' = '%s': want jdbc:<mysql|mariadb|postgresql>://host[:port]/database (one host)", where(f, t), raw)
	}
	c := &jdbcConn{}
	var defPort string
	switch u.Scheme {
	case "mysql", "mariadb":
		c.dialect, defPort = dialectMySQL, "3306"
	case "postgresql", "postgres":
		c.dialect, defPort = dialectPostgres, "5432"
	default:
		return nil, fmt.Errorf("%s: 'url' = '%s': database %q is not supported (mysql, mariadb, postgresql)", where(f, t), raw, u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = defPort
	}
	addr := net.JoinHostPort(host, port)
	db := strings.TrimPrefix(u.Path, "/")
	q := u.Query()
	user, pass := q.Get("user"), q.Get("password")
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	_, hasUser := t.Options["username"]
	_, hasPass := t.Options["password"]
	if hasPass && !hasUser && user == "" {
		return nil, fmt.Errorf("%s: Either all or none of the following options should be provided: username, password (or a user in 'url')", where(f, t))
	}
	if v, ok := t.Options["username"]; ok {
		user = v
	}
	if v, ok := t.Options["password"]; ok {
		pass = v
	}
	timeout, err := durationOpt(f, t, "connection.max-retry-timeout", time.Minute)
	if err != nil {
		return nil, err
	}
	if timeout < time.Second {
		return nil, fmt.Errorf("%s: The value of 'connection.max-retry-timeout' option shouldn't be smaller than 1 second, but is %s", where(f, t), timeout)
	}
	if err := jdbcPartitionOptions(f, t); err != nil {
		return nil, err
	}
	if ctx != nil && ctx.Loc != nil {
		c.loc = ctx.Loc
	}
	millis := func(k string) (time.Duration, error) {
		n, err := strconv.ParseInt(q.Get(k), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s: 'url' parameter %s=%s: want milliseconds", where(f, t), k, q.Get(k))
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	var ignored []string
	switch c.dialect {
	case dialectMySQL:
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, pass, "tcp", addr, db
		cfg.Params = map[string]string{"charset": "utf8mb4"}
		cfg.InterpolateParams = true // one round trip per lookup
		cfg.Loc = time.UTC
		cfg.Timeout = timeout
		tls := ""
		for k := range q {
			v := q.Get(k)
			switch k {
			case "user", "password":
			case "serverTimezone", "connectionTimeZone":
				loc, err := format.ParseTimeZone(v)
				if err != nil {
					return nil, fmt.Errorf("%s: 'url' parameter %s=%s: %v", where(f, t), k, v, err)
				}
				c.loc = loc
			case "useSSL", "requireSSL":
				if b, _ := strconv.ParseBool(v); b && tls == "" {
					tls = "skip-verify"
				}
			case "sslMode":
				switch strings.ToUpper(v) {
				case "DISABLED":
					tls = "false"
				case "PREFERRED":
					tls = "preferred"
				case "REQUIRED":
					tls = "skip-verify"
				case "VERIFY_CA", "VERIFY_IDENTITY":
					tls = "true"
				}
			case "connectTimeout":
				if cfg.Timeout, err = millis(k); err != nil {
					return nil, err
				}
			case "socketTimeout":
				d, err := millis(k)
				if err != nil {
					return nil, err
				}
				cfg.ReadTimeout, cfg.WriteTimeout = d, d
			default:
				ignored = append(ignored, k)
			}
		}
		if tls != "" && tls != "false" {
			cfg.TLSConfig = tls
		}
		c.dsn = cfg.FormatDSN()
	case dialectPostgres:
		pu := url.URL{Scheme: "postgres", Host: addr, Path: "/" + db}
		if user != "" {
			pu.User = url.UserPassword(user, pass)
			if pass == "" {
				pu.User = url.User(user)
			}
		}
		pq := url.Values{}
		pq.Set("connect_timeout", strconv.Itoa(max(1, int(timeout/time.Second))))
		for k := range q {
			v := q.Get(k)
			switch k {
			case "user", "password":
			case "sslmode":
				pq.Set("sslmode", v)
			case "ssl":
				if b, _ := strconv.ParseBool(v); b && q.Get("sslmode") == "" {
					pq.Set("sslmode", "require")
				}
			case "currentSchema":
				pq.Set("search_path", v)
			case "connectTimeout":
				pq.Set("connect_timeout", v)
			case "ApplicationName":
				pq.Set("application_name", v)
			default:
				ignored = append(ignored, k)
			}
		}
		pu.RawQuery = pq.Encode()
		c.dsn = pu.String()
	}
	display := *u
	display.User = nil
	dq := u.Query()
	dq.Del("password")
	display.RawQuery = dq.Encode()
	c.display = "jdbc:" + display.String()
	if len(ignored) > 0 {
		slices.Sort(ignored)
		logger(ctx).Info("ignoring JDBC URL parameters rtdw does not use", "table", t.Name, "parameters", strings.Join(ignored, ", "))
	}
	name := opt(t, "table-name", "")
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%s: 'table-name' is empty", where(f, t))
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("%s: 'table-name' = '%s' has an empty part", where(f, t), name)
		}
		parts[i] = c.quote(p)
	}
	c.table = strings.Join(parts, ".")
	return c, nil
}

// quote quotes an identifier.
func (c *jdbcConn) quote(id string) string {
	if c.dialect == dialectPostgres {
		return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
	}
	return "`" + strings.ReplaceAll(id, "`", "``") + "`"
}

// placeholder is the i-th (0-based) parameter marker.
func (c *jdbcConn) placeholder(i int) string {
	if c.dialect == dialectPostgres {
		return "$" + strconv.Itoa(i+1)
	}
	return "?"
}

// columns is the quoted, comma-separated list of the columns cols of s.
func (c *jdbcConn) columns(s *row.Schema, cols []int) string {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = c.quote(s.Column(col).Name)
	}
	return strings.Join(names, ", ")
}

// Connections: one pool per database and process (shared, closed by
// CloseLookups): database/sql with go-sql-driver/mysql for MySQL, a small
// pool of pgx connections for PostgreSQL.

// mysqlDB returns the process's pool of a MySQL database.
func (c *jdbcConn) mysqlDB() (*sql.DB, error) {
	return shared("jdbc-mysql\x00"+c.dsn, func() (*sql.DB, error) {
		db, err := sql.Open("mysql", c.dsn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.display, err)
		}
		db.SetMaxIdleConns(16)
		db.SetConnMaxIdleTime(time.Minute)
		return db, nil
	})
}

// pgPool is a pool of connections to a PostgreSQL database.
type pgPool struct {
	cfg  *pgx.ConnConfig
	idle chan *pgx.Conn
}

// pgPool returns the process's pool of a PostgreSQL database.
func (c *jdbcConn) pgPool() (*pgPool, error) {
	return shared("jdbc-pg\x00"+c.dsn, func() (*pgPool, error) {
		cfg, err := pgx.ParseConfig(c.dsn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.display, err)
		}
		return &pgPool{cfg: cfg, idle: make(chan *pgx.Conn, 16)}, nil
	})
}

// get takes an idle connection or opens one.
func (p *pgPool) get(ctx context.Context) (*pgx.Conn, error) {
	for {
		select {
		case c := <-p.idle:
			if c.IsClosed() {
				continue
			}
			return c, nil
		default:
		}
		return pgx.ConnectConfig(ctx, p.cfg)
	}
}

// put returns a connection: kept if it is idle and healthy.
func (p *pgPool) put(c *pgx.Conn) {
	if c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		return
	}
	select {
	case p.idle <- c:
	default:
		c.Close(context.Background())
	}
}

// Close closes the idle connections.
func (p *pgPool) Close() error {
	for {
		select {
		case c := <-p.idle:
			c.Close(context.Background())
		default:
			return nil
		}
	}
}

// jdbcRows are a query's result rows, as Go values.
type jdbcRows interface {
	Next() bool
	Values() ([]any, error)
	Err() error
	Close()
}

// query runs a read-only query on the database's pool.
func (c *jdbcConn) query(ctx context.Context, q string, args ...any) (jdbcRows, error) {
	if c.dialect == dialectPostgres {
		p, err := c.pgPool()
		if err != nil {
			return nil, err
		}
		conn, err := p.get(ctx)
		if err != nil {
			return nil, err
		}
		rows, err := conn.Query(ctx, q, args...)
		if err != nil {
			p.put(conn)
			return nil, err
		}
		return &pgRows{Rows: rows, release: func() { p.put(conn) }}, nil
	}
	db, err := c.mysqlDB()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return &sqlRows{rows: rows}, nil
}

type pgRows struct {
	pgx.Rows
	release func()
}

func (r *pgRows) Close() {
	r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
}

type sqlRows struct {
	rows       *sql.Rows
	vals, ptrs []any
}

func (r *sqlRows) Next() bool { return r.rows.Next() }
func (r *sqlRows) Err() error { return r.rows.Err() }
func (r *sqlRows) Close()     { r.rows.Close() }

// Values scans the current row ([]byte values are copies).
func (r *sqlRows) Values() ([]any, error) {
	if r.ptrs == nil {
		cols, err := r.rows.Columns()
		if err != nil {
			return nil, err
		}
		r.vals, r.ptrs = make([]any, len(cols)), make([]any, len(cols))
		for i := range r.vals {
			r.ptrs[i] = &r.vals[i]
		}
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, err
	}
	return r.vals, nil
}

// arg is v as a query argument compared with (or written to) a column of
// type t; ok is false when v is no value of t (then it equals none of the
// column's values). PostgreSQL gets text (the server parses it as the
// column's type), MySQL numbers as numbers, so that an index on the
// column serves the comparison.
func (c *jdbcConn) arg(v row.Value, t row.Type) (any, bool) {
	k, ok := keyAs(v, t, c.loc)
	if !ok {
		return nil, false
	}
	switch {
	case k.IsNull():
		return nil, true
	case t.IsBinary():
		return []byte(k.Str()), true
	case c.dialect == dialectPostgres && t.Kind == row.KindTimestampLTZ:
		// The session zone's wall clock with its offset: a timestamptz
		// column stores the instant (PostgreSQL would read a bare wall
		// clock in its own TimeZone), a timestamp column the wall clock.
		loc := c.loc
		if loc == nil {
			loc = time.UTC
		}
		return valueText(k, loc) + time.UnixMilli(k.Millis()).In(loc).Format("-07:00"), true
	case c.dialect == dialectPostgres:
		return valueText(k, c.loc), true
	case t.IsInteger():
		return k.Int64(), true
	case t.Kind == row.KindBoolean:
		if k.Bool() {
			return int64(1), true
		}
		return int64(0), true
	case t.Kind == row.KindFloat, t.Kind == row.KindDouble:
		return k.Float64(), true
	}
	return valueText(k, c.loc), true
}

// readRow converts one scanned row (vals in the order of cols) into r.
func (c *jdbcConn) readRow(s *row.Schema, cols []int, vals []any, r *row.Row) error {
	r.Reset(row.Insert, s.Len())
	for i, col := range cols {
		v, err := sqlValue(vals[i], s.Column(col).Type, c.loc)
		if err != nil {
			return fmt.Errorf("column %s: %v", s.Column(col).Name, err)
		}
		r.Values[col] = v
	}
	return nil
}

// newJDBCTable validates t's options and columns and parses its URL: what
// every role of a jdbc table (scan, lookup, sink) shares.
func newJDBCTable(ctx *Context, t *Table) (*jdbcConn, *layout, error) {
	f := jdbcFactory
	if err := checkOptions(ctx, f, t, jdbcIgnored); err != nil {
		return nil, nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, nil, err
	}
	if err := checkScalarColumns(f, t, l.physical); err != nil {
		return nil, nil, err
	}
	c, err := parseJDBC(ctx, f, t)
	if err != nil {
		return nil, nil, err
	}
	return c, l, nil
}

// jdbcLookup is the lookup source of a jdbc table.
type jdbcLookup struct {
	c        *jdbcConn
	t        *Table
	cols     []int // every column, in schema order
	keyTypes []row.Type
	query    string
	opts     LookupOptions
}

func newJDBCLookup(ctx *Context, t *Table, keyCols []int) (LookupSource, error) {
	f := jdbcFactory
	c, l, err := newJDBCTable(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := lookupKeyCols(f, t, keyCols); err != nil {
		return nil, err
	}
	opts, err := parseLookupOptions(f, t)
	if err != nil {
		return nil, err
	}
	s := &jdbcLookup{c: c, t: t, cols: l.physical, opts: opts}
	var where []string
	for i, k := range keyCols {
		s.keyTypes = append(s.keyTypes, t.Schema.Column(k).Type)
		where = append(where, c.quote(t.Schema.Column(k).Name)+" = "+c.placeholder(i))
	}
	s.query = "SELECT " + c.columns(t.Schema, s.cols) + " FROM " + c.table + " WHERE " + strings.Join(where, " AND ")
	return s, nil
}

func (s *jdbcLookup) LookupOptions() LookupOptions { return s.opts }

func (s *jdbcLookup) Lookup(ctx context.Context, keys []row.Value) ([]row.Row, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		a, ok := s.c.arg(k, s.keyTypes[i])
		if !ok {
			return nil, nil
		}
		args[i] = a
	}
	rows, err := s.c.query(ctx, s.query, args...)
	if err != nil {
		return nil, stream.Retryable(fmt.Errorf("jdbc %s table %s: %w", s.c.display, s.c.table, err))
	}
	defer rows.Close()
	var out []row.Row
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, stream.Retryable(fmt.Errorf("jdbc %s table %s: %w", s.c.display, s.c.table, err))
		}
		var r row.Row
		if err := s.c.readRow(s.t.Schema, s.cols, vals, &r); err != nil {
			return nil, stream.BadInput("lookup_bad_value", "jdbc table %s: %v", s.t.Name, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, stream.Retryable(fmt.Errorf("jdbc %s table %s: %w", s.c.display, s.c.table, err))
	}
	return out, nil
}

// The scan's internal topic holds rows (row.AppendRow, keyed by their
// 8-byte position), bad rows and the end marker, told apart by the first
// byte of the value (a row starts with row.BinaryVersion).
const (
	jdbcEndMarker byte = 0 // value: 0, "end"; key "end"
	jdbcBadRow    byte = 2 // value: 2, the error; keyed by position
)

var jdbcEndKey = []byte("end")

// jdbcSource is the bounded scan of a jdbc table.
type jdbcSource struct {
	ctx     *Context
	c       *jdbcConn
	t       *Table
	cols    []int
	topic   string
	started bool
}

func newJDBCSource(ctx *Context, t *Table) (Source, error) {
	c, l, err := newJDBCTable(ctx, t)
	if err != nil {
		return nil, err
	}
	s := &jdbcSource{ctx: ctx, c: c, t: t, cols: l.physical}
	s.topic = s.topicName()
	return s, nil
}

func (s *jdbcSource) topicName() string {
	h := sha256.New()
	job := ""
	if s.ctx != nil {
		job = s.ctx.Job
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%v", job, s.c.display, s.c.table, s.t.Schema, s.t.PrimaryKey)
	name := []byte(s.t.ObjectName)
	for i, ch := range name {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
			name[i] = '_'
		}
	}
	if len(name) > 150 {
		name = name[:150]
	}
	return "_rtdw-jdbc-" + string(name) + "-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// Mode: the rows of a table scan are inserts.
func (s *jdbcSource) Mode() ChangelogMode { return InsertOnly }

// Attach registers the scan (Context.AddPrepare) and reads its topic.
func (s *jdbcSource) Attach(j *stream.Job, opts ...stream.SourceOption) (stream.Stream, error) {
	if s.ctx == nil || s.ctx.Log == nil {
		return stream.Stream{}, fmt.Errorf("%s: needs the log to write the table's rows to", where(jdbcFactory, s.t))
	}
	if s.ctx.AddPrepare != nil && !s.started {
		s.started = true
		s.ctx.AddPrepare(s.prepare)
	}
	schema := s.t.Schema
	decode := stream.Decoded(func() stream.RowDecode {
		var r row.Row
		return func(value []byte, emit func(*row.Row)) error {
			if len(value) > 0 {
				switch value[0] {
				case jdbcEndMarker:
					return nil
				case jdbcBadRow:
					return stream.BadInput("bad_value", "%s", value[1:])
				}
			}
			if err := row.DecodeRow(value, schema, &r); err != nil {
				return stream.BadInput("bad_row", "%v", err)
			}
			emit(&r)
			return nil
		}
	})
	return j.Source(s.topic, append(slices.Clone(opts), decode)...), nil
}

// prepare reads the table (from the position after the rows the topic
// holds) into the topic, unless it holds the end marker.
func (s *jdbcSource) prepare() error {
	ctx := context.Background()
	l := s.ctx.Log
	if _, err := rlog.EnsureTopic(ctx, l, s.topic, rlog.TopicConfig{Partitions: 1}); err != nil {
		return fmt.Errorf("jdbc %s: %w", s.t.Name, err)
	}
	next, done, err := s.written(ctx)
	if err != nil || done {
		return err
	}
	order := s.t.PrimaryKey
	if len(order) == 0 {
		order = s.cols
	}
	query := "SELECT " + s.c.columns(s.t.Schema, s.cols) + " FROM " + s.c.table + " ORDER BY " + s.c.columns(s.t.Schema, order)
	rows, err := s.c.query(ctx, query)
	if err != nil {
		return fmt.Errorf("jdbc %s: scan %s: %w", s.t.Name, s.c.display, err)
	}
	defer rows.Close()
	now := time.Now
	if s.ctx.Now != nil {
		now = s.ctx.Now
	}
	ts := now().UnixMilli()
	var (
		pos  int64
		recs []rlog.Record
		buf  []byte
		r    row.Row
	)
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		if err := l.Produce(ctx, recs...); err != nil {
			return fmt.Errorf("jdbc %s: %w", s.t.Name, err)
		}
		recs, buf = recs[:0], nil
		return nil
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return fmt.Errorf("jdbc %s: scan %s: %w", s.t.Name, s.c.display, err)
		}
		p := pos
		pos++
		if p < next {
			continue // written by an earlier, interrupted run
		}
		start := len(buf)
		if err := s.c.readRow(s.t.Schema, s.cols, vals, &r); err != nil {
			buf = append(append(buf, jdbcBadRow), fmt.Sprintf("jdbc table %s, row %d: %v", s.t.Name, p, err)...)
		} else if buf, err = row.AppendRow(buf, s.t.Schema, &r); err != nil {
			buf = append(append(buf[:start], jdbcBadRow), fmt.Sprintf("jdbc table %s, row %d: %v", s.t.Name, p, err)...)
		}
		recs = append(recs, rlog.Record{Topic: s.topic, Key: binary.BigEndian.AppendUint64(nil, uint64(p)),
			Value: buf[start:len(buf):len(buf)], Timestamp: ts})
		if len(recs) >= 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("jdbc %s: scan %s: %w", s.t.Name, s.c.display, err)
	}
	recs = append(recs, rlog.Record{Topic: s.topic, Key: jdbcEndKey, Value: []byte{jdbcEndMarker, 'e', 'n', 'd'}, Timestamp: ts})
	return flush()
}

// written is the number of rows the topic holds (the position in the key
// of its last row, plus one), and whether it ends with the end marker.
func (s *jdbcSource) written(ctx context.Context) (int64, bool, error) {
	tp := rlog.TopicPartition{Topic: s.topic}
	start, end, err := s.ctx.Log.Offsets(ctx, tp)
	if err != nil || end == start {
		return 0, false, err
	}
	for off := max(start, end-16); ; off = max(start, off-16) {
		recs, err := s.ctx.Log.Fetch(ctx, tp, off, 16, 0)
		if err != nil {
			return 0, false, err
		}
		for i := len(recs) - 1; i >= 0; i-- {
			switch k := recs[i].Key; {
			case string(k) == string(jdbcEndKey):
				return 0, true, nil
			case len(k) == 8:
				return int64(binary.BigEndian.Uint64(k)) + 1, false, nil
			}
		}
		if off == start {
			return 0, false, nil
		}
	}
}

// jdbcPartitionOptions checks the scan.partition.* options as Flink's
// JDBC connector does, though rtdw reads the table in one query.
func jdbcPartitionOptions(f *Factory, t *Table) error {
	keys := []string{"scan.partition.column", "scan.partition.num", "scan.partition.lower-bound", "scan.partition.upper-bound"}
	n := 0
	for _, k := range keys {
		if _, ok := t.Options[k]; ok {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if n != len(keys) {
		return fmt.Errorf("%s: Either all or none of the following options should be provided: %s", where(f, t), strings.Join(keys, ", "))
	}
	lo, err := intOpt(f, t, "scan.partition.lower-bound", 0)
	if err != nil {
		return err
	}
	hi, err := intOpt(f, t, "scan.partition.upper-bound", 0)
	if err != nil {
		return err
	}
	if lo > hi {
		return fmt.Errorf("%s: 'scan.partition.lower-bound'='%d' must not be larger than 'scan.partition.upper-bound'='%d'.", where(f, t), lo, hi)
	}
	return nil
}
