package operator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

var bg = context.Background()

// dims is a Pebble dimension store with dim_dic rows code -> name for
// codes "0".."9" except "7" (a miss).
func dims(t *testing.T) *dim.PebbleStore {
	t.Helper()
	s, err := dim.OpenPebble(st.MemDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(bg, dim.Table{Name: "dim_dic", Columns: []string{"code", "name"}, RowKey: "code"}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if i == 7 {
			continue
		}
		c := strconv.Itoa(i)
		if err := s.Put(bg, "dim_dic", c, []byte(`{"code":"`+c+`","name":"n`+c+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// slow delays each lookup by a random 0-2 ms, so lookups finish out of order.
type slow struct {
	g   dim.Getter
	mu  sync.Mutex
	rng *rand.Rand
}

func (s *slow) Get(ctx context.Context, table, key string) ([]byte, bool, error) {
	s.mu.Lock()
	d := time.Duration(s.rng.IntN(2000)) * time.Microsecond
	s.mu.Unlock()
	time.Sleep(d) // simulated network latency, not a wait for an outcome
	return s.g.Get(ctx, table, key)
}

// enrichDic turns a value "id:code" into "id:code:name" ("null" on a miss);
// a value without ':' is bad input.
func enrichDic(table string) func(context.Context, []byte, dim.Getter) ([]byte, error) {
	return func(ctx context.Context, v []byte, get dim.Getter) ([]byte, error) {
		id, code, ok := strings.Cut(string(v), ":")
		if !ok {
			return nil, stream.BadInput("bad_value", "%q", v)
		}
		row, found, err := get.Get(ctx, table, code)
		if err != nil {
			return nil, err
		}
		name := "null"
		if found {
			name = string(row[bytes.Index(row, []byte(`"name":"`))+8 : len(row)-2])
		}
		return fmt.Appendf(nil, "%s:%s:%s", id, code, name), nil
	}
}

func TestLookupKeepsInputOrderUnderRandomDelays(t *testing.T) {
	g := &slow{g: dims(t), rng: rand.New(rand.NewPCG(1, 2))}
	f := operator.Lookup(operator.LookupSpec{Dims: g, Concurrency: 8, Enrich: enrichDic("dim_dic")})
	var steps []st.Step
	var want []stream.Record
	for i := range 300 {
		code := strconv.Itoa(i % 10)
		steps = append(steps, st.Rec("k"+strconv.Itoa(i%3), fmt.Sprintf("%d:%s", i, code), int64(i)))
		name := "n" + code
		if code == "7" {
			name = "null"
		}
		want = append(want, stream.Record{Key: []byte("k" + strconv.Itoa(i%3)), Value: fmt.Appendf(nil, "%d:%s:%s", i, code, name), Time: int64(i)})
		if i%50 == 49 {
			steps = append(steps, st.WM(int64(i)))
		}
	}
	h := st.Run(t, f, steps)
	st.Equal(t, "out", want, h.Output("out"))
	// Restores from the last checkpoint replay to the same committed output:
	// in-flight lookups of a crashed instance never reach it.
	st.CheckRestore(t, f, steps, 25, 6, 7)
}

func TestLookupKeepsHeadersAndSource(t *testing.T) {
	f := operator.Lookup(operator.LookupSpec{Dims: dims(t), Enrich: enrichDic("dim_dic")})
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hs := []rlog.Header{{Key: "h", Value: []byte("v")}}
	if err := h.Process(stream.Record{Key: []byte("k"), Value: []byte("1:3"), Time: 42, Headers: hs}); err != nil {
		t.Fatal(err)
	}
	hs[0].Value[0] = 'X' // the caller's bytes are its own after the call
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	out := h.Output("out")
	if len(out) != 1 || string(out[0].Value) != "1:3:n3" || len(out[0].Headers) != 1 || string(out[0].Headers[0].Value) != "v" {
		t.Fatalf("output %s headers %+v", st.Dump(out), out)
	}
}

// gated blocks each record's enrichment until the test releases that
// record, and records how many run at once.
type gated struct {
	mu                sync.Mutex
	running, max, all int
	release           []chan struct{} // per record id
}

func (g *gated) enrich(ctx context.Context, v []byte, get dim.Getter) ([]byte, error) {
	id, _, _ := strings.Cut(string(v), ":")
	i, _ := strconv.Atoi(id)
	g.mu.Lock()
	g.running++
	g.all++
	g.max = max(g.max, g.running)
	g.mu.Unlock()
	<-g.release[i]
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	return enrichDic("dim_dic")(ctx, v, get)
}

func (g *gated) started() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.all
}

func TestLookupBoundsInFlightRecords(t *testing.T) {
	const n, total = 4, 20
	g := &gated{}
	for range total {
		g.release = append(g.release, make(chan struct{}))
	}
	f := operator.Lookup(operator.LookupSpec{Dims: dims(t), Concurrency: n, Enrich: g.enrich})
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var fed atomic.Int64
	done := make(chan error, 1)
	go func() { // the task goroutine
		for i := range total {
			if err := h.Process(stream.Record{Key: []byte("k"), Value: fmt.Appendf(nil, "%d:%d", i, i%10), Time: int64(i)}); err != nil {
				done <- err
				return
			}
			fed.Add(1)
		}
		done <- h.Checkpoint()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for released := 0; released < total; released++ {
		// The head is blocked, so exactly n records are in flight: the
		// (n+1)th waits in Process for room in the queue.
		for g.started() < min(released+n, total) {
			if time.Now().After(deadline) {
				t.Fatalf("%d lookups started, want %d", g.started(), min(released+n, total))
			}
			time.Sleep(time.Millisecond)
		}
		if got, limit := fed.Load(), int64(min(released+n, total)); got > limit {
			t.Fatalf("%d records accepted with the head unfinished, limit %d", got, limit)
		}
		// Release out of order within the window, head last: completed
		// records behind the head must still wait for it.
		if released+1 < total && released%2 == 0 && g.started() > released+1 {
			close(g.release[released+1])
			close(g.release[released])
			released++
			continue
		}
		close(g.release[released])
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g.max != n {
		t.Fatalf("at most %d lookups ran at once, want %d", g.max, n)
	}
	var want []stream.Record
	for i := range total {
		want = append(want, stream.Record{Key: []byte("k"), Value: fmt.Appendf(nil, "%d:%d:%s", i, i%10, map[bool]string{true: "null", false: "n" + strconv.Itoa(i%10)}[i%10 == 7]), Time: int64(i)})
	}
	st.Equal(t, "out", want, h.Output("out"))
}

// recorder is an Emitter that remembers what came out.
type recorder struct{ vals []string }

func (r *recorder) Emit(_ int, rec *stream.Record) { r.vals = append(r.vals, string(rec.Value)) }

// Watermarks, checkpoints and the end of input wait for every record in
// flight and emit it first: a watermark must not overtake records (they
// would be late downstream), a checkpoint must not commit the offsets of
// records not yet emitted.
func TestLookupFlushesBeforeWatermarkCheckpointAndEnd(t *testing.T) {
	g := &slow{g: dims(t), rng: rand.New(rand.NewPCG(3, 4))}
	for _, c := range []struct {
		name string
		call func(op stream.Operator, out stream.Emitter) error
	}{
		{"before watermark", func(op stream.Operator, out stream.Emitter) error {
			return op.(stream.WatermarkFlusher).FlushBeforeWatermark(out)
		}},
		{"watermark", func(op stream.Operator, out stream.Emitter) error {
			return op.(stream.WatermarkHandler).OnWatermark(100, out)
		}},
		{"checkpoint", func(op stream.Operator, out stream.Emitter) error {
			return op.(stream.CheckpointHandler).PrepareCheckpoint(out)
		}},
		{"end", func(op stream.Operator, out stream.Emitter) error {
			return op.(stream.EndOfInputHandler).EndOfInput(out)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := operator.Lookup(operator.LookupSpec{Dims: g, Concurrency: 5, Enrich: enrichDic("dim_dic")})()
			if err := op.Open(&stream.Context{Job: "j"}); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			for i := range 12 {
				if err := op.Process(&stream.Record{Value: fmt.Appendf(nil, "%d:1", i)}, rec); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.call(op, rec); err != nil {
				t.Fatal(err)
			}
			var want []string
			for i := range 12 {
				want = append(want, fmt.Sprintf("%d:1:n1", i))
			}
			if strings.Join(rec.vals, " ") != strings.Join(want, " ") {
				t.Fatalf("emitted by the %s: %v, want %v", c.name, rec.vals, want)
			}
		})
	}
}

func TestLookupCountsMisses(t *testing.T) {
	s := dims(t)
	if err := s.CreateTable(bg, dim.Table{Name: "dim_misses"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(bg, "dim_misses", "1", []byte(`{"code":"1","name":"one"}`)); err != nil {
		t.Fatal(err)
	}
	c, err := dim.NewCache(s, dim.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	misses := dim.LookupMisses.WithLabelValues("harness", "dim_misses")
	before := testutil.ToFloat64(misses)
	h := st.Run(t, operator.Lookup(operator.LookupSpec{Dims: c, Enrich: enrichDic("dim_misses")}), []st.Step{
		st.Rec("k", "a:1", 1), st.Rec("k", "b:2", 2), st.Rec("k", "c:2", 3), st.Rec("k", "d:3", 4),
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("k"), Value: []byte("a:1:one"), Time: 1},
		{Key: []byte("k"), Value: []byte("b:2:null"), Time: 2},
		{Key: []byte("k"), Value: []byte("c:2:null"), Time: 3},
		{Key: []byte("k"), Value: []byte("d:3:null"), Time: 4},
	}, h.Output("out"))
	if n := testutil.ToFloat64(misses) - before; n != 3 {
		t.Fatalf("rtdw_dim_lookup_misses_total{job=harness,table=dim_misses} = %v, want 3", n)
	}
}

// signalling reports each miss of the underlying getter on a channel.
type signalling struct {
	g      dim.Getter
	missed chan struct{}
}

func (s *signalling) Get(ctx context.Context, table, key string) ([]byte, bool, error) {
	row, ok, err := s.g.Get(ctx, table, key)
	if err == nil && !ok {
		select {
		case s.missed <- struct{}{}:
		default:
		}
	}
	return row, ok, err
}

// With MissRetry, a row that appears while the record waits is found: the
// dimension job may run a little behind the facts.
func TestLookupMissRetryFindsLateRow(t *testing.T) {
	s := dims(t)
	if err := s.CreateTable(bg, dim.Table{Name: "dim_late"}); err != nil {
		t.Fatal(err)
	}
	c, err := dim.NewCache(s, dim.CacheOptions{TTL: time.Hour}) // only the invalidation can reveal the row
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sig := &signalling{g: c, missed: make(chan struct{}, 1)}
	f := operator.Lookup(operator.LookupSpec{Dims: sig, MissRetry: time.Minute, Enrich: enrichDic("dim_late")})
	h, err := stream.NewHarness(st.MemDB(t), "op", f, st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	before := testutil.ToFloat64(dim.LookupMisses.WithLabelValues("harness", "dim_late"))
	if err := h.Process(stream.Record{Key: []byte("k"), Value: []byte("x:5"), Time: 1}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sig.missed:
	case <-time.After(30 * time.Second):
		t.Fatal("the lookup never missed")
	}
	if err := s.Put(bg, "dim_late", "5", []byte(`{"code":"5","name":"late"}`)); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	st.Equal(t, "out", []stream.Record{{Key: []byte("k"), Value: []byte("x:5:late"), Time: 1}}, h.Output("out"))
	if n := testutil.ToFloat64(dim.LookupMisses.WithLabelValues("harness", "dim_late")) - before; n != 0 {
		t.Fatalf("%v misses counted for a row found on retry", n)
	}
}

func TestLookupDeadLettersBadInputInOrder(t *testing.T) {
	g := &slow{g: dims(t), rng: rand.New(rand.NewPCG(5, 6))}
	h := st.Run(t, operator.Lookup(operator.LookupSpec{Dims: g, Concurrency: 3, Enrich: enrichDic("dim_dic")}), []st.Step{
		st.Rec("k", "a:1", 1), st.Rec("k", "bad", 2), st.Rec("k", "c:2", 3), st.Rec("k", "worse", 4), st.Rec("k", "e:3", 5),
	})
	st.Equal(t, "out", []stream.Record{
		{Key: []byte("k"), Value: []byte("a:1:n1"), Time: 1},
		{Key: []byte("k"), Value: []byte("c:2:n2"), Time: 3},
		{Key: []byte("k"), Value: []byte("e:3:n3"), Time: 5},
	}, h.Output("out"))
	dl := h.DeadLetters()
	if len(dl) != 2 || string(dl[0].Value) != "bad" || string(dl[1].Value) != "worse" ||
		string(dl[0].Header(stream.HeaderReason)) != `bad_value: "bad"` {
		t.Fatalf("dead letters %s", st.Dump(dl))
	}
}

func TestLookupFailsTaskOnOtherErrors(t *testing.T) {
	for name, enrich := range map[string]func(context.Context, []byte, dim.Getter) ([]byte, error){
		"error": func(context.Context, []byte, dim.Getter) ([]byte, error) { return nil, errors.New("store down") },
		"panic": func(context.Context, []byte, dim.Getter) ([]byte, error) { panic("bug") },
	} {
		t.Run(name, func(t *testing.T) {
			h, err := stream.NewHarness(st.MemDB(t), "op", operator.Lookup(operator.LookupSpec{Dims: dims(t), Enrich: enrich}), st.Epoch)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if err := h.Process(stream.Record{Value: []byte("1:1")}); err != nil {
				t.Fatal(err)
			}
			err = h.Checkpoint()
			if err == nil || !strings.Contains(err.Error(), map[string]string{"error": "store down", "panic": "panicked: bug"}[name]) {
				t.Fatalf("checkpoint error %v", err)
			}
			if len(h.DeadLetters()) != 0 {
				t.Fatal("a failure was dead-lettered")
			}
		})
	}
}
