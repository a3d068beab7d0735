package connector

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

const extCols = "id BIGINT, name STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3)"

// changelogInput produces upserts and tombstones into an upsert-kafka
// topic, read as a retract changelog (+I, -U/+U, -D). The final rows:
//
//	1 a3 3.00 ; 2 b 2.50 ; 4 d2 4.25 (3 was deleted)
func changelogInput(e *env, topic string) *Table {
	changelogPart(e, topic, 0)
	changelogPart(e, topic, 1)
	return changelogTable(topic)
}

func changelogTable(topic string) *Table {
	return withPK(tbl(topic, extCols, upsertOpts("topic", topic)), "id")
}

// changelogPart produces the first (0) or second (1) part of the input.
func changelogPart(e *env, topic string, part int) {
	recs := []rlog.Record{
		kv(`{"id":1}`, `{"id":1,"name":"a1","amount":1,"ts":"2024-01-02 03:04:05.678"}`, 1000),
		kv(`{"id":2}`, `{"id":2,"name":"b","amount":2.5,"ts":null}`, 2000),
		kv(`{"id":3}`, `{"id":3,"name":"c","amount":3,"ts":null}`, 3000),
		kv(`{"id":1}`, `{"id":1,"name":"a2","amount":2,"ts":null}`, 4000),
		kv(`{"id":3}`, ``, 5000),
		kv(`{"id":1}`, ``, 6000),
		kv(`{"id":4}`, `{"id":4,"name":"d1","amount":4,"ts":null}`, 7000),
		kv(`{"id":1}`, `{"id":1,"name":"a3","amount":3,"ts":"2024-05-06 07:08:09"}`, 8000),
		kv(`{"id":4}`, `{"id":4,"name":"d2","amount":4.25,"ts":null}`, 9000),
	}
	if part == 0 {
		recs = recs[:3]
	} else {
		recs = recs[3:]
	}
	e.produce(topic, 1, recs...)
}

var extWant = []string{
	`{"amount":2.50,"id":2,"name":"b","ts":null}`,
	`{"amount":3.00,"id":1,"name":"a3","ts":"2024-05-06 07:08:09"}`,
	`{"amount":4.25,"id":4,"name":"d2","ts":null}`,
}

// crashOnce makes the first checkpoint that wrote rows, once ready()
// holds, fail (a crash after the write, before the checkpoint commits).
func crashOnce(t *testing.T, ready func() bool) *atomic.Bool {
	var fired atomic.Bool
	extCrashHook = func(_ string, wrote int) error {
		if wrote > 0 && ready() && fired.CompareAndSwap(false, true) {
			return errors.New("injected crash after the write")
		}
		return nil
	}
	t.Cleanup(func() { extCrashHook = nil })
	return &fired
}

func starrocksOpts(f *fakeStreamLoad, kv ...string) map[string]string {
	m := map[string]string{"connector": f.kind, "jdbc-url": "jdbc:mysql://127.0.0.1:9030", "load-url": strings.TrimPrefix(f.fe.URL, "http://"),
		"database-name": "db", "table-name": "t", "username": f.user, "password": f.pass, "sink.label-prefix": "lbl",
		"sink.properties.format": "json", "sink.properties.strip_outer_array": "true", "sink.properties.timeout": "600",
		"sink.semantic": "exactly-once", "sink.version": "V1", "sink.buffer-flush.interval-ms": "1000", "sink.parallelism": "1"}
	if f.kind == "doris" {
		delete(m, "load-url")
		delete(m, "database-name")
		delete(m, "table-name")
		delete(m, "sink.version")
		delete(m, "sink.semantic")
		delete(m, "sink.buffer-flush.interval-ms")
		m["fenodes"] = strings.TrimPrefix(f.fe.URL, "http://")
		m["table.identifier"] = "db.t"
		m["sink.properties.read_json_by_line"] = "true"
		m["sink.enable-2pc"] = "true"
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// A retract changelog loaded into StarRocks / Doris: upserts and deletes
// by key in one load per checkpoint; a crash after the load and before the
// checkpoint commits replays the batch under the same label, which the BE
// refuses, and the table ends as after one load.
func TestStreamLoadSinkUpsertDeleteReplay(t *testing.T) {
	for _, kind := range []string{"starrocks", "doris"} {
		t.Run(kind, func(t *testing.T) {
			f := newFakeStreamLoad(t, kind)
			f.table("db.t", "id")
			e := newEnv(t)
			changelogPart(e, "cl", 0)
			dst := withPK(tbl("t_sink", extCols, starrocksOpts(f)), "id")
			e.mustRun(e.pipe("j", changelogTable("cl"), dst))
			if f.applied != 1 || len(f.dump("db.t")) != 3 {
				t.Fatalf("first run: %d loads, rows %q", f.applied, f.dump("db.t"))
			}
			// The job goes on from its checkpoint and crashes after loading.
			changelogPart(e, "cl", 1)
			fired := crashOnce(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.applied > 1 })
			e.mustRun(e.pipe("j", changelogTable("cl"), dst))
			if !fired.Load() {
				t.Fatal("no crash injected")
			}
			eq(t, "table", f.dump("db.t"), extWant)
			if f.applied != 2 || f.loads != 3 {
				t.Errorf("BE saw %d loads and applied %d; want the replay refused by its label (3 and 2)", f.loads, f.applied)
			}
			if f.deletes != 1 { // 3 (deleted); 1 was deleted then inserted again: one upsert
				t.Errorf("%d deletes, want 1", f.deletes)
			}
			h := f.headers[0]
			if h.Get("timeout") != "600" || !strings.HasPrefix(h.Get("label"), "lbl_j_0_") {
				t.Errorf("headers: %v", h)
			}
			if kind == "starrocks" && h.Get("columns") != "`id`,`name`,`amount`,`ts`,__op" {
				t.Errorf("columns header %q", h.Get("columns"))
			}
			// A second run over the same data changes nothing (a new epoch:
			// the batch loads again, as upserts and deletes of the same rows).
			e2 := newEnv(t)
			src2 := changelogInput(e2, "cl")
			e2.mustRun(e2.pipe("j", src2, withPK(tbl("t_sink", extCols, starrocksOpts(f)), "id")))
			if got := f.dump("db.t"); len(got) != 3 {
				t.Errorf("after a second run: %q", got)
			}
		})
	}
}

// Two tables a job loads the same rows into get their own labels: a
// database refuses a label it has seen, whichever table it was for, so a
// shared label would skip the second table's load.
func TestStreamLoadSinkLabelsPerTable(t *testing.T) {
	for _, kind := range []string{"starrocks", "doris"} {
		t.Run(kind, func(t *testing.T) {
			f := newFakeStreamLoad(t, kind)
			f.table("db.t", "id")
			f.table("db.t2", "id")
			e := newEnv(t)
			changelogPart(e, "cl", 0)
			j := stream.NewJob("j")
			s, err := e.source(changelogTable("cl")).Attach(j)
			if err != nil {
				t.Fatal(err)
			}
			other := starrocksOpts(f, "table-name", "t2")
			if kind == "doris" {
				other = starrocksOpts(f, "table.identifier", "db.t2")
			}
			for _, dst := range []*Table{withPK(tbl("t_sink", extCols, starrocksOpts(f)), "id"), withPK(tbl("t2_sink", extCols, other), "id")} {
				if err := e.sink(dst).Attach(s); err != nil {
					t.Fatal(err)
				}
			}
			e.mustRun(j)
			if a, b := f.dump("db.t"), f.dump("db.t2"); len(a) != 3 || !slices.Equal(a, b) {
				t.Fatalf("db.t %q, db.t2 %q: want the same 3 rows in both", a, b)
			}
		})
	}
}

// Early flushes by row count, a lost acknowledgement (retried under the
// same label), and Doris with deletes disabled.
func TestStreamLoadSinkFlushesAndRetries(t *testing.T) {
	f := newFakeStreamLoad(t, "starrocks")
	f.table("db.t", "id")
	e := newEnv(t)
	src := changelogInput(e, "cl")
	f.failAck = true
	e.mustRun(e.pipe("j", src, withPK(tbl("t_sink", extCols, starrocksOpts(f, "sink.buffer-flush.max-rows", "2", "sink.max-retries", "2")), "id")))
	eq(t, "table", f.dump("db.t"), extWant)
	if f.loads < 3 || f.loads != f.applied+1 {
		t.Errorf("%d loads, %d applied: want several flushes and one retry refused by its label", f.loads, f.applied)
	}

	d := newFakeStreamLoad(t, "doris")
	d.table("db.t", "id")
	e = newEnv(t)
	src = changelogInput(e, "cl")
	e.mustRun(e.pipe("j", src, withPK(tbl("t_sink", extCols, starrocksOpts(d, "sink.enable-delete", "false")), "id")))
	if got := d.dump("db.t"); len(got) != 4 || d.deletes != 0 || d.headers[0].Get("hidden_columns") != "" {
		t.Errorf("doris without deletes: %q, %d deletes", got, d.deletes)
	}
	if dl := e.read("dirty_data"); len(dl) != 2 || !strings.Contains(dl[0], "sink.enable-delete") {
		t.Errorf("dead letters: %q", dl)
	}
}

func TestStreamLoadSinkOptionErrors(t *testing.T) {
	e := newEnv(t)
	f := newFakeStreamLoad(t, "starrocks")
	d := newFakeStreamLoad(t, "doris")
	for _, c := range []struct {
		tb   *Table
		want string
	}{
		{tbl("t", extCols, starrocksOpts(f)), "the starrocks sink needs a PRIMARY KEY"},
		{withPK(tbl("t", extCols, starrocksOpts(f, "sink.properties.format", "csv")), "id"), "rtdw loads JSON"},
		{withPK(tbl("t", extCols, starrocksOpts(f, "load-url", "")), "id"), "'load-url' is required"},
		{withPK(tbl("t", extCols, starrocksOpts(f, "sink.bogus", "1")), "id"), "unsupported option 'sink.bogus'"},
		{withPK(tbl("t", extCols, starrocksOpts(d, "table.identifier", "t")), "id"), "want db.table"},
		{withPK(tbl("t", extCols, starrocksOpts(f, "table-name", "a-b")), "id"), "name 'a-b' must match"},
	} {
		_, err := Lookup(c.tb.Options["connector"])
		if err != nil {
			t.Fatal(err)
		}
		fac, _ := Lookup(c.tb.Options["connector"])
		_, err = fac.NewSink(e.ctx, c.tb)
		errContains(t, err, c.want)
	}
}

// A row the sink cannot encode (a NULL map key in JSON) is dead-lettered
// and the others load; a batch over 'sink.buffer-flush.max-bytes' loads in
// several Stream Loads, each under its own label.
func TestStreamLoadSinkBadValueAndMaxBytes(t *testing.T) {
	f := newFakeStreamLoad(t, "starrocks")
	f.table("db.m", "id")
	e := newEnv(t)
	sk := e.sink(withPK(tbl("m_sink", "id BIGINT, m MAP<STRING, INT>", starrocksOpts(f, "table-name", "m", "sink.buffer-flush.max-bytes", "60")), "id")).(*streamLoadSink)
	h, err := stream.NewHarness(st.MemDB(t), "sink", func() stream.Operator { return &extSink{spec: &sk.spec} }, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 4; i++ {
		key := row.String("k")
		if i == 3 {
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
	eq(t, "loaded", f.dump("db.m"), []string{`{"id":1,"m":{"k":1}}`, `{"id":2,"m":{"k":2}}`, `{"id":4,"m":{"k":4}}`})
	dl := h.DeadLetters()
	if len(dl) != 1 || !strings.Contains(string(dl[0].Headers[len(dl[0].Headers)-1].Value), "bad_value") {
		t.Fatalf("%d dead letters, want one (bad_value): %v", len(dl), dl)
	}
	if f.applied < 2 {
		t.Errorf("%d loads for 3 rows of ~20 bytes at 60 bytes a load, want several", f.applied)
	}
	if h := f.headers[0].Get("ignore_json_size"); h != "true" {
		t.Errorf("ignore_json_size header %q, want true (as the StarRocks connector sets for JSON)", h)
	}
}
