package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSQLFormatJSONComposites: --format json writes ROW, ARRAY, MAP and
// MULTISET values as JSON (as the json format does), NULLs inside them
// as null, and BYTES as base64.
func TestSQLFormatJSONComposites(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "cin",
		`{"id":1,"r":{"x":1,"s":null},"arr":[{"k":"a"},null],"m":{"k":null,"j":2},"mi":{"7":"seven"},"b":"YWI=","tag":"p"}`,
		`{"id":2,"r":null,"arr":[],"m":{},"mi":null,"b":null,"tag":"p"}`,
		`{"id":3,"tag":"q"}`)
	ddl := `CREATE TEMPORARY TABLE cin (id INT, r ROW<x INT, s STRING>, arr ARRAY<ROW<k STRING>>, m MAP<STRING, INT>,
  mi MAP<INT, STRING>, b BYTES, tag STRING)
  WITH ('connector' = 'kafka', 'topic' = 'cin', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
`
	out, _ := e2eRun(t, dir, "sql", "--format", "json", "--drain", "-e", ddl+"SELECT id, r, arr, m, mi, b FROM cin;")
	// "YWI=" is base64 of "ab"; a MAP with INT keys is an object keyed
	// by their text, as the json format writes it.
	want := `{"id":1,"r":{"x":1,"s":null},"arr":[{"k":"a"},null],"m":{"k":null,"j":2},"mi":{"7":"seven"},"b":"YWI="}` + "\n" +
		`{"id":2,"r":null,"arr":[],"m":{},"mi":null,"b":null}` + "\n" +
		`{"id":3,"r":null,"arr":null,"m":null,"mi":null,"b":null}` + "\n"
	if out != want {
		t.Errorf("composites:\n got  %s\n want %s", out, want)
	}
	// A MULTISET is an object of element -> count (Flink's json format).
	out, _ = e2eRun(t, dir, "sql", "--format", "json", "--drain", "-e", ddl+"SELECT tag, COLLECT(tag) AS tags FROM cin GROUP BY tag;")
	if want := `{"tag":"p","tags":{"p":2}}` + "\n" + `{"tag":"q","tags":{"q":1}}` + "\n"; out != want {
		t.Errorf("multiset:\n got  %s\n want %s", out, want)
	}
}

// TestSQLResetJobFailedRun: --reset-job on a run that fails (a statement
// that does not plan, another job refused for a changed plan) leaves the
// job's generation and plan as they were, so the next plain run resumes
// the job instead of starting it from scratch.
func TestSQLResetJobFailedRun(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "rin", `{"id":1,"v":10}`, `{"id":2,"v":20}`)
	ddl := `CREATE TABLE IF NOT EXISTS rin (id BIGINT, v INT) WITH ('connector' = 'kafka', 'topic' = 'rin', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE IF NOT EXISTS rout (id BIGINT, w INT) WITH ('connector' = 'kafka', 'topic' = 'rout', 'format' = 'json');
CREATE TABLE IF NOT EXISTS rout2 (id BIGINT, w INT) WITH ('connector' = 'kafka', 'topic' = 'rout2', 'format' = 'json');
`
	job := e2eFile(t, dir, "job.sql", ddl+"SET 'pipeline.name' = 'dbl';\nINSERT INTO rout SELECT id, v * 2 FROM rin;\n")
	other := e2eFile(t, dir, "other.sql", "SET 'pipeline.name' = 'other';\nINSERT INTO rout2 SELECT id, v FROM rin;\n")
	e2eRun(t, dir, "sql", "-f", job, "-f", other, "--drain")
	want := []string{`{"id":1,"w":20}`, `{"id":2,"w":40}`}
	e2eSameLines(t, "rout after the first run", e2eTail(t, dir, "rout"), want)
	registry := filepath.Join(dir, "sql-jobs.json")
	before := e2eRead(t, registry)
	if !strings.Contains(before, `"dbl"`) || !strings.Contains(before, `"generation": 1`) {
		t.Fatalf("sql-jobs.json after the first run:\n%s", before)
	}

	bad := e2eFile(t, dir, "bad.sql", "INSERT INTO rout2 SELECT nope FROM rin;\n")
	otherChanged := e2eFile(t, dir, "other2.sql", "SET 'pipeline.name' = 'other';\nINSERT INTO rout2 SELECT id, v + 1 FROM rin;\n")
	pipeDir := filepath.Join(dir, "pipe")
	os.Mkdir(pipeDir, 0o755)
	e2eFile(t, pipeDir, "a.sql", e2eRead(t, job))
	e2eFile(t, pipeDir, "b.sql", "INSERT INTO rout2 SELECT nope FROM rin;\n")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"sql", "-f", job, "-f", bad, "--drain"}, bad + ":1:26: Column 'nope' not found"},
		{[]string{"sql", "-f", job, "-f", otherChanged, "--drain"}, "SQL job other changed since it last ran"},
		{[]string{"run", "--sql", pipeDir, "--drain", "--http-addr="}, filepath.Join(pipeDir, "b.sql") + ":1:26: Column 'nope' not found"},
	} {
		args := append([]string{"--data-dir", dir, "--log-level", "warn"}, c.args...)
		code, _, stderr := run(t, "", append(args, "--reset-job", "dbl")...)
		if code != 1 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v --reset-job dbl: exit %d, %q, want exit 1 and %q", c.args, code, stderr, c.msg)
		}
		if after := e2eRead(t, registry); after != before {
			t.Errorf("%v --reset-job dbl failed but changed sql-jobs.json:\n%s\nwas:\n%s", c.args, after, before)
		}
	}

	// The job resumes: only the new record, under its first-generation name.
	e2eProduceValues(t, dir, "rin", `{"id":3,"v":30}`)
	_, stderr := e2eRun(t, dir, "sql", "-f", job, "--drain")
	if !strings.Contains(stderr, "drained 1 SQL job(s) (dbl)") {
		t.Errorf("plain run after the failed resets: %q", stderr)
	}
	e2eSameLines(t, "rout after the plain run", e2eTail(t, dir, "rout"), append(want, `{"id":3,"w":60}`))

	// A run that succeeds records the reset: generation 2 re-reads everything.
	_, stderr = e2eRun(t, dir, "sql", "-f", job, "--drain", "--reset-job", "dbl")
	if !strings.Contains(stderr, "drained 1 SQL job(s) (dbl_g2)") || !strings.Contains(e2eRead(t, registry), `"generation": 2`) {
		t.Errorf("successful reset: %q\n%s", stderr, e2eRead(t, registry))
	}
	e2eSameLines(t, "rout after the reset", e2eTail(t, dir, "rout"), append(want, `{"id":3,"w":60}`, `{"id":1,"w":20}`, `{"id":2,"w":40}`, `{"id":3,"w":60}`))
}

// TestSQLDuplicateJobNamesAcrossFiles: the files of one command run as one,
// so two jobs of the same name in different files are refused as within
// one file (before the plan check, which would otherwise blame a plan
// change on a fresh data dir), and nothing runs.
func TestSQLDuplicateJobNamesAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "din", `{"id":1}`)
	ddl := `CREATE TABLE IF NOT EXISTS din (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'din', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE IF NOT EXISTS dout (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'dout', 'format' = 'json');
`
	same := e2eFile(t, dir, "e.sql", ddl+"INSERT INTO dout SELECT id FROM din;\n")
	a := e2eFile(t, dir, "a.sql", ddl+"SET 'pipeline.name' = 'job_a';\nINSERT INTO dout SELECT id FROM din;\n")
	b := e2eFile(t, dir, "b.sql", "INSERT INTO dout SELECT id + 1 FROM din;\n")
	pipeDir := filepath.Join(dir, "pipe")
	os.Mkdir(pipeDir, 0o755)
	e2eFile(t, pipeDir, "a.sql", e2eRead(t, a))
	pb := e2eFile(t, pipeDir, "b.sql", e2eRead(t, b))
	for _, c := range []struct {
		args []string
		want string
	}{
		// The same INSERT twice: the same statement hash.
		{[]string{"sql", "-f", same, "-f", same, "--drain"}, same + ":3:1: two jobs named sql_"},
		// SET 'pipeline.name' of a.sql is still in force in b.sql.
		{[]string{"sql", "-f", a, "-f", b, "--drain"}, b + ":1:1: two jobs named job_a in one run: give each its own SET 'pipeline.name'\n"},
		{[]string{"run", "--sql", pipeDir, "--drain", "--http-addr="}, pb + ":1:1: two jobs named job_a in one run: give each its own SET 'pipeline.name'\n"},
	} {
		code, _, stderr := run(t, "", append([]string{"--data-dir", dir, "--log-level", "warn"}, c.args...)...)
		if code != 1 || !strings.Contains(stderr, "rtdw: "+c.want) || !strings.Contains(stderr, "give each its own SET 'pipeline.name'") {
			t.Errorf("%v: exit %d, %q, want exit 1 and %q", c.args, code, stderr, c.want)
		}
	}
	// (The sink's topic is created when a job starts: none did.)
	if _, out, _ := run(t, "", "--data-dir", dir, "topic", "tail", "dout", "--from-beginning", "--exit-at-end"); out != "" {
		t.Errorf("refused runs wrote %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "sql-jobs.json")); !os.IsNotExist(err) {
		t.Errorf("refused runs recorded jobs: %v", err)
	}
}

// TestSQLPipelineSelect: a SELECT in a pipeline file is a SQL error at the
// SELECT (file:line:column, the line and a caret, exit 1), not a usage
// error.
func TestSQLPipelineSelect(t *testing.T) {
	dir := t.TempDir()
	pipeDir := filepath.Join(dir, "pipe")
	os.Mkdir(pipeDir, 0o755)
	f := e2eFile(t, pipeDir, "f.sql", `CREATE TABLE sin (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'sin', 'format' = 'json');
  SELECT id FROM sin;
`)
	code, _, stderr := run(t, "", "--data-dir", dir, "run", "--sql", pipeDir, "--drain", "--http-addr=")
	want := "rtdw: " + f + ":2:3: a SELECT in a pipeline file: write its result with INSERT INTO (rtdw sql -e runs queries)\n" +
		"  SELECT id FROM sin;\n" +
		"  ^\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", code, stderr, want)
	}
}

// TestSQLCheckpointIntervalFlag: --checkpoint-interval must be positive, a
// usage error otherwise (as rtdw run).
func TestSQLCheckpointIntervalFlag(t *testing.T) {
	for _, v := range []string{"0", "-1s"} {
		dir := t.TempDir()
		code, _, stderr := run(t, "", "--data-dir", dir, "sql", "-e", "SHOW TABLES", "--checkpoint-interval", v)
		if code != 2 || !strings.Contains(stderr, "--checkpoint-interval must be > 0") {
			t.Errorf("--checkpoint-interval %s: exit %d, %q", v, code, stderr)
		}
	}
}

// TestSQLEmptyExecute: -e "" (an unset shell variable) is a usage error,
// not the interactive client reading stdin.
func TestSQLEmptyExecute(t *testing.T) {
	for _, args := range [][]string{{"-e", ""}, {"-e", "  \n"}, {"--execute="}} {
		dir := t.TempDir()
		code, out, stderr := run(t, "CREATE TABLE x (a INT) WITH ('connector' = 'blackhole');\n", append([]string{"--data-dir", dir, "sql"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "-e/--execute: no SQL") || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
}

// TestSQLDrainSummaryCountsQueries: with INSERT jobs and a query, the
// drain summary counts and names every job it reports a line for.
func TestSQLDrainSummaryCountsQueries(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "qin", `{"id":1}`, `{"id":2}`)
	p := e2eFile(t, dir, "p.sql", `CREATE TABLE qin (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'qin', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE qout (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'qout', 'format' = 'json');
SET 'pipeline.name' = 'copy_q';
INSERT INTO qout SELECT id FROM qin;
`)
	out, stderr := e2eRun(t, dir, "sql", "-f", p, "-e", "SELECT COUNT(*) AS n FROM qin", "--drain")
	if !strings.Contains(out, "| 2 |") {
		t.Errorf("query result:\n%s", out)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "drained 2 SQL job(s) (copy_q, query_") ||
		!strings.Contains(lines[0], "records in 4, out 2,") {
		t.Fatalf("summary:\n%s", stderr)
	}
	// One indented line per job, the INSERT's and the query's: the jobs
	// the first line names.
	var jobs []string
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(strings.TrimSpace(l), ":")
		jobs = append(jobs, name)
	}
	list, _, _ := strings.Cut(strings.TrimPrefix(lines[0], "drained 2 SQL job(s) ("), ")")
	named := strings.Split(list, ", ")
	slices.Sort(jobs)
	slices.Sort(named)
	if !slices.Equal(jobs, named) {
		t.Errorf("summary names %q, lines for %q", named, jobs)
	}
}

// TestSQLHelpFailedStatement: a statement that fails stops the command
// with exit 1, DDL before it applied; --help says so.
func TestSQLHelpFailedStatement(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "", "--data-dir", dir, "sql", "-e", "CREATE TABLE hx (a INT) WITH ('connector' = 'blackhole');\nINSERT INTO hx SELECT nope FROM hx;")
	if code != 1 || !strings.Contains(stderr, "<command line>:2:") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	if out, _ := e2eRun(t, dir, "sql", "-e", "SHOW TABLES"); !strings.Contains(out, "hx") {
		t.Errorf("the DDL before the failing statement was not applied:\n%s", out)
	}
	_, help, _ := run(t, "", "sql", "--help")
	if strings.Contains(help, "starts nothing") || !strings.Contains(help, "DDL before it has been applied") {
		t.Errorf("sql --help:\n%s", help)
	}
}

// --explain changes nothing, DDL included: explaining a file and then
// running it works (its CREATE TABLE was not left in the catalog).
func TestSQLExplainThenRun(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(t.TempDir(), "x.sql")
	text := "CREATE TABLE xs (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');\n" +
		"CREATE TABLE xo (a INT) WITH ('connector' = 'blackhole');\n" +
		"INSERT INTO xo SELECT a FROM xs;\n"
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "--data-dir", dir, "sql", "-f", f, "--explain")
	if code != 0 || !strings.Contains(out, "TableSourceScan") {
		t.Fatalf("--explain: exit %d\n%s\n%s", code, out, stderr)
	}
	if out, _ := e2eRun(t, dir, "sql", "-e", "SHOW TABLES"); strings.Contains(out, "xs") {
		t.Fatalf("--explain left its table in the catalog:\n%s", out)
	}
	if code, _, stderr := run(t, "", "--data-dir", dir, "sql", "-f", f, "--drain"); code != 0 {
		t.Fatalf("the run after --explain: exit %d\n%s", code, stderr)
	}
}

// A drain's summary counts what sinks outside the log wrote (print,
// blackhole, filesystem, jdbc, ...) as output, not only topic records.
func TestSQLDrainSummaryCountsExternalSinks(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "", "--data-dir", dir, "sql", "--drain", "-e",
		"CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');\n"+
			"CREATE TABLE p (a INT) WITH ('connector' = 'print');\n"+
			"CREATE TABLE bh (a INT) WITH ('connector' = 'blackhole');\n"+
			"EXECUTE STATEMENT SET BEGIN INSERT INTO p SELECT a FROM g; INSERT INTO bh SELECT a FROM g; END;")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "out 6,") || !strings.Contains(stderr, "print_p 3") || !strings.Contains(stderr, "blackhole_bh 3") {
		t.Errorf("summary does not count the sinks' 6 rows:\n%s", stderr)
	}
}

// Running a Flink script twice (its CREATE TABLE has no IF NOT EXISTS)
// fails on the durable catalog with what to do about it.
func TestSQLRerunScriptHint(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(t.TempDir(), "x.sql")
	if err := os.WriteFile(f, []byte("CREATE TABLE rr (a INT) WITH ('connector' = 'blackhole');\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "", "--data-dir", dir, "sql", "-f", f); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	code, _, stderr := run(t, "", "--data-dir", dir, "sql", "-f", f)
	if code != 1 || !strings.Contains(stderr, "already exists") || !strings.Contains(stderr, "rtdw run --sql") {
		t.Errorf("second run: exit %d\n%s", code, stderr)
	}
}
