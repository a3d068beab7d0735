package exec_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/testenv"
)

// The lookup join end to end through the engine, against each lookup
// connector on a real store: MariaDB and PostgreSQL (jdbc), Redis and the
// embedded Pebble store (rtdw-dim), DuckDB (rtdw-olap). A job reads orders
// (kafka connector, json, on the embedded log), joins each to its SKU and
// writes the result (kafka, json); drained. A counting wrapper around the
// connector's source shows what the cache saves.

const (
	ordersCols = "order_id BIGINT, sku_id BIGINT"
	skuCols    = "id BIGINT, name STRING, price DECIMAL(10, 2)"
	joinedCols = "order_id BIGINT, sku_id BIGINT, id BIGINT, name STRING, price DECIMAL(10, 2)"
)

var joinedWant = []string{
	`{"order_id":1,"sku_id":1,"id":1,"name":"phone","price":9.90}`,
	`{"order_id":2,"sku_id":2,"id":2,"name":"it's \"tv\"","price":1999.00}`,
	`{"order_id":3,"sku_id":9,"id":null,"name":null,"price":null}`,
	`{"order_id":4,"sku_id":1,"id":1,"name":"phone","price":9.90}`,
	`{"order_id":5,"sku_id":null,"id":null,"name":null,"price":null}`,
	`{"order_id":6,"sku_id":2,"id":2,"name":"it's \"tv\"","price":1999.00}`,
}

type ljEnv struct {
	t   *testing.T
	log *embedded.Log
	ctx *connector.Context
}

func newLJEnv(t *testing.T) *ljEnv {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e := &ljEnv{t: t, log: l, ctx: &connector.Context{Log: l, DataDir: t.TempDir(), Loc: time.UTC, Job: "j"}}
	var recs []rlog.Record
	for i, v := range []string{`{"order_id":1,"sku_id":1}`, `{"order_id":2,"sku_id":2}`, `{"order_id":3,"sku_id":9}`,
		`{"order_id":4,"sku_id":1}`, `{"order_id":5,"sku_id":null}`, `{"order_id":6,"sku_id":2}`} {
		recs = append(recs, rlog.Record{Topic: "orders", Value: []byte(v), Timestamp: int64(1000 * (i + 1))})
	}
	if _, err := rlog.EnsureTopic(context.Background(), l, "orders", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.Produce(context.Background(), recs...); err != nil {
		t.Fatal(err)
	}
	return e
}

func ljTable(name, cols string, opts map[string]string, pk ...string) *connector.Table {
	s := row.MustParseSchema(cols)
	t := &connector.Table{Name: "default_catalog.default_database." + name, ObjectName: name, Schema: s, Options: opts}
	for _, c := range pk {
		t.PrimaryKey = append(t.PrimaryKey, s.Index(c))
	}
	return t
}

func kafkaTable(name, cols, topic string) *connector.Table {
	return ljTable(name, cols, map[string]string{"connector": "kafka", "topic": topic, "format": "json", "scan.startup.mode": "earliest-offset"})
}

// counting counts the lookups that reach the connector's source.
type counting struct {
	connector.LookupSource
	n atomic.Int64
}

func (c *counting) Lookup(ctx context.Context, keys []row.Value) ([]row.Row, error) {
	c.n.Add(1)
	return c.LookupSource.Lookup(ctx, keys)
}

// join runs job name: orders LEFT JOIN d ON sku_id = id -> topic out, with
// the lookup options of d (async or not as asked); it returns the
// job's error and the counting source.
func (e *ljEnv) join(name string, d *connector.Table, async bool, restarts int, tune func(*exec.LookupJoinSpec)) (*counting, error) {
	e.t.Helper()
	f, err := connector.Lookup(d.Options["connector"])
	if err != nil {
		e.t.Fatal(err)
	}
	src, err := f.NewLookup(e.ctx, d, []int{d.Schema.Index("id")})
	if err != nil {
		e.t.Fatal(err)
	}
	o := connector.LookupOptionsOf(src)
	c := &counting{LookupSource: src}
	spec := exec.LookupJoinSpec{Table: d.Name, Left: true, KeyCols: []int{1}, Source: c, RightWidth: d.Schema.Len(),
		Cache: o.Cache, Async: async, AsyncCapacity: 3, MaxRetries: o.MaxRetries, RetryBackoff: time.Millisecond}
	if tune != nil {
		tune(&spec)
	}
	j := stream.NewJob(name)
	kf, _ := connector.Lookup("kafka")
	in, err := kf.NewSource(e.ctx, kafkaTable("orders", ordersCols, "orders"))
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := in.Attach(j)
	if err != nil {
		e.t.Fatal(err)
	}
	joined := s.Process("lookup_"+d.ObjectName, exec.LookupJoin(spec)).Main()
	out, err := kf.NewSink(e.ctx, kafkaTable("out", joinedCols, name+"_out"))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := out.Attach(joined); err != nil {
		e.t.Fatal(err)
	}
	if restarts == 0 {
		restarts = 3
	}
	err = stream.Run(context.Background(), stream.Options{Log: e.log, Drain: true, Partitions: 1, Interval: 10 * time.Millisecond,
		MaxRestarts: restarts, RestartBackoff: time.Millisecond}, j)
	return c, err
}

// values reads a topic's record values.
func (e *ljEnv) values(topic string) []string {
	e.t.Helper()
	var out []string
	tp := rlog.TopicPartition{Topic: topic}
	for off := int64(0); ; {
		recs, err := e.log.Fetch(context.Background(), tp, off, 1000, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			off = r.Offset + 1
			if r.Header(stream.HeaderControl) == nil {
				out = append(out, string(r.Value))
			}
		}
	}
}

// joinAll runs the join three ways: synchronous without cache, with the
// cache of d's options, asynchronous with it; each gives joinedWant, the
// cached ones asking the store once per key.
func (e *ljEnv) joinAll(noCache, cached *connector.Table) {
	e.t.Helper()
	for _, v := range []struct {
		name    string
		d       *connector.Table
		async   bool
		queries int64
	}{
		{"sync", noCache, false, 5},
		{"sync_cached", cached, false, 3},
		{"async_cached", cached, true, 3},
	} {
		c, err := e.join(v.name, v.d, v.async, 0, nil)
		if err != nil {
			e.t.Fatalf("%s: %v", v.name, err)
		}
		if got := e.values(v.name + "_out"); strings.Join(got, "\n") != strings.Join(joinedWant, "\n") {
			e.t.Errorf("%s:\ngot  %s\nwant %s", v.name, strings.Join(got, "\n     "), strings.Join(joinedWant, "\n     "))
		}
		if n := c.n.Load(); n != v.queries {
			e.t.Errorf("%s: %d lookups reached the store, want %d", v.name, n, v.queries)
		}
	}
	if dl := e.values("dirty_data"); len(dl) != 0 {
		e.t.Errorf("dead letters %v", dl)
	}
}

var cacheOpts = map[string]string{"lookup.cache": "PARTIAL", "lookup.partial-cache.max-rows": "100", "lookup.partial-cache.expire-after-write": "1 h"}

func with(base map[string]string, more map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range more {
		m[k] = v
	}
	return m
}

func TestLookupJoinJDBCMariaDB(t *testing.T) {
	dsn := testenv.MariaDB(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("lookup_%d", time.Now().UnixNano())
	for _, q := range []string{"CREATE DATABASE " + schema,
		"CREATE TABLE " + schema + ".sku (id BIGINT PRIMARY KEY, name VARCHAR(50), price DECIMAL(10,2))",
		"INSERT INTO " + schema + `.sku VALUES (1, 'phone', 9.9), (2, 'it''s "tv"', 1999)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { connector.CloseLookups() })
	opts := map[string]string{"connector": "jdbc", "url": "jdbc:mariadb://" + cfg.Addr + "/" + schema, "table-name": "sku",
		"username": cfg.User, "password": cfg.Passwd, "driver": "org.mariadb.jdbc.Driver"}
	e := newLJEnv(t)
	e.joinAll(ljTable("sku", skuCols, opts, "id"),
		ljTable("sku", skuCols, with(opts, map[string]string{"lookup.cache.max-rows": "100", "lookup.cache.ttl": "1 h"}), "id"))
}

func TestLookupJoinJDBCPostgres(t *testing.T) {
	dsn := testenv.Postgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	schema := fmt.Sprintf("lookup_%d", time.Now().UnixNano())
	for _, q := range []string{"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".sku (id BIGINT PRIMARY KEY, name TEXT, price NUMERIC(10,2))",
		"INSERT INTO " + schema + `.sku VALUES (1, 'phone', 9.9), (2, 'it''s "tv"', 1999)`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { connector.CloseLookups() })
	u, _ := url.Parse(dsn)
	opts := map[string]string{"connector": "jdbc", "url": "jdbc:postgresql://" + u.Host + u.Path + "?sslmode=disable",
		"table-name": schema + ".sku", "username": u.User.Username()}
	e := newLJEnv(t)
	e.joinAll(ljTable("sku", skuCols, opts, "id"), ljTable("sku", skuCols, with(opts, cacheOpts), "id"))
}

func putSKUs(t *testing.T, s dim.Store) {
	t.Helper()
	for _, err := range []error{
		s.CreateTable(context.Background(), dim.Table{Name: "dim_sku", Columns: []string{"id", "name", "price"}, RowKey: "id"}),
		s.Put(context.Background(), "dim_sku", "1", []byte(`{"id":"1","name":"phone","price":"9.90"}`)),
		s.Put(context.Background(), "dim_sku", "2", []byte(`{"id":2,"name":"it's \"tv\"","price":1999}`)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestLookupJoinDimRedis(t *testing.T) {
	addr := testenv.Redis(t)
	s, err := dim.OpenRedis(dim.RedisOptions{Addr: addr, KeyPrefix: "gmall:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	putSKUs(t, s)
	t.Cleanup(func() { connector.CloseLookups() })
	host, port, _ := strings.Cut(addr, ":")
	opts := map[string]string{"connector": "redis", "host": host, "port": port, "key-prefix": "gmall:", "table-name": "dim_sku"}
	e := newLJEnv(t)
	e.joinAll(ljTable("sku", skuCols, opts, "id"), ljTable("sku", skuCols, with(opts, cacheOpts), "id"))
}

func TestLookupJoinDimEmbedded(t *testing.T) {
	e := newLJEnv(t)
	s, err := dim.OpenPebble(e.log.StateStore())
	if err != nil {
		t.Fatal(err)
	}
	putSKUs(t, s)
	opts := map[string]string{"connector": "rtdw-dim", "table-name": "dim_sku"}
	e.joinAll(ljTable("sku", skuCols, opts, "id"), ljTable("sku", skuCols, with(opts, cacheOpts), "id"))
}

func TestLookupJoinOLAPDuckDB(t *testing.T) {
	e := newLJEnv(t)
	sink, err := olap.Open(context.Background(), olap.Config{DataDir: e.ctx.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	e.ctx.OLAPSink = sink // the caller's open OLAP, as rtdw run passes it
	tb := olap.Table{Name: "dws_sku", Key: []string{"id"}, Columns: []olap.Column{
		{Name: "id", Type: olap.Int64}, {Name: "name", Type: olap.String}, {Name: "price", Type: olap.Decimal}}}
	if err := sink.EnsureTable(context.Background(), tb); err != nil {
		t.Fatal(err)
	}
	if err := sink.Upsert(context.Background(), "dws_sku", [][]byte{
		[]byte(`{"id":1,"name":"phone","price":9.9}`), []byte(`{"id":2,"name":"it's \"tv\"","price":1999}`)}); err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{"connector": "rtdw-olap", "table-name": "dws_sku"}
	e.joinAll(ljTable("sku", skuCols, opts, "id"), ljTable("sku", skuCols, with(opts, cacheOpts), "id"))
}

// A store that is down: each lookup is retried, then the task fails and
// restarts from its checkpoint; the drained run gives up after its
// restarts, and nothing was emitted or dead-lettered for the rows it
// could not look up (no silent drop). The misses of a run are counted.
func TestLookupJoinStoreDown(t *testing.T) {
	t.Cleanup(func() { connector.CloseLookups() })
	e := newLJEnv(t)
	d := ljTable("sku", skuCols, map[string]string{"connector": "jdbc", "url": "jdbc:mysql://127.0.0.1:1/shop?connectTimeout=200",
		"table-name": "sku", "lookup.max-retries": "2"}, "id")
	for _, async := range []bool{false, true} {
		name := fmt.Sprintf("down_%v", async)
		c, err := e.join(name, d, async, 2, nil)
		if err == nil || !strings.Contains(err.Error(), "lookup join default_catalog.default_database.sku: 3 attempts failed") {
			t.Fatalf("async=%v: error %v", async, err)
		}
		// Three runs of the task (the first and two restarts), each trying
		// its first row three times (async: up to three rows at once).
		if n := c.n.Load(); n < 9 {
			t.Errorf("async=%v: %d lookups, want at least 9", async, n)
		}
		if got := e.values(name + "_out"); len(got) != 0 {
			t.Errorf("async=%v: output %v", async, got)
		}
	}
	if dl := e.values("dirty_data"); len(dl) != 0 {
		t.Errorf("dead letters %v", dl)
	}
}
