package dim_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/testenv"
)

// Markers live under the store's key prefix in its db, so warehouses
// sharing a server keep theirs apart, and FLUSHDB takes them with the rows.
func TestRedisMarker(t *testing.T) {
	ctx := context.Background()
	addr := testenv.Redis(t)
	open := func(prefix string, db int) *dim.RedisStore {
		t.Helper()
		s, err := dim.OpenRedis(dim.RedisOptions{Addr: addr, KeyPrefix: prefix, DB: db})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b, other := open("a:", 0), open("b:", 0), open("a:", 1)
	has := func(s *dim.RedisStore) bool {
		t.Helper()
		ok, err := s.HasMarker(ctx, "dim_app:loaded")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	tables := func(s *dim.RedisStore) bool {
		t.Helper()
		ok, err := s.HasTables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if has(a) || tables(a) {
		t.Fatal("a new store has a marker or tables")
	}
	if err := a.SetMarker(ctx, "dim_app:loaded"); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateTable(ctx, dim.Table{Name: "dim_x", Columns: []string{"id"}, RowKey: "id"}); err != nil {
		t.Fatal(err)
	}
	if !has(a) || !tables(a) || has(b) || tables(b) || has(other) || tables(other) {
		t.Fatalf("marker/tables: a %v/%v, b %v/%v, a in db 1 %v/%v: want only a's", has(a), tables(a), has(b), tables(b), has(other), tables(other))
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if v, err := c.Get(ctx, "a:dim_app:loaded").Result(); err != nil || v == "" {
		t.Fatalf("a:dim_app:loaded = %q, %v", v, err)
	}
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if has(a) || tables(a) {
		t.Fatal("FLUSHDB left the marker or the tables")
	}
}
