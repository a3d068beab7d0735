package stream_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kfake"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// counter emits "key:n" for the n-th record of each key: with state lost
// or records repeated, some key's numbers would skip or repeat.
type counter struct{ n *state.ValueState }

func (c *counter) Open(ctx *stream.Context) error { c.n = ctx.Value("n"); return nil }

func (c *counter) Process(r *stream.Record, out stream.Emitter) error {
	raw, _, err := c.n.Get(r.Key)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(string(raw))
	n++
	if err := c.n.Put(r.Key, []byte(strconv.Itoa(n))); err != nil {
		return err
	}
	o := r.Derive(r.Key, fmt.Appendf(nil, "%s:%d", r.Key, n), r.Time)
	out.Emit(0, &o)
	return nil
}

func countingJob() *stream.Job {
	j := stream.NewJob("count")
	j.Source("in").
		KeyBy("by_key", func(r *stream.Record) ([]byte, error) {
			k, _, _ := strings.Cut(string(r.Value), ",")
			return []byte(k), nil
		}).
		Process("count", func() stream.Operator { return &counter{} }).Main().To("out")
	return j
}

type testWorker struct {
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

func startWorker(t *testing.T, l *kafka.Log, name string, job func() *stream.Job) *testWorker {
	return startWorkerWith(t, l, name, job, stream.Options{})
}

func startWorkerWith(t *testing.T, l *kafka.Log, name string, job func() *stream.Job, o stream.Options) *testWorker {
	// Everything down to info is kept, and shown (with the watermarks) only
	// if the test fails: a rare failure must explain itself.
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})).With("worker", name)
	if o.Metrics == nil {
		o.Metrics = stream.NewMetrics(nil)
	}
	t.Cleanup(func() {
		if t.Failed() {
			var wm strings.Builder
			for stage := range 2 {
				for p := range 4 {
					g, err := o.Metrics.Watermark.GetMetricWithLabelValues(job().Name, strconv.Itoa(stage), strconv.Itoa(p))
					if err == nil {
						fmt.Fprintf(&wm, " stage%d/p%d=%.0f", stage, p, testutil.ToFloat64(g))
					}
				}
			}
			t.Logf("worker %s watermarks:%s\nlog:\n%s", name, wm.String(), logs.String())
		}
	})
	db, err := state.OpenLocal(t.TempDir(), logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &testWorker{cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() {
		err := stream.RunWorker(ctx, stream.WorkerOptions{
			Options: stream.Options{Log: l, Interval: 20 * time.Millisecond, Partitions: 4, Logger: logger,
				Metrics: o.Metrics, MaxRecordBytes: o.MaxRecordBytes, RestartBackoff: o.RestartBackoff, PurgeInterval: o.PurgeInterval},
			State: db,
			NewSession: func(job string, topics []string) (stream.Session, error) {
				return l.NewSession(kafka.SessionOptions{Group: "rtdw-" + job, TransactionalID: "rtdw-" + job + "-" + name,
					Topics: topics, SessionTimeout: 6 * time.Second, TransactionTimeout: 5 * time.Second, Logger: logger})
			},
		}, job())
		db.Close()
		w.done <- err
	}()
	return w
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (w *testWorker) stop(t *testing.T) {
	w.cancel()
	if err := <-w.done; err != nil {
		t.Fatal(err)
	}
}

// Two workers share a job's partitions on Kafka (kfake); one leaves
// mid-run and the other takes over its tasks with their state restored
// from the changelog. Every key's counts come out exactly once, 1..n.
func TestWorkersShareAndHandOverExactlyOnce(t *testing.T) {
	l := kafkaWithInput(t)
	want := map[string]int{}
	total := 0
	produce := func(n int) {
		var recs []rlog.Record
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("k%02d", (total+i)%37)
			want[k]++
			// Keyed by something else than the count key, so most records
			// cross the repartition topic.
			recs = append(recs, rlog.Record{Topic: "in", Partition: rlog.AutoPartition, Key: []byte(strconv.Itoa(total + i)), Value: []byte(k + "," + strconv.Itoa(total+i))})
		}
		total += n
		if err := l.Produce(bg, recs...); err != nil {
			t.Fatal(err)
		}
	}
	w1 := startWorker(t, l, "a", countingJob)
	w2 := startWorker(t, l, "b", countingJob)
	produce(1500)
	waitOut(t, l, total/3)
	w1.stop(t) // leaves the group: w2 takes all four partitions
	produce(1500)
	waitOut(t, l, total)
	w2.stop(t)

	got := map[string][]int{}
	for _, r := range logtest.ReadAll(t, l, "out") {
		k, n, _ := strings.Cut(string(r.Value), ":")
		i, _ := strconv.Atoi(n)
		got[k] = append(got[k], i)
	}
	for k, n := range want {
		seen := make([]bool, n+1)
		for _, i := range got[k] {
			if i < 1 || i > n || seen[i] {
				t.Fatalf("key %s: counts %v, want each of 1..%d once", k, got[k], n)
			}
			seen[i] = true
		}
		if len(got[k]) != n {
			t.Fatalf("key %s: %d counts, want %d", k, len(got[k]), n)
		}
	}
	// The state went through a compacted changelog per stateful operator.
	info, err := l.DescribeTopic(bg, stream.ChangelogTopic("count", "count"))
	if err != nil || !info.Compact || info.Partitions != 4 {
		t.Fatalf("changelog topic: %+v, %v", info, err)
	}
}

// Event-time windows behind a repartition topic, on two workers: the
// watermark markers cross between workers, and when one worker leaves, the
// other restores its windows (map state) and timers from the changelogs.
// Every window fires exactly once with the right sum.
func TestWorkersCloseWindowsAcrossRepartition(t *testing.T) {
	l := kafkaWithInput(t)
	// No input goes idle during the test: an input that pauses long
	// enough to go idle and then resumes with older records makes them
	// late (correctly dead-lettered as such; found when this test was
	// flaky under load), and every window here must fire.
	job := func() *stream.Job { return windowJobIdle(nil, time.Hour) }
	w1 := startWorker(t, l, "a", job)
	w2 := startWorker(t, l, "b", job)
	want := produce(t, l, 0, 2500)
	waitOut(t, l, 50)
	w1.stop(t)
	for k, v := range produce(t, l, 2500, 2500) {
		want[k] += v
	}
	// One late-enough record per partition moves every watermark past the
	// last window above (its own window never closes).
	var flush []rlog.Record
	for p := int32(0); p < 4; p++ {
		flush = append(flush, rlog.Record{Topic: "in", Partition: p, Value: []byte("kf,0,100000")})
	}
	if err := l.Produce(bg, flush...); err != nil {
		t.Fatal(err)
	}
	waitOut(t, l, len(want))
	w2.stop(t)
	equalMaps(t, want, sums(t, l))
}

// A worker started while its broker is away keeps retrying (it does not
// exit) and does its work once the broker is there.
func TestWorkerWaitsForABrokerThatIsAway(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	l, err := kafka.Open(kafka.Options{Brokers: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w := startWorker(t, l, "a", countingJob)
	select {
	case err := <-w.done:
		t.Fatalf("the worker exited while the broker was away: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var recs []rlog.Record
	for i := range 100 {
		recs = append(recs, rlog.Record{Topic: "in", Partition: rlog.AutoPartition, Value: fmt.Appendf(nil, "k%d,%d", i%5, i)})
	}
	if _, err := rlog.EnsureTopic(bg, l, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	waitOut(t, l, 100)
	w.stop(t)
}

// An output too large for the broker goes to the dead-letter topic (with
// its reason) instead of failing every transaction.
func TestWorkerDeadLettersOutputsTooLargeForTheBroker(t *testing.T) {
	l := kafkaWithInput(t)
	inflate := func() *stream.Job {
		j := stream.NewJob("inflate")
		j.Source("in").Process("grow", func() stream.Operator { return growOp{} }).Main().To("out")
		return j
	}
	reg := prometheus.NewRegistry()
	metrics := stream.NewMetrics(reg)
	w := startWorkerWith(t, l, "a", inflate, stream.Options{Metrics: metrics, MaxRecordBytes: 900_000})
	if err := l.Produce(bg, rlog.Record{Topic: "in", Partition: 0, Value: []byte("small")},
		rlog.Record{Topic: "in", Partition: 0, Value: []byte("big")},
		rlog.Record{Topic: "in", Partition: 0, Value: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	waitOut(t, l, 2)
	w.stop(t)
	out := logtest.ReadAll(t, l, "out")
	if len(out) != 2 || string(out[0].Value) != "small" || string(out[1].Value) != "after" {
		t.Fatalf("out: %d records", len(out))
	}
	dl := logtest.ReadAll(t, l, "dirty_data")
	if len(dl) != 1 || !strings.HasPrefix(string(dl[0].Header(stream.HeaderReason)), "output_too_large") || len(dl[0].Value) > 900_000 {
		t.Fatalf("dead letters: %d", len(dl))
	}
	if n := testutil.ToFloat64(metrics.DeadLetters.WithLabelValues("inflate", "output_too_large")); n != 1 {
		t.Fatalf("dead letter metric = %v", n)
	}
}

// growOp turns "big" into a 2 MB value, more than a broker takes (1 MiB).
type growOp struct{}

func (growOp) Open(*stream.Context) error { return nil }
func (growOp) Process(r *stream.Record, out stream.Emitter) error {
	v := r.Value
	if string(v) == "big" {
		v = bytes.Repeat([]byte("x"), 2<<20)
	}
	o := r.Derive(r.Key, v, r.Time)
	out.Emit(0, &o)
	return nil
}

// kafkaWithInput starts a kfake cluster with topic "in" (4 partitions).
func kafkaWithInput(t *testing.T) *kafka.Log {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	l, err := kafka.Open(kafka.Options{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(bg, "in", rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	return l
}

// waitOut waits until out holds n records (read_committed).
func waitOut(t *testing.T, l rlog.Log, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := 0
		if _, err := l.DescribeTopic(bg, "out"); err == nil {
			got = len(logtest.ReadAll(t, l, "out"))
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("out has %d records of %d after 60 s", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// poisonOp panics on the value "poison" and passes everything else on.
type poisonOp struct{}

func (poisonOp) Open(*stream.Context) error { return nil }
func (poisonOp) Process(r *stream.Record, out stream.Emitter) error {
	if string(r.Value) == "poison" {
		panic("cannot handle this record")
	}
	out.Emit(0, r)
	return nil
}

// A record that makes an operator panic fails its task only: the worker
// aborts the transaction and reopens its tasks on the local state without
// leaving the consumer group (no rebalance, no changelog restore), and
// after three failures the record goes to dirty_data, exactly once, while
// every other record comes out exactly once.
func TestWorkerPoisonRecordStaysInItsWorker(t *testing.T) {
	l := kafkaWithInput(t)
	job := func() *stream.Job {
		j := stream.NewJob("poison")
		j.Source("in").Process("check", func() stream.Operator { return poisonOp{} }).Main().To("out")
		return j
	}
	reg := prometheus.NewRegistry()
	metrics := stream.NewMetrics(reg)
	w := startWorkerWith(t, l, "a", job, stream.Options{Metrics: metrics, RestartBackoff: time.Millisecond})
	var recs []rlog.Record
	for i := range 20 {
		v := fmt.Sprintf("r%d", i)
		if i == 7 {
			v = "poison"
		}
		recs = append(recs, rlog.Record{Topic: "in", Partition: int32(i % 4), Value: []byte(v)})
	}
	if err := l.Produce(bg, recs...); err != nil {
		t.Fatal(err)
	}
	waitOut(t, l, 19)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := l.DescribeTopic(bg, "dirty_data"); err == nil && len(logtest.ReadAll(t, l, "dirty_data")) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no dead letter after 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.stop(t)
	seen := map[string]int{}
	for _, r := range logtest.ReadAll(t, l, "out") {
		seen[string(r.Value)]++
	}
	for i := range 20 {
		if n := seen[fmt.Sprintf("r%d", i)]; i != 7 && n != 1 {
			t.Fatalf("r%d came out %d times", i, n)
		}
	}
	if len(seen) != 19 || seen["poison"] != 0 {
		t.Fatalf("out holds %d distinct values, want 19: %v", len(seen), seen)
	}
	dl := logtest.ReadAll(t, l, "dirty_data")
	if len(dl) != 1 || string(dl[0].Value) != "poison" || !strings.HasPrefix(string(dl[0].Header(stream.HeaderReason)), "operator_failed: ") ||
		!strings.Contains(string(dl[0].Header(stream.HeaderReason)), "cannot handle this record") {
		t.Fatalf("dead letters: %d, first reason %q", len(dl), dl[0].Header(stream.HeaderReason))
	}
	logs := w.logs.String()
	if strings.Contains(logs, "worker session failed") || strings.Count(logs, "tasks assigned") != 1 {
		t.Fatalf("the worker left its group or rebuilt its tasks from changelogs:\n%s", logs)
	}
	if n := testutil.ToFloat64(metrics.Restarts.WithLabelValues("poison")); n < 3 {
		t.Fatalf("%v task restarts, want at least 3 (one per failure)", n)
	}
}
