package mysqlcdc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/testenv"
)

// replay applies topic_db's records to a map pk -> data (JSON text),
// failing on a row doubled (insert of a present key) or missed (update or
// delete of an absent key, or an update whose "old" disagrees). The topic
// must have one partition: a bootstrap-start (a snapshot taken again after
// one was stopped midway) resets the table, in the topic's order.
func replay(t *testing.T, e *env, table string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	var p fastjson.Parser
	for _, rec := range e.records() {
		v, err := p.ParseBytes(rec.Value)
		if err != nil {
			t.Fatalf("bad record %s: %v", rec.Value, err)
		}
		checkHeaders(t, rec, v)
		if string(v.GetStringBytes("table")) != table {
			continue
		}
		data := v.Get("data")
		var id string
		if f := data.Get("id"); f != nil {
			id = f.String()
		}
		switch typ := string(v.GetStringBytes("type")); typ {
		case "bootstrap-start":
			clear(rows)
		case "bootstrap-complete":
		case "bootstrap-insert", "insert":
			if _, ok := rows[id]; ok {
				t.Fatalf("row %s doubled: %s", id, rec.Value)
			}
			rows[id] = data.String()
		case "update":
			before, ok := rows[id]
			if !ok {
				t.Fatalf("update of missing row %s: %s", id, rec.Value)
			}
			var bp fastjson.Parser
			bv, _ := bp.Parse(before)
			v.GetObject("old").Visit(func(k []byte, ov *fastjson.Value) {
				if bv.Get(string(k)).String() != ov.String() {
					t.Fatalf("row %s: old %s=%s, but the topic had %s", id, k, ov, bv.Get(string(k)))
				}
			})
			rows[id] = data.String()
		case "delete":
			if _, ok := rows[id]; !ok {
				t.Fatalf("delete of missing row %s: %s", id, rec.Value)
			}
			delete(rows, id)
		default:
			t.Fatalf("type %s", typ)
		}
	}
	return rows
}

// checkHeaders: a record's rtdw.table and rtdw.ts headers state its
// JSON's table and ts*1000 (ts is > 0 for every change here).
func checkHeaders(t *testing.T, rec rlog.Record, v *fastjson.Value) {
	t.Helper()
	if got, want := string(rec.Header(topicdb.HeaderTable)), string(v.GetStringBytes("table")); got != want {
		t.Fatalf("record %s: rtdw.table %q, want %q", rec.Value, got, want)
	}
	if got, want := string(rec.Header(topicdb.HeaderTS)), strconv.FormatInt(v.GetInt64("ts")*1000, 10); got != want {
		t.Fatalf("record %s: rtdw.ts %q, want %s", rec.Value, got, want)
	}
}

// tableRows reads the table as the topic should have it.
func tableRows(t *testing.T, e *env, table string) map[string]string {
	t.Helper()
	rows, err := e.db.Query("SELECT id, v, n FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, n int64
		var v string
		if err := rows.Scan(&id, &v, &n); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprint(id)] = fmt.Sprintf(`{"id":%d,"v":"%s","n":%d}`, id, v, n)
	}
	return out
}

func compareRows(t *testing.T, want, got map[string]string) {
	t.Helper()
	bad := 0
	for k, w := range want {
		if got[k] != w {
			if bad++; bad <= 5 {
				t.Errorf("row %s: topic %s, table %s", k, got[k], w)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad++; bad <= 5 {
				t.Errorf("row %s in the topic, not in the table: %s", k, g)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d rows differ (table %d rows, topic %d)", bad, len(want), len(got))
	}
}

// load writes random transactions (insert, update, delete, several rows
// each) into table until stop is closed; it returns the number of commits.
func load(t *testing.T, e *env, table string, workers int, stop chan struct{}, counters ...*atomic.Int64) func() int64 {
	var wg sync.WaitGroup
	var commits atomic.Int64
	var next atomic.Int64
	quit := make(chan struct{}) // the test ended (maybe failed) first
	t.Cleanup(func() { close(quit); wg.Wait() })
	next.Store(1_000_000)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				case <-quit:
					return
				default:
				}
				tx, err := e.db.Begin()
				if err != nil {
					t.Error(err)
					return
				}
				for range 1 + rnd.IntN(4) {
					id := rnd.Int64N(3000) + 1
					var q string
					switch rnd.IntN(4) {
					case 0:
						q = fmt.Sprintf("INSERT INTO %s (id, v, n) VALUES (%d, 'new %d', %d)", table, next.Add(1), rnd.IntN(100), rnd.IntN(1000))
					case 1:
						q = fmt.Sprintf("DELETE FROM %s WHERE id = %d", table, id)
					default:
						q = fmt.Sprintf("UPDATE %s SET n = n + 1, v = '改 %d' WHERE id = %d", table, rnd.IntN(100), id)
					}
					if _, err := tx.Exec(q); err != nil {
						tx.Rollback()
						if strings.Contains(err.Error(), "Deadlock") || strings.Contains(err.Error(), "Lock wait") {
							goto next
						}
						t.Error(err)
						return
					}
				}
				if err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
				commits.Add(1)
				for _, c := range counters {
					c.Add(1)
				}
			next:
			}
		}()
	}
	return func() int64 { wg.Wait(); return commits.Load() }
}

func seed(e *env, table string, n int) {
	e.exec("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, v VARCHAR(64), n INT NOT NULL) ENGINE=InnoDB")
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if b.Len() == 0 {
			b.WriteString("INSERT INTO " + table + " VALUES ")
		} else {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%d,'种子 %d',%d)", i, i, i)
		if i%1000 == 0 || i == n {
			e.exec(b.String())
			b.Reset()
		}
	}
}

// TestSnapshotThenBinlogWithConcurrentWrites: writers run through the
// snapshot; the topic replayed must equal the table, with no row doubled
// or missed between snapshot and binlog.
func TestSnapshotThenBinlogWithConcurrentWrites(t *testing.T) {
	e := newEnv(t, 1)
	seed(e, "orders", 3000)
	seed(e, "other", 500)
	stop := make(chan struct{})
	var commitCount atomic.Int64
	wait := load(t, e, "orders", 3, stop, &commitCount)
	time.Sleep(100 * time.Millisecond)
	var rowsRead, first, last atomic.Int64
	snapshotRowHook = func() {
		// Slow: 3000 rows take about 0.5 s, and writers keep committing.
		n := rowsRead.Add(1)
		if n%30 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		if n == 1 {
			first.Store(commitCount.Load())
		}
		last.Store(commitCount.Load())
	}
	t.Cleanup(func() { snapshotRowHook = nil })
	r := e.start(Config{Tables: []string{"orders"}, BatchRecords: 500})
	for r.position().File == "" { // the snapshot is done
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	commits := wait()
	e.caughtUp(r)
	during := last.Load() - first.Load()
	if during < 20 {
		t.Fatalf("only %d transactions during the snapshot", during)
	}
	got := replay(t, e, "orders")
	compareRows(t, tableRows(t, e, "orders"), got)
	for _, rec := range e.records() {
		if strings.Contains(string(rec.Value), `"table":"other"`) {
			t.Fatalf("table other is not captured: %s", rec.Value)
		}
	}
	t.Logf("%d transactions during the test, %d of them during the snapshot; %d rows", commits, during, len(got))
}

// TestRestartResumesExactly stops and restarts the reader repeatedly under
// load: every restart resumes at its last commit.
func TestRestartResumesExactly(t *testing.T) {
	e := newEnv(t, 1)
	seed(e, "orders", 1000)
	stop := make(chan struct{})
	wait := load(t, e, "orders", 2, stop)
	for i := range 4 {
		r := e.start(Config{BatchRecords: 50 + 100*i})
		time.Sleep(time.Duration(150+rand.IntN(200)) * time.Millisecond)
		r.stop(t)
	}
	close(stop)
	wait()
	r := e.start(Config{})
	e.caughtUp(r)
	compareRows(t, tableRows(t, e, "orders"), replay(t, e, "orders"))
}

// TestAddDropColumnMidStream: rows after an ALTER carry the new layout,
// also after a restart from a position before the ALTER; DDL of tables
// not captured is ignored.
func TestAddDropColumnMidStream(t *testing.T) {
	e := newEnv(t, 1)
	e.exec("CREATE TABLE a (id BIGINT PRIMARY KEY, x INT)", "CREATE TABLE skip (id BIGINT PRIMARY KEY)")
	r := e.start(Config{Tables: []string{"a"}})
	e.caughtUp(r)
	r.stop(t)
	// The reader is down while the DDL runs: it resumes from a position
	// before it, and information_schema already shows the last layout.
	e.exec("INSERT INTO a VALUES (1, 10)",
		"ALTER TABLE a ADD COLUMN y VARCHAR(10) DEFAULT 'd' AFTER id",
		"INSERT INTO a VALUES (2, 'yy', 20)",
		"ALTER TABLE skip ADD COLUMN z INT",
		"UPDATE a SET x = 11 WHERE id = 1",
		"ALTER TABLE a DROP COLUMN x",
		"INSERT INTO a VALUES (3, 'y3')",
		"DELETE FROM a WHERE id = 2")
	r = e.start(Config{Tables: []string{"a"}})
	e.caughtUp(r)
	r.stop(t)
	var got []string
	for _, rec := range e.records() {
		v := reXID.ReplaceAllString(reTS.ReplaceAllString(string(rec.Value), `"ts":T`), `"xid":X`)
		got = append(got, strings.ReplaceAll(v, `{"database":"`+e.dbn+`","table":"a",`, "{"))
	}
	want := []string{
		`{"type":"bootstrap-start","ts":T,"data":{}}`,
		`{"type":"bootstrap-complete","ts":T,"data":{}}`,
		`{"type":"insert","ts":T,"xid":X,"commit":true,"data":{"id":1,"x":10}}`,
		`{"type":"insert","ts":T,"xid":X,"commit":true,"data":{"id":2,"y":"yy","x":20}}`,
		`{"type":"update","ts":T,"xid":X,"commit":true,"data":{"id":1,"y":"d","x":11},"old":{"x":10}}`,
		`{"type":"insert","ts":T,"xid":X,"commit":true,"data":{"id":3,"y":"y3"}}`,
		`{"type":"delete","ts":T,"xid":X,"commit":true,"data":{"id":2,"y":"yy"}}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestErrors: each condition a user must fix has a message saying how.
func TestErrors(t *testing.T) {
	e := newEnv(t, 1)
	e.exec("CREATE TABLE a (id BIGINT PRIMARY KEY)")
	run := func(cfg Config) error {
		if cfg.DSN == "" {
			cfg.DSN = e.dsn
		}
		cfg.Databases = []string{e.dbn}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return Run(ctx, e.l, cfg)
	}
	expect := func(err, target error, parts ...string) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("got %v, want %v", err, target)
		}
		for _, p := range parts {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("message %q lacks %q", err, p)
			}
		}
	}

	t.Run("binlog off", func(t *testing.T) {
		off := testenv.MariaDBWith(t, "--skip-log-bin")
		expect(run(Config{DSN: off}), ErrBinlogOff, "binary logging is off", "log_bin=binlog")
	})
	t.Run("binlog format", func(t *testing.T) {
		e.exec("SET GLOBAL binlog_format = 'STATEMENT'")
		defer e.exec("SET GLOBAL binlog_format = 'ROW'")
		expect(run(Config{}), ErrBinlogFormat, "binlog_format is STATEMENT", "binlog_format=ROW")
	})
	t.Run("privileges", func(t *testing.T) {
		e.exec("DROP USER IF EXISTS 'norepl'@'%'", "CREATE USER 'norepl'@'%' IDENTIFIED BY 'pw'",
			"GRANT SELECT ON *.* TO 'norepl'@'%'")
		dsn := strings.Replace(e.dsn, "rtdw:rtdw@", "norepl:pw@", 1)
		expect(run(Config{DSN: dsn}), ErrPrivileges, `user "norepl"`, "GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'norepl'@'%'")
	})
	t.Run("no replication slave", func(t *testing.T) {
		// May read binlog positions, may not stream the binlog.
		e.exec("DROP USER IF EXISTS 'noslave'@'%'", "CREATE USER 'noslave'@'%' IDENTIFIED BY 'pw'",
			"GRANT SELECT, RELOAD, REPLICATION CLIENT ON *.* TO 'noslave'@'%'")
		dsn := strings.Replace(e.dsn, "rtdw:rtdw@", "noslave:pw@", 1)
		expect(run(Config{DSN: dsn, Name: "noslave"}), ErrPrivileges, `user "noslave"`, "REPLICATION SLAVE")
		if _, ok, _ := StoredPosition(context.Background(), e.l, "noslave"); ok {
			t.Error("the refusal came after a snapshot")
		}
		// The grants asked for are enough.
		e.exec("GRANT REPLICATION SLAVE ON *.* TO 'noslave'@'%'")
		db, c, err := openDB(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := checkServer(context.Background(), db, c); err != nil {
			t.Fatalf("with the grants: %v", err)
		}
	})
	t.Run("purged position", func(t *testing.T) {
		if err := run(Config{Snapshot: SnapshotOnly}); err != nil {
			t.Fatal(err)
		}
		// A change after the stored position, then its file is purged:
		// neither the file nor the GTID state can be served any more.
		e.exec("INSERT INTO a VALUES (1)", "FLUSH BINARY LOGS")
		cur, err := binlogPosition(context.Background(), e.db)
		if err != nil {
			t.Fatal(err)
		}
		// The server keeps a file a dump thread still reads (the previous
		// subtest's connection may be closing): purge until it is gone.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			e.exec("PURGE BINARY LOGS TO '" + cur.File + "'")
			files, err := binlogFiles(context.Background(), e.db)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("binlogs not purged: %v", files)
			}
		}
		expect(run(Config{}), ErrPositionPurged, "rtdw ingest mysql --reset")
		// --reset snapshots again and streams.
		r := e.start(Config{Reset: true})
		e.caughtUp(r)
	})
}

// TestReconnectAfterKilledConnection kills the reader's binlog connection
// on the server under load: it reconnects from its last commit, and
// changes read but not committed before the break are not written twice.
func TestReconnectAfterKilledConnection(t *testing.T) {
	e := newEnv(t, 1)
	seed(e, "orders", 1000)
	r := e.start(Config{BatchRecords: 200, MaxDelay: time.Second, FlushWait: time.Second})
	e.caughtUp(r)
	stop := make(chan struct{})
	wait := load(t, e, "orders", 2, stop)
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		var id int64
		for deadline := time.Now().Add(10 * time.Second); ; {
			err := e.db.QueryRow("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'").Scan(&id)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no binlog dump thread: %v", err)
			}
			time.Sleep(20 * time.Millisecond) // reconnecting
		}
		e.exec(fmt.Sprintf("KILL %d", id))
	}
	close(stop)
	wait()
	e.caughtUp(r)
	compareRows(t, tableRows(t, e, "orders"), replay(t, e, "orders"))
}
