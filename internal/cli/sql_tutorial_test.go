package cli_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestSQLTutorial keeps docs/sql-tutorial.md true: it runs the tutorial's
// steps through the CLI, in process, on a fresh data dir, with the files of
// testdata/tutorial (the tutorial writes the same files with heredocs,
// which this test compares byte for byte), and checks that the outputs
// the tutorial shows are the outputs the commands print.
func TestSQLTutorial(t *testing.T) {
	const src = "testdata/tutorial"
	b, err := os.ReadFile("../../docs/sql-tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	tutorialHeredocs(t, doc, src)

	// The reader's working directory: the files as the tutorial writes them.
	work := t.TempDir()
	for _, f := range []string{"orders-1.jsonl", "orders-2.jsonl", "00_tables.sql", "10_dwd_orders.sql",
		"20_dws_province_1m.sql", "21_dws_user_totals.sql", "top_users.sql"} {
		tutorialCopy(t, filepath.Join(src, f), filepath.Join(work, f))
	}
	file := func(name string) string { return filepath.Join(work, name) }
	data := filepath.Join(work, "data")
	rtdw := func(stdin string, args ...string) (string, string) {
		t.Helper()
		code, out, errb := run(t, stdin, append([]string{"--data-dir", data, "--log-level", "warn"}, args...)...)
		if code != 0 {
			t.Fatalf("rtdw %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errb)
		}
		return out, errb
	}
	// shown: the command printed want, and the tutorial shows it.
	shown := func(what, got, want string) {
		t.Helper()
		want = strings.TrimPrefix(want, "\n")
		if got != want {
			t.Errorf("%s printed:\n%s\nthe tutorial shows:\n%s", what, got, want)
		}
		if !strings.Contains(doc, strings.TrimSuffix(want, "\n")) {
			t.Errorf("docs/sql-tutorial.md does not show the output of %s:\n%s", what, want)
		}
	}
	inDoc := func(what, s string) {
		t.Helper()
		if !strings.Contains(doc, s) {
			t.Errorf("docs/sql-tutorial.md does not show %s: %q", what, s)
		}
	}
	orders1, _ := os.ReadFile(file("orders-1.jsonl"))
	orders2, _ := os.ReadFile(file("orders-2.jsonl"))

	// 1. The orders topic.
	_, e := rtdw("", "topic", "create", "ods_orders", "--partitions", "1")
	inDoc("topic create", strings.TrimSpace(e))
	rtdw("", "topic", "create", "dwd_orders", "--partitions", "1")
	_, e = rtdw(string(orders1), "topic", "produce", "ods_orders")
	shown("topic produce", e, "produced 10 records to ods_orders (1 partitions)\n")

	// 2. The tables.
	rtdw("", "sql", "-f", file("00_tables.sql"))
	o, _ := rtdw("", "sql", "-e", "SHOW TABLES")
	shown("SHOW TABLES", o, tutorialShowTables)
	o, _ = rtdw("", "sql", "-e", "DESCRIBE ods_orders")
	shown("DESCRIBE ods_orders", o, tutorialDescribe)

	// 3. A look at the ODS table: the bad record is not there.
	o, _ = rtdw("", "sql", "--drain", "-e", "SELECT order_id, user_id, amount, status, order_time FROM ods_orders")
	shown("the ODS query", o, tutorialODS)

	// 4. The DWD job.
	o, _ = rtdw("", "sql", "-f", file("10_dwd_orders.sql"), "--explain")
	shown("EXPLAIN of the DWD job", o, tutorialDWDPlan)
	_, e = rtdw("", "sql", "-f", file("10_dwd_orders.sql"), "--drain")
	if !strings.Contains(e, "drained 1 SQL job(s) (dwd_orders)") || !strings.Contains(e, "dead letters 1,") {
		t.Errorf("the DWD job's summary: %q", e)
	}
	o, _ = rtdw("", "topic", "tail", "dwd_orders", "--from-beginning", "--exit-at-end")
	shown("dwd_orders", o, tutorialDWD)

	// 5. The DWS jobs.
	_, e = rtdw("", "sql", "-f", file("20_dws_province_1m.sql"), "-f", file("21_dws_user_totals.sql"), "--drain")
	if !strings.Contains(e, "drained 2 SQL job(s) (dws_province_1m, dws_user_totals)") {
		t.Errorf("the DWS jobs' summary: %q", e)
	}
	o, _ = rtdw("", "query", "SELECT * FROM dws_province_1m ORDER BY stt, province")
	shown("dws_province_1m after the first run", o, tutorialProvince1)
	o, _ = rtdw("", "sql", "--drain", "-e", "SELECT * FROM dws_user_totals")
	shown("dws_user_totals after the first run", o, tutorialUsers1)
	o, _ = rtdw("", "topic", "tail", "dws_user_totals", "--from-beginning", "--exit-at-end", "--print-key")
	got := strings.Split(strings.TrimSuffix(o, "\n"), "\n")
	want := strings.Split(strings.TrimSpace(tutorialUpserts), "\n")
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dws_user_totals' records:\n%s\nthe tutorial shows:\n%s", o, tutorialUpserts)
	}
	inDoc("dws_user_totals' records", strings.TrimSpace(tutorialUpserts))

	// 6. Top-N.
	o, _ = rtdw("", "sql", "-f", file("top_users.sql"), "--drain")
	shown("the Top-N query after the first run", o, tutorialTop1)

	// 7. The bad record, dead-lettered by every job that read it.
	o, _ = rtdw("", "topic", "tail", "dirty_data", "--from-beginning", "--exit-at-end", "--print-headers")
	dwdBad := `rtdw.reason=bad_format: json: field "amount": cannot decode "12,5" as DECIMAL(10, 2),rtdw.job=dwd_orders/source_ods_orders,rtdw.source=ods_orders/0@7	{"order_id":1008,"user_id":"u4","province":"Guangdong","category":"food","amount":"12,5","status":"paid","create_time":"2024-06-01 10:01:30"}`
	if lines := strings.Split(strings.TrimSuffix(o, "\n"), "\n"); len(lines) != 2 || !strings.Contains(o, dwdBad+"\n") ||
		!regexp.MustCompile(`rtdw\.job=query_[0-9a-f]+_[0-9a-z]+/source_ods_orders`).MatchString(lines[0]) {
		t.Errorf("dirty_data after the first run:\n%s", o)
	}
	inDoc("the DWD job's dead letter", dwdBad)

	// 8. More orders; the jobs run again and resume.
	_, e = rtdw(string(orders2), "topic", "produce", "ods_orders")
	shown("the second produce", e, "produced 4 records to ods_orders (1 partitions)\n")
	_, e = rtdw("", "sql", "-f", file("10_dwd_orders.sql"), "-f", file("20_dws_province_1m.sql"), "-f", file("21_dws_user_totals.sql"), "--drain")
	if !strings.Contains(e, "drained 3 SQL job(s) (dwd_orders, dws_province_1m, dws_user_totals)") || !strings.Contains(e, "dead letters 1,") {
		t.Errorf("the second run's summary: %q", e)
	}
	o, _ = rtdw("", "topic", "tail", "dwd_orders", "--from-beginning", "--exit-at-end")
	if n := strings.Count(o, "\n"); n != 12 {
		t.Errorf("dwd_orders holds %d records after the second run, want 12 (8 + 4, none twice)", n)
	}
	inDoc("the count of dwd_orders", "wc -l\n```\n```\n12\n```")
	o, _ = rtdw("", "query", "SELECT * FROM dws_province_1m ORDER BY stt, province")
	shown("dws_province_1m after the second run", o, tutorialProvince2)
	o, _ = rtdw("", "sql", "--drain", "-e", "SELECT * FROM dws_user_totals")
	shown("dws_user_totals after the second run", o, tutorialUsers2)
	o, _ = rtdw("", "sql", "-f", file("top_users.sql"), "--drain")
	shown("the Top-N query after the second run", o, tutorialTop2)
	o, _ = rtdw("", "topic", "tail", "dirty_data", "--from-beginning", "--exit-at-end", "--print-headers")
	late := "rtdw.reason=late: window_agg: time 2024-06-01 10:00:30.000 is behind the watermark 2024-06-01 10:02:25.000,rtdw.job=dws_province_1m/WindowAggregate_3,rtdw.source=_rtdw-dws_province_1m-Exchange_2-repartition/0@11\t+I[Beijing, u4, 120.00, 2024-06-01 10:00:30]\n"
	if !strings.HasSuffix(o, late) || strings.Count(o, "\n") != 3 {
		t.Errorf("dirty_data after the second run:\n%s", o)
	}
	inDoc("the late row", strings.TrimSuffix(late, "\n"))
	o, _ = rtdw("", "jobs")
	tutorialJobs(t, doc, o, 1)

	// 9. A changed job is refused, then started afresh.
	tutorialCopy(t, filepath.Join(src, "20_dws_province_1m.v2.sql"), file("20_dws_province_1m.sql"))
	code, _, e := run(t, "", "--data-dir", data, "--log-level", "warn", "sql", "-f", file("20_dws_province_1m.sql"), "--drain")
	if code != 1 {
		t.Errorf("the changed job ran (exit %d): %s", code, e)
	}
	shown("the changed job", e, tutorialRefused)
	_, e = rtdw("", "sql", "-f", file("20_dws_province_1m.sql"), "--drain", "--reset-job", "dws_province_1m")
	if !strings.Contains(e, "drained 1 SQL job(s) (dws_province_1m_g2)") {
		t.Errorf("the reset job's summary: %q", e)
	}
	o, _ = rtdw("", "query", "SELECT * FROM dws_province_1m ORDER BY stt, province")
	shown("dws_province_1m after the reset", o, tutorialProvince3)
	o, _ = rtdw("", "jobs")
	tutorialJobs(t, doc, o, 2)

	// 10. The same files as a pipeline (drained here; the tutorial runs it
	// until Ctrl-C): the plans are the ones that ran, so nothing is refused.
	rtdw("", "run", "--sql", file("10_dwd_orders.sql"), "--sql", file("20_dws_province_1m.sql"),
		"--sql", file("21_dws_user_totals.sql"), "--drain", "--http-addr=")
}

// tutorialHeredocs checks that every file the tutorial writes with
// `cat > NAME <<'EOF'` is the file of testdata/tutorial: the first heredoc
// of a name is NAME, the second NAME with .v2 before its extension.
func tutorialHeredocs(t *testing.T, doc, src string) {
	t.Helper()
	start := regexp.MustCompile(`^cat > (\S+) <<'EOF'$`)
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(doc))
	var name string
	var body strings.Builder
	in := false
	checked := 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in:
			if m := start.FindStringSubmatch(line); m != nil {
				name, in = m[1], true
				body.Reset()
			}
		case line == "EOF":
			in = false
			seen[name]++
			path := name
			if seen[name] > 1 {
				ext := filepath.Ext(name)
				path = strings.TrimSuffix(name, ext) + ".v" + string(rune('0'+seen[name])) + ext
			}
			want, err := os.ReadFile(filepath.Join(src, path))
			if err != nil {
				t.Errorf("the tutorial writes %s, which is not in %s: %v", name, src, err)
				continue
			}
			if body.String() != string(want) {
				t.Errorf("the tutorial's %s differs from %s/%s:\n%s", name, src, path, body.String())
			}
			checked++
		default:
			body.WriteString(line + "\n")
		}
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if checked != len(entries) {
		t.Errorf("the tutorial writes %d files; %s holds %d", checked, src, len(entries))
	}
}

func tutorialCopy(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tutorialJobs checks rtdw jobs' SQL lines (the province job at
// generation gen) and that the tutorial shows them.
func tutorialJobs(t *testing.T, doc, out string, gen int) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "SQL (generation") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "dwd_orders ") || !strings.HasPrefix(lines[1], "dws_province_1m ") ||
		!strings.Contains(lines[1], "SQL (generation "+string(rune('0'+gen))+")") || !strings.HasPrefix(lines[2], "dws_user_totals ") {
		t.Errorf("rtdw jobs' SQL jobs (generation %d of dws_province_1m):\n%s", gen, strings.Join(lines, "\n"))
	}
	if !strings.Contains(doc, strings.Join(lines, "\n")) {
		t.Errorf("docs/sql-tutorial.md does not show rtdw jobs' lines:\n%s", strings.Join(lines, "\n"))
	}
}

const tutorialShowTables = `
+-----------------+
| table name      |
+-----------------+
| dwd_orders      |
| dws_province_1m |
| dws_user_totals |
| ods_orders      |
+-----------------+
4 rows in set
`

const tutorialDescribe = `
+-------------+------------------------+------+-----+------------------------------+----------------------------------+
| name        | type                   | null | key | extras                       | watermark                        |
+-------------+------------------------+------+-----+------------------------------+----------------------------------+
| order_id    | BIGINT                 | TRUE |     |                              |                                  |
| user_id     | STRING                 | TRUE |     |                              |                                  |
| province    | STRING                 | TRUE |     |                              |                                  |
| category    | STRING                 | TRUE |     |                              |                                  |
| amount      | DECIMAL(10, 2)         | TRUE |     |                              |                                  |
| status      | STRING                 | TRUE |     |                              |                                  |
| create_time | STRING                 | TRUE |     |                              |                                  |
| order_time  | TIMESTAMP(3) *ROWTIME* | TRUE |     | AS TO_TIMESTAMP(create_time) | order_time - INTERVAL '5' SECOND |
+-------------+------------------------+------+-----+------------------------------+----------------------------------+
8 rows in set
`

const tutorialODS = `
+----------+---------+---------+-----------+---------------------+
| order_id | user_id | amount  | status    | order_time          |
+----------+---------+---------+-----------+---------------------+
| 1001     | u1      | 5999.00 | paid      | 2024-06-01 10:00:05 |
| 1002     | u2      | 45.50   | paid      | 2024-06-01 10:00:20 |
| 1003     | u3      | 12.80   | paid      | 2024-06-01 10:00:40 |
| 1004     | u1      | 88.00   | cancelled | 2024-06-01 10:00:50 |
| 1005     | u4      | 3999.00 | paid      | 2024-06-01 10:01:10 |
| 1006     | u2      | 23.40   | paid      | 2024-06-01 10:01:15 |
| 1007     | u3      | 4599.00 | paid      | 2024-06-01 10:01:05 |
| 1009     | u4      | 66.60   | paid      | 2024-06-01 10:02:10 |
| 1010     | u1      | 9.90    | paid      | 2024-06-01 10:02:30 |
+----------+---------+---------+-----------+---------------------+
9 rows in set
`

const tutorialDWDPlan = "\n== Physical Plan (job dwd_orders) ==\n" +
	"Sink(table=[`default_catalog`.`default_database`.`dwd_orders`], fields=[order_id, user_id, province, category, amount, order_time, dt, big_order], connector=[kafka]) [insert-only]\n" +
	"+- Calc(select=[order_id, user_id, province, category, amount, order_time, DATE_FORMAT(order_time, 'yyyy-MM-dd') AS dt, amount >= 1000 AS big_order]) [insert-only]\n" +
	"   +- Calc(select=[order_id, user_id, province, category, amount, status, create_time, TO_TIMESTAMP(create_time) AS order_time]) [insert-only]\n" +
	"      +- TableSourceScan(table=[`default_catalog`.`default_database`.`ods_orders`], fields=[order_id, user_id, province, category, amount, status, create_time], connector=[kafka], watermark=[order_time - 5s], filter=[status = 'paid' AND amount > 0]) [insert-only]\n"

const tutorialDWD = `
{"order_id":1001,"user_id":"u1","province":"Beijing","category":"phone","amount":5999.00,"order_time":"2024-06-01 10:00:05","dt":"2024-06-01","big_order":true}
{"order_id":1002,"user_id":"u2","province":"Shanghai","category":"book","amount":45.50,"order_time":"2024-06-01 10:00:20","dt":"2024-06-01","big_order":false}
{"order_id":1003,"user_id":"u3","province":"Beijing","category":"food","amount":12.80,"order_time":"2024-06-01 10:00:40","dt":"2024-06-01","big_order":false}
{"order_id":1005,"user_id":"u4","province":"Guangdong","category":"phone","amount":3999.00,"order_time":"2024-06-01 10:01:10","dt":"2024-06-01","big_order":true}
{"order_id":1006,"user_id":"u2","province":"Shanghai","category":"food","amount":23.40,"order_time":"2024-06-01 10:01:15","dt":"2024-06-01","big_order":false}
{"order_id":1007,"user_id":"u3","province":"Beijing","category":"phone","amount":4599.00,"order_time":"2024-06-01 10:01:05","dt":"2024-06-01","big_order":true}
{"order_id":1009,"user_id":"u4","province":"Guangdong","category":"book","amount":66.60,"order_time":"2024-06-01 10:02:10","dt":"2024-06-01","big_order":false}
{"order_id":1010,"user_id":"u1","province":"Shanghai","category":"food","amount":9.90,"order_time":"2024-06-01 10:02:30","dt":"2024-06-01","big_order":false}
`

const tutorialProvince1 = `
stt                  province   edt                  orders  buyers  gmv
2024-06-01 10:00:00  Beijing    2024-06-01 10:01:00  2       2       6011.80
2024-06-01 10:00:00  Shanghai   2024-06-01 10:01:00  1       1       45.50
2024-06-01 10:01:00  Beijing    2024-06-01 10:02:00  1       1       4599.00
2024-06-01 10:01:00  Guangdong  2024-06-01 10:02:00  1       1       3999.00
2024-06-01 10:01:00  Shanghai   2024-06-01 10:02:00  1       1       23.40
2024-06-01 10:02:00  Guangdong  2024-06-01 10:03:00  1       1       66.60
2024-06-01 10:02:00  Shanghai   2024-06-01 10:03:00  1       1       9.90
`

const tutorialUsers1 = `
+---------+--------+---------+---------------------+
| user_id | orders | spent   | last_order          |
+---------+--------+---------+---------------------+
| u1      | 2      | 6008.90 | 2024-06-01 10:02:30 |
| u2      | 2      | 68.90   | 2024-06-01 10:01:15 |
| u3      | 2      | 4611.80 | 2024-06-01 10:01:05 |
| u4      | 2      | 4065.60 | 2024-06-01 10:02:10 |
+---------+--------+---------+---------------------+
4 rows in set
`

const tutorialUpserts = `
{"user_id":"u2"}	{"user_id":"u2","orders":1,"spent":45.50,"last_order":"2024-06-01 10:00:20"}
{"user_id":"u2"}	{"user_id":"u2","orders":2,"spent":68.90,"last_order":"2024-06-01 10:01:15"}
{"user_id":"u3"}	{"user_id":"u3","orders":1,"spent":12.80,"last_order":"2024-06-01 10:00:40"}
{"user_id":"u3"}	{"user_id":"u3","orders":2,"spent":4611.80,"last_order":"2024-06-01 10:01:05"}
{"user_id":"u1"}	{"user_id":"u1","orders":1,"spent":5999.00,"last_order":"2024-06-01 10:00:05"}
{"user_id":"u4"}	{"user_id":"u4","orders":1,"spent":3999.00,"last_order":"2024-06-01 10:01:10"}
{"user_id":"u4"}	{"user_id":"u4","orders":2,"spent":4065.60,"last_order":"2024-06-01 10:02:10"}
{"user_id":"u1"}	{"user_id":"u1","orders":2,"spent":6008.90,"last_order":"2024-06-01 10:02:30"}
`

const tutorialTop1 = `
+---------+---------+----+
| user_id | spent   | rn |
+---------+---------+----+
| u1      | 6008.90 | 1  |
| u3      | 4611.80 | 2  |
| u4      | 4065.60 | 3  |
+---------+---------+----+
3 rows in set
`

const tutorialProvince2 = `
stt                  province   edt                  orders  buyers  gmv
2024-06-01 10:00:00  Beijing    2024-06-01 10:01:00  2       2       6011.80
2024-06-01 10:00:00  Shanghai   2024-06-01 10:01:00  1       1       45.50
2024-06-01 10:01:00  Beijing    2024-06-01 10:02:00  1       1       4599.00
2024-06-01 10:01:00  Guangdong  2024-06-01 10:02:00  1       1       3999.00
2024-06-01 10:01:00  Shanghai   2024-06-01 10:02:00  1       1       23.40
2024-06-01 10:02:00  Beijing    2024-06-01 10:03:00  1       1       2999.00
2024-06-01 10:02:00  Guangdong  2024-06-01 10:03:00  1       1       66.60
2024-06-01 10:02:00  Shanghai   2024-06-01 10:03:00  1       1       9.90
2024-06-01 10:03:00  Beijing    2024-06-01 10:04:00  1       1       1999.00
2024-06-01 10:03:00  Guangdong  2024-06-01 10:04:00  1       1       31.00
`

const tutorialUsers2 = `
+---------+--------+---------+---------------------+
| user_id | orders | spent   | last_order          |
+---------+--------+---------+---------------------+
| u1      | 3      | 8007.90 | 2024-06-01 10:03:40 |
| u2      | 3      | 3067.90 | 2024-06-01 10:02:40 |
| u3      | 3      | 4642.80 | 2024-06-01 10:03:20 |
| u4      | 3      | 4185.60 | 2024-06-01 10:02:10 |
+---------+--------+---------+---------------------+
4 rows in set
`

const tutorialTop2 = `
+---------+---------+----+
| user_id | spent   | rn |
+---------+---------+----+
| u1      | 8007.90 | 1  |
| u3      | 4642.80 | 2  |
| u4      | 4185.60 | 3  |
+---------+---------+----+
3 rows in set
`

const tutorialRefused = `
rtdw: SQL job dws_province_1m changed since it last ran on this data dir: its state (windows, aggregates) cannot follow the new plan.
  Start it from scratch with --reset-job dws_province_1m (it re-reads its sources; its sink gets its output again),
  or give the new version its own SET 'pipeline.name'
`

const tutorialProvince3 = `
stt                  province   edt                  orders  buyers  gmv
2024-06-01 10:00:00  Beijing    2024-06-01 10:01:00  3       3       6131.80
2024-06-01 10:00:00  Shanghai   2024-06-01 10:01:00  1       1       45.50
2024-06-01 10:01:00  Beijing    2024-06-01 10:02:00  1       1       4599.00
2024-06-01 10:01:00  Guangdong  2024-06-01 10:02:00  1       1       3999.00
2024-06-01 10:01:00  Shanghai   2024-06-01 10:02:00  1       1       23.40
2024-06-01 10:02:00  Beijing    2024-06-01 10:03:00  1       1       2999.00
2024-06-01 10:02:00  Guangdong  2024-06-01 10:03:00  1       1       66.60
2024-06-01 10:02:00  Shanghai   2024-06-01 10:03:00  1       1       9.90
2024-06-01 10:03:00  Beijing    2024-06-01 10:04:00  1       1       1999.00
2024-06-01 10:03:00  Guangdong  2024-06-01 10:04:00  1       1       31.00
`
