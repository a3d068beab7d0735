package connector_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/planner"
	"github.com/rtdw/rtdw/internal/sql/session"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/testenv"
)

// The mysql-cdc connector end to end: a real MariaDB with binlog (the one
// testenv starts for this test binary), SQL planned by a session, jobs run
// by the engine as `rtdw sql -f` runs them (Prepare steps, then the jobs,
// with the connectors' services next to them unless drained).

// cdcEnv is one test's database on the shared MariaDB and its data dir.
type cdcEnv struct {
	t                    *testing.T
	host, port           string
	user, pass           string
	db                   *sql.DB
	dbn                  string
	dir                  string
	l                    *embedded.Log
	logger               *slog.Logger
	interval             time.Duration
	lastCaptures, before int64
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func newCDCEnv(t *testing.T) *cdcEnv {
	t.Helper()
	dsn := testenv.MariaDB(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	e := &cdcEnv{t: t, user: cfg.User, pass: cfg.Passwd, dir: t.TempDir(), interval: 20 * time.Millisecond,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if testing.Verbose() {
		e.logger = slog.Default()
	}
	if e.host, e.port, err = net.SplitHostPort(cfg.Addr); err != nil {
		t.Fatal(err)
	}
	e.dbn = "cdc_" + strings.Trim(nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	admin, err := sql.Open("mysql", dsn+"?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS `" + e.dbn + "`", "CREATE DATABASE `" + e.dbn + "` CHARACTER SET utf8mb4"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if e.db, err = sql.Open("mysql", dsn+e.dbn+"?charset=utf8mb4&multiStatements=true"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	return e
}

func (e *cdcEnv) exec(qs ...string) {
	e.t.Helper()
	for _, q := range qs {
		if _, err := e.db.Exec(q); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
	}
}

// query returns the rows of q, each as its columns joined by '|'.
func (e *cdcEnv) query(q string) []string {
	e.t.Helper()
	rows, err := e.db.Query(q)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			e.t.Fatal(err)
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			cells[i] = "NULL"
			if v.Valid {
				cells[i] = v.String
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	slices.Sort(out)
	return out
}

// with is the WITH clause of a mysql-cdc table of this test's database.
func (e *cdcEnv) with(tableRE string, extra ...string) string {
	opts := []string{"connector", "mysql-cdc", "hostname", e.host, "port", e.port, "username", e.user, "password", e.pass,
		"database-name", e.dbn, "table-name", tableRE}
	opts = append(opts, extra...)
	var b strings.Builder
	b.WriteString("WITH (")
	for i := 0; i+1 < len(opts); i += 2 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "'%s' = '%s'", opts[i], opts[i+1])
	}
	b.WriteString(")")
	return b.String()
}

func (e *cdcEnv) openLog() {
	e.t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(e.dir, "log"), NoSync: true, RetentionInterval: -1})
	if err != nil {
		e.t.Fatal(err)
	}
	e.l = l
}

func (e *cdcEnv) closeLog() {
	if e.l != nil {
		e.l.Close()
		e.l = nil
	}
}

// plan plans a script as `rtdw sql -f` does: a fresh session over an
// in-memory catalog, its services collected.
func plan(t testing.TB, l rlog.Log, dir string, logger *slog.Logger, script string) ([]*planner.Job, *connector.Services) {
	t.Helper()
	svc := &connector.Services{}
	conn := connector.Context{Log: l, DataDir: dir, Out: io.Discard, Logger: logger, AddService: svc.Add}
	sess := session.New(catalog.OpenMemory(), map[string]string{"table.local-time-zone": "UTC"}, conn, io.Discard)
	sc, err := sess.Execute("test.sql", script, session.Plan)
	if err != nil {
		t.Fatal(err)
	}
	return sc.Jobs, svc
}

// prepare runs the jobs' Prepare steps and returns their engine jobs.
func prepare(jobs []*planner.Job) ([]*stream.Job, error) {
	var all []*stream.Job
	for _, j := range jobs {
		for _, p := range j.Prepare {
			if err := p(); err != nil {
				return nil, fmt.Errorf("job %s: %w", j.Name, err)
			}
		}
		all = append(all, j.Jobs...)
	}
	return all, nil
}

func streamOptions(l rlog.Log, interval time.Duration, logger *slog.Logger, drain bool) stream.Options {
	return stream.Options{Log: l, Interval: interval, Partitions: 1, Drain: drain, MaxRestarts: 1,
		RestartBackoff: 10 * time.Millisecond, Logger: logger}
}

// drain runs the script bounded (rtdw sql -f --drain).
func (e *cdcEnv) drain(script string) {
	e.t.Helper()
	e.openLog()
	defer e.closeLog()
	before := connector.CDCCapturesStarted()
	jobs, _ := plan(e.t, e.l, e.dir, e.logger, script)
	e.lastCaptures = connector.CDCCapturesStarted() - before
	all, err := prepare(jobs)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := stream.Run(context.Background(), streamOptions(e.l, e.interval, e.logger, true), all...); err != nil {
		e.t.Fatal(err)
	}
}

// start runs the script unbounded, its services next to the jobs, until
// the returned stop.
func (e *cdcEnv) start(script string) (stop func()) {
	e.t.Helper()
	e.openLog()
	before := connector.CDCCapturesStarted()
	jobs, svc := plan(e.t, e.l, e.dir, e.logger, script)
	e.lastCaptures = connector.CDCCapturesStarted() - before
	all, err := prepare(jobs)
	if err != nil {
		e.closeLog()
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runCtx, stopServices := svc.Start(ctx)
	done := make(chan error, 1)
	go func() { done <- stream.Run(runCtx, streamOptions(e.l, e.interval, e.logger, false), all...) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			err := <-done
			if serr := stopServices(); err == nil {
				err = serr
			}
			e.closeLog()
			if err != nil {
				e.t.Errorf("run: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

// changelog decodes a debezium-json topic of the given columns; reading
// needs the log open (or opens it for the call).
func (e *cdcEnv) changelog(topic, cols string) []row.Row {
	e.t.Helper()
	if e.l == nil {
		e.openLog()
		defer e.closeLog()
	}
	return readChangelog(e.t, e.l, topic, cols)
}

func readChangelog(t testing.TB, l rlog.Log, topic, cols string) []row.Row {
	t.Helper()
	f, err := format.Lookup(format.DebeziumJSON, row.MustParseSchema(cols), nil)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := f.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info, err := l.DescribeTopic(ctx, topic)
	if err != nil {
		return nil // not written yet
	}
	var out []row.Row
	var b format.Batch
	for p := range info.Partitions {
		tp := rlog.TopicPartition{Topic: topic, Partition: p}
		_, end, err := l.Offsets(ctx, tp)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < end; {
			recs, err := l.Fetch(ctx, tp, off, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				off = r.Offset + 1
				if r.Header(stream.HeaderControl) != nil {
					continue
				}
				if err := dec.Decode(r.Value, &b); err != nil {
					t.Fatalf("%s@%d: %v", topic, r.Offset, err)
				}
				for _, x := range b.Rows {
					out = append(out, x.Clone())
				}
			}
		}
	}
	return out
}

func cells(r row.Row) string {
	s := make([]string, len(r.Values))
	for i, v := range r.Values {
		s[i] = v.String()
		if v.IsNull() {
			s[i] = "NULL"
		}
	}
	return strings.Join(s, "|")
}

// materialize applies a changelog to a multiset of rows (of their first
// keep columns; 0: all): a retraction of a row that is not there is an
// error (a row doubled or lost upstream).
func materialize(log []row.Row, keep int) ([]string, error) {
	n := map[string]int{}
	for _, r := range log {
		if keep > 0 {
			r.Values = r.Values[:keep]
		}
		c := cells(r)
		if r.Kind.IsRetract() {
			if n[c] == 0 {
				return nil, fmt.Errorf("retraction of a missing row %s", c)
			}
			n[c]--
			continue
		}
		n[c]++
	}
	var out []string
	for c, k := range n {
		for range k {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}

// byKey applies a changelog to a table keyed by its first column (of the
// first keep columns): the last image of each key; a retraction of a key
// that is not there, or an insert of one that is, is an error.
func byKey(keep int) func([]row.Row) ([]string, error) {
	return func(log []row.Row) ([]string, error) {
		m := map[string]string{}
		for _, r := range log {
			r.Values = r.Values[:keep]
			k := r.Values[0].String()
			_, ok := m[k]
			switch {
			case r.Kind.IsRetract() && !ok:
				return nil, fmt.Errorf("retraction of a missing key %s", cells(r))
			case r.Kind.IsRetract():
				delete(m, k)
			case ok:
				return nil, fmt.Errorf("key %s added twice: %s", k, cells(r))
			default:
				m[k] = cells(r)
			}
		}
		out := make([]string, 0, len(m))
		for _, v := range m {
			out = append(out, v)
		}
		slices.Sort(out)
		return out, nil
	}
}

func asMultiset(log []row.Row) ([]string, error) { return materialize(log, 0) }

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func eqLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\ngot  %s\nwant %s", what, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// waitFor polls until materializing the topic with mat gives want.
func (e *cdcEnv) waitFor(topic, cols string, mat func([]row.Row) ([]string, error), want func() []string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	var err error
	for time.Now().Before(deadline) {
		got, err = mat(readChangelog(e.t, e.l, topic, cols))
		if err != nil {
			e.t.Fatalf("%s: %v", topic, err)
		}
		if slices.Equal(got, want()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("%s did not reach\n     %s\ngot  %s", topic, strings.Join(want(), "\n     "), strings.Join(got, "\n     "))
}

const (
	ordersCols = "id BIGINT, user_id INT, amount DECIMAL(10, 2), created TIMESTAMP(3), color STRING, flag BOOLEAN, paid TIMESTAMP_LTZ(3), " +
		"note STRING, tbl STRING, rk STRING, op_ts TIMESTAMP_LTZ(3)"
	aggCols = "user_id INT, n BIGINT, total DECIMAL(38, 2)"
)

func (e *cdcEnv) ordersScript() string {
	return `
CREATE TABLE orders (
  id BIGINT, user_id INT, amount DECIMAL(10, 2), created TIMESTAMP(3), attrs STRING, flag BOOLEAN, paid TIMESTAMP_LTZ(3), note STRING,
  db STRING METADATA FROM 'database_name' VIRTUAL,
  tbl STRING METADATA FROM 'table_name' VIRTUAL,
  op_ts TIMESTAMP_LTZ(3) METADATA VIRTUAL,
  rk STRING METADATA FROM 'row_kind' VIRTUAL,
  PRIMARY KEY (id) NOT ENFORCED
) ` + e.with("orders", "server-id", "5400-5404", "scan.incremental.snapshot.chunk.size", "8096") + `;
CREATE TABLE rows_out (` + ordersCols + `) WITH ('connector' = 'kafka', 'topic' = 'rows_out', 'format' = 'debezium-json');
CREATE TABLE agg_out (` + aggCols + `) WITH ('connector' = 'kafka', 'topic' = 'agg_out', 'format' = 'debezium-json');
SET 'pipeline.name' = 'cdc_orders';
EXECUTE STATEMENT SET BEGIN
  INSERT INTO rows_out SELECT id, user_id, amount, created, JSON_VALUE(attrs, '$.color'), flag, paid, note, CONCAT(db, '.', tbl), rk, op_ts FROM orders;
  INSERT INTO agg_out SELECT user_id, COUNT(*), SUM(amount) FROM orders GROUP BY user_id;
END;
`
}

// TestMySQLCDCChangelog: the snapshot, then inserts, updates (within and
// across groups), deletes and an ALTER TABLE while the job runs, reach a
// retracting GROUP BY and a pass-through as the right changelog, typed by
// the DDL (DECIMAL, DATETIME(3), JSON, TINYINT(1), TIMESTAMP) with Flink
// CDC's metadata; changes made while the job is down come with its next
// (drained) run.
func TestMySQLCDCChangelog(t *testing.T) {
	e := newCDCEnv(t)
	e.exec(`CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id INT NOT NULL, amount DECIMAL(10,2), created DATETIME(3),
		attrs JSON, flag TINYINT(1), paid TIMESTAMP NULL DEFAULT NULL)`,
		`SET time_zone = '+00:00'`,
		`INSERT INTO orders VALUES (1, 10, 5.50, '2024-01-02 03:04:05.123', '{"color":"red"}', 1, '2024-01-02 10:00:00'),
			(2, 10, 4.50, '2024-01-02 03:04:06', '{"color":"blue"}', 0, NULL), (3, 20, 100.00, NULL, NULL, NULL, NULL)`)
	truth := func() []string {
		return e.query("SELECT user_id, COUNT(*), SUM(amount) FROM orders GROUP BY user_id")
	}
	stop := e.start(e.ordersScript())
	if e.lastCaptures != 1 {
		t.Fatalf("%d captures, want 1", e.lastCaptures)
	}
	e.waitFor("agg_out", aggCols, asMultiset, truth)
	e.exec(`INSERT INTO orders (id, user_id, amount, created, attrs) VALUES (4, 20, 1.25, '2024-02-01 00:00:00', '{"color":"green"}')`,
		`UPDATE orders SET amount = 6.00 WHERE id = 1`,
		`UPDATE orders SET user_id = 20 WHERE id = 2`,
		`DELETE FROM orders WHERE id = 3`,
		// The layout changes mid-stream: a column before the others.
		`ALTER TABLE orders ADD COLUMN note VARCHAR(20) DEFAULT 'n/a' AFTER id`,
		`INSERT INTO orders (id, note, user_id, amount) VALUES (5, 'five', 30, 30.00)`,
		`UPDATE orders SET note = 'one' WHERE id = 1`,
		// A new primary key: a delete and an insert, as Flink CDC's.
		`UPDATE orders SET id = 7 WHERE id = 5`)
	e.waitFor("agg_out", aggCols, asMultiset, truth)
	// The pass-through by key, without its row_kind and op_ts (which
	// differ between a row and its retraction, as in Flink CDC; so does
	// the note of a row updated after the ALTER filled in its default).
	e.waitFor("rows_out", ordersCols, byKey(9), func() []string {
		return []string{
			"1|10|6.00|2024-01-02 03:04:05.123|red|true|2024-01-02 10:00:00Z|one|" + e.dbn + ".orders",
			// Not changed since the ALTER: no binlog row carries its default.
			"2|20|4.50|2024-01-02 03:04:06|blue|false|NULL|NULL|" + e.dbn + ".orders",
			"4|20|1.25|2024-02-01 00:00:00|green|NULL|NULL|NULL|" + e.dbn + ".orders",
			"7|30|30.00|NULL|NULL|NULL|NULL|five|" + e.dbn + ".orders",
		}
	})
	stop()

	// The changelog, in binlog order: +I for the snapshot (op_ts 0), then
	// each change with its row kind (a -U/+U pair per update).
	var kinds []string
	for _, r := range e.changelog("rows_out", ordersCols) {
		opTS := r.Values[10]
		snap := opTS.Millis() == 0
		if !snap && time.Since(time.UnixMilli(opTS.Millis())) > time.Hour {
			t.Errorf("op_ts %s of a binlog row is not its change time", opTS)
		}
		kinds = append(kinds, fmt.Sprintf("%s%s %s", r.Values[9], map[bool]string{true: "(snapshot)"}[snap], r.Values[0]))
	}
	eqLines(t, "row kinds", kinds, []string{"+I(snapshot) 1", "+I(snapshot) 2", "+I(snapshot) 3",
		"+I 4", "-U 1", "+U 1", "-U 2", "+U 2", "-D 3", "+I 5", "-U 1", "+U 1", "-D 5", "+I 7"})

	// Changes while no job runs are captured by the next run (here a
	// drained one, which ends once it has read them).
	e.exec(`UPDATE orders SET amount = amount + 1 WHERE user_id = 20`, `INSERT INTO orders (id, user_id, amount) VALUES (6, 10, 0.01)`)
	e.drain(e.ordersScript())
	got, err := materialize(e.changelog("agg_out", aggCols), 0)
	if err != nil {
		t.Fatal(err)
	}
	eqLines(t, "agg_out after the drained run", got, truth())
	// Nothing new: a drained run adds nothing.
	n := len(e.changelog("agg_out", aggCols))
	e.drain(e.ordersScript())
	if m := len(e.changelog("agg_out", aggCols)); m != n {
		t.Fatalf("a drained run without changes wrote %d records", m-n)
	}
}

// TestMySQLCDCStatementSetOneReader: two mysql-cdc tables of one server in
// a statement set, one of them over sharded tables by regex (a shard made
// while the job runs included), are captured by one binlog reader (one
// binlog connection to the server), though each has its own 'server-id'
// as Flink CDC users write them.
func TestMySQLCDCStatementSetOneReader(t *testing.T) {
	e := newCDCEnv(t)
	e.exec("CREATE TABLE orders_1 (id BIGINT PRIMARY KEY, user_id INT, amount DECIMAL(10,2))",
		"CREATE TABLE orders_2 (id BIGINT PRIMARY KEY, user_id INT, amount DECIMAL(10,2))",
		"CREATE TABLE orders_x (id BIGINT PRIMARY KEY, user_id INT, amount DECIMAL(10,2))", // not matched
		"CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO orders_1 VALUES (1, 1, 10.00), (2, 2, 1.00)", "INSERT INTO orders_2 VALUES (1, 1, 5.00)",
		"INSERT INTO orders_x VALUES (9, 1, 99.00)", "INSERT INTO users VALUES (1, 'ann'), (2, 'bob')")
	script := `
CREATE TABLE orders (tbl STRING METADATA FROM 'table_name' VIRTUAL, id BIGINT, user_id INT, amount DECIMAL(10, 2),
  PRIMARY KEY (id) NOT ENFORCED) ` + e.with("orders_[0-9]+", "server-id", "5400-5404") + `;
CREATE TABLE users (id INT, name STRING, PRIMARY KEY (id) NOT ENFORCED) ` + e.with("users", "server-id", "5500") + `;
CREATE TABLE per_user (user_id INT, n BIGINT, total DECIMAL(38, 2)) WITH ('connector' = 'kafka', 'topic' = 'per_user', 'format' = 'debezium-json');
CREATE TABLE names (id INT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'names', 'format' = 'debezium-json');
SET 'pipeline.name' = 'cdc_two_tables';
BEGIN STATEMENT SET;
INSERT INTO per_user SELECT user_id, COUNT(*), SUM(amount) FROM orders GROUP BY user_id;
INSERT INTO names SELECT id, UPPER(name) FROM users;
END;
`
	stop := e.start(script)
	if e.lastCaptures != 1 {
		t.Fatalf("%d captures (binlog readers) for one statement set on one server, want 1", e.lastCaptures)
	}
	e.exec("INSERT INTO orders_2 VALUES (2, 2, 2.50)", "UPDATE users SET name = 'cid' WHERE id = 2", "INSERT INTO orders_x VALUES (10, 2, 1.00)",
		"CREATE TABLE orders_3 (id BIGINT PRIMARY KEY, user_id INT, amount DECIMAL(10,2))", "INSERT INTO orders_3 VALUES (1, 1, 0.50)")
	e.waitFor("per_user", "user_id INT, n BIGINT, total DECIMAL(38, 2)", asMultiset, func() []string {
		return []string{"1|3|15.50", "2|2|3.50"}
	})
	e.waitFor("names", "id INT, name STRING", asMultiset, func() []string { return []string{"1|ANN", "2|CID"} })
	dumps := 0
	for _, p := range e.query("SELECT COMMAND FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'") {
		if strings.HasPrefix(p, "Binlog Dump") {
			dumps++
		}
	}
	if dumps != 1 {
		t.Errorf("%d binlog connections while the statement set runs, want 1", dumps)
	}
	stop()
}

// TestMySQLCDCNoMatchingTable: a table-name that matches nothing fails the
// run before any job starts, as Flink CDC.
func TestMySQLCDCNoMatchingTable(t *testing.T) {
	e := newCDCEnv(t)
	e.exec("CREATE TABLE a (id INT PRIMARY KEY)")
	e.openLog()
	defer e.closeLog()
	jobs, _ := plan(t, e.l, e.dir, e.logger, `
CREATE TABLE a (id INT, PRIMARY KEY (id) NOT ENFORCED) `+e.with("b")+`;
CREATE TABLE o (id INT) WITH ('connector' = 'blackhole');
INSERT INTO o SELECT id FROM a;`)
	_, err := prepare(jobs)
	if err == nil || !strings.Contains(err.Error(), "no table on") || !strings.Contains(err.Error(), "'table-name' = 'b'") {
		t.Fatalf("error %v, want no table matches", err)
	}
}

// TestMySQLCDCKillRestartExactlyOnce kills (SIGKILL) a process running a
// mysql-cdc job unbounded at random moments (during the snapshot, during
// the binlog) while writers keep changing the table, and starts it again
// each time; a last drained run ends it. Whatever the kills hit (the
// reader's commits, the job's checkpoints), the outputs hold each change
// exactly once: the aggregate equals the table's GROUP BY, and the
// pass-through the table, row for row.
func TestMySQLCDCKillRestartExactlyOnce(t *testing.T) {
	e := newCDCEnv(t)
	e.exec("CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL)")
	const seeded = 30000
	for i := 0; i < seeded; i += 2000 {
		var b strings.Builder
		b.WriteString("INSERT INTO orders VALUES ")
		for j := i; j < i+2000; j++ {
			if j > i {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d, %d, %d.%02d)", j+1, j%37, j%1000, j%100)
		}
		e.exec(b.String())
	}
	script := `
CREATE TABLE orders (id BIGINT, user_id INT, amount DECIMAL(10, 2), PRIMARY KEY (id) NOT ENFORCED) ` + e.with("orders") + `;
CREATE TABLE rows_out (id BIGINT, user_id INT, amount DECIMAL(10, 2)) WITH ('connector' = 'kafka', 'topic' = 'rows_out', 'format' = 'debezium-json');
CREATE TABLE agg_out (` + aggCols + `) WITH ('connector' = 'kafka', 'topic' = 'agg_out', 'format' = 'debezium-json');
SET 'pipeline.name' = 'cdc_kill';
EXECUTE STATEMENT SET BEGIN
  INSERT INTO rows_out SELECT * FROM orders;
  INSERT INTO agg_out SELECT user_id, COUNT(*), SUM(amount) FROM orders GROUP BY user_id;
END;
`
	// A writer changes the table all along: while the job runs, while it
	// is dead and while it starts again.
	stopWriter := make(chan struct{})
	writerDone := make(chan int)
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		n, next := 0, seeded+1
		defer func() { writerDone <- n }()
		for {
			select {
			case <-stopWriter:
				return
			default:
			}
			tx, err := e.db.Begin()
			if err != nil {
				t.Error(err)
				return
			}
			for range 1 + rng.IntN(3) {
				id := 1 + rng.IntN(next)
				var q string
				switch rng.IntN(4) {
				case 0:
					q = fmt.Sprintf("INSERT INTO orders VALUES (%d, %d, %d.%02d)", next, rng.IntN(40), rng.IntN(1000), rng.IntN(100))
					next++
				case 1:
					q = fmt.Sprintf("DELETE FROM orders WHERE id = %d", id)
				case 2:
					q = fmt.Sprintf("UPDATE orders SET user_id = %d WHERE id = %d", rng.IntN(40), id)
				default:
					q = fmt.Sprintf("UPDATE orders SET amount = amount + 0.01 WHERE id = %d", id)
				}
				if _, err := tx.Exec(q); err != nil {
					tx.Rollback()
					t.Error(err)
					return
				}
			}
			if err := tx.Commit(); err != nil {
				t.Error(err)
				return
			}
			n++
		}
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	killedInSnapshot := false
	for i, wait := range []time.Duration{0, 700 * time.Millisecond, 1200 * time.Millisecond, 900 * time.Millisecond} {
		out := &syncBuffer{}
		cmd := exec.Command(os.Args[0], "-test.run=^TestMySQLCDCChild$", "-test.v")
		cmd.Env = append(os.Environ(), "RTDW_CDC_CHILD_DIR="+e.dir, "RTDW_CDC_CHILD_SQL="+script)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// The first run dies in the middle of its snapshot.
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(out.String(), "mysqlcdc: snapshot") && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			wait = time.Duration(10+rng.IntN(60)) * time.Millisecond
		} else {
			wait += time.Duration(rng.IntN(400)) * time.Millisecond
		}
		time.Sleep(wait)
		cmd.Process.Kill()
		cmd.Wait()
		phase := "before the snapshot"
		switch s := out.String(); {
		case strings.Contains(s, "FAIL"):
			t.Fatalf("run %d failed:\n%s", i, s)
		case strings.Contains(s, "child: running"):
			phase = "while the job ran"
		case strings.Contains(s, "snapshot done") || strings.Contains(s, "resuming"):
			phase = "while catching up"
		case strings.Contains(s, "mysqlcdc: snapshot"):
			phase = "during the snapshot"
		}
		t.Logf("run %d killed %s (after %s)", i, phase, wait)
		killedInSnapshot = killedInSnapshot || phase == "during the snapshot"
		if os.Getenv("RTDW_CDC_CHILD_LOG") != "" {
			t.Log(out.String())
		}
	}
	close(stopWriter)
	t.Logf("%d transactions written", <-writerDone)

	e.drain(script)
	// The capture topic: a marker per capture from scratch, the first
	// snapshot's rows (committed before the kill) ahead of the last one.
	e.openLog()
	topics, err := e.l.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range topics {
		if !strings.HasPrefix(ti.Name, "_rtdw-cdc-orders-") {
			continue
		}
		tp := rlog.TopicPartition{Topic: ti.Name}
		markers, before := 0, 0
		for off := int64(0); ; {
			recs, err := e.l.Fetch(context.Background(), tp, off, 10000, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				off = r.Offset + 1
				if string(r.Key) == "rtdw-cdc-capture-start" {
					markers++
					before = int(r.Offset) - markers + 1
				}
			}
		}
		t.Logf("capture topic %s: %d markers, %d records of interrupted snapshots before the last", ti.Name, markers, before)
		if killedInSnapshot && markers < 2 {
			t.Errorf("the snapshot killed midway left no marker before the next one")
		}
	}
	e.closeLog()
	got, err := materialize(e.changelog("agg_out", aggCols), 0)
	if err != nil {
		t.Fatal(err)
	}
	eqLines(t, "agg_out", got, e.query("SELECT user_id, COUNT(*), SUM(amount) FROM orders GROUP BY user_id"))
	got, err = byKey(3)(e.changelog("rows_out", "id BIGINT, user_id INT, amount DECIMAL(10, 2)"))
	if err != nil {
		t.Fatal(err)
	}
	if want := e.query("SELECT id, user_id, amount FROM orders"); !slices.Equal(got, want) {
		t.Fatalf("rows_out has %d rows, the table %d (or they differ)", len(got), len(want))
	}
}

// TestMySQLCDCChild is the process TestMySQLCDCKillRestartExactlyOnce
// kills: it runs a script unbounded in the data dir it is given.
func TestMySQLCDCChild(t *testing.T) {
	dir, script := os.Getenv("RTDW_CDC_CHILD_DIR"), os.Getenv("RTDW_CDC_CHILD_SQL")
	if dir == "" {
		return // only as a child process
	}
	// Synced commits: an unsynced one may still sit in Pebble's WAL
	// buffer when the process is killed (the tail of commits is lost).
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	jobs, svc := plan(t, l, dir, logger, script)
	all, err := prepare(jobs)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "child: running")
	runCtx, stop := svc.Start(context.Background())
	err = stream.Run(runCtx, streamOptions(l, 50*time.Millisecond, logger, false), all...)
	if serr := stop(); err == nil {
		err = serr
	}
	t.Fatalf("the run ended: %v", err)
}
