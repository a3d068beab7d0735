package connector

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/testenv"
)

const dwsCols = "k STRING, dt DATE, amount DECIMAL(10, 2), cnt BIGINT, ok BOOLEAN, ts TIMESTAMP(3), ratio DOUBLE"

func dwsInput(e *env) *Table {
	e.produce("dws", 1,
		kv(`{"k":"a","dt":"2024-01-01"}`, `{"k":"a","dt":"2024-01-01","amount":1.5,"cnt":1,"ok":true,"ts":"2024-01-02 03:04:05.678","ratio":0.25}`, 1000),
		kv(`{"k":"b","dt":"2024-01-01"}`, `{"k":"b","dt":"2024-01-01","amount":7,"cnt":2,"ok":false,"ts":null,"ratio":null}`, 2000),
		kv(`{"k":"a","dt":"2024-01-01"}`, `{"k":"a","dt":"2024-01-01","amount":2.255,"cnt":3,"ok":true,"ts":"2024-01-02 03:04:05","ratio":0.5}`, 3000),
		kv(`{"k":"b","dt":"2024-01-01"}`, ``, 4000), // deleted: cannot be applied
	)
	return withPK(tbl("dws", dwsCols, upsertOpts("topic", "dws")), "k", "dt")
}

// An upsert changelog loaded into the embedded DuckDB: updates replace the
// row by key, -U rows are dropped, a delete deletes the row.
func TestOLAPSinkDuckDB(t *testing.T) {
	e := newEnv(t)
	t.Cleanup(func() { CloseOLAP() })
	src := dwsInput(e)
	dst := withPK(tbl("dws_sales", dwsCols, map[string]string{"connector": "rtdw-olap", "sink.parallelism": "2"}), "k", "dt")
	e.mustRun(e.pipe("j", src, dst))
	q := &sharedOLAP{cfg: olap.Config{DataDir: e.ctx.DataDir}}
	res, err := q.Query(bg, "SELECT k, CAST(dt AS VARCHAR), CAST(amount AS VARCHAR), cnt, ok, CAST(ts AS VARCHAR), CAST(ratio AS VARCHAR) FROM dws_sales ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, strings.TrimSpace(fmt.Sprintln(r...)))
	}
	eq(t, "dws_sales", got, []string{
		"a 2024-01-01 2.26 3 1 2024-01-02 03:04:05 0.50",
	})
	if dl := e.read("dirty_data"); len(dl) != 0 {
		t.Errorf("dead letters: %q", dl)
	}
	// The alias, and a table-name.
	f, err := Lookup("duckdb")
	if err != nil || f != olapFactory {
		t.Fatalf("alias duckdb: %v", err)
	}
}

// fakeOLAP records what is loaded.
type fakeOLAP struct {
	mu     sync.Mutex
	tables []olap.Table
	rows   []string
}

func (f *fakeOLAP) Query(context.Context, string, ...any) (*olap.Result, error) { return nil, nil }
func (f *fakeOLAP) EnsureTable(_ context.Context, t olap.Table) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tables = append(f.tables, t)
	return nil
}
func (f *fakeOLAP) Upsert(_ context.Context, table string, rows [][]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rows {
		f.rows = append(f.rows, table+" "+string(r))
	}
	return nil
}
func (f *fakeOLAP) Close() error { return nil }

// The table is created from the DDL, key first; rows are written in the
// layouts the OLAP load reads; the caller's open OLAP is used.
func TestOLAPSinkTableAndRows(t *testing.T) {
	e := newEnv(t)
	fake := &fakeOLAP{}
	e.ctx.OLAPSink = fake
	src := dwsInput(e)
	dst := withPK(tbl("x", dwsCols, map[string]string{"connector": "duckdb", "table-name": "sales"}), "k", "dt")
	j := e.pipe("j", src, dst)
	if len(e.jobs) != 1 || e.jobs[0].Name != "olap_load_sales" {
		t.Fatalf("helper jobs: %v", e.jobs)
	}
	e.mustRun(j)
	if len(fake.tables) == 0 {
		t.Fatal("no table ensured")
	}
	tb := fake.tables[0]
	if got := fmt.Sprint(tb.Columns); got != "[{k string} {dt date} {amount decimal} {cnt int64} {ok int64} {ts datetime} {ratio decimal}]" || fmt.Sprint(tb.Key) != "[k dt]" || tb.Name != "sales" {
		t.Errorf("table %+v", tb)
	}
	// One load batch: the last row of each key, in the order keys came.
	eq(t, "loaded", fake.rows, []string{
		`sales {"k":"a","dt":"2024-01-01","amount":2.26,"cnt":3,"ok":1,"ts":"2024-01-02 03:04:05","ratio":0.5}`,
		`sales {"k":"b","dt":"2024-01-01","amount":7.00,"cnt":2,"ok":0,"ts":null,"ratio":null}`,
	})
}

func TestOLAPOptionErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		tb   *Table
		want string
	}{
		{tbl("t", "id INT", map[string]string{"connector": "rtdw-olap"}), "rtdw-olap needs a PRIMARY KEY (...) NOT ENFORCED"},
		{withPK(tbl("t", "id INT", map[string]string{"connector": "rtdw-olap", "table-name": "bad-name"}), "id"), "table name 'bad-name' must match"},
		{withPK(tbl("t", "id INT", map[string]string{"connector": "rtdw-olap", "table": "x"}), "id"), "unsupported option 'table' (supported: sink.buffer-flush.*, sink.parallelism, table-name)"},
		{withPK(tbl("t", "id INT, src STRING", map[string]string{"connector": "rtdw-olap"}, "src:topic:virtual"), "id"), "the connector has no metadata"},
	} {
		_, err := olapFactory.NewSink(e.ctx, c.tb)
		errContains(t, err, c.want)
	}
}

// fakeOLAPDeleter is a fakeOLAP that also deletes.
type fakeOLAPDeleter struct {
	fakeOLAP
	deleted []string
}

func (f *fakeOLAPDeleter) Delete(_ context.Context, table string, keys [][]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		f.deleted = append(f.deleted, table+" "+string(k))
	}
	return nil
}

// Where the OLAP deletes (olap.Deleter), a -D row deletes its key: the
// load job passes the key columns to Delete.
func TestOLAPSinkDeletes(t *testing.T) {
	e := newEnv(t)
	fake := &fakeOLAPDeleter{}
	e.ctx.OLAPSink = fake
	src := dwsInput(e)
	dst := withPK(tbl("x", dwsCols, map[string]string{"connector": "rtdw-olap", "table-name": "sales"}), "k", "dt")
	e.mustRun(e.pipe("j", src, dst))
	eq(t, "loaded", fake.rows, []string{
		`sales {"k":"a","dt":"2024-01-01","amount":2.26,"cnt":3,"ok":1,"ts":"2024-01-02 03:04:05","ratio":0.5}`,
	})
	eq(t, "deleted", fake.deleted, []string{`sales {"k":"b","dt":"2024-01-01"}`})
	if dl := e.read("dirty_data"); len(dl) != 0 {
		t.Errorf("dead letters: %q", dl)
	}
	// The OLAP kinds that delete, by configuration.
	for kind, want := range map[string]bool{"": true, "duckdb": true, "postgres": true, "doris": true, "starrocks": true, "clickhouse": true} {
		if got := olapDeletes(&Context{OLAP: &olap.Config{Kind: kind}}); got != want {
			t.Errorf("kind %q deletes: %v", kind, got)
		}
	}
}

// rtdw-olap on a real PostgreSQL: a -D row deletes the row the job
// upserted earlier.
func TestOLAPSinkPostgresDeletes(t *testing.T) {
	e := newEnv(t)
	t.Cleanup(func() { CloseOLAP() })
	e.ctx.OLAP = &olap.Config{Kind: olap.KindPostgres, DSN: testenv.Postgres(t), Database: fmt.Sprintf("olap_del_%d", time.Now().UnixNano())}
	src := dwsInput(e)
	dst := withPK(tbl("dws_sales", dwsCols, map[string]string{"connector": "rtdw-olap"}), "k", "dt")
	e.mustRun(e.pipe("j", src, dst))
	q := &sharedOLAP{cfg: *e.ctx.OLAP}
	res, err := q.Query(bg, "SELECT k, cnt FROM dws_sales ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows); got != "[[a 3]]" {
		t.Errorf("rows: %s", got)
	}
	if dl := e.read("dirty_data"); len(dl) != 0 {
		t.Errorf("dead letters: %q", dl)
	}
}
