package dim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// nsDim is the Pebble key namespace of dimension tables (see doc.go).
const nsDim = 0x30

// PebbleStore keeps dimension tables in the embedded log's Pebble store.
type PebbleStore struct {
	db    *pebble.DB
	write *pebble.WriteOptions
	// mu orders row writes against table creation and drops, so a Put that
	// raced a DropTable cannot leave an orphan row behind.
	mu sync.RWMutex
	// seqMu serializes guarded writes (WriteSeq: read, compare, write).
	seqMu sync.Mutex
	subs  subscribers
}

// PebbleOption configures OpenPebble.
type PebbleOption func(*PebbleStore)

// PebbleSync makes every row write fsync. By default row writes do not:
// Pebble's WAL is ordered, so the log's next synced checkpoint commit makes
// them durable before the offsets of the records that caused them (and a
// replay after a crash rewrites them anyway: Puts are idempotent). Table
// creation and drops always sync.
func PebbleSync() PebbleOption { return func(s *PebbleStore) { s.write = pebble.Sync } }

// OpenPebble opens the dimension store kept in db (usually the embedded
// log's StateStore). The store does not own db: Close leaves it open.
func OpenPebble(db *pebble.DB, opts ...PebbleOption) (*PebbleStore, error) {
	if db == nil {
		return nil, errors.New("dim: no Pebble store (the embedded log has one; a Kafka-mode log has none: use kind redis)")
	}
	s := &PebbleStore{db: db, write: pebble.NoSync}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func metaKey(table string) []byte { return append([]byte{nsDim, 't'}, table...) }

func rowPrefix(table string) []byte {
	b := make([]byte, 0, len(table)+3)
	b = append(b, nsDim, 'r')
	b = append(b, table...)
	return append(b, 0)
}

func rowKey(table, key string) []byte { return append(rowPrefix(table), key...) }

// prefixEnd is the first key after every key starting with p (p's last
// byte is never 0xff here: table names are ASCII, separators are 0x00).
func prefixEnd(p []byte) []byte {
	e := append([]byte(nil), p...)
	e[len(e)-1]++
	return e
}

func (s *PebbleStore) get(k []byte) ([]byte, bool, error) {
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v = append([]byte(nil), v...)
	closer.Close()
	return v, true, nil
}

// CreateTable implements Store.
func (s *PebbleStore) CreateTable(_ context.Context, t Table) error {
	if err := validTable(t.Name); err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	s.mu.Lock()
	err := s.db.Set(metaKey(t.Name), encodeMeta(t), pebble.Sync)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("dim: create table %s: %w", t.Name, err)
	}
	s.subs.notify(Change{Table: t.Name})
	return nil
}

// DropTable implements Store: the table's meta and rows go in one batch.
func (s *PebbleStore) DropTable(_ context.Context, table string) error {
	if err := validTable(table); err != nil {
		return fmt.Errorf("dim: %w", err)
	}
	s.mu.Lock()
	b := s.db.NewBatch()
	err := b.Delete(metaKey(table), nil)
	if err == nil {
		p := rowPrefix(table)
		err = b.DeleteRange(p, prefixEnd(p), nil)
	}
	if err == nil {
		p := seqPrefix(table)
		err = b.DeleteRange(p, prefixEnd(p), nil)
	}
	if err == nil {
		err = b.Commit(pebble.Sync)
	}
	b.Close()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("dim: drop table %s: %w", table, err)
	}
	s.subs.notify(Change{Table: table})
	return nil
}

func (s *PebbleStore) table(name string) (Table, bool, error) {
	m, ok, err := s.get(metaKey(name))
	if err != nil || !ok {
		return Table{}, ok, err
	}
	t, err := decodeMeta(name, m)
	return t, err == nil, err
}

// Put implements Store: row is restricted to the table's columns.
func (s *PebbleStore) Put(_ context.Context, table, key string, row []byte) error {
	if err := validKey(key); err != nil {
		return fmt.Errorf("dim: put %s: %w", table, err)
	}
	s.mu.RLock()
	err := s.put(table, key, row)
	s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("dim: put %s/%s: %w", table, key, err)
	}
	s.subs.notify(Change{Table: table, Key: key})
	return nil
}

func (s *PebbleStore) put(table, key string, row []byte) error {
	t, ok, err := s.table(table)
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
	return s.db.Set(rowKey(table, key), v, s.write)
}

// Delete implements Store.
func (s *PebbleStore) Delete(_ context.Context, table, key string) error {
	s.mu.RLock()
	err := s.db.Delete(rowKey(table, key), s.write)
	s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("dim: delete %s/%s: %w", table, key, err)
	}
	s.subs.notify(Change{Table: table, Key: key})
	return nil
}

// Get implements Store.
func (s *PebbleStore) Get(_ context.Context, table, key string) ([]byte, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok, err := s.get(metaKey(table)); err != nil || !ok {
		if err != nil {
			return nil, false, fmt.Errorf("dim: get %s/%s: %w", table, key, err)
		}
		return nil, false, nil
	}
	v, ok, err := s.get(rowKey(table, key))
	if err != nil {
		return nil, false, fmt.Errorf("dim: get %s/%s: %w", table, key, err)
	}
	return v, ok, nil
}

// Tables implements Store; Rows is an exact count (a scan of the table).
func (s *PebbleStore) Tables(_ context.Context) ([]Table, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	lo := []byte{nsDim, 't'}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, fmt.Errorf("dim: tables: %w", err)
	}
	var ts []Table
	for it.First(); it.Valid(); it.Next() {
		name := string(it.Key()[len(lo):])
		t, err := decodeMeta(name, it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		ts = append(ts, t)
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("dim: tables: %w", err)
	}
	for i := range ts {
		p := rowPrefix(ts[i].Name)
		rit, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return nil, fmt.Errorf("dim: tables: %w", err)
		}
		for rit.First(); rit.Valid(); rit.Next() {
			ts[i].Rows++
		}
		if err := rit.Close(); err != nil {
			return nil, fmt.Errorf("dim: tables: %w", err)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, nil
}

// Subscribe implements Notifier: changes are announced in process, after
// the write, on the writer's goroutine.
func (s *PebbleStore) Subscribe(fn func(Change)) func() { return s.subs.add(fn) }

// Close implements Store; the Pebble store stays open (the log owns it).
func (s *PebbleStore) Close() error { return nil }

var (
	_ Store    = (*PebbleStore)(nil)
	_ Notifier = (*PebbleStore)(nil)
)
