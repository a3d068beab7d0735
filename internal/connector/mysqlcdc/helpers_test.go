package mysqlcdc

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/testenv"
)

// env is one test's database (named after the test) on the shared
// MariaDB, and an embedded log with topic_db.
type env struct {
	t   *testing.T
	dsn string
	db  *sql.DB // admin connection, default database = the test's
	dbn string
	l   rlog.Log
	dir string
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func newEnv(t *testing.T, partitions int32) *env {
	t.Helper()
	dsn := testenv.MariaDB(t)
	name := "t_" + strings.Trim(nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(name) > 60 {
		name = name[:60]
	}
	admin, err := sql.Open("mysql", dsn+"?charset=utf8mb4&multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP DATABASE IF EXISTS `" + name + "`", "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	admin.Close()
	db, err := sql.Open("mysql", dsn+name+"?charset=utf8mb4&multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir := t.TempDir()
	e := &env{t: t, dsn: dsn, db: db, dbn: name, dir: dir}
	e.openLog(partitions)
	return e
}

func (e *env) openLog(partitions int32) {
	e.t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(e.dir, "log"), NoSync: true, RetentionInterval: -1})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := rlog.EnsureTopic(context.Background(), l, "topic_db", rlog.TopicConfig{Partitions: partitions}); err != nil {
		e.t.Fatal(err)
	}
	e.l = l
	e.t.Cleanup(func() { l.Close() })
}

func (e *env) exec(qs ...string) {
	e.t.Helper()
	for _, q := range qs {
		if _, err := e.db.Exec(q); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
	}
}

// running is a reader started in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	pos    Position
	n      int
	once   sync.Once
}

func (e *env) start(cfg Config) *running {
	e.t.Helper()
	if cfg.DSN == "" {
		cfg.DSN = e.dsn
	}
	if cfg.Databases == nil {
		cfg.Databases = []string{e.dbn}
	}
	r := &running{done: make(chan error, 1)}
	cfg.OnCommit = func(n int, p Position) {
		r.mu.Lock()
		r.pos, r.n = p, r.n+n
		r.mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- Run(ctx, e.l, cfg) }()
	e.t.Cleanup(func() { r.stop(e.t) })
	return r
}

// position is the last position the reader committed.
func (r *running) position() Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pos
}

func (r *running) stop(t *testing.T) {
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("reader: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("reader did not stop")
		}
	})
}

// caughtUp waits until the reader committed the server's current position.
func (e *env) caughtUp(r *running) {
	e.t.Helper()
	target, err := binlogPosition(context.Background(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			e.t.Fatalf("reader ended: %v", err)
		default:
		}
		if p := r.position(); p.Reached(target) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("reader did not reach %s", target)
}

// records reads every record of topic_db, partition by partition.
func (e *env) records() []rlog.Record {
	e.t.Helper()
	ctx := context.Background()
	info, err := e.l.DescribeTopic(ctx, "topic_db")
	if err != nil {
		e.t.Fatal(err)
	}
	var out []rlog.Record
	for p := range info.Partitions {
		tp := rlog.TopicPartition{Topic: "topic_db", Partition: p}
		_, end, err := e.l.Offsets(ctx, tp)
		if err != nil {
			e.t.Fatal(err)
		}
		for off := int64(0); off < end; {
			recs, err := e.l.Fetch(ctx, tp, off, 1000, 0)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				e.t.Fatal(err)
			}
			if len(recs) == 0 {
				break // Kafka: only transaction markers are left
			}
			out = append(out, recs...)
			// Kafka's transaction markers take offsets: continue after the last record.
			off = recs[len(recs)-1].Offset + 1
		}
	}
	return out
}
