package mysqlcdc

import (
	"context"
	"database/sql"
	"fmt"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
)

// gtidSetAt returns the server's GTID state at pos, so the reader can
// resume by GTID later. MariaDB computes it from the binlog
// (BINLOG_GTID_POS; "" when no transaction ever had a GTID, which is
// exact too); MySQL reports its executed set with the position itself
// (SHOW MASTER STATUS, see binlogPosition), so pos already carries it.
func (r *reader) gtidSetAt(ctx context.Context, q queryer, pos Position) (string, error) {
	if r.srv.flavor != gmysql.MariaDBFlavor {
		return pos.GTIDSet, nil
	}
	var set sql.NullString
	rows, err := q.QueryContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", pos.File, pos.Pos)
	if err == nil {
		if rows.Next() {
			err = rows.Scan(&set)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		return "", fmt.Errorf("mysqlcdc: GTID state at %s: %w", pos, err)
	}
	if !set.Valid {
		return "", fmt.Errorf("mysqlcdc: GTID state at %s: the server has no such position", pos)
	}
	return set.String, nil
}

// gtidTracker follows the GTID set along the stream: each transaction's
// GTID is added at its end. A tracker that did not start from a known set
// tracks nothing (a partial set would make a GTID resume replay or skip).
type gtidTracker struct {
	set gmysql.GTIDSet
}

func newGTIDTracker(flavor, start string, known bool) (*gtidTracker, error) {
	if !known {
		return &gtidTracker{}, nil
	}
	set, err := gmysql.ParseGTIDSet(flavor, start)
	if err != nil {
		return nil, fmt.Errorf("mysqlcdc: stored GTID set %q: %w", start, err)
	}
	return &gtidTracker{set: set}, nil
}

// add records a transaction's GTID; it returns the set after it ("" when
// not tracking).
func (g *gtidTracker) add(gtid string) (string, error) {
	if g.set == nil {
		return "", nil
	}
	if gtid != "" {
		if err := g.set.Update(gtid); err != nil {
			return "", fmt.Errorf("mysqlcdc: GTID %q: %w", gtid, err)
		}
	}
	return g.set.String(), nil
}
