package cli_test

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/rtdw/rtdw/internal/warehouse/dws"
)

// The end-to-end correctness test of the warehouse (issue 7): the
// simulator's day with a fixed seed, drained through every job by
// 'rtdw demo --drain', and every DWS table in the OLAP file equal, row by
// row on its key and in every column, to an independent batch computation
// in DuckDB SQL (testdata/e2e/*.sql) over the raw topic_db and topic_log
// records exported with 'rtdw topic tail'. The SQL reads only ODS: each
// DWD step is recomputed from its SPEC rule, so a bug anywhere between
// topic_db/topic_log and the OLAP rows shows as a difference.
const (
	e2eDate     = "2026-11-21"
	e2eSeed     = "7"
	e2eSessions = "3000"
)

func TestEndToEndDWSEqualsBatchSQL(t *testing.T) {
	dir := t.TempDir()
	out, err := rtdwCmd(t, dir, "demo", "--date", e2eDate, "--seed", e2eSeed, "--sessions", e2eSessions,
		"--drain", "--progress", "0").CombinedOutput()
	if err != nil {
		t.Fatalf("rtdw demo --drain: %v\n%s", err, out)
	}

	work := t.TempDir()
	dbFile := exportTopic(t, dir, work, "topic_db")
	logFile := exportTopic(t, dir, work, "topic_log")
	// Nothing may be dead-lettered: a drained, in-order simulated day has
	// no late records (reason "late" would mean a window closed too early
	// or an input went idle wrongly), and the simulator writes no bad
	// input. The batch SQL counts every record, so a dead letter is a row
	// the stream lost.
	if dirty := tail(t, dir, "dirty_data", "--print-headers"); len(dirty) > 0 {
		t.Fatalf("dirty_data holds %d records, want none; first: %s", len(dirty), dirty[0])
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // macros, views and the attached file live in one connection
	olapFile := filepath.Join(dir, "olap", "gmall_realtime.duckdb")
	if _, err := os.Stat(olapFile); err != nil {
		t.Fatalf("OLAP file: %v", err)
	}
	for _, q := range []string{
		fmt.Sprintf(`CREATE TABLE ods_db AS SELECT * FROM read_ndjson('%s', columns = {p: 'INTEGER', o: 'BIGINT', v: 'JSON'})`, dbFile),
		fmt.Sprintf(`CREATE TABLE ods_log AS SELECT * FROM read_ndjson('%s', columns = {p: 'INTEGER', o: 'BIGINT', v: 'JSON'})`, logFile),
		fmt.Sprintf(`CREATE TABLE keyword_words AS SELECT * FROM read_csv('%s', header = true, columns = {keyword: 'VARCHAR', word: 'VARCHAR'})`,
			testdataPath(t, "keyword_words.csv")),
		readSQL(t, "ods.sql"),
		fmt.Sprintf(`ATTACH '%s' AS olap (READ_ONLY)`, olapFile),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}

	// Preconditions the batch rules rely on, and a day big enough to mean
	// something.
	expectNone(t, db, "mids spread over partitions (the is_new fix orders a mid's logs by offset)",
		`SELECT mid FROM log_rec GROUP BY mid HAVING count(DISTINCT p) > 1`)
	expectNone(t, db, "searched keywords without a hand-written segmentation in keyword_words.csv",
		`SELECT DISTINCT item FROM page_log WHERE last_page_id = 'search' AND item_type = 'keyword' AND item <> ''
		 AND item NOT IN (SELECT keyword FROM keyword_words)`)
	for q, least := range map[string]int{
		`SELECT count(*) FROM page_log`:                               5000,
		`SELECT count(*) FROM order_line`:                             500,
		`SELECT count(*) FROM db_rec WHERE tbl = 'order_refund_info'`: 100,
		`SELECT count(*) FROM db_rec WHERE tbl = 'payment_info' AND changed_to(old, d, 'payment_status', '1602')`: 100,
		`SELECT count(*) FROM db_rec WHERE tbl = 'cart_info' AND typ = 'update'`:                                  10,
		`SELECT count(*) FROM dim_sku JOIN dim_c3 USING (category3_id) WHERE category1_name <> ''`:                20,
		// The day's tail (refunds, late sessions) runs past midnight, so
		// first-of-day and "new user" states see a second date.
		`SELECT count(*) FROM (SELECT lms FROM page_log UNION ALL SELECT lms FROM db_rec WHERE typ = 'insert') WHERE lday(lms) > DATE '` + e2eDate + `'`: 10,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n < least {
			t.Fatalf("%s = %d, want at least %d: the simulated day is too small to test", q, n, least)
		}
	}

	tables := dws.Tables()
	files, _ := filepath.Glob(testdataPath(t, "dws_*.sql"))
	if len(tables) != 11 || len(files) != len(tables) {
		t.Fatalf("%d DWS tables and %d batch SQL files, want 11 of each", len(tables), len(files))
	}
	for _, tb := range tables {
		t.Run(tb.Name, func(t *testing.T) {
			compareTable(t, db, tb.Name, len(tb.Key), readSQL(t, tb.Name+".sql"))
		})
	}
}

// compareTable compares the OLAP table with the batch query's rows: same
// columns, same keys, equal values (all compared as DuckDB renders them
// as text: timestamps, dates, integers, decimals with their scale).
func compareTable(t *testing.T, db *sql.DB, table string, keyLen int, query string) {
	if _, err := db.Exec(fmt.Sprintf("CREATE TEMP TABLE %q AS %s", "expected_"+table, query)); err != nil {
		t.Fatalf("batch SQL: %v", err)
	}
	actualCols := columns(t, db, "olap.main."+table)
	expectedCols := columns(t, db, fmt.Sprintf("%q", "expected_"+table))
	if a, e := slices.Sorted(slices.Values(actualCols)), slices.Sorted(slices.Values(expectedCols)); !slices.Equal(a, e) {
		t.Fatalf("columns differ:\n OLAP  %v\n batch %v", actualCols, expectedCols)
	}
	actual := textRows(t, db, "olap.main."+table, actualCols, keyLen)
	expected := textRows(t, db, fmt.Sprintf("%q", "expected_"+table), actualCols, keyLen)
	if len(expected) == 0 {
		t.Fatal("the batch computation has no rows: the simulated day does not exercise this table")
	}
	var diffs []string
	for k, e := range expected {
		a, ok := actual[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("missing in OLAP  %s: batch %s", k, e))
		case a != e:
			diffs = append(diffs, fmt.Sprintf("differs          %s:\n    OLAP  %s\n    batch %s", k, a, e))
		}
	}
	for k, a := range actual {
		if _, ok := expected[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("not in batch     %s: OLAP %s", k, a))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Errorf("%d of %d batch rows (%d OLAP rows) differ; columns %v (key: first %d)",
			len(diffs), len(expected), len(actual), actualCols, keyLen)
		for _, d := range diffs[:min(len(diffs), 20)] {
			t.Log(d)
		}
	}
}

func columns(t *testing.T, db *sql.DB, from string) []string {
	rows, err := db.Query("SELECT * FROM " + from + " LIMIT 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// textRows reads from's rows as text, in cols order: key (the first
// keyLen columns joined with " | ") -> the remaining columns.
func textRows(t *testing.T, db *sql.DB, from string, cols []string, keyLen int) map[string]string {
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = fmt.Sprintf("CAST(%q AS VARCHAR)", c)
	}
	rows, err := db.Query("SELECT " + strings.Join(sel, ", ") + " FROM " + from)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		text := make([]string, len(cols))
		for i, v := range vals {
			text[i] = "NULL"
			if v.Valid {
				text[i] = fmt.Sprintf("%s=%q", cols[i], v.String)
			}
		}
		k := strings.Join(text[:keyLen], " | ")
		if _, dup := out[k]; dup {
			t.Fatalf("%s: key %s twice", from, k)
		}
		out[k] = strings.Join(text[keyLen:], " ")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func expectNone(t *testing.T, db *sql.DB, what, query string) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		found = append(found, s)
	}
	if len(found) > 0 {
		t.Fatalf("%s: %v", what, found[:min(len(found), 10)])
	}
}

// exportTopic writes every record of topic as one JSON line
// {"p": partition, "o": offset, "v": value} and returns the file.
func exportTopic(t *testing.T, dataDir, work, topic string) string {
	t.Helper()
	var b bytes.Buffer
	for _, line := range tail(t, dataDir, topic, "--print-partition", "--print-offset") {
		p, rest, ok1 := strings.Cut(line, "\t")
		o, v, ok2 := strings.Cut(rest, "\t")
		if !ok1 || !ok2 {
			t.Fatalf("%s: tail line %q", topic, line)
		}
		fmt.Fprintf(&b, `{"p":%s,"o":%s,"v":%s}`+"\n", p, o, v)
	}
	path := filepath.Join(work, topic+".jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tail returns the lines 'rtdw topic tail TOPIC --from-beginning
// --exit-at-end' prints with the given options.
func tail(t *testing.T, dataDir, topic string, opts ...string) []string {
	t.Helper()
	cmd := rtdwCmd(t, dataDir, append([]string{"topic", "tail", topic, "--from-beginning", "--exit-at-end"}, opts...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("topic tail %s: %v\n%s", topic, err, stderr.Bytes())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func testdataPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "e2e", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readSQL(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(testdataPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
