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
	"strconv"
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
// that checks the dialect's DDL and answers SHOW CREATE TABLE. DuckDB
// stores and queries the rows.
//
// Versioned loads: a Doris table created with a hidden sequence column
// ("function_column.sequence_type") takes only loads that map it
// (function_column.sequence_col naming a source column of the columns
// header); a row, or a delete (merge_type: DELETE, or the delete sign),
// applies only if its sequence is >= the key's stored one, and a delete
// keeps its sequence (Doris' hidden delete-sign row). A StarRocks load with
// merge_condition: C (a non-key column) replaces a key's row only if the
// new C is >= the stored one; deletes (__op = 1) are not conditional.
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
	creates     map[string]string   // db.table -> its CREATE TABLE
	sequence    map[string]bool     // db.table has Doris' hidden sequence column
	seqs        map[string]int64    // db.table NUL key values -> the key's sequence (Doris)
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
	f := &fake{t: t, kind: kind, user: "root", pass: "s3cret", db: db, labels: map[string]bool{}, tables: map[string][]string{}, keys: map[string][]string{},
		creates: map[string]string{}, sequence: map[string]bool{}, seqs: map[string]int64{}}
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
	// Doris' sequence column: the load must map it to a source column.
	seqCol := r.Header.Get("function_column.sequence_col")
	listed := map[string]bool{}
	for _, c := range strings.Split(r.Header.Get("columns"), ",") {
		listed[strings.Trim(strings.TrimSpace(c), "`")] = true
	}
	if lines && f.sequence[db+"."+table] && (seqCol == "" || !listed[seqCol]) {
		reply(w, loadResp{Status: "Fail", Message: "Table " + table + " has sequence column, need to specify the sequence column"})
		return
	}
	if lines && !f.sequence[db+"."+table] && seqCol != "" {
		reply(w, loadResp{Status: "Fail", Message: "There is no sequence column in the table " + table})
		return
	}
	// StarRocks' conditional update: a non-key column.
	cond := r.Header.Get("merge_condition")
	if cond != "" {
		valid := false
		for i, c := range cols {
			valid = valid || (!lines && c == cond && i >= len(f.keys[db+"."+table]))
		}
		if !valid {
			reply(w, loadResp{Status: "Fail", Message: "merge_condition column " + cond + " is not a value column of " + table})
			return
		}
	}
	tx, err := f.db.Begin()
	if err != nil {
		f.t.Error(err)
		return
	}
	defer tx.Rollback()
	seqs := map[string]int64{} // this load's, committed with it
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
	mergeDelete := lines && r.Header.Get("merge_type") == "DELETE"
	for _, row := range rows {
		var where []string
		var args []any
		for _, c := range f.keys[db+"."+table] {
			where = append(where, fmt.Sprintf(`"%s" = ?`, c))
			args = append(args, fmt.Sprint(row[c]))
		}
		if seqCol != "" {
			seq, err := strconv.ParseInt(fmt.Sprint(row[seqCol]), 10, 64)
			if err != nil {
				reply(w, loadResp{Status: "Fail", Message: "too many filtered rows: sequence " + fmt.Sprint(row[seqCol])})
				return
			}
			k := db + "." + table + "\x00" + fmt.Sprint(args...)
			cur, ok := seqs[k]
			if !ok {
				cur, ok = f.seqs[k]
			}
			if ok && seq < cur {
				continue // an older sequence: the stored row (or delete) stays
			}
			seqs[k] = seq
		}
		if cond != "" {
			var cur sql.NullInt64
			err := tx.QueryRow(fmt.Sprintf(`SELECT "%s" FROM "%s"."%s" WHERE %s`, cond, db, table, strings.Join(where, " AND ")), args...).Scan(&cur)
			if err != nil && err != sql.ErrNoRows {
				reply(w, loadResp{Status: "Fail", Message: err.Error()})
				return
			}
			if n, err := strconv.ParseInt(fmt.Sprint(row[cond]), 10, 64); err == nil && cur.Valid && n < cur.Int64 {
				continue // the merge condition fails: the stored row stays
			}
		}
		if mergeDelete || (opField != "" && fmt.Sprint(row[opField]) == "1") {
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
	for k, v := range seqs {
		f.seqs[k] = v
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
	showCreate  = regexp.MustCompile("^SHOW CREATE TABLE `(\\w+)`.`(\\w+)`$")
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
	if m := showCreate.FindStringSubmatch(q); m != nil {
		h.f.mu.Lock()
		ddl, ok := h.f.creates[m[1]+"."+m[2]]
		h.f.mu.Unlock()
		if !ok {
			return nil, mysql.NewError(mysql.ER_NO_SUCH_TABLE, "Unknown table '"+m[2]+"'")
		}
		rs, err := mysql.BuildSimpleTextResultset([]string{"Table", "Create Table"}, [][]any{{m[2], ddl}})
		if err != nil {
			return nil, err
		}
		return mysql.NewResult(rs), nil
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
	f.ddl = append(f.ddl, q)
	if _, ok := f.tables[db+"."+table]; ok {
		return nil // IF NOT EXISTS: the existing table stays
	}
	f.tables[db+"."+table] = cols
	f.creates[db+"."+table] = q
	f.sequence[db+"."+table] = f.kind == "doris" && strings.Contains(rest, `"function_column.sequence_type" = "bigint"`)
	for _, k := range strings.Split(keys, ",") {
		f.keys[db+"."+table] = append(f.keys[db+"."+table], strings.Trim(strings.TrimSpace(k), "`"))
	}
	return nil
}
