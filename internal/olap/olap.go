// Package olap is the interface between DWS jobs and the analytical
// database their rows land in (DuckDB embedded by default; PostgreSQL,
// Doris/StarRocks Stream Load and ClickHouse in cluster deployments), and
// what `rtdw query` and the ADS dashboard read through.
package olap

import "context"

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
// (string, int64, float64, time.Time, nil).
type Result struct {
	Columns []string
	Rows    [][]any
}

// Querier runs read-only SQL (rtdw query, the ADS API).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (*Result, error)
}
