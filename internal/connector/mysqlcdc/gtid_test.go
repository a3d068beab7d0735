package mysqlcdc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// setStored overwrites the position a reader named name committed in the
// test's log (what a failover, or an older reader, leaves behind).
func (e *env) setStored(name string, p Position) {
	e.t.Helper()
	c := newCheckpoint(e.l, name)
	defer c.close()
	if err := c.putPosition(p); err != nil {
		e.t.Fatal(err)
	}
	if err := c.commit(context.Background(), nil); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) stored(name string) Position {
	e.t.Helper()
	p, ok, err := StoredPosition(context.Background(), e.l, name)
	if err != nil || !ok {
		e.t.Fatalf("stored position: %v (found %v)", err, ok)
	}
	return p
}

func (e *env) serverGTIDs() string {
	e.t.Helper()
	var s string
	if err := e.db.QueryRow("SELECT @@GLOBAL.gtid_binlog_pos").Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// TestGTIDSetTracked: the stored position carries the server's GTID state
// (gtid_binlog_pos) at the position, from the snapshot on and after every
// commit, and a restart across binlog rotations resumes by it.
func TestGTIDSetTracked(t *testing.T) {
	e := newEnv(t, 1)
	seed(e, "orders", 100)
	r := e.start(Config{})
	e.caughtUp(r)
	r.stop(t)
	if got, want := e.stored("mysql").GTIDSet, e.serverGTIDs(); got != want || got == "" {
		t.Fatalf("after the snapshot: stored GTID set %q, server %q", got, want)
	}
	e.exec("UPDATE orders SET n = n + 1 WHERE id <= 10", "FLUSH BINARY LOGS",
		"INSERT INTO orders VALUES (1001, 'a', 1)", "FLUSH BINARY LOGS", "DELETE FROM orders WHERE id = 5")
	r = e.start(Config{})
	e.caughtUp(r)
	r.stop(t)
	if got, want := e.stored("mysql").GTIDSet, e.serverGTIDs(); got != want {
		t.Fatalf("after rotations: stored GTID set %q, server %q", got, want)
	}
	// A position stored without its GTID state (an older reader): the
	// state is computed from the binlog and tracked from there.
	p := e.stored("mysql")
	e.setStored("mysql", Position{File: p.File, Pos: p.Pos})
	e.exec("INSERT INTO orders VALUES (1002, 'b', 2)")
	r = e.start(Config{})
	e.caughtUp(r)
	r.stop(t)
	if got, want := e.stored("mysql").GTIDSet, e.serverGTIDs(); got != want {
		t.Fatalf("from a position without GTIDs: stored GTID set %q, server %q", got, want)
	}
	compareRows(t, tableRows(t, e, "orders"), replay(t, e, "orders"))
}

// TestResumeByGTIDWithOtherBinlogNames: the stored position names a binlog
// file this server does not have (as after a failover to a replica whose
// files are named and numbered differently) but carries the GTID state:
// the reader resumes by GTID, with no change lost or doubled. Without the
// GTID state the same position is reported as purged.
func TestResumeByGTIDWithOtherBinlogNames(t *testing.T) {
	e := newEnv(t, 1)
	seed(e, "orders", 200)
	r := e.start(Config{})
	e.caughtUp(r)
	r.stop(t)
	p := e.stored("mysql")
	e.exec("UPDATE orders SET n = n + 1 WHERE id <= 20", "FLUSH BINARY LOGS",
		"INSERT INTO orders VALUES (1001, '故障转移', 1)", "DELETE FROM orders WHERE id = 7")

	// File + position only, in a file the server never had: purged.
	e.setStored("mysql", Position{File: "replica-bin.000042", Pos: 1234})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	err := Run(ctx, e.l, Config{DSN: e.dsn, Databases: []string{e.dbn}})
	cancel()
	if !errors.Is(err, ErrPositionPurged) {
		t.Fatalf("without GTIDs: got %v, want %v", err, ErrPositionPurged)
	}

	// The same bogus file with the GTID state: resumes by GTID.
	e.setStored("mysql", Position{File: "replica-bin.000042", Pos: 1234, GTIDSet: p.GTIDSet})
	r = e.start(Config{})
	// By GTID: file names do not compare across servers.
	want := e.serverGTIDs()
	for deadline := time.Now().Add(30 * time.Second); r.position().GTIDSet != want; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("reader at %s, server GTID state %s", r.position(), want)
		}
	}
	r.stop(t)
	got := e.stored("mysql")
	if strings.HasPrefix(got.File, "replica-bin") || got.GTIDSet != e.serverGTIDs() {
		t.Fatalf("stored %s, server GTID state %s", got, e.serverGTIDs())
	}
	compareRows(t, tableRows(t, e, "orders"), replay(t, e, "orders"))
}
