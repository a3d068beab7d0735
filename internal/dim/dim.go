package dim

import "context"

// Table describes one dimension table.
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	RowKey  string   `json:"row_key"`
	Rows    int64    `json:"rows"` // approximate where the backend cannot count cheaply
}

// Store is a dimension store backend.
type Store interface {
	// CreateTable creates a table or, when it exists, sets its column set
	// without losing rows (later Puts restrict rows to the new columns).
	CreateTable(ctx context.Context, t Table) error
	// DropTable removes a table and its rows.
	DropTable(ctx context.Context, table string) error
	// Put upserts one row (a JSON object) under key.
	Put(ctx context.Context, table, key string, row []byte) error
	// Delete removes one row; deleting a missing row is not an error.
	Delete(ctx context.Context, table, key string) error
	// Get reads one row: ok=false when table or row is missing.
	Get(ctx context.Context, table, key string) (row []byte, ok bool, err error)
	// Tables lists the tables.
	Tables(ctx context.Context) ([]Table, error)
	Close() error
}

// Getter is what lookups read through (a Store, usually behind a Cache).
type Getter interface {
	Get(ctx context.Context, table, key string) (row []byte, ok bool, err error)
}
