package exec_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/exec"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// Operator-level tests of the lookup join, on the stream harness with an
// in-memory table: what the operator decides (kinds, padding, residual
// condition, cache, retries, async order and checkpoints). The connectors
// and the engine are tested against real stores in
// lookup_join_e2e_test.go.

// ljMemTable is an in-memory lookup table: rows keyed by the text of their
// key values ("1" or "1|a"), counting lookups.
type ljMemTable struct {
	mu      sync.Mutex
	rows    map[string][]row.Row
	queries atomic.Int64
	// fail makes the next lookups fail with err (counting down).
	fail atomic.Int64
	err  error
	// delay, if set, is how long a lookup of key takes.
	delay func(key string) time.Duration
	// inFlight and maxInFlight measure concurrency.
	inFlight, maxInFlight atomic.Int64
}

func ljNewMemTable() *ljMemTable { return &ljMemTable{rows: map[string][]row.Row{}} }

func ljKeyText(keys []row.Value) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, "|")
}

func (m *ljMemTable) add(key string, vals ...row.Value) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[key] = append(m.rows[key], row.NewRow(row.Insert, vals...))
}

func (m *ljMemTable) Lookup(ctx context.Context, keys []row.Value) ([]row.Row, error) {
	n := m.inFlight.Add(1)
	defer m.inFlight.Add(-1)
	for {
		old := m.maxInFlight.Load()
		if n <= old || m.maxInFlight.CompareAndSwap(old, n) {
			break
		}
	}
	m.queries.Add(1)
	k := ljKeyText(keys)
	if m.delay != nil {
		time.Sleep(m.delay(k))
	}
	if m.fail.Add(-1) >= 0 {
		return nil, m.err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []row.Row
	for _, r := range m.rows[k] {
		out = append(out, r.Clone())
	}
	return out, nil
}

func ljNewHarness(t *testing.T, spec exec.LookupJoinSpec) *stream.Harness {
	t.Helper()
	h, err := stream.NewHarness(st.MemDB(t), "lookup", exec.LookupJoin(spec), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func ljTyped(kind row.RowKind, off int64, vals ...row.Value) stream.Record {
	r := row.NewRow(kind, vals...)
	return stream.Record{Key: []byte(fmt.Sprint("k", off)), Time: 1000 + off, Offset: off, Row: &r}
}

func ljFeed(t *testing.T, h *stream.Harness, recs ...stream.Record) {
	t.Helper()
	for _, r := range recs {
		if err := h.Process(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
}

func ljRowsOf(recs []stream.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%s @%d", r.Row, r.Time))
	}
	return out
}

func ljWant(t *testing.T, what string, got []string, w ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s:\ngot  %s\nwant %s", what, strings.Join(got, "\n     "), strings.Join(w, "\n     "))
	}
}

func ljMisses(table string) float64 {
	return testutil.ToFloat64(exec.LookupMisses.WithLabelValues("harness", table))
}

func ljSkuTable() *ljMemTable {
	m := ljNewMemTable()
	m.add("1", row.BigInt(1), row.String("phone"))
	m.add("1", row.BigInt(1), row.String("phone case")) // a key with two rows
	m.add("2", row.BigInt(2), row.String("tv"))
	return m
}

// Every row kind is looked up and passes through (a -U or -D joins what
// the table holds now, as Flink); an inner join drops a miss, a LEFT join
// pads it; a NULL key matches nothing without asking; ljMisses are counted.
func TestLookupJoinKindsAndPadding(t *testing.T) {
	for _, left := range []bool{false, true} {
		table := fmt.Sprintf("sku_%v", left)
		m := ljSkuTable()
		h := ljNewHarness(t, exec.LookupJoinSpec{Table: table, Left: left, KeyCols: []int{1}, Source: m, RightWidth: 2})
		before := ljMisses(table)
		ljFeed(t, h,
			ljTyped(row.Insert, 0, row.String("o1"), row.BigInt(1)),
			ljTyped(row.UpdateBefore, 1, row.String("o1"), row.BigInt(1)),
			ljTyped(row.UpdateAfter, 2, row.String("o1"), row.BigInt(2)),
			ljTyped(row.Delete, 3, row.String("o1"), row.BigInt(2)),
			ljTyped(row.Insert, 4, row.String("o2"), row.BigInt(9)),
			ljTyped(row.UpdateAfter, 5, row.String("o3"), row.Null()),
		)
		got := ljRowsOf(h.Output("out"))
		w := []string{
			"+I[o1, 1, 1, phone] @1000", "+I[o1, 1, 1, phone case] @1000",
			"-U[o1, 1, 1, phone] @1001", "-U[o1, 1, 1, phone case] @1001",
			"+U[o1, 2, 2, tv] @1002", "-D[o1, 2, 2, tv] @1003",
		}
		if left {
			w = append(w, "+I[o2, 9, NULL, NULL] @1004", "+U[o3, NULL, NULL, NULL] @1005")
		}
		ljWant(t, fmt.Sprintf("left=%v", left), got, w...)
		if n := m.queries.Load(); n != 5 {
			t.Errorf("left=%v: %d queries, ljWant 5 (the NULL key is not looked up)", left, n)
		}
		if d := ljMisses(table) - before; d != 2 {
			t.Errorf("left=%v: %v ljMisses counted, ljWant 2", left, d)
		}
		// The output keeps the input's key, time and position.
		if o := h.Output("out")[0]; string(o.Key) != "k0" || o.Offset != 0 || len(o.Value) != 0 {
			t.Errorf("output record %+v", o)
		}
	}
}

// The residual condition filters looked-up rows (a LEFT join pads when it
// rejects them all); its error dead-letters the input row, emitting none
// of its rows.
func TestLookupJoinCondition(t *testing.T) {
	m := ljSkuTable()
	cond := func(r *row.Row) (bool, error) {
		if r.Str(0) == "boom" {
			return false, errors.New("division by zero")
		}
		return strings.HasSuffix(r.Str(3), "case"), nil
	}
	h := ljNewHarness(t, exec.LookupJoinSpec{Table: "cond", Left: true, KeyCols: []int{1}, Source: m, RightWidth: 2, Cond: cond})
	ljFeed(t, h,
		ljTyped(row.Insert, 0, row.String("o1"), row.BigInt(1)),
		ljTyped(row.Insert, 1, row.String("o2"), row.BigInt(2)),
		ljTyped(row.Insert, 2, row.String("boom"), row.BigInt(1)),
	)
	ljWant(t, "rows", ljRowsOf(h.Output("out")), "+I[o1, 1, 1, phone case] @1000", "+I[o2, 2, NULL, NULL] @1001")
	dl := h.DeadLetters()
	if len(dl) != 1 || !strings.Contains(string(dl[0].Header(stream.HeaderReason)), "eval_error: division by zero") || dl[0].Offset != 2 {
		t.Errorf("dead letters %v", dl)
	}
	// An untyped record or one too narrow for the key is bad input.
	if err := h.Process(stream.Record{Value: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := h.Process(ljTyped(row.Insert, 3, row.String("narrow"))); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if dl := h.DeadLetters(); len(dl) != 3 || !strings.Contains(string(dl[1].Header(stream.HeaderReason)), "untyped_record") ||
		!strings.Contains(string(dl[2].Header(stream.HeaderReason)), "bad_row") {
		t.Errorf("dead letters %v", st.Dump(dl))
	}
}

// The cache answers repeated keys without asking the table: LRU beyond
// max-rows, expiry after write (on the task's processing-time clock),
// missing keys cached only with cache-missing-key.
func TestLookupJoinCache(t *testing.T) {
	m := ljSkuTable()
	spec := exec.LookupJoinSpec{Table: "cache", KeyCols: []int{0}, Source: m, RightWidth: 2,
		Cache: connector.LookupCacheOptions{Enabled: true, MaxRows: 2, ExpireAfterWrite: 10 * time.Second, CacheMissingKey: true}}
	h := ljNewHarness(t, spec)
	hits := func() float64 { return testutil.ToFloat64(exec.LookupCacheHits.WithLabelValues("harness", "cache")) }
	h0 := hits()
	step := func(key int64, queries int64) {
		t.Helper()
		ljFeed(t, h, ljTyped(row.Insert, 0, row.BigInt(key)))
		if n := m.queries.Load(); n != queries {
			t.Fatalf("after key %d: %d queries, ljWant %d", key, n, queries)
		}
	}
	step(1, 1)
	step(1, 1) // hit
	step(9, 2) // a miss, cached
	step(9, 2)
	step(2, 3) // evicts 1, the least recently used
	step(9, 3)
	step(1, 4)
	if d := hits() - h0; d != 3 {
		t.Errorf("%v cache hits counted, ljWant 3", d)
	}
	// Expired ten seconds after the load.
	if err := h.SetTime(st.Epoch.Add(9 * time.Second)); err != nil {
		t.Fatal(err)
	}
	step(1, 4)
	if err := h.SetTime(st.Epoch.Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	step(1, 5)
	// The output is the same as without a cache.
	got := ljRowsOf(h.Output("out"))
	if len(got) != 11 || got[0] != "+I[1, 1, phone] @1000" || got[1] != "+I[1, 1, phone case] @1000" {
		t.Errorf("output %v", got)
	}

	// Without cache-missing-key a miss asks every time; a restored task
	// starts with an empty cache.
	m2 := ljSkuTable()
	spec.Source, spec.Table = m2, "cache2"
	spec.Cache = connector.LookupCacheOptions{Enabled: true, ExpireAfterAccess: time.Minute}
	h2 := ljNewHarness(t, spec)
	ljFeed(t, h2, ljTyped(row.Insert, 0, row.BigInt(9)), ljTyped(row.Insert, 1, row.BigInt(9)), ljTyped(row.Insert, 2, row.BigInt(2)), ljTyped(row.Insert, 3, row.BigInt(2)))
	if n := m2.queries.Load(); n != 3 {
		t.Errorf("%d queries, ljWant 3", n)
	}
	if err := h2.Restore(); err != nil {
		t.Fatal(err)
	}
	ljFeed(t, h2, ljTyped(row.Insert, 4, row.BigInt(2)))
	if n := m2.queries.Load(); n != 4 {
		t.Errorf("after a restore: %d queries, ljWant 4", n)
	}
}

// A failed lookup is retried MaxRetries times; then the task fails with
// the store's error (still retryable: the runtime restarts the task and
// never blames the row), having emitted and dead-lettered nothing.
func TestLookupJoinRetries(t *testing.T) {
	down := errors.New("connection refused")
	m := ljSkuTable()
	m.err = stream.Retryable(down)
	m.fail.Store(2)
	spec := exec.LookupJoinSpec{Table: "retry", KeyCols: []int{0}, Source: m, RightWidth: 2, MaxRetries: 2, RetryBackoff: time.Millisecond}
	h := ljNewHarness(t, spec)
	ljFeed(t, h, ljTyped(row.Insert, 0, row.BigInt(2)))
	ljWant(t, "after two failures", ljRowsOf(h.Output("out")), "+I[2, 2, tv] @1000")

	for _, async := range []bool{false, true} {
		m.fail.Store(100)
		m.queries.Store(0)
		spec.MaxRetries, spec.Async = 1, async
		h := ljNewHarness(t, spec)
		err := h.Process(ljTyped(row.Insert, 7, row.BigInt(2)))
		if async && err == nil {
			err = h.Checkpoint()
		}
		if !errors.Is(err, down) || !strings.Contains(err.Error(), "lookup join retry: 2 attempts failed") {
			t.Fatalf("async=%v: error %v", async, err)
		}
		if m.queries.Load() != 2 || len(h.Output("out")) != 0 || len(h.DeadLetters()) != 0 {
			t.Fatalf("async=%v: %d queries, output %v, dead letters %v", async, m.queries.Load(), h.Output("out"), h.DeadLetters())
		}
	}

	// A value the table holds that cannot be read dead-letters the row.
	m.fail.Store(1)
	m.err = stream.BadInput("lookup_bad_value", "column price: cannot read \"x\" as DECIMAL(10, 2)")
	spec.Async = false
	h = ljNewHarness(t, spec)
	ljFeed(t, h, ljTyped(row.Insert, 0, row.BigInt(2)), ljTyped(row.Insert, 1, row.BigInt(1)))
	if dl := h.DeadLetters(); len(dl) != 1 || dl[0].Offset != 0 || !strings.Contains(string(dl[0].Header(stream.HeaderReason)), "lookup_bad_value") {
		t.Errorf("dead letters %s", st.Dump(dl))
	}
	if got := h.Output("out"); len(got) != 2 {
		t.Errorf("output %v", ljRowsOf(got))
	}
}

// Async lookups: results in input order whatever the order lookups finish
// in, at most AsyncCapacity in flight; a checkpoint waits for every lookup
// in flight and commits its output (nothing is in flight across it).
func TestLookupJoinAsync(t *testing.T) {
	m := ljNewMemTable()
	for k := range 50 {
		m.add(fmt.Sprint(k), row.BigInt(int64(k)), row.String(fmt.Sprint("v", k)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	delays := map[string]time.Duration{}
	for k := range 50 {
		delays[fmt.Sprint(k)] = time.Duration(rng.IntN(3000)) * time.Microsecond
	}
	m.delay = func(k string) time.Duration { return delays[k] }
	h := ljNewHarness(t, exec.LookupJoinSpec{Table: "async", Left: true, KeyCols: []int{1}, Source: m, RightWidth: 2, Async: true, AsyncCapacity: 8})
	var w []string
	for i := range 300 {
		k := int64(rng.IntN(60)) // keys 50..59 miss
		rec := ljTyped(row.Insert, int64(i), row.BigInt(int64(i)), row.BigInt(k))
		if err := h.Process(rec); err != nil {
			t.Fatal(err)
		}
		if k < 50 {
			w = append(w, fmt.Sprintf("+I[%d, %d, %d, v%d] @%d", i, k, k, k, 1000+i))
		} else {
			w = append(w, fmt.Sprintf("+I[%d, %d, NULL, NULL] @%d", i, k, 1000+i))
		}
		if i == 150 {
			if err := h.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			if n := len(h.Output("out")); n != 151 {
				t.Fatalf("the checkpoint after row 150 committed %d rows, ljWant 151", n)
			}
		}
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	ljWant(t, "async output", ljRowsOf(h.Output("out")), w...)
	if n := m.maxInFlight.Load(); n > 8 || n < 2 {
		t.Errorf("%d lookups were in flight at once, ljWant 2 to 8", n)
	}

	// A restore drops what was emitted after the checkpoint and what was
	// in flight: the replay looks the rows up again.
	before := len(h.Output("out"))
	if err := h.Process(ljTyped(row.Insert, 999, row.BigInt(999), row.BigInt(1))); err != nil {
		t.Fatal(err)
	}
	if err := h.Restore(); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.Output("out")); n != before {
		t.Errorf("after a restore: %d rows, ljWant %d", n, before)
	}

	// The async cache loads a hot key once, however many lookups of it
	// are in flight.
	m2 := ljSkuTable()
	m2.delay = func(string) time.Duration { return 5 * time.Millisecond }
	h2 := ljNewHarness(t, exec.LookupJoinSpec{Table: "async_cache", KeyCols: []int{0}, Source: m2, RightWidth: 2, Async: true,
		Cache: connector.LookupCacheOptions{Enabled: true, MaxRows: 10, CacheMissingKey: true}})
	var recs []stream.Record
	for i := range 20 {
		recs = append(recs, ljTyped(row.Insert, int64(i), row.BigInt(2)))
	}
	ljFeed(t, h2, recs...)
	if n := m2.queries.Load(); n != 1 || len(h2.Output("out")) != 20 {
		t.Errorf("%d queries (ljWant 1), %d rows (ljWant 20)", n, len(h2.Output("out")))
	}
}
