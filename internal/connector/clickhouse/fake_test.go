package clickhouse_test

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// fake is a protocol-level ClickHouse HTTP interface: auth headers, the
// query in the URL or the body, CREATE DATABASE/TABLE checked for
// ReplacingMergeTree[(ver, is_deleted)] ORDER BY key PARTITION BY day,
// INSERT ... FORMAT JSONEachRow with insert_deduplication_token (omitted
// fields take the column's DEFAULT), system.tables' engine_full, and
// SELECTs answered in JSONCompact (64-bit integers quoted) that must ask
// for final=1 and readonly. DuckDB stores every inserted row (as
// ReplacingMergeTree parts do) and a view per table is FINAL: of each
// key's rows the one with the highest ver (of equal ones, or without ver,
// the last inserted), and no row for the key when that one has
// is_deleted = 1.
type fake struct {
	t          *testing.T
	srv        *httptest.Server
	user, pass string
	db         *sql.DB

	mu      sync.Mutex
	seq     int64
	tables  map[string][]string          // db.table -> columns
	defs    map[string]map[string]string // db.table -> column -> DEFAULT
	engines map[string]string            // db.table -> system.tables.engine_full
	tokens  map[string]bool              // db.table/token
	inserts int                          // INSERTs that stored rows
	deletes int                          // lightweight DELETEs
}

func newFake(t *testing.T) *fake {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one session: search_path set per request
	f := &fake{t: t, user: "rtdw", pass: "pw", db: db, tables: map[string][]string{}, tokens: map[string]bool{},
		defs: map[string]map[string]string{}, engines: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() { f.srv.Close(); db.Close() })
	return f
}

func chError(w http.ResponseWriter, code int, name, msg string) {
	w.Header().Set("X-ClickHouse-Exception-Code", fmt.Sprint(code))
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "Code: %d. DB::Exception: %s. (%s)\n", code, msg, name)
}

var (
	createDB    = regexp.MustCompile("^CREATE DATABASE IF NOT EXISTS `(\\w+)`$")
	createTable = regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `(\\w+)`.`(\\w+)` \\((.*)\\) ENGINE = (ReplacingMergeTree(?:\\(`(\\w+)`, `(\\w+)`\\))? PARTITION BY `cur_date` ORDER BY \\(([^)]*)\\) SETTINGS non_replicated_deduplication_window = \\d+)$")
	columnDef   = regexp.MustCompile("`(\\w+)` (Nullable\\()?(String|Int64|UInt64|UInt8|Decimal\\(16, 2\\)|DateTime|Date)\\)?(?: DEFAULT (\\d+))?")
	engineQuery = regexp.MustCompile("^SELECT engine_full FROM system.tables WHERE database = '(\\w+)' AND name = '(\\w+)'$")
	insert      = regexp.MustCompile("^INSERT INTO `(\\w+)`.`(\\w+)` \\(([^)]*)\\) FORMAT JSONEachRow$")
	deleteFrom  = regexp.MustCompile("(?s)^DELETE FROM `(\\w+)`.`(\\w+)` WHERE (.*)$")
)

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-ClickHouse-User") != f.user || r.Header.Get("X-ClickHouse-Key") != f.pass {
		chError(w, 516, "AUTHENTICATION_FAILED", "rtdw: Authentication failed: password is incorrect, or there is no user with such name")
		return
	}
	q := r.URL.Query()
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	query := q.Get("query")
	if m := insert.FindStringSubmatch(query); m != nil {
		f.insert(w, q, m[1], m[2], body)
		return
	}
	if query != "" { // the query parameter followed by the body
		query += " "
	}
	query = strings.TrimSpace(query + string(body))
	switch {
	case createDB.MatchString(query):
		f.exec(w, fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS "%s"`, createDB.FindStringSubmatch(query)[1]))
	case strings.HasPrefix(query, "CREATE TABLE"):
		f.createTable(w, query)
	case deleteFrom.MatchString(query):
		// A lightweight DELETE removes every version (part row) of the keys.
		m := deleteFrom.FindStringSubmatch(query)
		f.exec(w, fmt.Sprintf(`DELETE FROM "%s"."%s__parts" WHERE %s`, m[1], m[2], strings.ReplaceAll(strings.ReplaceAll(m[3], "`", `"`), `\'`, `''`)))
		f.deletes++
	default:
		f.selectQuery(w, q, query)
	}
}

func (f *fake) exec(w http.ResponseWriter, stmt string) {
	if _, err := f.db.Exec(stmt); err != nil {
		chError(w, 62, "SYNTAX_ERROR", err.Error())
	}
}

func (f *fake) createTable(w http.ResponseWriter, query string) {
	m := createTable.FindStringSubmatch(query)
	if m == nil {
		chError(w, 62, "SYNTAX_ERROR", "fake ClickHouse expects ReplacingMergeTree PARTITION BY cur_date ORDER BY key: "+query)
		return
	}
	db, table, engine, ver, isDeleted := m[1], m[2], m[4], m[5], m[6]
	var cols, defs []string
	defaults := map[string]string{}
	for _, c := range columnDef.FindAllStringSubmatch(m[3], -1) {
		typ := map[string]string{"String": "VARCHAR", "Int64": "BIGINT", "UInt64": "UBIGINT", "UInt8": "UTINYINT",
			"Decimal(16, 2)": "DECIMAL(16,2)", "Date": "DATE", "DateTime": "TIMESTAMP"}[c[3]]
		cols = append(cols, c[1])
		defs = append(defs, fmt.Sprintf(`"%s" %s`, c[1], typ))
		if c[4] != "" {
			defaults[c[1]] = c[4]
		}
	}
	if ver != "" && (defaults[ver] == "" || defaults[isDeleted] == "") {
		chError(w, 62, "SYNTAX_ERROR", "fake ClickHouse: the version and is_deleted columns need a DEFAULT: "+query)
		return
	}
	keys := strings.ReplaceAll(m[7], "`", `"`)
	if _, ok := f.tables[db+"."+table]; ok {
		return // IF NOT EXISTS: the existing table (and engine) stays
	}
	// Every inserted row stays (as parts do before merges); the view is FINAL.
	f.exec(w, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS "%s"."%s__parts" (%s, _seq BIGINT)`, db, table, strings.Join(defs, ", ")))
	final := fmt.Sprintf(`SELECT * EXCLUDE (_seq) FROM "%s"."%s__parts" QUALIFY row_number() OVER (PARTITION BY %s ORDER BY _seq DESC) = 1`, db, table, keys)
	if ver != "" {
		final = fmt.Sprintf(`SELECT * EXCLUDE (_seq) FROM (SELECT * FROM "%s"."%s__parts" QUALIFY row_number() OVER (PARTITION BY %s ORDER BY "%s" DESC, _seq DESC) = 1) WHERE "%s" = 0`,
			db, table, keys, ver, isDeleted)
	}
	f.exec(w, fmt.Sprintf(`CREATE VIEW IF NOT EXISTS "%s"."%s" AS %s`, db, table, final))
	f.tables[db+"."+table] = cols
	f.defs[db+"."+table] = defaults
	f.engines[db+"."+table] = strings.ReplaceAll(engine, "`", "")
}

func (f *fake) insert(w http.ResponseWriter, q map[string][]string, db, table string, body []byte) {
	cols, ok := f.tables[db+"."+table]
	if !ok {
		chError(w, 60, "UNKNOWN_TABLE", fmt.Sprintf("Table %s.%s does not exist", db, table))
		return
	}
	if tok := first(q["insert_deduplication_token"]); tok != "" {
		if f.tokens[db+"."+table+"/"+tok] {
			return // deduplicated: ClickHouse answers 200 and stores nothing
		}
		defer func() { f.tokens[db+"."+table+"/"+tok] = true }()
	}
	tx, err := f.db.Begin()
	if err != nil {
		f.t.Error(err)
		return
	}
	defer tx.Rollback()
	ph := strings.Repeat("?, ", len(cols)) + "?"
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var row map[string]any
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		if err := d.Decode(&row); err != nil {
			chError(w, 27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "Cannot parse input: "+err.Error())
			return
		}
		f.seq++
		vals := []any{}
		for _, c := range cols {
			v, ok := row[c]
			if d := f.defs[db+"."+table][c]; !ok && d != "" {
				v = d // an omitted field takes the column's default
			}
			if n, ok := v.(json.Number); ok {
				v = n.String()
			}
			vals = append(vals, v)
		}
		vals = append(vals, f.seq)
		if _, err := tx.Exec(fmt.Sprintf(`INSERT INTO "%s"."%s__parts" VALUES (%s)`, db, table, ph), vals...); err != nil {
			chError(w, 27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED", err.Error())
			return
		}
	}
	if err := tx.Commit(); err != nil {
		f.t.Error(err)
		return
	}
	f.inserts++
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

var chTypes = map[string]string{"UBIGINT": "UInt64", "UTINYINT": "UInt8", "BIGINT": "Int64", "HUGEINT": "Int128", "INTEGER": "Int32", "VARCHAR": "String", "DATE": "Date", "TIMESTAMP": "DateTime", "DOUBLE": "Float64"}

func (f *fake) selectQuery(w http.ResponseWriter, q map[string][]string, query string) {
	if first(q["final"]) != "1" || first(q["readonly"]) == "" || first(q["default_format"]) != "JSONCompact" {
		chError(w, 164, "READONLY", "fake ClickHouse: queries must ask for final=1, readonly and JSONCompact")
		return
	}
	if m := engineQuery.FindStringSubmatch(query); m != nil {
		out := map[string]any{"meta": []map[string]string{{"name": "engine_full", "type": "String"}}, "data": [][]any{}}
		if e, ok := f.engines[m[1]+"."+m[2]]; ok {
			out["data"] = [][]any{{e + ", index_granularity = 8192"}}
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		json.NewEncoder(w).Encode(out)
		return
	}
	if db := first(q["database"]); db != "" {
		if _, err := f.db.Exec(fmt.Sprintf(`SET search_path = '%s'`, db)); err != nil {
			chError(w, 81, "UNKNOWN_DATABASE", "Database "+db+" does not exist")
			return
		}
	}
	rows, err := f.db.Query(strings.ReplaceAll(query, "`", `"`))
	if err != nil {
		chError(w, 62, "SYNTAX_ERROR", err.Error())
		return
	}
	defer rows.Close()
	cts, _ := rows.ColumnTypes()
	type meta struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	out := struct {
		Meta []meta  `json:"meta"`
		Data [][]any `json:"data"`
		Rows int     `json:"rows"`
	}{Data: [][]any{}}
	for _, ct := range cts {
		t, ok := chTypes[ct.DatabaseTypeName()]
		if strings.HasPrefix(ct.DatabaseTypeName(), "DECIMAL") {
			t, ok = strings.Replace(strings.Replace(ct.DatabaseTypeName(), "DECIMAL", "Decimal", 1), ",", ", ", 1), true
		}
		if !ok {
			t = "String"
		}
		out.Meta = append(out.Meta, meta{ct.Name(), t})
	}
	for rows.Next() {
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			f.t.Error(err)
			return
		}
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
			case time.Time:
				if out.Meta[i].Type == "Date" {
					vals[i] = x.Format("2006-01-02")
				} else {
					vals[i] = x.Format("2006-01-02 15:04:05")
				}
			case int64, int32, uint64: // output_format_json_quote_64bit_integers
				vals[i] = fmt.Sprint(x)
			case uint8:
				vals[i] = x
			case fmt.Stringer: // decimals: JSON numbers
				vals[i] = json.Number(x.String())
			default:
				vals[i] = fmt.Sprint(x)
			}
		}
		out.Data = append(out.Data, vals)
	}
	out.Rows = len(out.Data)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(out)
}
