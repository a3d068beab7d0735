package connector

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/rtdw/rtdw/internal/testenv"
)

// jdbcDB is a real database for the sink tests: its JDBC URL and a way to
// run SQL on it.
type jdbcDB struct {
	name     string
	url      string
	user     string
	password string
	exec     func(t *testing.T, q string)
	dump     func(t *testing.T, q string) []string
}

func mariaDB(t *testing.T) *jdbcDB {
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
	schema := fmt.Sprintf("sink_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + schema); err != nil {
		t.Fatal(err)
	}
	d := &jdbcDB{name: "mariadb", url: "jdbc:mariadb://" + cfg.Addr + "/" + schema + "?useSSL=false", user: cfg.User, password: cfg.Passwd}
	d.exec = func(t *testing.T, q string) {
		t.Helper()
		if _, err := db.Exec(strings.ReplaceAll(q, "{db}", schema)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	d.dump = func(t *testing.T, q string) []string {
		t.Helper()
		rows, err := db.Query(strings.ReplaceAll(q, "{db}", schema))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		return scanText(t, rows)
	}
	return d
}

func scanText(t *testing.T, rows *sql.Rows) []string {
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			if v.Valid {
				parts = append(parts, v.String)
			} else {
				parts = append(parts, "NULL")
			}
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func postgresDB(t *testing.T) *jdbcDB {
	dsn := testenv.Postgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	schema := fmt.Sprintf("sink_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(dsn)
	d := &jdbcDB{name: "postgres", url: "jdbc:postgresql://" + u.Host + u.Path + "?sslmode=disable&currentSchema=" + schema, user: u.User.Username()}
	d.exec = func(t *testing.T, q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, strings.ReplaceAll(q, "{db}", schema)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	d.dump = func(t *testing.T, q string) []string {
		t.Helper()
		rows, err := conn.Query(ctx, strings.ReplaceAll(q, "{db}", schema), pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, v := range vals {
				if v == nil {
					parts = append(parts, "NULL")
				} else {
					parts = append(parts, fmt.Sprint(v))
				}
			}
			out = append(out, strings.Join(parts, " | "))
		}
		return out
	}
	return d
}

func jdbcOpts(d *jdbcDB, table string, kv ...string) map[string]string {
	m := map[string]string{"connector": "jdbc", "url": d.url, "table-name": table, "username": d.user, "password": d.password,
		"driver": "com.mysql.cj.jdbc.Driver", "sink.buffer-flush.interval": "1s", "sink.parallelism": "1"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// noUser drops the username option (a password alone).
func noUser(m map[string]string) map[string]string {
	delete(m, "username")
	return m
}

func jdbcDBs(t *testing.T) []*jdbcDB { return []*jdbcDB{mariaDB(t), postgresDB(t)} }

// Upserts and deletes by key into MariaDB and PostgreSQL: a job that goes
// on from its checkpoint and crashes after its write re-applies the batch;
// a job started again from scratch (an older checkpoint: none) over the
// whole input ends with the same rows.
func TestJDBCSinkUpsertDelete(t *testing.T) {
	for _, d := range jdbcDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			ts := "DATETIME(3)"
			if d.name == "postgres" {
				ts = "TIMESTAMP(3)"
			}
			d.exec(t, "CREATE TABLE {db}.t (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(32), amount DECIMAL(10, 2), ts "+ts+")")
			want := []string{"1 | a3 | 3.00 | 2024-05-06 07:08:09", "2 | b | 2.50 | NULL", "4 | d2 | 4.25 | NULL"}
			dump := func() []string {
				q := "SELECT id, name, amount, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s') FROM {db}.t ORDER BY id"
				if d.name == "postgres" {
					q = "SELECT id, name, amount::text, to_char(ts, 'YYYY-MM-DD HH24:MI:SS') FROM {db}.t ORDER BY id"
				}
				return d.dump(t, q)
			}
			e := newEnv(t)
			changelogPart(e, "cl", 0)
			dst := withPK(tbl("t_sink", extCols, jdbcOpts(d, "t", "sink.buffer-flush.max-rows", "100", "sink.max-retries", "1")), "id")
			e.mustRun(e.pipe("j", changelogTable("cl"), dst))
			eq(t, "after part 1", dump(), []string{"1 | a1 | 1.00 | 2024-01-02 03:04:05", "2 | b | 2.50 | NULL", "3 | c | 3.00 | NULL"})

			changelogPart(e, "cl", 1)
			fired := crashOnce(t, func() bool { return true })
			e.mustRun(e.pipe("j", changelogTable("cl"), dst))
			if !fired.Load() {
				t.Fatal("no crash injected")
			}
			eq(t, "final", dump(), want)

			// The whole input again, from no checkpoint: the same rows.
			d.exec(t, "UPDATE {db}.t SET name = 'stale'")
			e2 := newEnv(t)
			src := changelogInput(e2, "cl")
			e2.mustRun(e2.pipe("j", src, dst))
			eq(t, "rerun", dump(), want)
		})
	}
}

// Appends without a PRIMARY KEY are exactly-once: a crash after the write
// replays rows the progress table counts as written, and a job of the same
// name started again from its beginning skips what it wrote before.
func TestJDBCSinkAppendExactlyOnce(t *testing.T) {
	for _, d := range jdbcDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			d.exec(t, "CREATE TABLE {db}.log (id BIGINT, msg VARCHAR(32))")
			var vals []string
			for i := range 7 {
				vals = append(vals, fmt.Sprintf(`{"id":%d,"msg":"m%d"}`, i, i))
			}
			e := newEnv(t)
			e.values("in", vals[:4]...)
			src := tbl("in", "id BIGINT, msg STRING", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
			dst := tbl("log_sink", "id BIGINT, msg STRING", jdbcOpts(d, "log", "sink.buffer-flush.max-rows", "2"))
			snk := e.sink(dst)
			if snk.Accepts() != InsertOnly {
				t.Fatalf("accepts %v", snk.Accepts())
			}
			e.mustRun(e.pipe("j", src, dst))
			e.values("in", vals[4:]...)
			fired := crashOnce(t, func() bool { return true })
			e.mustRun(e.pipe("j", src, dst))
			if !fired.Load() {
				t.Fatal("no crash injected")
			}
			count := func() []string { return d.dump(t, "SELECT COUNT(*), COUNT(DISTINCT id) FROM {db}.log") }
			eq(t, "rows", count(), []string{"7 | 7"})
			// The same job from scratch over the same topic: nothing twice.
			e2 := newEnv(t)
			e2.values("in", vals...)
			e2.mustRun(e2.pipe("j", src, dst))
			eq(t, "after a rerun", count(), []string{"7 | 7"})
			eq(t, "progress", d.dump(t, "SELECT sink_id, written FROM {db}.rtdw_sink_progress"), []string{"j/log/0 | 7"})
		})
	}
}

func TestJDBCSinkOptionErrors(t *testing.T) {
	e := newEnv(t)
	d := &jdbcDB{url: "jdbc:mysql://127.0.0.1:1/db"}
	for _, c := range []struct {
		tb   *Table
		want string
	}{
		{tbl("t", extCols, jdbcOpts(d, "t", "sink.buffer-flush.max-rows", "x")), "not an integer"},
		{tbl("t", extCols, jdbcOpts(d, "t", "sink.max-retries", "-1")), "must not be negative"},
		{tbl("t", extCols, jdbcOpts(d, "t", "sink.bogus", "1")), "unsupported option 'sink.bogus'"},
		// Flink's JdbcDynamicTableFactoryTest#testJdbcValidation.
		{tbl("t", extCols, noUser(jdbcOpts(d, "t", "password", "pw"))), "Either all or none of the following options should be provided: username, password"},
		{tbl("t", extCols, jdbcOpts(d, "t", "scan.partition.column", "id", "scan.partition.num", "2")), "Either all or none of the following options should be provided: scan.partition.column"},
		{tbl("t", extCols, jdbcOpts(d, "t", "scan.partition.column", "id", "scan.partition.num", "2", "scan.partition.lower-bound", "100",
			"scan.partition.upper-bound", "-10")), "'scan.partition.lower-bound'='100' must not be larger than 'scan.partition.upper-bound'='-10'"},
		{tbl("t", extCols, jdbcOpts(d, "t", "connection.max-retry-timeout", "100ms")), "shouldn't be smaller than 1 second, but is 100ms"},
	} {
		_, err := jdbcFactory.NewSink(e.ctx, c.tb)
		errContains(t, err, c.want)
	}
	s, err := jdbcFactory.NewSink(e.ctx, withPK(tbl("t", extCols, jdbcOpts(d, "db.t")), "id"))
	if err != nil {
		t.Fatal(err)
	}
	js := s.(*jdbcSink)
	if js.Accepts() != Retract || js.progress != "`db`.`rtdw_sink_progress`" {
		t.Errorf("accepts %v, progress %s", js.Accepts(), js.progress)
	}
	if got := js.upsertClause(); got != " ON DUPLICATE KEY UPDATE `name` = VALUES(`name`), `amount` = VALUES(`amount`), `ts` = VALUES(`ts`)" {
		t.Errorf("upsert clause %q", got)
	}
}

// A TIMESTAMP_LTZ goes to PostgreSQL as the session zone's wall clock with
// its offset: a timestamptz column stores the instant, a timestamp column
// the session zone's wall clock (PostgreSQL's own TimeZone is UTC here,
// the session zone Shanghai).
func TestJDBCSinkPostgresLTZ(t *testing.T) {
	d := postgresDB(t)
	d.exec(t, "CREATE TABLE {db}.ltz (id BIGINT NOT NULL PRIMARY KEY, tz TIMESTAMPTZ(3), wall TIMESTAMP(3))")
	e := newEnv(t)
	e.ctx.Loc = shanghai(t)
	e.values("ltz_in", `{"id":1,"tz":"2024-06-01 10:00:00.123Z","wall":"2024-06-01 10:00:00.123Z"}`)
	src := tbl("ltz_in", "id BIGINT, tz TIMESTAMP_LTZ(3), wall TIMESTAMP_LTZ(3)", map[string]string{
		"connector": "kafka", "topic": "ltz_in", "format": "json", "scan.startup.mode": "earliest-offset"})
	dst := withPK(tbl("ltz_sink", "id BIGINT NOT NULL, tz TIMESTAMP_LTZ(3), wall TIMESTAMP_LTZ(3)", jdbcOpts(d, "ltz")), "id")
	e.mustRun(e.pipe("j", src, dst))
	eq(t, "rows", d.dump(t, "SELECT id, to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), to_char(wall, 'YYYY-MM-DD HH24:MI:SS.MS') FROM {db}.ltz"),
		[]string{"1 | 2024-06-01 10:00:00.123 | 2024-06-01 18:00:00.123"})
}
