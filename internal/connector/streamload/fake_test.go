package streamload_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
)

// fake is a protocol-level Doris or StarRocks: an FE HTTP server that
// checks auth and Expect: 100-continue and redirects Stream Loads to a BE
// server, which enforces labels, parses JSON lines (Doris) or arrays
// (StarRocks), and upserts by the table's key; and a MySQL-protocol front
// that checks the dialect's DDL. DuckDB stores and queries the rows.
type fake struct {
	t          *testing.T
	kind       string
	user, pass string
	fe, be     *httptest.Server
	mysqlAddr  string
	db         *sql.DB

	mu          sync.Mutex
	labels      map[string]bool
	tables      map[string][]string // db.table -> columns
	keys        map[string][]string // db.table -> key columns
	ddl         []string
	loads       int    // Stream Loads that reached the BE
	deletes     int    // rows deleted (StarRocks __op = 1, Doris __DORIS_DELETE_SIGN__ = 1)
	nextStatus  string // answer the next load with this status (after loading)
	loseNextAck bool   // load the next batch, then answer 500 (a lost response)
}

func newFake(t *testing.T, kind string) *fake {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{t: t, kind: kind, user: "root", pass: "s3cret", db: db, labels: map[string]bool{}, tables: map[string][]string{}, keys: map[string][]string{}}
	f.be = httptest.NewServer(http.HandlerFunc(f.serveBE))
	f.fe = httptest.NewServer(http.HandlerFunc(f.serveFE))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.mysqlAddr = l.Addr().String()
	srv := server.NewDefaultServer()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serveMySQL(srv, c)
		}
	}()
	t.Cleanup(func() { l.Close(); f.fe.Close(); f.be.Close(); db.Close() })
	return f
}

type loadResp struct {
	Status            string `json:"Status"`
	Message           string `json:"Message"`
	Label             string `json:"Label,omitempty"`
	ExistingJobStatus string `json:"ExistingJobStatus,omitempty"`
	NumberLoadedRows  int    `json:"NumberLoadedRows"`
	ErrorURL          string `json:"ErrorURL,omitempty"`
}

func reply(w http.ResponseWriter, r loadResp) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(r)
}

var loadPath = regexp.MustCompile(`^/api/(\w+)/(\w+)/_stream_load$`)

func (f *fake) authOK(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && u == f.user && p == f.pass
}

// serveFE redirects a Stream Load to the BE without reading its body, as
// Doris's FE does (which is why the client must send Expect: 100-continue).
func (f *fake) serveFE(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut || !loadPath.MatchString(r.URL.Path) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if !f.authOK(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Expect") != "100-continue" {
		reply(w, loadResp{Status: "Fail", Message: "There is no 100-continue header"})
		return
	}
	// Not reading the body: with 100-continue the client then never sends it.
	http.Redirect(w, r, f.be.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
}

func (f *fake) serveBE(w http.ResponseWriter, r *http.Request) {
	m := loadPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPut || m == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if !f.authOK(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	db, table, label := m[1], m[2], r.Header.Get("label")
	lines := f.kind == "doris"
	switch {
	case label == "" || len(label) > 128:
		reply(w, loadResp{Status: "Fail", Message: "label must be 1..128 characters"})
		return
	case r.Header.Get("format") != "json":
		reply(w, loadResp{Status: "Fail", Message: "format must be json"})
		return
	case lines && r.Header.Get("read_json_by_line") != "true", !lines && r.Header.Get("strip_outer_array") != "true":
		reply(w, loadResp{Status: "Fail", Message: "JSON layout headers missing"})
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	cols, ok := f.tables[db+"."+table]
	if !ok {
		reply(w, loadResp{Status: "Fail", Message: "unknown table " + db + "." + table})
		return
	}
	if f.labels[label] {
		reply(w, loadResp{Status: "Label Already Exists", Label: label, ExistingJobStatus: "FINISHED",
			Message: "Label [" + label + "] has already been used."})
		return
	}
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if lines {
		for dec.More() {
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				reply(w, loadResp{Status: "Fail", Message: err.Error()})
				return
			}
			rows = append(rows, row)
		}
	} else if err := dec.Decode(&rows); err != nil {
		reply(w, loadResp{Status: "Fail", Message: err.Error()})
		return
	}
	tx, err := f.db.Begin()
	if err != nil {
		f.t.Error(err)
		return
	}
	defer tx.Rollback()
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	ins := fmt.Sprintf(`INSERT OR REPLACE INTO "%s"."%s" VALUES (%s)`, db, table, ph)
	// Deletes: StarRocks' __op with a columns header naming it, Doris'
	// delete sign with the hidden_columns header; the key columns lead.
	opField := ""
	if !lines && strings.HasSuffix(r.Header.Get("columns"), ",__op") {
		opField = "__op"
	} else if lines && r.Header.Get("hidden_columns") == "__DORIS_DELETE_SIGN__" {
		opField = "__DORIS_DELETE_SIGN__"
	}
	for _, row := range rows {
		if opField != "" && fmt.Sprint(row[opField]) == "1" {
			var where []string
			var args []any
			for _, c := range f.keys[db+"."+table] {
				where = append(where, fmt.Sprintf(`"%s" = ?`, c))
				args = append(args, fmt.Sprint(row[c]))
			}
			if _, err := tx.Exec(fmt.Sprintf(`DELETE FROM "%s"."%s" WHERE %s`, db, table, strings.Join(where, " AND ")), args...); err != nil {
				reply(w, loadResp{Status: "Fail", Message: err.Error()})
				return
			}
			f.deletes++
			continue
		}
		vals := make([]any, len(cols))
		for i, c := range cols {
			switch v := row[c].(type) {
			case json.Number:
				vals[i] = v.String()
			default:
				vals[i] = v
			}
		}
		if _, err := tx.Exec(ins, vals...); err != nil {
			reply(w, loadResp{Status: "Fail", Message: "too many filtered rows", ErrorURL: f.be.URL + "/api/_load_error_log?file=" + label})
			return
		}
	}
	if err := tx.Commit(); err != nil {
		f.t.Error(err)
		return
	}
	f.labels[label] = true
	if f.loseNextAck {
		f.loseNextAck = false
		http.Error(w, "connection reset", http.StatusInternalServerError)
		return
	}
	status := "Success"
	if f.nextStatus != "" {
		status, f.nextStatus = f.nextStatus, ""
	}
	reply(w, loadResp{Status: status, Label: label, Message: "OK", NumberLoadedRows: len(rows)})
}

// mysqlHandler is one MySQL-protocol session of the fake FE.
type mysqlHandler struct {
	server.EmptyHandler
	f    *fake
	conn *sql.Conn
}

func (f *fake) serveMySQL(srv *server.Server, c net.Conn) {
	conn, err := f.db.Conn(context.Background())
	if err != nil {
		c.Close()
		return
	}
	defer conn.Close()
	mc, err := srv.NewConn(c, f.user, f.pass, &mysqlHandler{f: f, conn: conn})
	if err != nil {
		return
	}
	for !mc.Closed() {
		if err := mc.HandleCommand(); err != nil {
			return
		}
	}
}

func (h *mysqlHandler) UseDB(db string) error {
	if _, err := h.conn.ExecContext(context.Background(), fmt.Sprintf(`SET search_path = '%s'`, db)); err != nil {
		return mysql.NewError(mysql.ER_BAD_DB_ERROR, "Unknown database '"+db+"'")
	}
	return nil
}

var (
	createDB    = regexp.MustCompile("^CREATE DATABASE IF NOT EXISTS `(\\w+)`$")
	createTable = regexp.MustCompile("(?s)^CREATE TABLE IF NOT EXISTS `(\\w+)`.`(\\w+)` \\((.*)\\) (UNIQUE|PRIMARY) KEY\\(([^)]*)\\)\n(.*)$")
	columnDef   = regexp.MustCompile("`(\\w+)` (\\S+) (NOT NULL|NULL)")
)

func (h *mysqlHandler) HandleQuery(q string) (*mysql.Result, error) {
	ctx := context.Background()
	if m := createDB.FindStringSubmatch(q); m != nil {
		_, err := h.conn.ExecContext(ctx, fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS "%s"`, m[1]))
		return nil, err
	}
	if strings.HasPrefix(q, "CREATE TABLE") {
		return nil, h.createTable(q)
	}
	rows, err := h.conn.QueryContext(ctx, strings.ReplaceAll(q, "`", `"`))
	if err != nil {
		return nil, mysql.NewError(mysql.ER_PARSE_ERROR, err.Error())
	}
	defer rows.Close()
	cts, _ := rows.ColumnTypes()
	names := make([]string, len(cts))
	for i, ct := range cts {
		names[i] = ct.Name()
	}
	var values [][]any
	for rows.Next() {
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals { // the text protocol: every value as text
			switch x := v.(type) {
			case nil:
			case interface{ Format(string) string }: // time.Time
				if strings.HasPrefix(cts[i].DatabaseTypeName(), "DATE") {
					vals[i] = x.Format("2006-01-02")
				} else {
					vals[i] = x.Format("2006-01-02 15:04:05")
				}
			default:
				vals[i] = fmt.Sprint(x)
			}
		}
		values = append(values, vals)
	}
	rs, err := mysql.BuildSimpleTextResultset(names, values)
	if err != nil {
		return nil, err
	}
	for i, ct := range cts { // declare the columns' real types, as the FE does
		if rs.Fields[i] == nil {
			continue
		}
		t := ct.DatabaseTypeName()
		switch {
		case t == "BIGINT" || t == "HUGEINT" || t == "INTEGER":
			rs.Fields[i].Type = mysql.MYSQL_TYPE_LONGLONG
		case strings.HasPrefix(t, "DECIMAL"):
			rs.Fields[i].Type = mysql.MYSQL_TYPE_NEWDECIMAL
		case t == "DATE":
			rs.Fields[i].Type = mysql.MYSQL_TYPE_DATE
		case t == "TIMESTAMP":
			rs.Fields[i].Type = mysql.MYSQL_TYPE_DATETIME
		}
	}
	return mysql.NewResult(rs), nil
}

// createTable checks the DDL is the dialect's (key model, automatic daily
// partitions, hash distribution, replicas) and makes the table in DuckDB.
func (h *mysqlHandler) createTable(q string) error {
	f := h.f
	m := createTable.FindStringSubmatch(q)
	if m == nil {
		return mysql.NewError(mysql.ER_PARSE_ERROR, "fake FE cannot parse: "+q)
	}
	db, table, body, model, keys, rest := m[1], m[2], m[3], m[4], m[5], m[6]
	wantModel, wantPart := "UNIQUE", "AUTO PARTITION BY RANGE (date_trunc(`cur_date`, 'day')) ()"
	if f.kind == "starrocks" {
		wantModel, wantPart = "PRIMARY", "PARTITION BY date_trunc('day', `cur_date`)"
	}
	if model != wantModel || !strings.Contains(rest, wantPart) || !strings.Contains(rest, "DISTRIBUTED BY HASH("+keys+") BUCKETS ") ||
		!strings.Contains(rest, `"replication_num" = "1"`) {
		return mysql.NewError(mysql.ER_PARSE_ERROR, "not "+f.kind+" DDL: "+q)
	}
	var cols, defs []string
	for _, c := range columnDef.FindAllStringSubmatch(body, -1) {
		typ := strings.NewReplacer("STRING", "VARCHAR", "DATETIME", "TIMESTAMP").Replace(c[2])
		cols = append(cols, c[1])
		defs = append(defs, fmt.Sprintf(`"%s" %s %s`, c[1], typ, c[3]))
	}
	ddl := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS "%s"."%s" (%s, PRIMARY KEY (%s))`, db, table, strings.Join(defs, ", "), strings.ReplaceAll(keys, "`", `"`))
	if _, err := h.conn.ExecContext(context.Background(), ddl); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tables[db+"."+table] = cols
	for _, k := range strings.Split(keys, ",") {
		f.keys[db+"."+table] = append(f.keys[db+"."+table], strings.Trim(strings.TrimSpace(k), "`"))
	}
	f.ddl = append(f.ddl, q)
	return nil
}
