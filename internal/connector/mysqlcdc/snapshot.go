package mysqlcdc

import (
	"context"
	"database/sql"
	"fmt"
	rlog "github.com/rtdw/rtdw/internal/log"
	"sort"
	"strings"
	"time"
)

// snapshot writes every captured table as bootstrap records, read in one
// consistent-read transaction, and returns (and commits, with the last
// records) the binlog position of that read view: the binlog from there
// holds exactly the transactions the snapshot did not see.
//
// A snapshot interrupted before its end commits no position, so the next
// run snapshots again from the start; the first run's partial bootstrap
// stays in the topic, followed by a new bootstrap-start per table
// (Maxwell's consumers treat bootstrap-start as "table restarts here").
func (r *reader) snapshot(ctx context.Context) (Position, error) {
	var pos Position
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return pos, fmt.Errorf("mysqlcdc: snapshot: %w", err)
	}
	defer conn.Close()
	exec := func(q string) error {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			if perr := privilegeError(err, r.srv.user, r.srv.addr); perr != nil {
				return perr
			}
			return fmt.Errorf("mysqlcdc: snapshot: %s: %w", q, err)
		}
		return nil
	}
	if err := exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return pos, err
	}
	// TIMESTAMP values are read in UTC and rendered in the reader's zone
	// (appendTimestamp), as the binlog's are: the session's zone (the
	// server's) does not decide their text.
	if err := exec("SET SESSION time_zone = '+00:00'"); err != nil {
		return pos, err
	}
	if r.srv.flavor == "mariadb" {
		// MariaDB reports the binlog position of a consistent snapshot
		// itself (binlog_snapshot_file/position): no lock needed.
		if err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
			return pos, err
		}
		rows, err := conn.QueryContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_%'")
		if err != nil {
			return pos, fmt.Errorf("mysqlcdc: snapshot position: %w", err)
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return pos, fmt.Errorf("mysqlcdc: snapshot position: %w", err)
			}
			switch strings.ToLower(k) {
			case "binlog_snapshot_file":
				pos.File = v
			case "binlog_snapshot_position":
				fmt.Sscan(v, &pos.Pos)
			}
		}
		rows.Close()
		if pos.File == "" {
			return pos, fmt.Errorf("mysqlcdc: snapshot: the server reported no binlog_snapshot_file")
		}
		if pos.GTIDSet, err = r.gtidSetAt(ctx, conn, pos); err != nil {
			return pos, err
		}
	} else {
		// MySQL: a brief global read lock pins the position while the
		// read view opens.
		if err := exec("FLUSH TABLES WITH READ LOCK"); err != nil {
			return pos, err
		}
		if err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
			conn.ExecContext(ctx, "UNLOCK TABLES")
			return pos, err
		}
		pos, err = binlogPosition(ctx, conn)
		if _, uerr := conn.ExecContext(ctx, "UNLOCK TABLES"); err == nil && uerr != nil {
			err = uerr
		}
		if err != nil {
			return pos, err
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")

	sch, err := loadSchemas(ctx, conn, r.f)
	if err != nil {
		return pos, err
	}
	r.sch = sch
	names := make([]string, 0, len(sch))
	for k := range sch {
		names = append(names, k)
	}
	sort.Strings(names)
	r.log.Info("mysqlcdc: snapshot", "tables", len(names), "position", pos.String())
	start := time.Now()
	total := 0
	var recs = r.recs[:0]
	flush := func() error {
		if err := r.commit(ctx, recs); err != nil {
			return err
		}
		clear(recs)
		recs = recs[:0]
		return nil
	}
	for i, k := range names {
		t := sch[k]
		ts := time.Now().Unix()
		c := newChange(t, typeBootstrapStart, ts, nil, nil)
		recs = r.appendRecords(recs, &c, c.bootstrapValue())
		n, err := r.snapshotTable(ctx, conn, t, &recs, flush)
		if err != nil {
			return pos, err
		}
		total += n
		c = newChange(t, typeBootstrapComplete, time.Now().Unix(), nil, nil)
		recs = r.appendRecords(recs, &c, c.bootstrapValue())
		if i == len(names)-1 {
			// The last records carry the position: the snapshot is done.
			if err := r.cp.putSchemas(sch); err != nil {
				return pos, err
			}
			if err := r.cp.putPosition(pos); err != nil {
				return pos, err
			}
		}
		if err := flush(); err != nil {
			return pos, err
		}
	}
	if len(names) == 0 {
		if err := r.cp.putSchemas(sch); err != nil {
			return pos, err
		}
		if err := r.cp.putPosition(pos); err != nil {
			return pos, err
		}
		if err := flush(); err != nil {
			return pos, err
		}
	}
	if r.cfg.OnCommit != nil {
		r.cfg.OnCommit(0, pos)
	}
	r.log.Info("mysqlcdc: snapshot done", "tables", len(names), "rows", total, "took", time.Since(start).Round(time.Millisecond))
	return pos, nil
}

// snapshotTable appends one bootstrap-insert per row of t, committing
// every 2000 records (without a position: see snapshot).
func (r *reader) snapshotTable(ctx context.Context, conn *sql.Conn, t *Table, recs *[]rlog.Record, flush func() error) (int, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for j, c := range t.Cols {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quoteIdent(c.Name))
	}
	b.WriteString(" FROM " + quoteIdent(t.DB) + "." + quoteIdent(t.Name))
	rows, err := conn.QueryContext(ctx, b.String())
	if err != nil {
		return 0, fmt.Errorf("mysqlcdc: snapshot %s.%s: %w", t.DB, t.Name, err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(t.Cols))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("mysqlcdc: snapshot %s.%s: %w", t.DB, t.Name, err)
		}
		data := make([][]byte, len(raw))
		for j := range raw {
			v := []byte(raw[j])
			if raw[j] != nil && v == nil {
				v = []byte{}
			}
			if t.Cols[j].Type == "timestamp" {
				data[j] = appendTimestamp(nil, v, r.loc)
			} else {
				data[j] = appendText(nil, &t.Cols[j], v)
			}
		}
		if snapshotRowHook != nil {
			snapshotRowHook()
		}
		c := newChange(t, typeBootstrapInsert, time.Now().Unix(), data, nil)
		*recs = r.appendRecords(*recs, &c, c.bootstrapValue())
		n++
		if len(*recs) >= 2000 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("mysqlcdc: snapshot %s.%s: %w", t.DB, t.Name, err)
	}
	return n, nil
}

// snapshotRowHook, when set (tests), runs for every snapshot row: a test
// slows the snapshot down to have writes land while it runs.
var snapshotRowHook func()

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
