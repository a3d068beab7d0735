package olap

import (
	"context"
	"fmt"
	"strings"
)

// HasTable reports whether the database has table name, from
// information_schema.tables (DuckDB, PostgreSQL, Doris, StarRocks and
// ClickHouse all have it). The load path uses it to notice a table the
// database lost (a deleted DuckDB file, a dropped table) while the load
// job's offsets say its rows were loaded: the rows are then reloaded from
// the table's topic rather than silently missing.
func HasTable(ctx context.Context, q Querier, name string) (bool, error) {
	res, err := q.Query(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = '"+strings.ReplaceAll(name, "'", "''")+"'")
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
