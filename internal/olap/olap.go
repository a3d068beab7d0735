package olap

import (
	"context"
	"fmt"
)

// Column of an OLAP table. Type is one of the portable types below; each
// backend maps it to its own.
type Column struct {
	Name string
	Type Type
}

// Type is a portable column type.
type Type string

const (
	String   Type = "string"
	Int64    Type = "int64"
	Decimal  Type = "decimal" // DECIMAL(16,2): money
	Date     Type = "date"    // yyyy-MM-dd
	DateTime Type = "datetime"
)

// Table is a DWS table: rows are upserted by Key, so a re-emitted window
// replaces its row (SPEC §4). PartitionBy names the day column (cur_date).
type Table struct {
	Name        string
	Columns     []Column
	Key         []string
	PartitionBy string
}

// Result is a query's answer: column names and rows of Go values
// (string, int64, float64, time.Time, nil; DecimalString for decimals
// when the query's context asks, WithExactDecimals).
type Result struct {
	Columns []string
	Rows    [][]any
	// Types of the columns where the backend knows them ("" otherwise), so
	// printers format a DATE as yyyy-MM-dd and a DATETIME with its seconds.
	Types []Type
}

// Querier runs read-only SQL (rtdw query, the ADS API). DuckDB and
// PostgreSQL run one statement in a transaction that changes nothing and,
// unless opened with Config.AllowExternalAccess, without access to files,
// extensions, settings or server programs (docs/olap.md, "Queries are
// confined"); the other backends rely on their user's privileges.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (*Result, error)
}

// Sink is a backend DWS rows are loaded into. Every write is an upsert by
// the table's key, so loading a batch twice (a replay after a crash) leaves
// the same rows as loading it once.
type Sink interface {
	Querier
	// EnsureTable creates the table (and database or schema) if missing.
	// A table must be ensured before rows are upserted into it.
	EnsureTable(ctx context.Context, t Table) error
	// Upsert loads rows (JSON objects whose fields are the table's
	// columns: decimals as numbers, dates "yyyy-MM-dd", datetimes
	// "yyyy-MM-dd HH:mm:ss") into table, replacing rows with the same key;
	// the last row of a key in rows wins. It is atomic on every backend
	// but ClickHouse, whose merges make a partial load harmless. Rows
	// that do not decode (DecodeRow) fail the whole call: callers
	// validate first (LoadJob dead-letters them).
	Upsert(ctx context.Context, table string, rows [][]byte) error
	Close() error
}

// Deleter is a Sink that also deletes rows by key: PostgreSQL, Doris,
// StarRocks and ClickHouse (lightweight DELETE), DuckDB. The
// rtdw-olap connector applies -D rows through it (the load job's records
// with HeaderOp = OpDelete).
// DecodedUpserter is a Sink that can take rows decoded already: the load
// job decodes every row to find its key, and Upsert would decode it again.
// UpsertDecoded is Upsert of rows (distinct keys), of which decoded[i] is
// DecodeRow(t, rows[i]); a sink whose table of that name has other
// columns than t (another definition ensured it first) decodes rows. The
// load job gives it no label (WithLabel): a sink that dedupes replayed
// loads by label (Stream Load, ClickHouse) takes JSON.
type DecodedUpserter interface {
	UpsertDecoded(ctx context.Context, t *Table, rows [][]byte, decoded [][]any) error
}

type Deleter interface {
	// Delete removes the rows of table whose keys are those of keys (JSON
	// objects holding at least the table's key columns, decoded as by
	// DecodeRow); a missing key is no error, so deleting twice is
	// deleting once.
	Delete(ctx context.Context, table string, keys [][]byte) error
}

// HeaderOp marks a load job record that is not an upsert: OpDelete (its
// value holds the key columns of the row to delete).
const (
	HeaderOp = "rtdw.olap.op"
	OpDelete = "delete"
)

// Validate checks that the table is usable: named columns of known types,
// a key of existing columns, a partition column of type date.
func (t *Table) Validate() error {
	if !identRE.MatchString(t.Name) {
		return fmt.Errorf("olap: table name %q must match %s", t.Name, identRE)
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("olap: table %s has no columns", t.Name)
	}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if !identRE.MatchString(c.Name) {
			return fmt.Errorf("olap: table %s: column name %q must match %s", t.Name, c.Name, identRE)
		}
		if seen[c.Name] {
			return fmt.Errorf("olap: table %s: duplicate column %s", t.Name, c.Name)
		}
		seen[c.Name] = true
		switch c.Type {
		case String, Int64, Decimal, Date, DateTime:
		default:
			return fmt.Errorf("olap: table %s: column %s has unknown type %q", t.Name, c.Name, c.Type)
		}
	}
	if len(t.Key) == 0 {
		return fmt.Errorf("olap: table %s has no key", t.Name)
	}
	for i, k := range t.Key {
		// Doris, StarRocks and ClickHouse need the key columns first, in order.
		if i >= len(t.Columns) || t.Columns[i].Name != k {
			return fmt.Errorf("olap: table %s: key column %s must be column %d (keys lead the column list)", t.Name, k, i+1)
		}
	}
	if t.PartitionBy != "" {
		c, ok := t.Column(t.PartitionBy)
		if !ok || c.Type != Date {
			return fmt.Errorf("olap: table %s: partition column %s must be a key column of type date", t.Name, t.PartitionBy)
		}
		if !t.IsKey(t.PartitionBy) {
			return fmt.Errorf("olap: table %s: partition column %s must be part of the key", t.Name, t.PartitionBy)
		}
	}
	return nil
}

// Column returns the named column.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// IsKey reports whether the named column is part of the key.
func (t *Table) IsKey(name string) bool {
	for _, k := range t.Key {
		if k == name {
			return true
		}
	}
	return false
}

// ColumnNames lists the table's columns in order.
func (t *Table) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}
