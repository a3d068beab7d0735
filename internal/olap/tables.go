package olap

import (
	"fmt"
	"slices"
)

// Tables is a sink's registry of the tables EnsureTable ensured, in which
// each write looks its table up and decodes its batch, so every backend
// refuses a table it was not given, and a bad batch, in the same words
// (prefixed by the backend's name). It has no lock: the sink's mutex
// guards it as it guarded the sink's own map, and a sink that holds the
// mutex only for the lookup (ClickHouse, Stream Load) decodes the Entry
// after unlocking, so concurrent writes decode in parallel.
type Tables struct {
	backend string
	m       map[string]*Table
}

// NewTables makes the empty registry of a backend (duckdb, postgres, ...).
func NewTables(backend string) *Tables {
	return &Tables{backend: backend, m: map[string]*Table{}}
}

// Put records an ensured table.
func (ts *Tables) Put(t *Table) { ts.m[t.Name] = t }

// Get returns the named table if it was ensured.
func (ts *Tables) Get(name string) (*Table, bool) {
	t, ok := ts.m[name]
	return t, ok
}

// Lookup finds the named table for a write.
func (ts *Tables) Lookup(name string) Entry {
	return Entry{Table: ts.m[name], name: name, backend: ts.backend}
}

// Entry is a table looked up for a write: Table is nil if it was not
// ensured.
type Entry struct {
	Table   *Table
	name    string
	backend string
}

// Batch decodes rows (keys for a delete) as DecodeBatch does, for a
// write that op names in the error of a table not ensured (loading,
// deleting). A nil batch means there is nothing to write: err says why,
// or is nil when the batch is empty.
func (e Entry) Batch(op string, rows [][]byte) (*Table, [][]any, error) {
	if e.Table == nil {
		return nil, nil, e.notEnsured(op)
	}
	batch, err := DecodeBatch(e.Table, rows)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", e.backend, err)
	}
	if len(batch) == 0 {
		return nil, nil, nil
	}
	return e.Table, batch, nil
}

// Decoded is Batch for rows that decoded holds decoded by t's
// definition, of distinct keys: those, unless the table was ensured with
// other columns (then rows are decoded by its own).
func (e Entry) Decoded(t *Table, rows [][]byte, decoded [][]any) (*Table, [][]any, error) {
	if e.Table == nil || !slices.Equal(e.Table.Columns, t.Columns) || !slices.Equal(e.Table.Key, t.Key) {
		return e.Batch("loading", rows)
	}
	if len(decoded) == 0 {
		return nil, nil, nil
	}
	return e.Table, decoded, nil
}

// Versioned decodes rows (or keys) with their versions as DecodeVersioned
// does; a nil batch means there is nothing to write, as for Batch.
// Versioned upserts and deletes alike are "loading" in the error of a
// table not ensured.
func (e Entry) Versioned(rows [][]byte, versions []uint64) (*Table, *VersionedBatch, error) {
	if e.Table == nil {
		return nil, nil, e.notEnsured("loading")
	}
	vb, err := DecodeVersioned(e.Table, rows, versions)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", e.backend, err)
	}
	if len(vb.Rows) == 0 {
		return nil, nil, nil
	}
	return e.Table, vb, nil
}

func (e Entry) notEnsured(op string) error {
	return fmt.Errorf("%s: table %s was not ensured before %s", e.backend, e.name, op)
}
