package connector

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The jdbc sink (MySQL, MariaDB, PostgreSQL; the connection options and
// URL are jdbc.go's). The table must exist.
//
// With a PRIMARY KEY the sink upserts (MySQL/MariaDB INSERT ... ON
// DUPLICATE KEY UPDATE, PostgreSQL INSERT ... ON CONFLICT (key) DO UPDATE)
// and a -D row deletes by the key (DELETE ... WHERE (key) IN (...)); -U
// rows are dropped (the +U that follows replaces the row). Each task
// buffers its rows, one operation per key (the last: deletes and upserts
// keep their order), and writes them in one transaction before its
// checkpoint commits (the buffered sink of jdbc_sink_batch.go). Idempotent:
// a replay after a crash, or a job restarted from an older checkpoint,
// writes the same final rows again, so the table ends as an uninterrupted
// run leaves it.
//
// Without a PRIMARY KEY the sink appends (INSERT), insert-only input
// (update streams are refused at plan time). Exactly-once: the sink keeps,
// in a table of the same database or schema, rtdw_sink_progress
// (sink_id, written), how many rows each task of each job has written to
// the table, and updates it in the same transaction as the rows; the
// task's checkpoints record how many rows they covered. A batch replayed
// after a crash (or a restart from an older checkpoint) skips the rows
// the progress says were written, so no row is inserted twice whatever
// the checkpoints' boundaries, as long as the job reads the same input in
// the same order (its sources replay from the checkpoint). The sink
// creates rtdw_sink_progress if missing. A job of another name appends
// anew.
//
// Rows are written at checkpoints, and early in their own transaction
// whenever 'sink.buffer-flush.max-rows' operations are buffered;
// 'sink.buffer-flush.interval' is accepted (the checkpoint interval plays
// its part). 'sink.max-retries' retries a failed transaction before the
// task fails and restarts from its checkpoint.

var jdbcSinkIgnored = []string{"sink.buffer-flush.interval", "sink.parallelism"}

func init() {
	jdbcFactory.Options = append(jdbcFactory.Options,
		spec("sink.buffer-flush.max-rows", "5000", false, "Write early (one transaction) when this many rows (keys) are buffered; rows are always written at each checkpoint."),
		spec("sink.buffer-flush.interval", "", false, "Accepted: rows are written at each checkpoint (the checkpoint interval)."),
		spec("sink.max-retries", "3", false, "Retries of a failed write transaction before the task fails (and restarts from its checkpoint)."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
	)
	jdbcIgnored = append(jdbcIgnored, jdbcSinkIgnored...)
	jdbcFactory.NewSink = newJDBCSink
	jdbcFactory.Doc = "A MySQL, MariaDB or PostgreSQL table: bounded scan source, lookup source (with cache), sink (idempotent upserts and deletes by the PRIMARY KEY; exactly-once appends without one)."
}

// jdbcProgressTable is the append-only sinks' progress table.
const jdbcProgressTable = "rtdw_sink_progress"

type jdbcSink struct {
	c        *jdbcConn
	t        *Table
	l        *layout
	spec     extSpec
	cols     []int
	progress string // quoted progress table, qualified like the table
	name     string // table-name, in sink ids
	ready    atomic.Bool
}

func newJDBCSink(ctx *Context, t *Table) (Sink, error) {
	c, l, err := newJDBCTable(ctx, t)
	if err != nil {
		return nil, err
	}
	f := jdbcFactory
	maxRows, retries, err := extOptions(f, t, "sink.buffer-flush.max-rows", 5000, "sink.max-retries", 3)
	if err != nil {
		return nil, err
	}
	s := &jdbcSink{c: c, t: t, l: l, cols: l.physical, name: opt(t, "table-name", "")}
	parts := strings.Split(s.name, ".")
	parts[len(parts)-1] = jdbcProgressTable
	for i, p := range parts {
		parts[i] = c.quote(p)
	}
	s.progress = strings.Join(parts, ".")
	s.spec = extSpec{name: nodeName("jdbc_sink", t), l: l, key: t.PrimaryKey, maxRows: maxRows, retries: retries,
		backoff: 200 * time.Millisecond, open: func(*stream.Context) (extWriter, error) { return s, nil }}
	return s, nil
}

// Accepts: retract streams with a PRIMARY KEY, inserts without.
func (s *jdbcSink) Accepts() ChangelogMode {
	if len(s.t.PrimaryKey) == 0 {
		return InsertOnly
	}
	return Retract
}

func (s *jdbcSink) Attach(st stream.Stream) error {
	attachExt(st, &s.spec)
	return nil
}

// jdbcExec is a transaction of either driver.
type jdbcExec interface {
	exec(ctx context.Context, q string, args ...any) error
	queryInt(ctx context.Context, q string, args ...any) (n int64, ok bool, err error)
}

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, q, args...)
	return err
}

func (t sqlTx) queryInt(ctx context.Context, q string, args ...any) (int64, bool, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx, q, args...).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return n, err == nil, err
}

type pgTx struct{ tx pgx.Tx }

func (t pgTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.tx.Exec(ctx, q, args...)
	return err
}

func (t pgTx) queryInt(ctx context.Context, q string, args ...any) (int64, bool, error) {
	var n int64
	err := t.tx.QueryRow(ctx, q, args...).Scan(&n)
	if err == pgx.ErrNoRows {
		return 0, false, nil
	}
	return n, err == nil, err
}

// inTx runs fn in one transaction on the database's pool.
func (s *jdbcSink) inTx(ctx context.Context, fn func(jdbcExec) error) error {
	if s.c.dialect == dialectPostgres {
		p, err := s.c.pgPool()
		if err != nil {
			return err
		}
		conn, err := p.get(ctx)
		if err != nil {
			return err
		}
		defer p.put(conn)
		tx, err := conn.Begin(ctx)
		if err != nil {
			conn.Close(ctx)
			return err
		}
		if err := fn(pgTx{tx}); err != nil {
			tx.Rollback(ctx)
			return err
		}
		return tx.Commit(ctx)
	}
	db, err := s.c.mysqlDB()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqlTx{tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// write applies a batch in one transaction.
func (s *jdbcSink) write(ctx context.Context, b *extBatch) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if len(s.t.PrimaryKey) == 0 && !s.ready.Load() {
		// Not in the rows' transaction: DDL commits MySQL's.
		idType := "VARCHAR(255)"
		if s.c.dialect == dialectPostgres {
			idType = "TEXT"
		}
		err := s.inTx(ctx, func(tx jdbcExec) error {
			return tx.exec(ctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (sink_id %s NOT NULL PRIMARY KEY, written BIGINT NOT NULL)", s.progress, idType))
		})
		if err != nil {
			return fmt.Errorf("%s: create %s: %w", s.c.display, s.progress, err)
		}
		s.ready.Store(true)
	}
	err := s.inTx(ctx, func(tx jdbcExec) error {
		if len(s.t.PrimaryKey) == 0 {
			return s.appendRows(ctx, tx, b)
		}
		var dels, ups []*row.Row
		for i := range b.Ops {
			if b.Ops[i].Delete {
				dels = append(dels, &b.Ops[i].Row)
			} else {
				ups = append(ups, &b.Ops[i].Row)
			}
		}
		if err := s.deleteRows(ctx, tx, dels); err != nil {
			return err
		}
		return s.insertRows(ctx, tx, ups, true)
	})
	if err != nil {
		return fmt.Errorf("%s: write %s: %w", s.c.display, s.c.table, err)
	}
	return nil
}

// chunk is the number of rows per statement (PostgreSQL allows 65535
// parameters).
func (s *jdbcSink) chunk(cols int) int { return max(1, min(500, 60000/max(1, cols))) }

func (s *jdbcSink) args(dst []any, r *row.Row, cols []int) []any {
	for _, c := range cols {
		v, _ := s.c.arg(r.Values[c], s.t.Schema.Column(c).Type)
		dst = append(dst, v)
	}
	return dst
}

// insertRows inserts (upsert: or replaces by key) rows.
func (s *jdbcSink) insertRows(ctx context.Context, tx jdbcExec, rows []*row.Row, upsert bool) error {
	n := s.chunk(len(s.cols))
	for len(rows) > 0 {
		part := rows[:min(n, len(rows))]
		rows = rows[len(part):]
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", s.c.table, s.c.columns(s.t.Schema, s.cols))
		args := make([]any, 0, len(part)*len(s.cols))
		for i, r := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j := range s.cols {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString(s.c.placeholder(len(args) + j))
			}
			q.WriteByte(')')
			args = s.args(args, r, s.cols)
		}
		if upsert {
			q.WriteString(s.upsertClause())
		}
		if err := tx.exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// upsertClause replaces the non-key columns of a row whose key exists.
func (s *jdbcSink) upsertClause() string {
	var set []string
	for _, c := range s.cols {
		if containsInt(s.t.PrimaryKey, c) {
			continue
		}
		name := s.c.quote(s.t.Schema.Column(c).Name)
		if s.c.dialect == dialectPostgres {
			set = append(set, name+" = EXCLUDED."+name)
		} else {
			set = append(set, name+" = VALUES("+name+")")
		}
	}
	if s.c.dialect == dialectPostgres {
		if len(set) == 0 {
			return " ON CONFLICT (" + s.c.columns(s.t.Schema, s.t.PrimaryKey) + ") DO NOTHING"
		}
		return " ON CONFLICT (" + s.c.columns(s.t.Schema, s.t.PrimaryKey) + ") DO UPDATE SET " + strings.Join(set, ", ")
	}
	if len(set) == 0 {
		k := s.c.quote(s.t.Schema.Column(s.t.PrimaryKey[0]).Name)
		set = append(set, k+" = "+k)
	}
	return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// deleteRows deletes the rows' keys.
func (s *jdbcSink) deleteRows(ctx context.Context, tx jdbcExec, rows []*row.Row) error {
	key := s.t.PrimaryKey
	n := s.chunk(len(key))
	for len(rows) > 0 {
		part := rows[:min(n, len(rows))]
		rows = rows[len(part):]
		var q strings.Builder
		cols := s.c.columns(s.t.Schema, key)
		if len(key) > 1 {
			cols = "(" + cols + ")"
		}
		fmt.Fprintf(&q, "DELETE FROM %s WHERE %s IN (", s.c.table, cols)
		args := make([]any, 0, len(part)*len(key))
		for i, r := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			if len(key) > 1 {
				q.WriteByte('(')
			}
			for j := range key {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString(s.c.placeholder(len(args) + j))
			}
			if len(key) > 1 {
				q.WriteByte(')')
			}
			args = s.args(args, r, key)
		}
		q.WriteByte(')')
		if err := tx.exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// appendRows inserts the batch's rows that the progress table does not
// count as written, and counts them.
func (s *jdbcSink) appendRows(ctx context.Context, tx jdbcExec, b *extBatch) error {
	id := fmt.Sprintf("%s/%s/%d", b.Job, s.name, b.Task)
	if len(id) > 255 {
		id = id[len(id)-255:]
	}
	written, ok, err := tx.queryInt(ctx, fmt.Sprintf("SELECT written FROM %s WHERE sink_id = %s FOR UPDATE", s.progress, s.c.placeholder(0)), id)
	if err != nil {
		return fmt.Errorf("progress table: %w", err)
	}
	start := int64(b.Start)
	end := start + int64(len(b.Ops))
	if ok && written >= end {
		return nil // written before a crash
	}
	var rows []*row.Row
	for i := range b.Ops {
		if start+int64(i) >= written {
			rows = append(rows, &b.Ops[i].Row)
		}
	}
	if err := s.insertRows(ctx, tx, rows, false); err != nil {
		return err
	}
	p0, p1 := s.c.placeholder(0), s.c.placeholder(1)
	if !ok {
		return tx.exec(ctx, fmt.Sprintf("INSERT INTO %s (sink_id, written) VALUES (%s, %s)", s.progress, p0, p1), id, end)
	}
	return tx.exec(ctx, fmt.Sprintf("UPDATE %s SET written = %s WHERE sink_id = %s", s.progress, p0, p1), end, id)
}
