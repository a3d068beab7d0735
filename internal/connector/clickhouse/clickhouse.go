package clickhouse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
)

func init() {
	olap.Register(olap.KindClickHouse, func(ctx context.Context, c olap.Config) (olap.Sink, error) {
		return Open(ctx, Options{URL: c.Addr, User: c.User, Password: c.Password, Database: c.Database, Timeout: c.Timeout})
	})
}

// Options configure a ClickHouse sink.
type Options struct {
	// URL of the HTTP interface: http://ch:8123 (host:port means http://).
	URL            string
	User, Password string
	// Database; default gmall_realtime.
	Database string
	// Timeout of one load, DDL or query; default 60 s.
	Timeout time.Duration
	Client  *http.Client
}

// Validate fills defaults and reports unusable options.
func (o *Options) Validate() error {
	if o.URL != "" && !strings.Contains(o.URL, "://") {
		o.URL = "http://" + o.URL
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("clickhouse: URL %q is not like http://ch:8123", o.URL)
	}
	if o.User == "" {
		o.User = "default"
	}
	if o.Database == "" {
		o.Database = olap.DefaultDatabase
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	return nil
}

// Sink is a ClickHouse database.
type Sink struct {
	o Options

	mu     sync.Mutex
	tables *olap.Tables
	// versioned: the table's engine replaces by _rtdw_version (tables
	// created before versioned writes do not).
	versioned map[string]bool
}

// Open checks the options (the first request connects).
func Open(_ context.Context, o Options) (*Sink, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Sink{o: o, tables: olap.NewTables(olap.KindClickHouse), versioned: map[string]bool{}}, nil
}

// Close releases nothing: connections belong to the HTTP client.
func (s *Sink) Close() error { return nil }

func quote(id string) string { return "`" + id + "`" }

func chType(c olap.Column, key bool) string {
	var t string
	switch c.Type {
	case olap.String:
		t = "String"
	case olap.Int64:
		t = "Int64"
	case olap.Decimal:
		t = "Decimal(16, 2)"
	case olap.Date:
		t = "Date"
	case olap.DateTime:
		t = "DateTime"
	}
	if !key {
		t = "Nullable(" + t + ")"
	}
	return t
}

// CreateTableSQL is the DDL of t: ReplacingMergeTree(_rtdw_version,
// _rtdw_is_deleted) ordered by the key, partitioned by day.
func CreateTableSQL(db string, t olap.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", quote(db), quote(t.Name))
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", quote(c.Name), chType(c, t.IsKey(c.Name)))
	}
	// The version and delete flag of versioned writes (olap.VersionedSink);
	// plain upserts leave them 0, so among those the last insert wins.
	fmt.Fprintf(&b, ", %s UInt64 DEFAULT 0, %s UInt8 DEFAULT 0", quote(olap.VersionColumn), quote(olap.DeletedColumn))
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = quote(k)
	}
	fmt.Fprintf(&b, ") ENGINE = ReplacingMergeTree(%s, %s)", quote(olap.VersionColumn), quote(olap.DeletedColumn))
	if t.PartitionBy != "" {
		fmt.Fprintf(&b, " PARTITION BY %s", quote(t.PartitionBy))
	}
	fmt.Fprintf(&b, " ORDER BY (%s) SETTINGS non_replicated_deduplication_window = 1000", strings.Join(keys, ", "))
	return b.String()
}

// do POSTs body with the query parameters; ClickHouse answers errors
// with a non-200 status and the exception text.
func (s *Sink) do(ctx context.Context, params url.Values, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	u, _ := url.Parse(s.o.URL)
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-ClickHouse-User", s.o.User)
	req.Header.Set("X-ClickHouse-Key", s.o.Password)
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	return raw, nil
}

// TableSchema is the database its tables are in (olap.SchemaOwner).
func (s *Sink) TableSchema() string { return s.o.Database }

// EnsureTable creates the database and table if they do not exist.
func (s *Sink) EnsureTable(ctx context.Context, t olap.Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tables.Get(t.Name); ok {
		return nil
	}
	for _, ddl := range []string{"CREATE DATABASE IF NOT EXISTS " + quote(s.o.Database), CreateTableSQL(s.o.Database, t)} {
		if _, err := s.do(ctx, url.Values{}, []byte(ddl)); err != nil {
			return fmt.Errorf("clickhouse: create table %s: %w", t.Name, err)
		}
	}
	versioned, err := s.isVersioned(ctx, t.Name)
	if err != nil {
		return fmt.Errorf("clickhouse: table %s: %w", t.Name, err)
	}
	s.tables.Put(&t)
	s.versioned[t.Name] = versioned
	return nil
}

// Upsert inserts rows; ReplacingMergeTree keeps the last row of a key
// (the batch is deduplicated first, since rows of one insert have no order
// for the engine).
func (s *Sink) Upsert(ctx context.Context, table string, rows [][]byte) error {
	s.mu.Lock()
	e := s.tables.Lookup(table)
	s.mu.Unlock()
	t, batch, err := e.Batch("loading", rows)
	if batch == nil {
		return err
	}
	var body bytes.Buffer
	for _, row := range batch {
		olap.WriteJSONRow(&body, t, row)
		body.WriteByte('\n')
	}
	label, _ := olap.Label(ctx)
	if err := s.InsertJSON(ctx, table, t.ColumnNames(), body.Bytes(), label); err != nil {
		return fmt.Errorf("clickhouse: insert %s: %w", table, err)
	}
	return nil
}

// InsertJSON inserts JSONEachRow lines (objects of the named columns) into
// a table of the sink's database, which need not have been ensured (the
// SQL layer's clickhouse connector writes tables it did not create). A
// non-empty token is the insert_deduplication_token: ClickHouse drops an
// insert whose token it has seen (for replicated tables, or ones that set
// non_replicated_deduplication_window).
func (s *Sink) InsertJSON(ctx context.Context, table string, columns []string, body []byte, token string) error {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = quote(c)
	}
	params := url.Values{"query": {fmt.Sprintf("INSERT INTO %s.%s (%s) FORMAT JSONEachRow", quote(s.o.Database), quote(table), strings.Join(cols, ", "))}}
	if token != "" {
		params.Set("insert_deduplication_token", token)
	}
	_, err := s.do(ctx, params, body)
	return err
}

// Delete removes the keys' rows with a lightweight DELETE (olap.Deleter;
// ClickHouse >= 23.3, synchronous by default): every version of each key
// goes, so a row inserted later is kept. Deleting twice is deleting once.
func (s *Sink) Delete(ctx context.Context, table string, keys [][]byte) error {
	s.mu.Lock()
	e := s.tables.Lookup(table)
	s.mu.Unlock()
	t, batch, err := e.Batch("deleting", keys)
	if batch == nil {
		return err
	}
	var q strings.Builder
	fmt.Fprintf(&q, "DELETE FROM %s.%s WHERE ", quote(s.o.Database), quote(table))
	for i, row := range batch {
		if i > 0 {
			q.WriteString(" OR ")
		}
		q.WriteByte('(')
		for j, k := range t.Key {
			if j > 0 {
				q.WriteString(" AND ")
			}
			fmt.Fprintf(&q, "%s = %s", quote(k), literal(row[j], t.Columns[j].Type))
		}
		q.WriteByte(')')
	}
	if _, err := s.do(ctx, url.Values{}, []byte(q.String())); err != nil {
		return fmt.Errorf("clickhouse: delete from %s: %w", table, err)
	}
	return nil
}

// literal is a decoded value as a ClickHouse literal.
func literal(v any, t olap.Type) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case olap.Cents:
		return x.String()
	case time.Time:
		if t == olap.Date {
			return "'" + x.Format(olap.DateLayout) + "'"
		}
		return "'" + x.Format(olap.DateTimeLayout) + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(fmt.Sprint(v)) + "'"
}

// jsonCompact is ClickHouse's JSONCompact answer.
type jsonCompact struct {
	Meta []struct{ Name, Type string } `json:"meta"`
	Data [][]json.RawMessage           `json:"data"`
}

// Query runs sql read-only with FINAL on every table.
func (s *Sink) Query(ctx context.Context, query string, args ...any) (*olap.Result, error) {
	if len(args) > 0 {
		return nil, errors.New("clickhouse: query arguments are not supported; write literals")
	}
	params := url.Values{"database": {s.o.Database}, "default_format": {"JSONCompact"}, "readonly": {"2"}, "final": {"1"}}
	raw, err := s.do(ctx, params, []byte(query))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	var jc jsonCompact
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&jc); err != nil {
		return nil, fmt.Errorf("clickhouse: unreadable answer (not JSONCompact): %w", err)
	}
	res := &olap.Result{Rows: [][]any{}}
	for _, m := range jc.Meta {
		res.Columns = append(res.Columns, m.Name)
		res.Types = append(res.Types, olap.TypeOfDatabaseType(m.Type))
	}
	for _, r := range jc.Data {
		row := make([]any, len(r))
		for i, cell := range r {
			v, err := decodeCell(cell, res.Types[i])
			if err != nil {
				return nil, fmt.Errorf("clickhouse: column %s: %w", res.Columns[i], err)
			}
			row[i] = v
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// decodeCell reads a JSONCompact cell: 64-bit integers arrive quoted,
// decimals as numbers, dates as strings.
func decodeCell(cell json.RawMessage, t olap.Type) (any, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(cell))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	var text string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case json.Number:
		text = x.String()
	case string:
		text = x
	default:
		return string(cell), nil
	}
	switch t {
	case olap.Int64:
		return strconv.ParseInt(text, 10, 64)
	case olap.Decimal:
		return strconv.ParseFloat(text, 64)
	case olap.Date:
		return time.Parse(olap.DateLayout, text)
	case olap.DateTime:
		return time.Parse(olap.DateTimeLayout, text)
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
		return n.Float64()
	}
	return text, nil
}
