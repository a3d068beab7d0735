package dim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configures OpenRedis.
type RedisOptions struct {
	Addr      string // host:port
	Password  string
	DB        int
	KeyPrefix string // prepended to every key and the channel (several warehouses on one server)
	// Logger receives subscription problems (nil: slog.Default()).
	Logger *slog.Logger
}

func (o *RedisOptions) validate() error {
	if o.Addr == "" {
		return errors.New("dim: redis addr is required")
	}
	if o.DB < 0 {
		return fmt.Errorf("dim: redis db %d must not be negative", o.DB)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// RedisStore keeps dimension tables in Redis: one string per row (the
// projected JSON), a hash of table metas, and a pub/sub channel announcing
// changes to every process's caches (key layout in doc.go).
type RedisStore struct {
	c      *redis.Client
	prefix string
	log    *slog.Logger
}

// OpenRedis connects to Redis and checks it answers.
func OpenRedis(opts RedisOptions) (*RedisStore, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	c := redis.NewClient(&redis.Options{Addr: opts.Addr, Password: opts.Password, DB: opts.DB})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("dim: redis %s: %w", opts.Addr, err)
	}
	return &RedisStore{c: c, prefix: opts.KeyPrefix, log: opts.Logger}, nil
}

func (s *RedisStore) tablesKey() string               { return s.prefix + "dim:tables" }
func (s *RedisStore) channel() string                 { return s.prefix + "dim:invalidate" }
func (s *RedisStore) rowKey(table, key string) string { return s.prefix + "dim:" + table + ":" + key }

func changeMsg(table, key string) string { return table + "\x00" + key }

// putScript writes a row only while its table exists, atomically with
// respect to DropTable (which removes the table before its rows), so a Put
// racing a drop cannot leave an orphan row; then it announces the change.
// KEYS: tables hash, row key, channel. ARGV: table, row, message.
var putScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PUBLISH', KEYS[3], ARGV[3])
return 1`)

// CreateTable implements Store.
func (s *RedisStore) CreateTable(ctx context.Context, t Table) error {
	if err := validTable(t.Name); err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.tablesKey(), t.Name, encodeMeta(t))
		p.Publish(ctx, s.channel(), changeMsg(t.Name, ""))
		return nil
	})
	if err != nil {
		return fmt.Errorf("dim: create table %s: %w", t.Name, err)
	}
	return nil
}

// DropTable implements Store: the table leaves the registry first (Get
// then reports it missing and Put refuses it), then its rows are deleted
// with SCAN (never KEYS, which blocks the server).
func (s *RedisStore) DropTable(ctx context.Context, table string) error {
	if err := validTable(table); err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	if err := s.c.HDel(ctx, s.tablesKey(), table).Err(); err != nil {
		return fmt.Errorf("dim: drop table %s: %w", table, err)
	}
	err := s.scanRows(ctx, table, func(keys []string) error { return s.c.Unlink(ctx, keys...).Err() })
	if err == nil {
		err = s.c.Unlink(ctx, s.seqKey(table)).Err()
	}
	if err == nil {
		err = s.c.Publish(ctx, s.channel(), changeMsg(table, "")).Err()
	}
	if err != nil {
		return fmt.Errorf("dim: drop table %s: %w", table, err)
	}
	return nil
}

// scanRows calls fn with batches of the table's row keys.
func (s *RedisStore) scanRows(ctx context.Context, table string, fn func([]string) error) error {
	match := globEscape(s.rowKey(table, "")) + "*"
	var cursor uint64
	for {
		keys, next, err := s.c.Scan(ctx, cursor, match, 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// globEscape quotes Redis glob characters (the prefix is free text).
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *RedisStore) table(ctx context.Context, name string) (Table, bool, error) {
	m, err := s.c.HGet(ctx, s.tablesKey(), name).Bytes()
	if errors.Is(err, redis.Nil) {
		return Table{}, false, nil
	}
	if err != nil {
		return Table{}, false, err
	}
	t, err := decodeMeta(name, m)
	return t, err == nil, err
}

// Put implements Store: row is restricted to the table's columns.
func (s *RedisStore) Put(ctx context.Context, table, key string, row []byte) error {
	if err := s.put(ctx, table, key, row); err != nil {
		return fmt.Errorf("dim: put %s/%s: %w", table, key, err)
	}
	return nil
}

func (s *RedisStore) put(ctx context.Context, table, key string, row []byte) error {
	if err := validKey(key); err != nil {
		return err
	}
	t, ok, err := s.table(ctx, table)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoTable
	}
	v, err := project(row, t.Columns)
	if err != nil {
		return err
	}
	n, err := putScript.Run(ctx, s.c, []string{s.tablesKey(), s.rowKey(table, key), s.channel()},
		table, v, changeMsg(table, key)).Int()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNoTable // dropped since we read its columns
	}
	return nil
}

// Delete implements Store.
func (s *RedisStore) Delete(ctx context.Context, table, key string) error {
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.rowKey(table, key))
		p.Publish(ctx, s.channel(), changeMsg(table, key))
		return nil
	})
	if err != nil {
		return fmt.Errorf("dim: delete %s/%s: %w", table, key, err)
	}
	return nil
}

// Get implements Store: one round trip for the table check and the row.
func (s *RedisStore) Get(ctx context.Context, table, key string) ([]byte, bool, error) {
	var exists *redis.BoolCmd
	var row *redis.StringCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.HExists(ctx, s.tablesKey(), table)
		row = p.Get(ctx, s.rowKey(table, key))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, false, fmt.Errorf("dim: get %s/%s: %w", table, key, err)
	}
	if !exists.Val() {
		return nil, false, nil
	}
	v, err := row.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("dim: get %s/%s: %w", table, key, err)
	}
	return v, true, nil
}

// Tables implements Store; Rows is counted with SCAN (exact when no writes
// run meanwhile).
func (s *RedisStore) Tables(ctx context.Context) ([]Table, error) {
	all, err := s.c.HGetAll(ctx, s.tablesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("dim: tables: %w", err)
	}
	var ts []Table
	for name, m := range all {
		t, err := decodeMeta(name, []byte(m))
		if err != nil {
			return nil, err
		}
		// A key containing the table's row prefix is one of its rows:
		// table names contain no ':'.
		err = s.scanRows(ctx, name, func(keys []string) error { t.Rows += int64(len(keys)); return nil })
		if err != nil {
			return nil, fmt.Errorf("dim: tables: %w", err)
		}
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, nil
}

// Subscribe implements Notifier over Redis pub/sub, so changes written by
// any process reach this one. It waits (briefly) for the subscription to
// be active, so changes written after it returns are seen. Every
// (re)subscription, including a reconnect after messages may have been
// lost, is announced as Change{} (drop everything).
func (s *RedisStore) Subscribe(fn func(Change)) func() {
	ctx := context.Background()
	ps := s.c.Subscribe(ctx, s.channel())
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if _, err := ps.Receive(wctx); err != nil {
		// The channel below reconnects and resubscribes; until then the
		// cache's TTL bounds staleness.
		s.log.Warn("dim: redis subscription not confirmed yet", "channel", s.channel(), "err", err)
	}
	cancel()
	ch := ps.ChannelWithSubscriptions()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range ch {
			switch m := m.(type) {
			case *redis.Subscription:
				fn(Change{})
			case *redis.Message:
				table, key, ok := strings.Cut(m.Payload, "\x00")
				if !ok {
					s.log.Warn("dim: ignoring malformed invalidation", "channel", s.channel(), "payload", m.Payload)
					continue
				}
				fn(Change{Table: table, Key: key})
			}
		}
	}()
	return func() {
		ps.Close()
		<-done
	}
}

// Markers. A writer that fills the store from a log (dim_app from
// topic_db) can leave a marker key next to the rows, <prefix><name>, in
// the same database: a store that lost its keys (a Redis restarted without
// persistence, FLUSHALL or FLUSHDB, another db) lost its marker with them,
// which tells the writer to fill it again.

// HasMarker reports whether the marker key <prefix>name exists.
func (s *RedisStore) HasMarker(ctx context.Context, name string) (bool, error) {
	n, err := s.c.Exists(ctx, s.prefix+name).Result()
	if err != nil {
		return false, fmt.Errorf("dim: marker %s%s: %w", s.prefix, name, err)
	}
	return n > 0, nil
}

// SetMarker sets the marker key <prefix>name; its value, the time it was
// set (RFC 3339), is for people reading the server.
func (s *RedisStore) SetMarker(ctx context.Context, name string) error {
	if err := s.c.Set(ctx, s.prefix+name, time.Now().UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return fmt.Errorf("dim: marker %s%s: %w", s.prefix, name, err)
	}
	return nil
}

// HasTables reports whether any table is registered (one round trip; no
// row is scanned).
func (s *RedisStore) HasTables(ctx context.Context) (bool, error) {
	n, err := s.c.Exists(ctx, s.tablesKey()).Result()
	if err != nil {
		return false, fmt.Errorf("dim: tables: %w", err)
	}
	return n > 0, nil
}

// Close implements Store.
func (s *RedisStore) Close() error { return s.c.Close() }

var (
	_ Store    = (*RedisStore)(nil)
	_ Notifier = (*RedisStore)(nil)
)
