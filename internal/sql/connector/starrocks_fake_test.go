package connector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeStreamLoad is a protocol-level Doris or StarRocks for the sinks: an
// FE that checks basic auth and Expect: 100-continue and redirects a
// Stream Load to a BE, which checks the label and JSON layout headers,
// refuses a label it has seen ("Label Already Exists"), and applies the
// rows to a table kept by its key: StarRocks' __op (with the columns
// header naming it) or Doris' __DORIS_DELETE_SIGN__ (with hidden_columns)
// = 1 deletes the key, anything else upserts it.
type fakeStreamLoad struct {
	t          *testing.T
	kind       string
	user, pass string
	fe, be     *httptest.Server

	mu      sync.Mutex
	keys    map[string][]string          // db.table -> key columns
	rows    map[string]map[string]string // db.table -> key -> row JSON (without the op field)
	labels  map[string]bool
	loads   int // loads that reached the BE
	applied int // loads applied
	deletes int // rows deleted
	headers []http.Header
	failAck bool // apply the next load, then answer 500
}

func newFakeStreamLoad(t *testing.T, kind string) *fakeStreamLoad {
	f := &fakeStreamLoad{t: t, kind: kind, user: "root", pass: "pw", keys: map[string][]string{}, rows: map[string]map[string]string{}, labels: map[string]bool{}}
	f.be = httptest.NewServer(http.HandlerFunc(f.serveBE))
	f.fe = httptest.NewServer(http.HandlerFunc(f.serveFE))
	t.Cleanup(func() { f.fe.Close(); f.be.Close() })
	return f
}

// table declares a table and its key columns.
func (f *fakeStreamLoad) table(dbTable string, key ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[dbTable] = key
	f.rows[dbTable] = map[string]string{}
}

// dump lists a table's rows in key order.
func (f *fakeStreamLoad) dump(dbTable string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.rows[dbTable] {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

var slPath = regexp.MustCompile(`^/api/(\w+)/(\w+)/_stream_load$`)

func (f *fakeStreamLoad) auth(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && u == f.user && p == f.pass
}

func slReply(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeStreamLoad) serveFE(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut || !slPath.MatchString(r.URL.Path) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if !f.auth(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Expect") != "100-continue" {
		slReply(w, map[string]any{"Status": "Fail", "Message": "There is no 100-continue header"})
		return
	}
	http.Redirect(w, r, f.be.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
}

func (f *fakeStreamLoad) serveBE(w http.ResponseWriter, r *http.Request) {
	m := slPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPut || m == nil || !f.auth(r) {
		http.Error(w, "refused", http.StatusUnauthorized)
		return
	}
	dbTable, label := m[1]+"."+m[2], r.Header.Get("label")
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	f.headers = append(f.headers, r.Header.Clone())
	star := f.kind == "starrocks"
	opField := "__DORIS_DELETE_SIGN__"
	switch {
	case label == "" || len(label) > 128 || !regexp.MustCompile(`^[-_A-Za-z0-9:]+$`).MatchString(label):
		slReply(w, map[string]any{"Status": "Fail", "Message": "bad label " + label})
		return
	case r.Header.Get("format") != "json":
		slReply(w, map[string]any{"Status": "Fail", "Message": "format must be json"})
		return
	case star && r.Header.Get("strip_outer_array") != "true", !star && r.Header.Get("read_json_by_line") != "true":
		slReply(w, map[string]any{"Status": "Fail", "Message": "JSON layout headers missing"})
		return
	}
	if star {
		opField = "__op"
		if cols := r.Header.Get("columns"); cols != "" && !strings.HasSuffix(cols, ",__op") {
			slReply(w, map[string]any{"Status": "Fail", "Message": "columns without __op: " + cols})
			return
		}
	} else if r.Header.Get("hidden_columns") != "__DORIS_DELETE_SIGN__" {
		opField = ""
	}
	key, ok := f.keys[dbTable]
	if !ok {
		slReply(w, map[string]any{"Status": "Fail", "Message": "unknown table " + dbTable})
		return
	}
	if f.labels[label] {
		slReply(w, map[string]any{"Status": "Label Already Exists", "ExistingJobStatus": "FINISHED", "Label": label})
		return
	}
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if star {
		if err := dec.Decode(&rows); err != nil {
			slReply(w, map[string]any{"Status": "Fail", "Message": err.Error()})
			return
		}
	} else {
		for dec.More() {
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				slReply(w, map[string]any{"Status": "Fail", "Message": err.Error()})
				return
			}
			rows = append(rows, row)
		}
	}
	table := f.rows[dbTable]
	for _, row := range rows {
		var k []string
		for _, c := range key {
			if row[c] == nil {
				slReply(w, map[string]any{"Status": "Fail", "Message": "key column " + c + " is null", "ErrorURL": "http://be/error"})
				return
			}
			k = append(k, fmt.Sprint(row[c]))
		}
		del := false
		if opField != "" {
			op := fmt.Sprint(row[opField])
			del = op == "1"
			delete(row, opField)
		}
		if del {
			delete(table, strings.Join(k, "|"))
			f.deletes++
			continue
		}
		b, _ := json.Marshal(row)
		table[strings.Join(k, "|")] = string(b)
	}
	f.labels[label] = true
	f.applied++
	if f.failAck {
		f.failAck = false
		http.Error(w, "connection reset", http.StatusInternalServerError)
		return
	}
	slReply(w, map[string]any{"Status": "Success", "Label": label, "NumberLoadedRows": len(rows)})
}
