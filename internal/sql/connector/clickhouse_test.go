package connector

import (
	"bufio"
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

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// fakeClickHouse is a protocol-level ClickHouse HTTP interface for the
// sink: auth headers, INSERT INTO `db`.`t` (...) FORMAT JSONEachRow in the
// query parameter with the rows in the body, insert_deduplication_token
// (an insert whose token was seen stores nothing and answers 200), and a
// ReplacingMergeTree(version, is_deleted) per table: final() is what
// SELECT ... FINAL shows, the row of the greatest version of each key (the
// last inserted among equal versions), without the deleted ones.
type fakeClickHouse struct {
	srv        *httptest.Server
	user, pass string

	mu      sync.Mutex
	keys    map[string][]string // db.table -> ORDER BY columns
	version map[string]string   // db.table -> version column
	deleted map[string]string   // db.table -> is_deleted column
	rows    map[string]map[string]chRow
	tokens  map[string]bool
	inserts int // inserts that stored rows
	deduped int
}

type chRow struct {
	version uint64
	deleted bool
	json    string
}

var chInsert = regexp.MustCompile("^INSERT INTO `(\\w+)`.`(\\w+)` \\(([^)]*)\\) FORMAT JSONEachRow$")

func newFakeClickHouse(t *testing.T) *fakeClickHouse {
	f := &fakeClickHouse{user: "ch", pass: "pw", keys: map[string][]string{}, version: map[string]string{}, deleted: map[string]string{},
		rows: map[string]map[string]chRow{}, tokens: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeClickHouse) table(dbTable, version, deleted string, key ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[dbTable], f.version[dbTable], f.deleted[dbTable] = key, version, deleted
	f.rows[dbTable] = map[string]chRow{}
}

func (f *fakeClickHouse) final(dbTable string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.rows[dbTable] {
		if !r.deleted {
			out = append(out, r.json)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeClickHouse) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "Code: %d. DB::Exception: %s\n", code, msg)
	}
	if r.Header.Get("X-ClickHouse-User") != f.user || r.Header.Get("X-ClickHouse-Key") != f.pass {
		fail(516, "Authentication failed")
		return
	}
	q := r.URL.Query()
	m := chInsert.FindStringSubmatch(q.Get("query"))
	if m == nil {
		fail(62, "fake ClickHouse only inserts: "+q.Get("query"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	dbTable := m[1] + "." + m[2]
	key, ok := f.keys[dbTable]
	if !ok {
		fail(60, "Table "+dbTable+" does not exist")
		return
	}
	cols := strings.Split(strings.ReplaceAll(m[3], "`", ""), ", ")
	if !slices.Contains(cols, f.version[dbTable]) || !slices.Contains(cols, f.deleted[dbTable]) {
		fail(16, "the insert misses the version or is_deleted column: "+m[3])
		return
	}
	if tok := q.Get("insert_deduplication_token"); tok != "" {
		if f.tokens[dbTable+"/"+tok] {
			f.deduped++
			return
		}
		f.tokens[dbTable+"/"+tok] = true
	}
	var parsed []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var row map[string]any
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		if err := d.Decode(&row); err != nil {
			fail(27, "Cannot parse input: "+err.Error())
			return
		}
		for c := range row {
			if !slices.Contains(cols, c) {
				fail(117, "Unknown field found while parsing JSONEachRow format: "+c)
				return
			}
		}
		parsed = append(parsed, row)
	}
	table := f.rows[dbTable]
	for _, row := range parsed {
		var k []string
		for _, c := range key {
			k = append(k, fmt.Sprint(row[c]))
		}
		var v uint64
		fmt.Sscan(fmt.Sprint(row[f.version[dbTable]]), &v)
		del := fmt.Sprint(row[f.deleted[dbTable]]) == "1"
		delete(row, f.version[dbTable])
		delete(row, f.deleted[dbTable])
		b, _ := json.Marshal(row)
		if old, ok := table[strings.Join(k, "|")]; ok && old.version > v {
			continue // an older version: merges and FINAL drop it
		}
		table[strings.Join(k, "|")] = chRow{version: v, deleted: del, json: string(b)}
	}
	f.inserts++
}

func clickhouseOpts(f *fakeClickHouse, kv ...string) map[string]string {
	m := map[string]string{"connector": "clickhouse", "url": "clickhouse://" + strings.TrimPrefix(f.srv.URL, "http://"), "database-name": "db",
		"table-name": "t", "username": f.user, "password": f.pass, "sink.flush-interval": "1s", "sink.update-strategy": "update"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// A retract changelog into ReplacingMergeTree: upserts and deletes as
// versioned rows; a crash after the insert and before the checkpoint
// commits replays the insert with the same deduplication token.
func TestClickHouseSinkUpsertDeleteReplay(t *testing.T) {
	f := newFakeClickHouse(t)
	f.table("db.t", "_version", "_is_deleted", "id")
	e := newEnv(t)
	changelogPart(e, "cl", 0)
	dst := withPK(tbl("t_sink", extCols, clickhouseOpts(f)), "id")
	e.mustRun(e.pipe("j", changelogTable("cl"), dst))
	changelogPart(e, "cl", 1)
	fired := crashOnce(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.inserts > 1 })
	e.mustRun(e.pipe("j", changelogTable("cl"), dst))
	if !fired.Load() {
		t.Fatal("no crash injected")
	}
	eq(t, "FINAL", f.final("db.t"), extWant)
	if f.inserts != 2 || f.deduped != 1 {
		t.Errorf("%d inserts, %d deduplicated: want 2 and the replay dropped by its token", f.inserts, f.deduped)
	}
	// Deletes are rows with is_deleted = 1 (key 3).
	f.mu.Lock()
	if r := f.rows["db.t"]["3"]; !r.deleted {
		t.Errorf("key 3: %+v", r)
	}
	f.mu.Unlock()
	// A job run again from scratch numbers its epochs above the old run's
	// (the clock), so its rows replace the old ones.
	e2 := newEnv(t)
	e2.produce("cl", 1, kv(`{"id":2}`, `{"id":2,"name":"b2","amount":1,"ts":null}`, 1000))
	e2.mustRun(e2.pipe("j", changelogTable("cl"), dst))
	if got := f.final("db.t"); len(got) != 3 || got[0] != `{"amount":1.00,"id":2,"name":"b2","ts":null}` {
		t.Errorf("after a fresh run: %q", got)
	}
}

// A zombie writer (a fenced worker flushing its last, uncommitted epoch
// late) cannot bring back an older row: its versions are lower than those
// of the worker that took over.
func TestClickHouseSinkZombie(t *testing.T) {
	f := newFakeClickHouse(t)
	f.table("db.t", "_version", "_is_deleted", "id")
	e := newEnv(t)
	snk, err := clickhouseFactory.NewSink(e.ctx, withPK(tbl("t_sink", extCols, clickhouseOpts(f)), "id"))
	if err != nil {
		t.Fatal(err)
	}
	s := snk.(*clickhouseSink)
	w, err := s.openTask(nil)
	if err != nil {
		t.Fatal(err)
	}
	op := func(id int64, name string, epoch, pos uint64, del bool) extOp {
		r := row.Row{Kind: row.Insert, Values: []row.Value{row.BigInt(id), row.String(name), row.Null(), row.Null()}}
		return extOp{Delete: del, Row: r, Seq: epoch<<extSeqRowBits | pos}
	}
	// Both started from the committed epoch 7 at the same input: the zombie
	// got to row 2, the new owner to row 3 and on into epoch 8.
	owner := []*extBatch{
		{Job: "j", Epoch: 7, Ops: []extOp{op(1, "v1", 7, 1, false), op(2, "w3", 7, 3, false)}},
		{Job: "j", Epoch: 8, Ops: []extOp{op(1, "v9", 8, 1, false), op(3, "x", 8, 2, true)}},
	}
	zombie := &extBatch{Job: "j", Epoch: 7, Ops: []extOp{op(1, "v1", 7, 1, false), op(2, "w2", 7, 2, false), op(3, "x", 7, 0, false)}}
	for _, b := range owner {
		if err := w.write(bg, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.write(bg, zombie); err != nil {
		t.Fatal(err)
	}
	eq(t, "FINAL", f.final("db.t"), []string{
		`{"amount":null,"id":1,"name":"v9","ts":null}`,
		`{"amount":null,"id":2,"name":"w3","ts":null}`,
	})
}

func TestClickHouseSinkOptionErrors(t *testing.T) {
	e := newEnv(t)
	f := newFakeClickHouse(t)
	for _, c := range []struct {
		tb   *Table
		want string
	}{
		{tbl("t", extCols, clickhouseOpts(f)), "the clickhouse sink needs a PRIMARY KEY"},
		{withPK(tbl("t", extCols, clickhouseOpts(f, "url", "ftp://x")), "id"), "is not like http://ch:8123"},
		{withPK(tbl("t", extCols+", _version BIGINT", clickhouseOpts(f)), "id"), "column _version is the sink's version"},
		{withPK(tbl("t", extCols, clickhouseOpts(f, "sink.batch-size", "x")), "id"), "not an integer"},
		{withPK(tbl("t", extCols, clickhouseOpts(f, "table", "x")), "id"), "unsupported option 'table'"},
	} {
		_, err := clickhouseFactory.NewSink(e.ctx, c.tb)
		errContains(t, err, c.want)
	}
	// A jdbc: URL names the database.
	base, db, err := clickhouseURL("jdbc:clickhouse://ch:8123/sales?ssl=false")
	if err != nil || base != "http://ch:8123" || db != "sales" {
		t.Errorf("jdbc url: %s %s %v", base, db, err)
	}
	// The JDBC driver's other forms (itinycheng's README): the protocol
	// after clickhouse:, and ssl=true for HTTPS.
	for in, want := range map[string]string{
		"jdbc:clickhouse:http://ch:8123/sales":     "http://ch:8123 sales",
		"jdbc:clickhouse:https://ch:8443/sales":    "https://ch:8443 sales",
		"jdbc:clickhouse://ch:8443/sales?ssl=true": "https://ch:8443 sales",
	} {
		base, db, err := clickhouseURL(in)
		if got := base + " " + db; err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", in, got, err, want)
		}
	}
	if _, _, err := clickhouseURL("jdbc:clickhouse://h1:8123,h2:8123/db"); err == nil || !strings.Contains(err.Error(), "one host") {
		t.Errorf("several hosts: %v", err)
	}
}

// A row the sink cannot encode (a NULL map key in JSON) is dead-lettered
// as bad_value and the others are inserted.
func TestClickHouseSinkBadValue(t *testing.T) {
	f := newFakeClickHouse(t)
	f.table("db.m", "_version", "_is_deleted", "id")
	e := newEnv(t)
	sk := e.sink(withPK(tbl("m_sink", "id BIGINT, m MAP<STRING, INT>", clickhouseOpts(f, "table-name", "m")), "id")).(*clickhouseSink)
	h, err := stream.NewHarness(st.MemDB(t), "sink", func() stream.Operator { return &extSink{spec: &sk.spec} }, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		key := row.String("k")
		if i == 2 {
			key = row.Null()
		}
		r := row.Row{Kind: row.Insert, Values: []row.Value{row.BigInt(i), row.Map([]row.Value{key}, []row.Value{row.Int(int32(i))})}}
		if err := h.Process(stream.Record{Row: &r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got := f.final("db.m"); len(got) != 2 {
		t.Errorf("inserted %q, want rows 1 and 3", got)
	}
	dl := h.DeadLetters()
	if len(dl) != 1 || !strings.Contains(string(dl[0].Header(stream.HeaderReason)), "bad_value") {
		t.Fatalf("%d dead letters, want one (bad_value): %v", len(dl), dl)
	}
}
