package dim_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/dim/dimtest"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
	"github.com/rtdw/rtdw/internal/testenv"
)

func memDB(t testing.TB) *pebble.DB {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: streamtest.Quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPebble(t *testing.T) dim.Store {
	s, err := dim.OpenPebble(memDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPebbleStore(t *testing.T) { dimtest.Run(t, openPebble) }

// redisOpener shares one server between subtests; each gets its own key
// prefix, so the suite also checks that prefixes keep warehouses apart.
func redisOpener(t *testing.T) func(t *testing.T) dim.Store {
	addr := testenv.Redis(t)
	var n atomic.Int64
	return func(t *testing.T) dim.Store {
		s, err := dim.OpenRedis(dim.RedisOptions{Addr: addr, KeyPrefix: fmt.Sprintf("wh%d:", n.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestRedisStore(t *testing.T) { dimtest.Run(t, redisOpener(t)) }
