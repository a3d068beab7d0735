package dim_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/testenv"
)

var ctx = context.Background()

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newCache(t *testing.T, g dim.Getter, o dim.CacheOptions) *dim.Cache {
	c, err := dim.NewCache(g, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func wantGet(t *testing.T, g dim.Getter, table, key, want string) {
	t.Helper()
	row, ok, err := g.Get(ctx, table, key)
	if err != nil {
		t.Fatal(err)
	}
	if want == "" {
		if ok {
			t.Fatalf("Get %s/%s = %s, want missing", table, key, row)
		}
		return
	}
	if !ok || string(row) != want {
		t.Fatalf("Get %s/%s = %s (ok %v), want %s", table, key, row, ok, want)
	}
}

// waitInvalidations polls (generous deadline) until the cache has received
// more than n invalidations: the only wait the Redis tests need.
func waitInvalidations(t *testing.T, c *dim.Cache, n uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.Stats().Invalidations <= n {
		if time.Now().After(deadline) {
			t.Fatalf("no invalidation after %d within 30s", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

const hour = time.Hour // TTL long enough that only invalidation can refresh

func TestCacheInvalidatedInProcess(t *testing.T) {
	s := openPebble(t)
	c := newCache(t, s, dim.CacheOptions{Size: 100, TTL: hour})
	mustDo(t, s.CreateTable(ctx, dim.Table{Name: "dim_sku", Columns: []string{"id", "v"}}))
	wantGet(t, c, "dim_sku", "1", "") // a cached miss...
	mustDo(t, s.Put(ctx, "dim_sku", "1", []byte(`{"id":1,"v":"a"}`)))
	wantGet(t, c, "dim_sku", "1", `{"id":1,"v":"a"}`) // ...dropped when the row appears
	wantGet(t, c, "dim_sku", "1", `{"id":1,"v":"a"}`)
	if st := c.Stats(); st.Hits != 1 || st.Misses != 2 {
		t.Fatalf("stats %+v: want 1 hit, 2 misses", st)
	}
	mustDo(t, s.Put(ctx, "dim_sku", "1", []byte(`{"id":1,"v":"b"}`)))
	wantGet(t, c, "dim_sku", "1", `{"id":1,"v":"b"}`)
	mustDo(t, s.Delete(ctx, "dim_sku", "1"))
	wantGet(t, c, "dim_sku", "1", "")
	mustDo(t, s.Put(ctx, "dim_sku", "2", []byte(`{"id":2}`)))
	wantGet(t, c, "dim_sku", "2", `{"id":2}`)
	mustDo(t, s.DropTable(ctx, "dim_sku"))
	wantGet(t, c, "dim_sku", "2", "")
}

// TestCacheInvalidatedAcrossProcesses: the writer and the reader use
// separate Redis clients, as dim_app and a lookup job in two processes do.
func TestCacheInvalidatedAcrossProcesses(t *testing.T) {
	addr := testenv.Redis(t)
	open := func() *dim.RedisStore {
		s, err := dim.OpenRedis(dim.RedisOptions{Addr: addr, KeyPrefix: "p:"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	writer, reader := open(), open()
	c := newCache(t, reader, dim.CacheOptions{Size: 100, TTL: hour})
	mustDo(t, writer.CreateTable(ctx, dim.Table{Name: "dim_sku", Columns: []string{"id", "v"}}))
	for i := range 20 {
		v := `{"id":1,"v":` + strconv.Itoa(i) + `}`
		before := c.Stats().Invalidations
		mustDo(t, writer.Put(ctx, "dim_sku", "1", []byte(v)))
		waitInvalidations(t, c, before)
		wantGet(t, c, "dim_sku", "1", v)
		wantGet(t, c, "dim_sku", "1", v) // now from the cache
	}
	before := c.Stats().Invalidations
	mustDo(t, writer.DropTable(ctx, "dim_sku"))
	waitInvalidations(t, c, before)
	wantGet(t, c, "dim_sku", "1", "")

	// A lost invalidation: the row changes without a message while the
	// subscription's connection is killed. The resubscription clears the
	// cache, since messages may have been missed meanwhile.
	before = c.Stats().Invalidations
	mustDo(t, writer.CreateTable(ctx, dim.Table{Name: "dim_sku", Columns: []string{"id", "v"}}))
	mustDo(t, writer.Put(ctx, "dim_sku", "1", []byte(`{"id":1,"v":"old"}`)))
	waitInvalidations(t, c, before+1) // both announced
	wantGet(t, c, "dim_sku", "1", `{"id":1,"v":"old"}`)
	raw := redis.NewClient(&redis.Options{Addr: addr})
	defer raw.Close()
	mustDo(t, raw.Set(ctx, "p:dim:dim_sku:1", `{"id":1,"v":"new"}`, 0).Err())
	wantGet(t, c, "dim_sku", "1", `{"id":1,"v":"old"}`) // stale: nobody said
	before = c.Stats().Invalidations
	mustDo(t, raw.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err())
	waitInvalidations(t, c, before)
	wantGet(t, c, "dim_sku", "1", `{"id":1,"v":"new"}`)
}

// hidden hides a store's Notifier: every invalidation is lost.
type hidden struct{ dim.Getter }

func TestCacheTTLBoundsStaleness(t *testing.T) {
	s := openPebble(t)
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	c := newCache(t, hidden{s}, dim.CacheOptions{Size: 100, TTL: time.Minute, Now: func() time.Time { return now }})
	mustDo(t, s.CreateTable(ctx, dim.Table{Name: "d"}))
	mustDo(t, s.Put(ctx, "d", "k", []byte(`{"v":1}`)))
	wantGet(t, c, "d", "k", `{"v":1}`)
	mustDo(t, s.Put(ctx, "d", "k", []byte(`{"v":2}`)))
	now = now.Add(59 * time.Second)
	wantGet(t, c, "d", "k", `{"v":1}`) // within the staleness bound
	now = now.Add(time.Second)
	wantGet(t, c, "d", "k", `{"v":2}`) // never older than the TTL
}

func TestCacheLRU(t *testing.T) {
	s := openPebble(t)
	c := newCache(t, s, dim.CacheOptions{Size: 2, TTL: hour})
	mustDo(t, s.CreateTable(ctx, dim.Table{Name: "d"}))
	for _, k := range []string{"a", "b"} {
		mustDo(t, s.Put(ctx, "d", k, []byte(`{"k":"`+k+`"}`)))
		wantGet(t, c, "d", k, `{"k":"`+k+`"}`)
	}
	wantGet(t, c, "d", "a", `{"k":"a"}`) // a is now the most recent
	wantGet(t, c, "d", "c", "")          // evicts b
	if st := c.Stats(); st.Entries != 2 || st.Misses != 3 || st.Hits != 1 {
		t.Fatalf("stats %+v: want 2 entries, 3 misses, 1 hit", st)
	}
	wantGet(t, c, "d", "a", `{"k":"a"}`)
	wantGet(t, c, "d", "b", `{"k":"b"}`)
	if st := c.Stats(); st.Misses != 4 || st.Hits != 2 {
		t.Fatalf("stats %+v: want b read again (4 misses), a from the cache (2 hits)", st)
	}
}

// racing returns "old" and, while doing so, has the row change (and its
// invalidation processed) before the read returns.
type racing struct {
	c     *dim.Cache
	reads atomic.Int64
}

func (r *racing) Get(context.Context, string, string) ([]byte, bool, error) {
	if r.reads.Add(1) == 1 {
		r.c.Invalidate(dim.Change{Table: "d", Key: "k"})
		return []byte("old"), true, nil
	}
	return []byte("new"), true, nil
}

func TestCacheLoadRacingInvalidation(t *testing.T) {
	r := &racing{}
	c := newCache(t, r, dim.CacheOptions{Size: 10, TTL: hour})
	r.c = c
	wantGet(t, c, "d", "k", "old") // what the read saw, but not cached:
	wantGet(t, c, "d", "k", "new") // the change may be newer than it
	wantGet(t, c, "d", "k", "new")
	if n := r.reads.Load(); n != 2 {
		t.Fatalf("%d store reads, want 2", n)
	}
}

func TestCacheOptions(t *testing.T) {
	s := openPebble(t)
	for _, o := range []dim.CacheOptions{{Size: -1}, {TTL: -time.Second}} {
		if _, err := dim.NewCache(s, o); err == nil {
			t.Errorf("NewCache(%+v): no error", o)
		}
	}
	if _, err := dim.NewCache(nil, dim.CacheOptions{}); err == nil {
		t.Error("NewCache(nil): no error")
	}
}
