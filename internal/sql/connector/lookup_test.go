package connector

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// The cache options as Flink reads them: PARTIAL with its options, the
// legacy options winning over lookup.cache, NONE by default; bad values
// name the option.
func TestLookupOptions(t *testing.T) {
	f := jdbcFactory
	opts := func(kv ...string) *Table {
		m := map[string]string{"connector": "jdbc", "url": "jdbc:mysql://db:3306/shop", "table-name": "sku"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return tbl("sku", "id BIGINT, name STRING", m)
	}
	for _, c := range []struct {
		kv   []string
		want string
	}{
		{nil, "{Cache:{Enabled:false MaxRows:0 ExpireAfterWrite:0s ExpireAfterAccess:0s CacheMissingKey:false} Async:false AsyncCapacity:100 MaxRetries:3}"},
		{[]string{"lookup.cache", "PARTIAL", "lookup.partial-cache.max-rows", "500", "lookup.partial-cache.expire-after-write", "10 min",
			"lookup.partial-cache.expire-after-access", "30s", "lookup.partial-cache.cache-missing-key", "false", "lookup.max-retries", "0", "lookup.async", "true"},
			"{Cache:{Enabled:true MaxRows:500 ExpireAfterWrite:10m0s ExpireAfterAccess:30s CacheMissingKey:false} Async:true AsyncCapacity:100 MaxRetries:0}"},
		{[]string{"lookup.cache", "partial", "lookup.partial-cache.expire-after-write", "1 h"},
			"{Cache:{Enabled:true MaxRows:0 ExpireAfterWrite:1h0m0s ExpireAfterAccess:0s CacheMissingKey:true} Async:false AsyncCapacity:100 MaxRetries:3}"},
		// Legacy: max-rows alone (ttl defaults to 10 s), and winning over lookup.cache.
		{[]string{"lookup.cache.max-rows", "1000"},
			"{Cache:{Enabled:true MaxRows:1000 ExpireAfterWrite:10s ExpireAfterAccess:0s CacheMissingKey:true} Async:false AsyncCapacity:100 MaxRetries:3}"},
		{[]string{"lookup.cache", "NONE", "lookup.cache.max-rows", "5", "lookup.cache.ttl", "1 min", "lookup.cache.caching-missing-key", "false"},
			"{Cache:{Enabled:true MaxRows:5 ExpireAfterWrite:1m0s ExpireAfterAccess:0s CacheMissingKey:false} Async:false AsyncCapacity:100 MaxRetries:3}"},
		// Partial-cache options without lookup.cache = PARTIAL are ignored, as Flink.
		{[]string{"lookup.partial-cache.max-rows", "5"},
			"{Cache:{Enabled:false MaxRows:0 ExpireAfterWrite:0s ExpireAfterAccess:0s CacheMissingKey:false} Async:false AsyncCapacity:100 MaxRetries:3}"},
		{[]string{"lookup.cache", "PARTIAL"}, "'lookup.cache' = 'PARTIAL' needs at least one of 'lookup.partial-cache.max-rows'"},
		{[]string{"lookup.cache", "FULL"}, "'lookup.cache' = 'FULL' is not supported"},
		{[]string{"lookup.cache", "SOME"}, "'lookup.cache' = 'SOME': want one of none, partial, full"},
		{[]string{"lookup.max-retries", "-1"}, "'lookup.max-retries' must not be negative"},
		{[]string{"lookup.cache", "PARTIAL", "lookup.partial-cache.expire-after-write", "soon"}, "'lookup.partial-cache.expire-after-write' = 'soon': not a duration"},
		{[]string{"lookup.async", "maybe"}, "'lookup.async' = 'maybe': not a boolean"},
	} {
		o, err := parseLookupOptions(f, opts(c.kv...))
		got := fmt.Sprintf("%+v", o)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%v:\ngot  %s\nwant %s", c.kv, got, c.want)
		}
	}
}

func rowsText(rows []row.Row) string {
	var s []string
	for _, r := range rows {
		s = append(s, r.String())
	}
	return strings.Join(s, " ")
}

// The cache: LRU beyond MaxRows, expiry after write and after access,
// missing keys only with CacheMissingKey, one load per key for concurrent
// callers, errors never cached.
func TestLookupCache(t *testing.T) {
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	r := func(s string) []row.Row { return []row.Row{row.NewRow(row.Insert, row.String(s))} }

	if NewLookupCache(LookupCacheOptions{}, clock) != nil {
		t.Fatal("a disabled cache must be nil")
	}
	c := NewLookupCache(LookupCacheOptions{Enabled: true, MaxRows: 2, ExpireAfterWrite: 10 * time.Second, ExpireAfterAccess: 4 * time.Second}, clock)
	c.Put("a", r("A"))
	c.Put("b", r("B"))
	c.Get("a") // b is now the least recently used
	c.Put("c", r("C"))
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been evicted (LRU)")
	}
	now = now.Add(3 * time.Second)
	if got, ok := c.Get("a"); !ok || rowsText(got) != "+I[A]" {
		t.Errorf("a: %v %v", got, ok)
	}
	now = now.Add(3 * time.Second) // c: 6 s since its last access
	if _, ok := c.Get("c"); ok {
		t.Error("c should have expired after access")
	}
	if _, ok := c.Get("a"); !ok {
		t.Error("a expired too early")
	}
	now = now.Add(3 * time.Second) // a: 3 s since access, 9 s since load
	if _, ok := c.Get("a"); !ok {
		t.Error("a expired too early")
	}
	now = now.Add(time.Second) // a: 10 s since load
	if _, ok := c.Get("a"); ok {
		t.Error("a should have expired after write")
	}
	// Misses: not cached without CacheMissingKey; a Put of nothing drops an entry.
	c.Put("m", nil)
	if _, ok := c.Get("m"); ok {
		t.Error("a missing key was cached")
	}
	c2 := NewLookupCache(LookupCacheOptions{Enabled: true, ExpireAfterWrite: time.Minute, CacheMissingKey: true}, clock)
	c2.Put("m", nil)
	if got, ok := c2.Get("m"); !ok || got != nil {
		t.Errorf("a cached missing key: %v %v", got, ok)
	}
	// Expired entries nobody asks for again are dropped by later writes.
	for i := range 100 {
		c2.Put(fmt.Sprint(i), r("x"))
		now = now.Add(time.Second)
	}
	if n := c2.Len(); n > 61 {
		t.Errorf("%d entries kept, want at most 61 (one minute of writes)", n)
	}

	// Concurrent loads of one key share one call; errors are not cached.
	c3 := NewLookupCache(LookupCacheOptions{Enabled: true, MaxRows: 10}, nil)
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, _, err := c3.Load("k", func() ([]row.Row, error) {
				calls.Add(1)
				<-release
				return r("K"), nil
			})
			if err != nil || rowsText(rows) != "+I[K]" {
				t.Errorf("load: %v %v", rows, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d loads of one key, want 1", n)
	}
	if _, hit, _ := c3.Load("k", nil); !hit {
		t.Error("the loaded key is not cached")
	}
	boom := errors.New("down")
	if _, _, err := c3.Load("e", func() ([]row.Row, error) { return nil, boom }); err != boom {
		t.Errorf("error %v", err)
	}
	if _, ok := c3.Get("e"); ok {
		t.Error("an error was cached")
	}
	// A panicking loader releases its waiters.
	func() {
		defer func() { recover() }()
		c3.Load("p", func() ([]row.Row, error) { panic("bug") })
	}()
	if _, _, err := c3.Load("p", func() ([]row.Row, error) { return r("P"), nil }); err != nil {
		t.Errorf("after a panic: %v", err)
	}
}

// Database values read into the DDL's types.
func TestSQLValue(t *testing.T) {
	sh := shanghai(t)
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	for _, c := range []struct {
		v    any
		typ  string
		want string
	}{
		{nil, "INT", "NULL"},
		{int64(7), "INT", "7"},
		{int64(1 << 40), "INT", "error: 1099511627776 is out of the range of INT"},
		{[]byte("42"), "BIGINT", "42"},
		{"12.0", "BIGINT", "12"},
		{"x", "BIGINT", `error: cannot read "x" as BIGINT`},
		{[]byte("9.905"), "DECIMAL(10, 2)", "9.91"},
		{"123456789.1", "DECIMAL(5, 2)", `error: cannot read "123456789.1" as DECIMAL(5, 2)`},
		{1.5, "DECIMAL(10, 2)", "1.50"},
		{float32(0.25), "DOUBLE", "0.25"},
		{int64(1), "BOOLEAN", "true"},
		{[]byte("0"), "BOOLEAN", "false"},
		{"t", "BOOLEAN", "true"},
		{true, "INT", "1"},
		{true, "STRING", "TRUE"},
		{int64(5), "STRING", "5"},
		{[]byte("abc"), "STRING", "abc"},
		{[]byte{0, 1}, "BYTES", "x'0001'"},
		{"2024-01-02", "DATE", "2024-01-02"},
		{"2024-01-02 03:04:05", "DATE", "2024-01-02"},
		{ts, "DATE", "2024-01-02"},
		{"03:04:05.5", "TIME(1)", "03:04:05.5"},
		{ts, "TIME(3)", "03:04:05.123"},
		{[]byte("2024-01-02 03:04:05.123456"), "TIMESTAMP(3)", "2024-01-02 03:04:05.123"},
		{"2024-01-02T03:04:05", "TIMESTAMP(3)", "2024-01-02 03:04:05"},
		{ts, "TIMESTAMP(6)", "2024-01-02 03:04:05.123456"},
		{ts.In(sh), "TIMESTAMP(0)", "2024-01-02 11:04:05"}, // its own wall clock
		{ts.In(sh), "TIMESTAMP_LTZ(3)", "2024-01-02 03:04:05.123Z"},
		{"2024-01-02 11:04:05", "TIMESTAMP_LTZ(0)", "2024-01-02 03:04:05Z"}, // in the zone given (Shanghai)
		{[16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}, "STRING", "12345678-9abc-def0-0102-030405060708"},
		{map[string]any{"a": 1.0}, "STRING", `{"a":1}`},
		{"x", "ARRAY<INT>", "error: type ARRAY<INT> is not supported"},
	} {
		typ := row.MustParseType(c.typ)
		v, err := sqlValue(c.v, typ, sh)
		got := v.String()
		if err != nil {
			got = "error: " + err.Error()
		} else if !v.IsNull() && v.Kind() != typ.Kind {
			got = fmt.Sprintf("kind %v", v.Kind())
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("sqlValue(%#v, %s) = %s, want %s", c.v, c.typ, got, c.want)
		}
	}
	// Keys converted to the column's type; a key that is no value of it matches nothing.
	for _, c := range []struct {
		v    row.Value
		typ  string
		want string
	}{
		{row.Int(5), "BIGINT", "5"},
		{row.String("5"), "BIGINT", "5"},
		{row.String("x"), "BIGINT", "none"},
		{row.DecimalValue(row.MustDecimal("5.00", 5, 2)), "INT", "5"},
		{row.DecimalValue(row.MustDecimal("5.50", 5, 2)), "INT", "none"},
		{row.BigInt(7), "STRING", "7"},
		{row.Timestamp(0, 0), "STRING", "1970-01-01 00:00:00"},
	} {
		v, ok := keyAs(c.v, row.MustParseType(c.typ), time.UTC)
		got := v.String()
		if !ok {
			got = "none"
		}
		if got != c.want {
			t.Errorf("keyAs(%v, %s) = %s, want %s", c.v, c.typ, got, c.want)
		}
	}
}
