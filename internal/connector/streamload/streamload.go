package streamload

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/rtdw/rtdw/internal/olap"
)

func init() {
	for _, kind := range []string{olap.KindDoris, olap.KindStarRocks} {
		olap.Register(kind, func(ctx context.Context, c olap.Config) (olap.Sink, error) {
			return Open(ctx, Options{Kind: c.Kind, FE: c.Addr, QueryAddr: c.QueryAddr, User: c.User, Password: c.Password,
				Database: c.Database, Replicas: c.Replicas, Buckets: c.Buckets, Timeout: c.Timeout})
		})
	}
}

// Options configure a Doris or StarRocks sink.
type Options struct {
	// Kind: doris or starrocks.
	Kind string
	// FE is the frontend's HTTP base URL: http://fe:8030.
	FE string
	// QueryAddr is the frontend's MySQL-protocol host:port (9030).
	QueryAddr      string
	User, Password string
	// Database; default gmall_realtime.
	Database string
	// Replicas and Buckets of created tables; defaults 1 and 4.
	Replicas, Buckets int
	// Timeout of one load, DDL or query; default 60 s.
	Timeout time.Duration
	// Client for Stream Load; default one with 100-continue support.
	Client *http.Client
}

// Validate fills defaults and reports unusable options.
func (o *Options) Validate() error {
	if o.Kind != olap.KindDoris && o.Kind != olap.KindStarRocks {
		return fmt.Errorf("streamload: kind %q is not doris or starrocks", o.Kind)
	}
	u, err := url.Parse(o.FE)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("streamload: FE %q is not an http(s) URL like http://fe:8030", o.FE)
	}
	if _, _, err := net.SplitHostPort(o.QueryAddr); err != nil {
		return fmt.Errorf("streamload: query address %q is not host:port (the FE's MySQL port, 9030)", o.QueryAddr)
	}
	if o.User == "" {
		o.User = "root"
	}
	if o.Database == "" {
		o.Database = olap.DefaultDatabase
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Buckets <= 0 {
		o.Buckets = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ExpectContinueTimeout = 5 * time.Second
		o.Client = &http.Client{Transport: tr}
	}
	return nil
}

// Sink is a Doris or StarRocks database.
type Sink struct {
	o       Options
	fe      *url.URL
	ddl     *sql.DB // no current database: it may not exist yet
	queries *sql.DB // current database: o.Database

	mu     sync.Mutex
	tables *olap.Tables
	// versioned: the table has the sequence column (Doris) or the version
	// column (StarRocks); tables created before versioned writes do not.
	versioned map[string]bool
}

// Open prepares the connections (they connect on first use).
func Open(ctx context.Context, o Options) (*Sink, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	fe, _ := url.Parse(strings.TrimSuffix(o.FE, "/"))
	dsn := func(db string) string {
		c := mysql.NewConfig()
		c.User, c.Passwd, c.Net, c.Addr, c.DBName = o.User, o.Password, "tcp", o.QueryAddr, db
		c.ParseTime, c.InterpolateParams = true, true // text protocol: the FE's best-supported
		c.Timeout, c.ReadTimeout, c.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
		return c.FormatDSN()
	}
	ddl, err := sql.Open("mysql", dsn(""))
	if err != nil {
		return nil, fmt.Errorf("streamload: %w", err)
	}
	q, err := sql.Open("mysql", dsn(o.Database))
	if err != nil {
		ddl.Close()
		return nil, fmt.Errorf("streamload: %w", err)
	}
	return &Sink{o: o, fe: fe, ddl: ddl, queries: q, tables: olap.NewTables(o.Kind), versioned: map[string]bool{}}, nil
}

// Close closes the MySQL-protocol connections.
func (s *Sink) Close() error { return errors.Join(s.ddl.Close(), s.queries.Close()) }

func quote(id string) string { return "`" + id + "`" }

func sqlType(c olap.Column, key bool) string {
	switch c.Type {
	case olap.String:
		if key {
			return "VARCHAR(256)" // key columns cannot be STRING
		}
		return "STRING"
	case olap.Int64:
		return "BIGINT"
	case olap.Decimal:
		return "DECIMAL(16,2)"
	case olap.Date:
		return "DATE"
	case olap.DateTime:
		return "DATETIME"
	}
	return ""
}

// CreateTableSQL is the DDL of t: Doris UNIQUE KEY (merge-on-write) with
// a hidden BIGINT sequence column, or StarRocks PRIMARY KEY with a last
// column _rtdw_version BIGINT (the merge condition of versioned loads);
// automatic daily partitions on PartitionBy.
func CreateTableSQL(kind, db string, t olap.Table, replicas, buckets int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (\n", quote(db), quote(t.Name))
	for i, c := range t.Columns {
		key := t.IsKey(c.Name)
		fmt.Fprintf(&b, "  %s %s", quote(c.Name), sqlType(c, key))
		if key {
			b.WriteString(" NOT NULL")
		} else {
			b.WriteString(" NULL")
		}
		if i < len(t.Columns)-1 || kind == olap.KindStarRocks {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	if kind == olap.KindStarRocks {
		fmt.Fprintf(&b, "  %s BIGINT NULL\n", quote(olap.VersionColumn))
	}
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = quote(k)
	}
	// Versioned writes (olap.VersionedSink): Doris orders a key's loads by
	// a hidden sequence column, StarRocks by a merge condition on a real
	// column.
	model, props := "UNIQUE KEY", fmt.Sprintf(`"replication_num" = "%d", "enable_unique_key_merge_on_write" = "true", "function_column.sequence_type" = "bigint"`, replicas)
	if kind == olap.KindStarRocks {
		model, props = "PRIMARY KEY", fmt.Sprintf(`"replication_num" = "%d"`, replicas)
	}
	fmt.Fprintf(&b, ") %s(%s)\n", model, strings.Join(keys, ", "))
	if t.PartitionBy != "" {
		if kind == olap.KindStarRocks {
			fmt.Fprintf(&b, "PARTITION BY date_trunc('day', %s)\n", quote(t.PartitionBy))
		} else {
			fmt.Fprintf(&b, "AUTO PARTITION BY RANGE (date_trunc(%s, 'day')) ()\n", quote(t.PartitionBy))
		}
	}
	fmt.Fprintf(&b, "DISTRIBUTED BY HASH(%s) BUCKETS %d\nPROPERTIES (%s)", strings.Join(keys, ", "), buckets, props)
	return b.String()
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
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	for _, ddl := range []string{"CREATE DATABASE IF NOT EXISTS " + quote(s.o.Database),
		CreateTableSQL(s.o.Kind, s.o.Database, t, s.o.Replicas, s.o.Buckets)} {
		if _, err := s.ddl.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("%s: create table %s: %w", s.o.Kind, t.Name, err)
		}
	}
	versioned, err := s.isVersioned(ctx, t.Name)
	if err != nil {
		return fmt.Errorf("%s: table %s: %w", s.o.Kind, t.Name, err)
	}
	s.tables.Put(&t)
	s.versioned[t.Name] = versioned
	return nil
}

// loadResponse is Stream Load's answer (Doris and StarRocks share these fields).
type loadResponse struct {
	Label              string
	Status             string
	Message            string
	Msg                string // the FE's own errors: {"status":"FAILED","msg":"..."}
	ExistingJobStatus  string
	NumberLoadedRows   int64
	NumberFilteredRows int64
	ErrorURL           string
}

// Upsert stream-loads rows under the context's label (olap.WithLabel).
func (s *Sink) Upsert(ctx context.Context, table string, rows [][]byte) error {
	s.mu.Lock()
	e := s.tables.Lookup(table)
	s.mu.Unlock()
	// Validated and deduplicated here: a load that filters rows fails as a whole.
	t, batch, err := e.Batch("loading", rows)
	if batch == nil {
		return err
	}
	label := labelOf(ctx, table, "")
	if s.isVersionedTable(table) { // plain rows carry version 0
		return s.loadVersioned(ctx, t, label, &olap.VersionedBatch{Rows: batch, Versions: make([]uint64, len(batch))}, false, false)
	}
	return s.Load(ctx, Request{Table: table, Label: label, Body: s.body(t, batch)})
}

// Delete stream-loads the keys as deletes (olap.Deleter): StarRocks rows
// with __op = 1 (the columns header lists the key columns and __op), Doris
// rows with __DORIS_DELETE_SIGN__ = 1 (the hidden_columns header), or, on
// a Doris table with a sequence column, merge_type: DELETE with sequence
// 0, under the context's label.
func (s *Sink) Delete(ctx context.Context, table string, keys [][]byte) error {
	s.mu.Lock()
	e := s.tables.Lookup(table)
	s.mu.Unlock()
	t, batch, err := e.Batch("deleting", keys)
	if batch == nil {
		return err
	}
	label := labelOf(ctx, table, "d")
	if s.o.Kind == olap.KindDoris && s.isVersionedTable(table) { // a plain delete carries version 0
		return s.loadVersioned(ctx, t, label, &olap.VersionedBatch{Rows: batch, Versions: make([]uint64, len(batch))}, true, false)
	}
	kt := *t
	kt.Columns = t.Columns[:len(t.Key)]
	star := s.o.Kind == olap.KindStarRocks
	var b bytes.Buffer
	if star {
		b.WriteByte('[')
	}
	for n, row := range batch {
		if n > 0 && star {
			b.WriteByte(',')
		}
		olap.WriteJSONRow(&b, &kt, row[:len(t.Key)])
		b.Truncate(b.Len() - 1) // the closing brace
		if star {
			b.WriteString(`,"__op":1}`)
		} else {
			b.WriteString(`,"__DORIS_DELETE_SIGN__":1}` + "\n")
		}
	}
	header := map[string]string{"hidden_columns": "__DORIS_DELETE_SIGN__"}
	if star {
		b.WriteByte(']')
		cols := make([]string, 0, len(t.Key)+1)
		for _, k := range t.Key {
			cols = append(cols, quote(k))
		}
		header = map[string]string{"columns": strings.Join(append(cols, "__op"), ",")}
	}
	return s.Load(ctx, Request{Table: table, Label: label, Body: b.Bytes(), Header: header})
}

// labelOf is the context's label (olap.WithLabel), or, for a load not
// from the load job, a unique one (rtdw_<table>_<tag><random hex>), so
// it is never mistaken for another batch.
func labelOf(ctx context.Context, table, tag string) string {
	if label, ok := olap.Label(ctx); ok {
		return label
	}
	var r [8]byte
	rand.Read(r[:])
	return "rtdw_" + table + "_" + tag + hex.EncodeToString(r[:])
}

// isVersionedTable reports whether EnsureTable found table's sequence or
// version column.
func (s *Sink) isVersionedTable(table string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versioned[table]
}

// Request is one Stream Load into a table of the sink's database.
type Request struct {
	Table string
	// Label is the batch's identity: a replay under the same label is
	// answered "Label Already Exists" and not loaded again.
	Label string
	// Body: JSON lines for Doris, a JSON array for StarRocks (the layout
	// headers are set from the kind).
	Body []byte
	// Header holds extra Stream Load headers: "columns" with StarRocks'
	// __op, "hidden_columns" with Doris' __DORIS_DELETE_SIGN__, or the
	// user's sink.properties.*. They may override the layout headers.
	Header map[string]string
}

// Load runs one Stream Load. A label that already exists with a finished
// (or committed) load is a success: that batch was loaded before a crash.
func (s *Sink) Load(ctx context.Context, r Request) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	resp, err := s.streamLoad(ctx, r)
	if err != nil {
		return fmt.Errorf("%s: stream load %s (label %s): %w", s.o.Kind, r.Table, r.Label, err)
	}
	switch resp.Status {
	case "Success", "Publish Timeout":
		return nil
	case "Label Already Exists":
		switch resp.ExistingJobStatus {
		case "", "FINISHED", "VISIBLE", "COMMITTED":
			return nil // this batch was loaded before a crash: not again
		}
		return fmt.Errorf("%s: stream load %s: label %s is still %s (an earlier attempt is running; retried at the next checkpoint)", s.o.Kind, r.Table, r.Label, resp.ExistingJobStatus)
	}
	msg := resp.Message
	if msg == "" {
		msg = resp.Msg
	}
	if resp.ErrorURL != "" {
		msg += " (error rows: " + resp.ErrorURL + ")"
	}
	return fmt.Errorf("%s: stream load %s (label %s): %s: %s", s.o.Kind, r.Table, r.Label, resp.Status, msg)
}

// body renders the deduplicated rows as the loader expects them: decimals
// with two places, times in the SPEC's layouts.
func (s *Sink) body(t *olap.Table, batch [][]any) []byte {
	var b bytes.Buffer
	if s.o.Kind == olap.KindStarRocks {
		b.WriteByte('[')
	}
	for n, row := range batch {
		if n > 0 {
			if s.o.Kind == olap.KindStarRocks {
				b.WriteByte(',')
			}
		}
		olap.WriteJSONRow(&b, t, row)
		if s.o.Kind != olap.KindStarRocks {
			b.WriteByte('\n')
		}
	}
	if s.o.Kind == olap.KindStarRocks {
		b.WriteByte(']')
	}
	return b.Bytes()
}

// streamLoad PUTs the body to the FE and follows its redirect to a BE by
// hand: Go's client would drop the credentials when the host changes.
func (s *Sink) streamLoad(ctx context.Context, r Request) (*loadResponse, error) {
	target := s.fe.JoinPath("api", s.o.Database, r.Table, "_stream_load").String()
	client := *s.o.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for hop := 0; hop < 3; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, bytes.NewReader(r.Body))
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(s.o.User, s.o.Password)
		req.Header.Set("Expect", "100-continue")
		req.Header.Set("label", r.Label)
		req.Header.Set("format", "json")
		if s.o.Kind == olap.KindStarRocks {
			req.Header.Set("strip_outer_array", "true")
		} else {
			req.Header.Set("read_json_by_line", "true")
		}
		for k, v := range r.Header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusTemporaryRedirect, http.StatusFound, http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusSeeOther:
			loc, err := resp.Location()
			if err != nil {
				return nil, fmt.Errorf("redirect without a location: %w", err)
			}
			target = loc.String()
			continue
		case http.StatusOK:
		default:
			return nil, fmt.Errorf("HTTP %s: %s", resp.Status, strings.TrimSpace(string(raw)))
		}
		var lr loadResponse
		if err := json.Unmarshal(raw, &lr); err != nil {
			return nil, fmt.Errorf("unreadable response %q: %w", raw, err)
		}
		return &lr, nil
	}
	return nil, errors.New("too many redirects")
}

// Query runs sql on the FE's MySQL port.
func (s *Sink) Query(ctx context.Context, query string, args ...any) (*olap.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	rows, err := s.queries.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.o.Kind, err)
	}
	res, err := olap.ScanSQL(rows, func(v any, t olap.Type) any {
		b, ok := v.([]byte) // the text protocol: typed by the column
		if !ok {
			return v
		}
		switch t {
		case olap.Int64:
			if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
				return n
			}
		case olap.Decimal:
			if f, err := strconv.ParseFloat(string(b), 64); err == nil {
				return f
			}
		}
		return string(b)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.o.Kind, err)
	}
	return res, nil
}
