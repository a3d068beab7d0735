package mysqlcdc

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// The options the SQL mysql-cdc connector drives the reader with: Route
// (tables to topics), StopAt (a bounded capture), StartAt and Since
// (scan.startup.mode 'timestamp').

// runBounded runs a reader that stops at the server's current position.
func (e *env) runBounded(cfg Config) {
	e.t.Helper()
	stop, err := binlogPosition(context.Background(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.DSN, cfg.Databases, cfg.StopAt = e.dsn, []string{e.dbn}, &stop
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := Run(ctx, e.l, cfg); err != nil {
		e.t.Fatal(err)
	}
	if ctx.Err() != nil {
		e.t.Fatalf("the bounded run did not stop at %s", stop)
	}
	p, ok, err := StoredPosition(context.Background(), e.l, cfg.Name)
	if err != nil || !ok || !p.Reached(stop) {
		e.t.Fatalf("stored position %s (%v, %v), want at least %s", p, ok, err, stop)
	}
}

// topicRows lists a topic's records as "type table id".
func (e *env) topicRows(topic string) []string {
	e.t.Helper()
	ctx := context.Background()
	tp := rlog.TopicPartition{Topic: topic}
	_, end, err := e.l.Offsets(ctx, tp)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for off := int64(0); off < end; {
		recs, err := e.l.Fetch(ctx, tp, off, 1000, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range recs {
			v := fastjson.MustParseBytes(r.Value)
			line := string(v.GetStringBytes("type")) + " " + string(v.GetStringBytes("table"))
			if id := v.Get("data", "id"); id != nil {
				line += " " + id.String()
			}
			out = append(out, line)
			off = r.Offset + 1
		}
	}
	return out
}

func TestRouteAndStopAt(t *testing.T) {
	e := newEnv(t, 1)
	for _, tp := range []string{"ta", "tb"} {
		if _, err := rlog.EnsureTopic(context.Background(), e.l, tp, rlog.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	e.exec("CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE b (id INT PRIMARY KEY)", "CREATE TABLE c (id INT PRIMARY KEY)",
		"INSERT INTO a VALUES (1)", "INSERT INTO b VALUES (2)", "INSERT INTO c VALUES (3)")
	route := func(db, table string) []string {
		switch table {
		case "a":
			return []string{"ta"}
		case "b", "d": // d is created later: captured from its CREATE TABLE on
			return []string{"ta", "tb"}
		}
		return nil
	}
	cfg := Config{Name: "routed", Route: route}
	e.runBounded(cfg)
	eq := func(topic string, want ...string) {
		t.Helper()
		if got := e.topicRows(topic); !slices.Equal(got, want) {
			t.Errorf("%s:\ngot  %s\nwant %s", topic, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}
	eq("ta", "bootstrap-start a", "bootstrap-insert a 1", "bootstrap-complete a", "bootstrap-start b", "bootstrap-insert b 2", "bootstrap-complete b")
	eq("tb", "bootstrap-start b", "bootstrap-insert b 2", "bootstrap-complete b")

	// Nothing new: the run ends at once.
	e.runBounded(cfg)
	e.exec("INSERT INTO a VALUES (10)", "INSERT INTO c VALUES (30)", "UPDATE b SET id = 20 WHERE id = 2",
		"CREATE TABLE d (id INT PRIMARY KEY)", "INSERT INTO d VALUES (40)")
	e.runBounded(cfg)
	// The server starts a new binlog file and writes nothing more: the
	// stop position is past the new file's header events only.
	e.exec("FLUSH BINARY LOGS")
	e.runBounded(cfg)
	e.exec("DELETE FROM a WHERE id = 1", "FLUSH BINARY LOGS", "INSERT INTO c VALUES (31)")
	e.runBounded(cfg)
	eq("ta", "bootstrap-start a", "bootstrap-insert a 1", "bootstrap-complete a", "bootstrap-start b", "bootstrap-insert b 2", "bootstrap-complete b",
		"insert a 10", "update b 20", "insert d 40", "delete a 1")
	eq("tb", "bootstrap-start b", "bootstrap-insert b 2", "bootstrap-complete b", "update b 20", "insert d 40")
}

func TestStartAtSince(t *testing.T) {
	e := newEnv(t, 1)
	e.exec("CREATE TABLE a (id INT PRIMARY KEY)")
	start, err := binlogPosition(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	e.exec("INSERT INTO a VALUES (1)")
	// Binlog event times are seconds: the next one starts a new second.
	since := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(since))
	e.exec("INSERT INTO a VALUES (2)", "INSERT INTO a VALUES (3)")
	e.runBounded(Config{Name: "since", Snapshot: SnapshotNever, StartAt: &start, Since: since})
	var got []string
	for _, r := range e.records() {
		v := fastjson.MustParseBytes(r.Value)
		got = append(got, string(v.GetStringBytes("type"))+" "+v.Get("data", "id").String())
	}
	if want := []string{"insert 2", "insert 3"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
