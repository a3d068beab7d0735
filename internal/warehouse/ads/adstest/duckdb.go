package adstest

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/rtdw/rtdw/internal/olap"
)

// DuckDB returns a querier over an in-memory DuckDB holding Schema and
// Rows; it is closed when the test ends.
func DuckDB(t testing.TB) olap.Querier {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatalf("open duckdb: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	// One connection: an in-memory database lives per connector, and the
	// test's reads must see its writes.
	db.SetMaxOpenConns(1)
	if err := Load(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return SQLQuerier{DB: db}
}

// Load creates the tables and inserts the rows through db.
func Load(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}) error {
	for _, stmt := range statements(Schema + Rows) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("fixture: %w\n%s", err, stmt)
		}
	}
	return nil
}

// statements splits a script at the semicolons that end lines, dropping
// comment lines.
func statements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, strings.TrimSuffix(s, ";"))
			}
			cur.Reset()
		}
	}
	return out
}

// SQLQuerier is an olap.Querier over database/sql, with driver values
// turned into the plain Go values olap.Result promises.
type SQLQuerier struct{ DB *sql.DB }

// Query runs sql and reads every row.
func (q SQLQuerier) Query(ctx context.Context, query string, args ...any) (*olap.Result, error) {
	rows, err := q.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &olap.Result{Columns: cols, Rows: [][]any{}}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = plain(v)
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

func plain(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	case float32:
		return float64(x)
	case *big.Int:
		return x.Int64()
	case duckdb.Decimal:
		return x.Float64()
	case []byte:
		return string(x)
	case time.Time:
		return x
	}
	return v
}
