package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/olap"
)

// Versioned writes (olap.VersionedSink), which fence a zombie load task's
// late writes (docs/decisions/2026-12-06-fencing-sink-writes.md). Each
// key's version lives in the side table _rtdw_versions (tbl, key,
// version, deleted), not in the table: the tables queries read (rtdw
// query, the dashboard, the ADS API) keep their columns, and a deleted row
// is really deleted. One transaction per call:
//
//  1. the batch (one write per key, with its key text and version) is
//     appended to a temporary staging table (dropped at the end);
//  2. writes whose version is below the key's stored version (of a row or
//     a tombstone) are dropped from it;
//  3. the remaining keys' versions are stored (deleted = true for a
//     delete: the tombstone);
//  4. their rows are upserted (INSERT OR REPLACE), or deleted.
//
// Equal versions apply (a replay). The sink's mutex and DuckDB's single
// writer process make the check and the write atomic. Tables created
// before versioned writes need nothing: a key without a stored version
// takes any write. Tombstones stay (one row per deleted key); the plain
// Upsert and Delete leave the versions alone.

// VersionTableSQL is the DDL of the version table.
var VersionTableSQL = fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s ("tbl" VARCHAR NOT NULL, "key" VARCHAR NOT NULL, "version" BIGINT NOT NULL, "deleted" BOOLEAN NOT NULL, PRIMARY KEY ("tbl", "key"))`,
	quote(olap.VersionTable))

// Staging columns beside the table's: the key's text and the version.
const (
	stageKey     = "_rtdw_k"
	stageVersion = "_rtdw_v"
)

// UpsertVersioned implements olap.VersionedSink.
func (s *Sink) UpsertVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64) error {
	return s.writeVersioned(ctx, table, rows, versions, false)
}

// DeleteVersioned implements olap.VersionedSink: keys hold the table's key
// columns, as for Delete.
func (s *Sink) DeleteVersioned(ctx context.Context, table string, keys [][]byte, versions []uint64) error {
	return s.writeVersioned(ctx, table, keys, versions, true)
}

func (s *Sink) writeVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64, del bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, vb, err := s.tables.Lookup(table).Versioned(rows, versions)
	if vb == nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	defer conn.Close()
	if err := writeVersioned(ctx, conn, t, vb, del); err != nil {
		op := "load"
		if del {
			op = "delete from"
		}
		return fmt.Errorf("duckdb: %s %s: %w", op, table, err)
	}
	return nil
}

func writeVersioned(ctx context.Context, conn *sql.Conn, t *olap.Table, vb *olap.VersionedBatch, del bool) error {
	stage := quote("rtdw_vstage_" + t.Name)
	var ddl strings.Builder
	fmt.Fprintf(&ddl, "CREATE OR REPLACE TEMP TABLE %s (", stage)
	for _, c := range t.Columns {
		fmt.Fprintf(&ddl, "%s %s, ", quote(c.Name), sqlType(c.Type))
	}
	fmt.Fprintf(&ddl, "%s VARCHAR, %s BIGINT)", quote(stageKey), quote(stageVersion))
	list := columnList(t)
	vt := quote(olap.VersionTable)
	deleted := "false"
	if del {
		deleted = "true"
	}
	var match []string
	for _, k := range t.Key {
		match = append(match, fmt.Sprintf("s.%s = t.%s", quote(k), quote(k)))
	}
	var write string
	if del {
		write = fmt.Sprintf("DELETE FROM %s t WHERE EXISTS (SELECT 1 FROM %s s WHERE %s)", quote(t.Name), stage, strings.Join(match, " AND "))
	} else {
		write = fmt.Sprintf("INSERT OR REPLACE INTO %s (%s) SELECT %s FROM %s", quote(t.Name), list, list, stage)
	}
	steps := []struct {
		q    string
		args []any
	}{
		// Stale writes: the key holds a greater version.
		{fmt.Sprintf(`DELETE FROM %s WHERE EXISTS (SELECT 1 FROM %s v WHERE v."tbl" = ? AND v."key" = %s.%s AND v."version" > %s.%s)`,
			stage, vt, stage, quote(stageKey), stage, quote(stageVersion)), []any{t.Name}},
		{fmt.Sprintf(`INSERT OR REPLACE INTO %s ("tbl", "key", "version", "deleted") SELECT ?, %s, %s, %s FROM %s`,
			vt, quote(stageKey), quote(stageVersion), deleted, stage), []any{t.Name}},
		{write, nil},
		{"DROP TABLE " + stage, nil},
	}
	return inTx(ctx, conn, func() error {
		if _, err := conn.ExecContext(ctx, ddl.String()); err != nil {
			return err
		}
		if err := appendRows(conn, fmt.Sprintf("INSERT INTO %s SELECT * FROM rtdw_batch", stage), t, vb.Rows, vb); err != nil {
			return err
		}
		for _, st := range steps {
			if _, err := conn.ExecContext(ctx, st.q, st.args...); err != nil {
				return err
			}
		}
		return nil
	})
}

var _ olap.PlainWriter = (*Sink)(nil)

// PlainWritesApply marks plain Upsert and Delete as applying whatever
// version a key holds (olap.PlainWriter): the versions live in
// _rtdw_versions, beside the rows.
func (s *Sink) PlainWritesApply() {}
