package olap

import (
	"context"
	"fmt"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// HasTable reports whether the database has table name, from
// information_schema.tables (DuckDB, PostgreSQL, Doris, StarRocks and
// ClickHouse all have it). The load path uses it to notice a table the
// database lost (a deleted DuckDB file, a dropped table) while the load
// job's offsets say its rows were loaded: the rows are then reloaded from
// the table's topic rather than silently missing. A sink that tells its
// schema (SchemaOwner) is asked about that schema only: a table of the
// same name in another schema or database does not hide a lost one.
func HasTable(ctx context.Context, q Querier, name string) (bool, error) {
	sql := "SELECT count(*) FROM information_schema.tables WHERE table_name = " + ast.QuoteString(name)
	if so, ok := q.(SchemaOwner); ok {
		sql += " AND table_schema = " + ast.QuoteString(so.TableSchema())
	}
	res, err := q.Query(ctx, sql)
	if err != nil {
		return false, fmt.Errorf("olap: looking for table %s: %w", name, err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return false, fmt.Errorf("olap: looking for table %s: unexpected answer %v", name, res.Rows)
	}
	switch n := res.Rows[0][0].(type) {
	case int64:
		return n > 0, nil
	case int32:
		return n > 0, nil
	case uint64:
		return n > 0, nil
	case float64:
		return n > 0, nil
	default:
		return fmt.Sprint(n) != "0", nil
	}
}

// SchemaOwner is a sink whose tables live in one schema (PostgreSQL, DuckDB)
// or database (ClickHouse, Doris, StarRocks): information_schema's
// table_schema for them.
type SchemaOwner interface{ TableSchema() string }
