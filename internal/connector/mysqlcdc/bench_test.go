package mysqlcdc

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/testenv"
)

// BenchmarkCapture runs the shop simulator into MariaDB as fast as it can
// for 5 s while the reader captures gmall: rows/s captured, and capture
// latency (commit in MariaDB -> record readable in topic_db) p50/p99 over
// the transactions that insert a row.
//
//	go test -run '^$' -bench Capture -benchtime 1x ./internal/connector/mysqlcdc
func BenchmarkCapture(b *testing.B) {
	dsn := testenv.MariaDB(b)
	ctx := context.Background()
	db, err := mock.OpenMySQL(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if err := mock.InitMySQL(ctx, db, 1000, time.Now().UnixMilli(), loc); err != nil {
		b.Fatal(err)
	}
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(b.TempDir(), "log"), RetentionInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if _, err := rlog.EnsureTopic(ctx, l, "topic_db", rlog.TopicConfig{Partitions: 4}); err != nil {
		b.Fatal(err)
	}
	var captured atomic.Int64
	snapDone := make(chan struct{})
	var once sync.Once
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(rctx, l, Config{DSN: dsn, Databases: []string{"gmall", "gmall_config"},
			OnCommit: func(n int, _ Position) { captured.Add(int64(n)); once.Do(func() { close(snapDone) }) }})
	}()
	<-snapDone

	// Consumers: note when each sampled key becomes readable.
	var mu sync.Mutex
	committed := map[string]time.Time{}
	var lat []time.Duration
	var wg sync.WaitGroup
	for p := range int32(4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp := rlog.TopicPartition{Topic: "topic_db", Partition: p}
			_, off, _ := l.Offsets(ctx, tp)
			for rctx.Err() == nil {
				recs, err := l.Fetch(rctx, tp, off, 1000, 100*time.Millisecond)
				if err != nil {
					return
				}
				now := time.Now()
				mu.Lock()
				for _, r := range recs {
					if t, ok := committed[string(r.Key)]; ok {
						lat = append(lat, now.Sub(t))
						delete(committed, string(r.Key))
					}
				}
				mu.Unlock()
				off += int64(len(recs))
			}
		}()
	}

	shop, err := mock.NewShop(mock.ShopConfig{Seed: 1, Date: time.Now().In(loc).Format("2006-01-02"), Location: loc,
		Users: 1000, Devices: 2000, Sessions: 1_000_000, IDBase: mustIDBase(b, db)})
	if err != nil {
		b.Fatal(err)
	}
	sink, err := mock.NewMySQLSink(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	// write runs the simulator into MariaDB for d; sample gets the key of
	// one inserted row per transaction and when the transaction committed.
	write := func(d time.Duration, sample func(key []byte, at time.Time)) int64 {
		var rows int64
		for start := time.Now(); time.Since(start) < d; {
			ev, ok := shop.Next()
			if !ok {
				break
			}
			if ev.Txn == nil {
				continue
			}
			if _, err := sink.Write(ctx, ev); err != nil {
				b.Fatal(err)
			}
			at := time.Now()
			rows += int64(len(ev.Txn.Changes))
			for i := range ev.Txn.Changes {
				if c := &ev.Txn.Changes[i]; c.Type == mock.TypeInsert && sample != nil {
					sample(c.AppendKey(nil), at)
					break
				}
			}
		}
		return rows
	}
	b.ResetTimer()
	start := time.Now()
	c0 := captured.Load()
	rows := write(5*time.Second, func(key []byte, at time.Time) {
		mu.Lock()
		committed[string(key)] = at
		mu.Unlock()
	})
	writeTime := time.Since(start)
	// Let the reader drain what is left, then stop.
	target, err := binlogPosition(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	for {
		p, _, _ := StoredPosition(context.Background(), l, "mysql")
		if p.Reached(target) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	total := time.Since(start)
	time.Sleep(200 * time.Millisecond)
	cancel()
	wg.Wait()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	n := captured.Load() - c0

	// Backlog: the reader is down while the simulator writes 5 s; then
	// how fast does it catch up?
	backlog := write(5*time.Second, nil)
	target, err = binlogPosition(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	c1 := captured.Load()
	rctx, cancel = context.WithCancel(ctx)
	restart := time.Now()
	go func() {
		done <- Run(rctx, l, Config{DSN: dsn, Databases: []string{"gmall", "gmall_config"},
			OnCommit: func(n int, _ Position) { captured.Add(int64(n)) }})
	}()
	for {
		if p, _, _ := StoredPosition(context.Background(), l, "mysql"); p.Reached(target) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	catchUp := time.Since(restart)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	caught := captured.Load() - c1
	// An UPDATE that changes nothing leaves no binlog row (as for Maxwell):
	// the simulator's count is a little higher than the binlog's.
	if n < rows*95/100 || n > rows {
		b.Fatalf("captured %d row changes, the simulator wrote %d", n, rows)
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no latency samples")
	}
	b.ReportMetric(float64(rows)/writeTime.Seconds(), "written-rows/s")
	b.ReportMetric(float64(n)/total.Seconds(), "captured-rows/s")
	b.ReportMetric(float64(caught)/catchUp.Seconds(), "backlog-rows/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.Logf("%d row changes written (%d in the binlog) in %s (+%s to drain); %d latency samples", rows, n, writeTime.Round(time.Millisecond),
		(total - writeTime).Round(time.Millisecond), len(lat))
	b.Logf("backlog: %d row changes written while the reader was down (%d in the binlog), caught up in %s (including connect)",
		backlog, caught, catchUp.Round(time.Millisecond))
}

func mustIDBase(b *testing.B, db *sql.DB) map[string]int64 {
	base, err := mock.MySQLIDBase(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	return base
}
