package connector

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

// Options and the pieces of the mysql-cdc connector that need no server;
// mysqlcdc_e2e_test.go runs it against MariaDB through the SQL layer.

func cdcOpts(kv ...string) map[string]string {
	m := map[string]string{"connector": "mysql-cdc", "hostname": "127.0.0.1", "username": "u", "password": "p",
		"database-name": "shop", "table-name": "orders"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(m, kv[i])
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestMySQLCDCOptions(t *testing.T) {
	e := newEnv(t)
	cols := "id BIGINT, amount DECIMAL(10, 2), db STRING, op TIMESTAMP_LTZ(3)"
	for _, c := range []struct {
		opts []string
		meta []string
		noPK bool
		err  string
	}{
		{},
		{opts: []string{"connector", "mysql"}}, // the managed-Flink name
		{opts: []string{"port", "3307", "server-id", "5400-5408", "server-time-zone", "Asia/Shanghai", "scan.startup.mode", "latest-offset"}},
		{opts: []string{"server-time-zone", "+08:00", "scan.startup.mode", "earliest-offset"}},
		{opts: []string{"scan.startup.mode", "timestamp", "scan.startup.timestamp-millis", "1700000000000"}},
		{opts: []string{"scan.startup.mode", "specific-offset", "scan.startup.specific-offset.file", "mysql-bin.000003", "scan.startup.specific-offset.pos", "4"}},
		{opts: []string{"scan.startup.mode", "SNAPSHOT"}},
		{opts: []string{"scan.incremental.snapshot.enabled", "true", "scan.incremental.snapshot.chunk.size", "8096",
			"scan.incremental.snapshot.chunk.key-column", "id", "debezium.snapshot.mode", "initial", "jdbc.properties.useSSL", "false"}},
		{meta: []string{"db:database_name:v", "op:op_ts:v"}},
		{opts: []string{"hostname", "<unset>"}, err: "option 'hostname' is required"},
		{opts: []string{"table-name", "<unset>"}, err: "option 'table-name' is required"},
		{noPK: true, err: "needs a PRIMARY KEY"},
		{opts: []string{"port", "70000"}, err: "not a port"},
		{opts: []string{"server-id", "54x"}, err: "'server-id' = '54x'"},
		{opts: []string{"server-id", "5408-5400"}, err: "a range like"},
		{opts: []string{"database-name", "shop("}, err: "'database-name' = 'shop('"},
		{opts: []string{"server-time-zone", "Mars/Olympus"}, err: "'server-time-zone'"},
		{opts: []string{"scan.startup.mode", "group-offsets"}, err: "want one of initial"},
		{opts: []string{"scan.startup.mode", "timestamp"}, err: "'scan.startup.mode' = 'timestamp' needs 'scan.startup.timestamp-millis'"},
		// Another mode's option is ignored, as Flink CDC does.
		{opts: []string{"scan.startup.timestamp-millis", "1"}},
		{opts: []string{"scan.startup.mode", "latest-offset", "scan.startup.specific-offset.file", "f"}},
		{opts: []string{"scan.startup.mode", "specific-offset", "scan.startup.specific-offset.file", "f"}, err: "needs 'scan.startup.specific-offset.file' and '.pos'"},
		{opts: []string{"hostnme", "x"}, err: "unsupported option 'hostnme'"},
		{meta: []string{"db:database:v"}, err: "unknown metadata key 'database'"},
		{meta: []string{"db:op_ts:v"}, err: "cannot be read as STRING"},
	} {
		tb := tbl("orders", cols, cdcOpts(c.opts...))
		for _, m := range c.meta {
			parts := strings.Split(m, ":")
			tb.Metadata = append(tb.Metadata, MetadataColumn{Index: tb.Schema.Index(parts[0]), Key: parts[1], Virtual: len(parts) > 2})
		}
		if !c.noPK {
			withPK(tb, "id")
		}
		f, err := Lookup(tb.Options["connector"])
		if err != nil {
			t.Fatal(err)
		}
		src, err := f.NewSource(e.ctx, tb)
		if c.err == "" {
			if err != nil {
				t.Errorf("%v: %v", c.opts, err)
			} else if src.Mode() != Retract {
				t.Errorf("%v: mode %s", c.opts, src.Mode())
			}
			continue
		}
		errContains(t, err, c.err)
	}
}

func TestMySQLCDCRegex(t *testing.T) {
	e := newEnv(t)
	src, err := mysqlCDCFactory.NewSource(e.ctx, withPK(tbl("o", "id INT", cdcOpts("database-name", "shop|shop_[0-9]+", "table-name", "orders_[0-9]+|users")), "id"))
	if err != nil {
		t.Fatal(err)
	}
	m := src.(*mysqlCDC)
	for name, want := range map[string]bool{
		"shop.orders_1": true, "shop_2.users": true, "shop.orders": false, "shop.users_x": false,
		"shopx.users": false, "xshop.users": false, "shop.xusers": false, "shop_2.orders_12": true,
	} {
		if got := m.fullRE.MatchString(name); got != want {
			t.Errorf("%s: match %v, want %v", name, got, want)
		}
	}
	if !m.dbRE.MatchString("shop_7") || m.dbRE.MatchString("shop_7x") {
		t.Error("database-name must match whole names")
	}
}

// The topic belongs to the job and the table with its options: the same
// in every run, another for another job or other options.
func TestMySQLCDCTopicName(t *testing.T) {
	e := newEnv(t)
	topic := func(job string, opts map[string]string) string {
		ctx := *e.ctx
		ctx.Job = job
		src, err := mysqlCDCFactory.NewSource(&ctx, withPK(tbl("orders", "id INT", opts), "id"))
		if err != nil {
			t.Fatal(err)
		}
		tp := src.(*mysqlCDC).topic
		if err := rlog.ValidTopicName(tp); err != nil || !strings.HasPrefix(tp, "_rtdw-cdc-orders-") {
			t.Fatalf("topic %q: %v", tp, err)
		}
		return tp
	}
	a := topic("j1", cdcOpts())
	if topic("j1", cdcOpts()) != a {
		t.Error("the topic name is not stable")
	}
	if topic("j2", cdcOpts()) == a || topic("j1", cdcOpts("table-name", "orders_.*")) == a {
		t.Error("another job or other options must get another topic")
	}
}

func TestMaxwellType(t *testing.T) {
	for v, want := range map[string]string{
		`{"database":"d","table":"t","type":"bootstrap-insert","ts":1,"data":{"type":"insert"}}`: "bootstrap-insert",
		`{"database":"a\",\"type\":\"x","table":"t","type":"update","ts":1,"data":{}}`:           "update",
		`{"database":"d"}`: "",
	} {
		if got := string(maxwellType([]byte(v))); got != want {
			t.Errorf("%s: %q, want %q", v, got, want)
		}
	}
}

func TestLastMarker(t *testing.T) {
	e := newEnv(t)
	tp := rlog.TopicPartition{Topic: "m"}
	last := func() int64 {
		t.Helper()
		start, end, err := e.log.Offsets(bg, tp)
		if err != nil {
			t.Fatal(err)
		}
		off, err := lastMarker(bg, e.log, tp, start, end)
		if err != nil {
			t.Fatal(err)
		}
		return off
	}
	e.produce("m", 1, rlog.Record{Key: []byte("k"), Value: []byte("a")})
	if got := last(); got != 0 {
		t.Errorf("no marker: %d, want the start", got)
	}
	e.produce("m", 1, rlog.Record{Key: markerKey}, rlog.Record{Key: []byte("k")}, rlog.Record{Key: markerKey}, rlog.Record{Key: []byte("k")})
	if got := last(); got != 3 {
		t.Errorf("last marker at %d, want 3", got)
	}
}

func TestServices(t *testing.T) {
	var nilSvc *Services
	ctx, stop := nilSvc.Start(bg)
	if ctx != bg || stop() != nil {
		t.Fatal("a nil Services runs nothing")
	}

	var s Services
	ran := make(chan struct{}, 2)
	s.Add(func(ctx context.Context) error { ran <- struct{}{}; <-ctx.Done(); return nil })
	run, stop := s.Start(bg)
	<-ran
	if err := stop(); err != nil || run.Err() == nil {
		t.Fatalf("stop: %v; the run context must end with the services (%v)", err, run.Err())
	}

	// A failing service ends the run, and stop returns its error.
	boom := errors.New("boom")
	s.Add(func(context.Context) error { return boom })
	run, stop = s.Start(bg)
	select {
	case <-run.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a failed service must cancel the run")
	}
	if err := stop(); !errors.Is(err, boom) {
		t.Fatalf("stop: %v, want boom", err)
	}
}

// Attach registers one capture per job and server: the Prepare step and
// the service come with the first table.
func TestMySQLCDCOneCapturePerJob(t *testing.T) {
	e := newEnv(t)
	var services Services
	e.ctx.AddService = services.Add
	j := stream.NewJob("j")
	before := capturesStarted.Load()
	for _, name := range []string{"a", "b"} {
		src, err := mysqlCDCFactory.NewSource(e.ctx, withPK(tbl(name, "id INT", cdcOpts("table-name", name)), "id"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Attach(j); err != nil {
			t.Fatal(err)
		}
	}
	// Another server: its own capture.
	src, err := mysqlCDCFactory.NewSource(e.ctx, withPK(tbl("c", "id INT", cdcOpts("port", "3307")), "id"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Attach(j); err != nil {
		t.Fatal(err)
	}
	if n := capturesStarted.Load() - before; n != 2 || len(e.prepare) != 2 || services.Len() != 2 {
		t.Fatalf("%d captures, %d prepare steps, %d services; want 2 each", n, len(e.prepare), services.Len())
	}
}
