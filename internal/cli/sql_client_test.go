package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/parser"
	"github.com/rtdw/rtdw/internal/sql/session"
)

func TestSQLClientSplitter(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"SELECT 1; SELECT 2;", []string{"SELECT 1;", " SELECT 2;"}},
		{"SELECT 'a;b' AS s FROM t;", []string{"SELECT 'a;b' AS s FROM t;"}},
		{"SELECT 'it''s; fine' FROM t; SET 'k' = 'v;w';", []string{"SELECT 'it''s; fine' FROM t;", " SET 'k' = 'v;w';"}},
		{"SELECT `a;b` FROM t;", []string{"SELECT `a;b` FROM t;"}},
		{"SELECT 1 -- not; the end\nFROM t;", []string{"SELECT 1 -- not; the end\nFROM t;"}},
		{"/* ; */ SELECT 1 /*+ OPTIONS('a'=';') */ FROM t;", []string{"/* ; */ SELECT 1 /*+ OPTIONS('a'=';') */ FROM t;"}},
		{"SELECT 'one\n;two' FROM t;", []string{"SELECT 'one\n;two' FROM t;"}},
		{"SELECT\n  1\nFROM t\n;", []string{"SELECT\n  1\nFROM t\n;"}},
		{";;  ; -- nothing\n", nil},
		{"SELECT 1 FROM t", []string{"SELECT 1 FROM t\n"}}, // the end of input ends the last one
		{"BEGIN STATEMENT SET;\nINSERT INTO a SELECT CASE WHEN x THEN 1 END FROM b;\nINSERT INTO c SELECT 1 FROM d;\nEND;\nSHOW JOBS;",
			[]string{"BEGIN STATEMENT SET;\nINSERT INTO a SELECT CASE WHEN x THEN 1 END FROM b;\nINSERT INTO c SELECT 1 FROM d;\nEND;", "SHOW JOBS;"}},
		{"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1 FROM b; END; SELECT 2 FROM c;",
			[]string{"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1 FROM b; END;", " SELECT 2 FROM c;"}},
		// SET alone is not a statement set.
		{"SET; SET 'a' = 'b';", []string{"SET;", " SET 'a' = 'b';"}},
	} {
		var got []string
		for _, st := range splitSQL(c.in) {
			got = append(got, st.Text)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("split %q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}

	// Where each statement starts, for errors.
	sts := splitSQL("SELECT 1 FROM t;\n\n-- a comment\nSELECT 2 FROM t; SELEC 3;")
	if len(sts) != 3 {
		t.Fatalf("got %d statements", len(sts))
	}
	if s := sts[1]; s.Line != 4 || s.Col != 1 || s.Prefix != "" {
		t.Errorf("second statement at %d:%d %q", s.Line, s.Col, s.Prefix)
	}
	if s := sts[2]; s.Line != 4 || s.Col != 17 || s.Prefix != "SELECT 2 FROM t;" {
		t.Errorf("third statement at %d:%d %q", s.Line, s.Col, s.Prefix)
	}
	_, err := parser.Parse(stdinName, sts[2].Text)
	if err == nil {
		t.Fatal("SELEC parsed")
	}
	got := sts[2].relocate(err).Error()
	want := "<stdin>:4:18: "
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "\nSELECT 2 FROM t; SELEC 3;\n                 ^") {
		t.Errorf("relocated error:\n%s\nwant it to start with %q and point at SELEC on the whole line", got, want)
	}

	// Commands and the continuation prompt.
	for in, want := range map[string]string{"help;": "HELP", " Quit ;": "QUIT", "EXIT;": "EXIT", "clear;": "CLEAR", "help me;": "", "SELECT help FROM t;": ""} {
		if got := splitSQL(in)[0].command(); got != want {
			t.Errorf("%q: command %q, want %q", in, got, want)
		}
	}
	var sp sqlSplitter
	for _, c := range []struct {
		line    string
		pending bool
	}{{"-- just a comment", false}, {"SELECT 'open", true}, {"string' FROM t", true}, {";", false}, {"/* open", true}, {"*/", false}} {
		sp.feed(c.line)
		if sp.pending() != c.pending {
			t.Errorf("after %q: pending %v", c.line, sp.pending())
		}
	}
}

func TestSQLClientHistoryLine(t *testing.T) {
	for in, want := range map[string]string{
		"\nSELECT a,\n       b -- the b; column\nFROM  t;": "SELECT a, b /* the b; column */ FROM t;",
		"SELECT 'a  b' FROM t;":                            "SELECT 'a  b' FROM t;",
		"SELECT /* x\ny */ 1 FROM t;":                      "SELECT /* x y */ 1 FROM t;",
		"quit;":                                            "quit;",
	} {
		if got := historyLine(in); got != want {
			t.Errorf("historyLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func clickRows(kind row.RowKind, user string, n int64) row.Row {
	return row.NewRow(kind, row.String(user), row.BigInt(n))
}

func TestSQLClientTableFrame(t *testing.T) {
	log := []row.Row{
		clickRows(row.Insert, "Mary", 1),
		clickRows(row.Insert, "Bob", 1),
		clickRows(row.UpdateBefore, "Mary", 1),
		clickRows(row.UpdateAfter, "Mary", 2),
		clickRows(row.Insert, "Liz", 1),
	}
	var out bytes.Buffer
	v := &liveTableView{w: &out, header: []string{"user", "cnt"}, size: func() (int, int) { return 0, 0 }}
	v.update(log[:2])
	first := "" +
		"+------+-----+\n" +
		"| user | cnt |\n" +
		"+------+-----+\n" +
		"| Bob  | 1   |\n" +
		"| Mary | 1   |\n" +
		"+------+-----+\n" +
		"2 rows, 2 changes (Ctrl-C stops the query)\n"
	if out.String() != first {
		t.Fatalf("first frame:\n%s\nwant\n%s", out.String(), first)
	}
	out.Reset()
	v.update(log)
	second := "" +
		"+------+-----+\n" +
		"| user | cnt |\n" +
		"+------+-----+\n" +
		"| Bob  | 1   |\n" +
		"| Liz  | 1   |\n" +
		"| Mary | 2   |\n" +
		"+------+-----+\n" +
		"3 rows, 5 changes (Ctrl-C stops the query)\n"
	// The cursor goes up over the 7 lines of the first frame, which is erased.
	if want := "\x1b[7A\r\x1b[J" + second; out.String() != want {
		t.Fatalf("second frame:\n%q\nwant\n%q", out.String(), want)
	}
	out.Reset()
	v.finish(log)
	final := strings.Replace(second, "3 rows, 5 changes (Ctrl-C stops the query)\n", "3 rows in set\nQuery stopped after 5 changes.\n", 1)
	if want := "\x1b[8A\r\x1b[J" + final; out.String() != want {
		t.Fatalf("final frame:\n%q\nwant\n%q", out.String(), want)
	}

	// A small terminal: rows past its height are left out, lines cut.
	var m liveResult
	m.apply(log)
	got := renderTableFrame([]string{"user", "cnt"}, m.table(), "3 rows", 12, 8)
	want := "" +
		"+------+---\n" +
		"| user | cn\n" +
		"+------+---\n" +
		"| Bob  | 1 \n" +
		"| Liz  | 1 \n" +
		"+------+---\n" +
		"first 2 of \n"
	if got != want {
		t.Fatalf("small frame:\n%s\nwant\n%s", got, want)
	}
	// Duplicates stay until each is retracted.
	m = liveResult{}
	m.apply([]row.Row{clickRows(row.Insert, "A", 1), clickRows(row.Insert, "A", 1), clickRows(row.Delete, "A", 1)})
	if tb := m.table(); len(tb) != 1 || m.changes != 3 {
		t.Fatalf("duplicates: %q after %d changes", tb, m.changes)
	}
}

func TestSQLClientChangelogView(t *testing.T) {
	var out bytes.Buffer
	cols := []row.Column{{Name: "user", Type: row.VarCharOf(6)}, {Name: "cnt", Type: row.Type{Kind: row.KindBigInt, NotNull: true}}}
	v := &changelogView{w: &out, header: columnNames(cols), widths: changelogWidths(cols)}
	log := []row.Row{clickRows(row.Insert, "Mary", 1), clickRows(row.UpdateBefore, "Mary", 1), clickRows(row.UpdateAfter, "Mary", 2), clickRows(row.Insert, "Maximilian", 1)}
	v.update(log[:1])
	v.update(log[:1]) // nothing new
	v.finish(log)
	want := "" +
		"+----+--------+----------------------+\n" +
		"| op | user   | cnt                  |\n" +
		"+----+--------+----------------------+\n" +
		"| +I | Mary   | 1                    |\n" +
		"| -U | Mary   | 1                    |\n" +
		"| +U | Mary   | 2                    |\n" +
		"| +I | Max... | 1                    |\n" +
		"+----+--------+----------------------+\n" +
		"Received a total of 4 rows\n"
	if out.String() != want {
		t.Fatalf("changelog:\n%s\nwant\n%s", out.String(), want)
	}
}

// runClient runs `rtdw sql` with a piped stdin (not a terminal).
func runClient(t *testing.T, dir, stdin string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main([]string{"--data-dir", dir, "--log-level", "warn", "sql"}, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const clicksDDL = "CREATE TABLE clicks (`user` STRING, url STRING)\n" +
	"  WITH ('connector' = 'kafka', 'topic' = 'clicks', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');\n"

func clicksDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	in := `{"user":"Mary","url":"./home"}` + "\n" + `{"user":"Bob","url":"./cart"}` + "\n" + `{"user":"Mary","url":"./prod"}` + "\n"
	var out, errb bytes.Buffer
	if code := Main([]string{"--data-dir", dir, "topic", "create", "clicks", "--partitions", "2"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("topic create: %s", errb.String())
	}
	if code := Main([]string{"--data-dir", dir, "topic", "produce", "clicks"}, strings.NewReader(in), &out, &errb); code != 0 {
		t.Fatalf("topic produce: %s", errb.String())
	}
	return dir
}

func TestSQLClientPiped(t *testing.T) {
	dir := clicksDataDir(t)
	hist := filepath.Join(t.TempDir(), "history")
	t.Setenv("RTDW_SQL_HISTORY", hist)
	script := clicksDDL +
		"SET 'sql-client.execution.result-mode' = 'table';\n" +
		"SELECT `user`, COUNT(*) AS cnt\n" +
		"FROM clicks GROUP BY `user`;\n" +
		"SELECT `user`, nope FROM clicks;\n" +
		"SELECT 'a;b' AS s, url FROM clicks WHERE url = './cart'; -- a ';' in a string\n" +
		"SET 'sql-client.execution.result-mode' = 'bogus';\n" +
		"HELP;\n" +
		"CREATE TABLE sink (`user` STRING, url STRING) WITH ('connector' = 'blackhole');\n" +
		"INSERT INTO sink SELECT `user`, url FROM clicks;\n" +
		"SHOW JOBS;\n" +
		"STOP JOB 'no_such_job';\n" +
		"quit;\n" +
		"SELECT 'after quit' AS never FROM clicks;\n"
	code, out, errs := runClient(t, dir, script)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{
		// The drained SELECT, as a table.
		"+------+-----+\n| user | cnt |\n+------+-----+\n| Bob  | 1   |\n| Mary | 2   |\n+------+-----+\n2 rows in set\n",
		// The statement after the error ran: a ';' inside a string does not end a statement.
		"| a;b | ./cart |\n",
		"\n  SHOW JOBS   ", "the jobs this client submitted, with status\n",
		"| job name ",
		"| RUNNING | ",
		"| INSERT INTO sink SELECT `user`, url FROM clicks |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "after quit") {
		t.Errorf("a statement after quit ran:\n%s", out)
	}
	for _, want := range []string{
		"[INFO] Execute statement succeeded.\n",
		"[INFO] Session property has been set.\n",
		// Errors as the CLI prints them, at their place in the input.
		"<stdin>:6:16: Column 'nope' not found in any table\nSELECT `user`, nope FROM clicks;\n               ^\n",
		"<stdin>:8:1: 'sql-client.execution.result-mode' = 'bogus': want 'table', 'changelog' or 'tableau'\n",
		"[INFO] Job sql_",
		"<stdin>:13:1: STOP JOB: no running job no_such_job was submitted by this client",
		"[INFO] Stopping 1 job(s) submitted by this client: sql_",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(out+errs, "\x1b[") {
		t.Errorf("escape codes on a pipe:\n%q", out+errs)
	}

	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	wantHist := []string{
		"CREATE TABLE clicks (`user` STRING, url STRING) WITH ('connector' = 'kafka', 'topic' = 'clicks', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');",
		"SET 'sql-client.execution.result-mode' = 'table';",
		"SELECT `user`, COUNT(*) AS cnt FROM clicks GROUP BY `user`;",
	}
	if len(lines) != 12 || strings.Join(lines[:3], "\n") != strings.Join(wantHist, "\n") || lines[11] != "quit;" {
		t.Errorf("history file:\n%s", b)
	}

	// RTDW_SQL_HISTORY='' keeps no history.
	t.Setenv("RTDW_SQL_HISTORY", "")
	os.Remove(hist)
	if code, _, errs := runClient(t, dir, "SHOW TABLES;\n"); code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(hist); !os.IsNotExist(err) {
		t.Errorf("history written with RTDW_SQL_HISTORY='': %v", err)
	}
}

// In batch mode an INSERT is bounded: the client waits for it at the end,
// and a later client sees its output.
func TestSQLClientBatchInsert(t *testing.T) {
	dir := clicksDataDir(t)
	t.Setenv("RTDW_SQL_HISTORY", filepath.Join(t.TempDir(), "history"))
	script := clicksDDL +
		"CREATE TABLE copy (`user` STRING, url STRING) WITH ('connector' = 'kafka', 'topic' = 'copy', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');\n" +
		"SET 'execution.runtime-mode' = 'batch';\n" +
		"INSERT INTO copy SELECT `user`, url FROM clicks WHERE `user` = 'Mary';\n" +
		"SHOW JOBS;\n" // and the end of input
	code, out, errs := runClient(t, dir, script)
	if code != 0 || !strings.Contains(errs, "[INFO] Waiting for 1 bounded job(s) to finish") || !strings.Contains(out, "INSERT INTO copy") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runClient(t, dir, "SET 'sql-client.execution.result-mode' = 'changelog';\nSELECT url FROM copy")
	want := "+----+--------+\n| op | url    |\n+----+--------+\n"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, "| +I | ./home |") || !strings.Contains(out, "| +I | ./prod |") || !strings.HasSuffix(out, "2 rows in set\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// lockedBuffer is written by the client's goroutines and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A SELECT on a terminal streams until Ctrl-C, redrawing its table in
// place; the client goes on. A streaming INSERT runs in the background
// until STOP JOB.
func TestSQLClientStreamingQuery(t *testing.T) {
	dir := t.TempDir()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if _, err := rlog.EnsureTopic(ctx, l, "clicks", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	produce := func(users ...string) {
		var recs []rlog.Record
		for _, u := range users {
			recs = append(recs, rlog.Record{Topic: "clicks", Partition: 0, Value: []byte(`{"user":"` + u + `","url":"/"}`)})
		}
		if err := l.Produce(ctx, recs...); err != nil {
			t.Fatal(err)
		}
	}
	produce("Mary", "Bob", "Mary")

	var out, errs lockedBuffer
	g := &globals{dataDir: dir, logLevel: "warn", stdin: strings.NewReader(""), stdout: &out, stderr: &errs}
	conn := connector.Context{Log: l, DataDir: dir, Out: &out}
	sess := session.New(catalog.OpenMemory(), map[string]string{"table.local-time-zone": "UTC"}, conn, &out)
	reg, err := openSQLJobRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RTDW_SQL_HISTORY", "")
	c := newSQLClient(ctx, g, Config{Partitions: 1}, &sqlOptions{interval: 50 * time.Millisecond, format: "table"}, sess, reg)
	// As on a terminal, with Ctrl-C from the test.
	c.terminal, c.live = true, true
	intr := make(chan struct{}, 1)
	c.interrupts = func() (<-chan struct{}, func()) { return intr, func() {} }
	exec := func(sql string) {
		t.Helper()
		for _, st := range splitSQL(sql) {
			if c.execute(st) {
				t.Fatalf("%s: quit", sql)
			}
		}
	}
	exec(clicksDDL)

	done := make(chan struct{})
	go func() {
		defer close(done)
		exec("SELECT `user`, COUNT(*) AS cnt FROM clicks GROUP BY `user`;")
	}()
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in:\n%q\nstderr:\n%s", what, out.String(), errs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("| Mary | 2   |\n+------+-----+\n2 rows, 4 changes (Ctrl-C stops the query)\n")
	produce("Liz", "Bob")
	// Redrawn in place: back up over the 7 lines of the last frame.
	waitFor("\x1b[7A\r\x1b[J+------+-----+\n| user | cnt |\n+------+-----+\n| Bob  | 2   |\n| Liz  | 1   |\n| Mary | 2   |\n+------+-----+\n3 rows, 7 changes (Ctrl-C stops the query)\n")
	intr <- struct{}{}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Ctrl-C did not stop the query")
	}
	if got := out.String(); !strings.HasSuffix(got, "| Mary | 2   |\n+------+-----+\n3 rows in set\nQuery stopped after 7 changes.\n") {
		t.Fatalf("after Ctrl-C:\n%q", got)
	}

	// The client goes on: a streaming INSERT in the background, listed
	// and stopped.
	exec("CREATE TABLE sink (`user` STRING) WITH ('connector' = 'blackhole');\n" +
		"SET 'pipeline.name' = 'copy_users';\n" +
		"INSERT INTO sink SELECT `user` FROM clicks;\n")
	exec("INSERT INTO sink SELECT `user` FROM clicks;\n")
	if !strings.Contains(errs.String(), "[ERROR] job copy_users is already running in this client") {
		t.Fatalf("a second copy_users started:\n%s", errs.String())
	}
	exec("STOP JOB 'copy_users';")
	before := len(out.String())
	exec("SHOW JOBS;")
	if got := out.String()[before:]; !strings.Contains(got, "| copy_users | CANCELED | ") {
		t.Fatalf("SHOW JOBS:\n%s", got)
	}
	c.close()
	if strings.Contains(errs.String(), "Stopping") {
		t.Fatalf("a stopped job was stopped again:\n%s", errs.String())
	}
}
