package dim

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
)

// Errors a Store returns (wrapped; test with errors.Is).
var (
	ErrNoTable  = errors.New("no such dimension table")
	ErrBadName  = errors.New("bad dimension table name")
	ErrBadRow   = errors.New("dimension row is not a JSON object")
	ErrEmptyKey = errors.New("empty dimension row key")
)

// Change announces a row change; Key "" means the whole table (created,
// re-columned or dropped).
type Change struct{ Table, Key string }

// Notifier is a Store that announces changes, so caches can drop them.
type Notifier interface {
	// Subscribe calls fn for each change after it is visible to Get (fn
	// must be quick and must not call the store). A Change with an empty
	// Table means changes may have been missed: drop everything.
	// cancel stops the calls.
	Subscribe(fn func(Change)) (cancel func())
}

// validTable accepts names usable in every backend's key layout: letters,
// digits, '_', '-' and '.', at most 128 bytes (no ':' or 0x00, the layouts'
// separators, and no glob characters for Redis SCAN patterns).
func validTable(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("%w %q: 1 to 128 bytes", ErrBadName, name)
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		default:
			return fmt.Errorf("%w %q: letters, digits, '_', '-' and '.' only", ErrBadName, name)
		}
	}
	return nil
}

func validKey(key string) error {
	if key == "" {
		return ErrEmptyKey
	}
	return nil
}

// tableMeta is what a backend stores per table (rows are counted live).
type tableMeta struct {
	Columns []string `json:"columns"`
	RowKey  string   `json:"row_key"`
}

func encodeMeta(t Table) []byte {
	b, _ := json.Marshal(tableMeta{Columns: t.Columns, RowKey: t.RowKey}) // strings only: cannot fail
	return b
}

func decodeMeta(name string, b []byte) (Table, error) {
	var m tableMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return Table{}, fmt.Errorf("dim: table %q: corrupt meta: %w", name, err)
	}
	return Table{Name: name, Columns: m.Columns, RowKey: m.RowKey}, nil
}

// project restricts row to columns, in column order; columns the row lacks
// are left out (a lookup reads them as null). No columns keeps every field.
func project(row []byte, columns []string) ([]byte, error) {
	if !json.Valid(row) { // strict: fastjson alone is lenient
		return nil, ErrBadRow
	}
	var p fastjson.Parser
	v, err := p.ParseBytes(row)
	if err != nil {
		return nil, ErrBadRow
	}
	o, err := v.Object()
	if err != nil {
		return nil, ErrBadRow
	}
	out := make([]byte, 0, len(row))
	out = append(out, '{')
	if len(columns) == 0 {
		o.Visit(func(k []byte, v *fastjson.Value) {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = jsonw.AppendString(out, k)
			out = append(out, ':')
			out = jsonw.AppendValue(out, v)
		})
	} else {
		for _, c := range columns {
			f := o.Get(c)
			if f == nil {
				continue
			}
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = jsonw.AppendString(out, []byte(c))
			out = append(out, ':')
			out = jsonw.AppendValue(out, f)
		}
	}
	return append(out, '}'), nil
}

// subscribers is the in-process fan-out of changes.
type subscribers struct {
	mu   sync.RWMutex
	next int
	fns  map[int]func(Change)
}

func (s *subscribers) add(fn func(Change)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fns == nil {
		s.fns = map[int]func(Change){}
	}
	id := s.next
	s.next++
	s.fns[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.fns, id)
		s.mu.Unlock()
	}
}

func (s *subscribers) notify(c Change) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, fn := range s.fns {
		fn(c)
	}
}
