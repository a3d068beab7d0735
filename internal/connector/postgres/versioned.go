package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rtdw/rtdw/internal/olap"
)

// Versioned writes (olap.VersionedSink), which fence a zombie load task's
// late writes (docs/decisions/2026-12-06-fencing-sink-writes.md). Each
// key's version lives in the side table <schema>._rtdw_versions (tbl,
// key, version, deleted), not in the table: the tables queries read keep
// their columns, and a deleted row is really deleted. One transaction per
// call:
//
//  1. the batch (one write per key, with its key text and version) is
//     copied into a temporary staging table;
//  2. one statement stores the versions, INSERT ... ON CONFLICT (tbl,
//     key) DO UPDATE ... WHERE stored version <= new version (deleted =
//     true for a delete: the tombstone), and drops from the staging table
//     the keys it did not store (stale writes);
//  3. a second statement upserts (or deletes) the remaining keys' rows.
//
// Equal versions apply (a replay). Step 2 locks each key's version row
// (inserted or not, updated or not) until the commit, so two workers
// writing one key (a zombie and the new owner, each its own process)
// take turns: the second re-reads the version the first committed.
// Step 3 is a separate statement so that, in READ COMMITTED, it sees the
// rows the other worker committed before step 2 got the locks (a DELETE
// in the same statement would not see a row inserted meanwhile). Tables
// created before versioned writes need nothing: a key without a version
// row takes any write. Tombstones stay (one row per deleted key); the
// plain Upsert and Delete leave the versions alone.

// VersionTableSQL is the DDL of the version table in schema.
func VersionTableSQL(schema string) string {
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s.%s (tbl TEXT NOT NULL, "key" TEXT NOT NULL, version BIGINT NOT NULL, deleted BOOLEAN NOT NULL, PRIMARY KEY (tbl, "key"))`,
		quote(schema), quote(olap.VersionTable))
}

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
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	c, err := s.writerConn(ctx)
	if err != nil {
		return err
	}
	if err := s.loadVersioned(ctx, c, t, vb, del); err != nil {
		s.dropWriter()
		op := "load"
		if del {
			op = "delete from"
		}
		return fmt.Errorf("postgres: %s %s: %w", op, table, err)
	}
	return nil
}

func (s *Sink) loadVersioned(ctx context.Context, c *pgx.Conn, t *olap.Table, vb *olap.VersionedBatch, del bool) error {
	stage := quote("rtdw_vstage_" + t.Name)
	target := quote(s.o.Schema) + "." + quote(t.Name)
	versions := quote(s.o.Schema) + "." + quote(olap.VersionTable)
	var write string
	if del {
		var match []string
		for _, k := range t.Key {
			match = append(match, fmt.Sprintf("t.%s = s.%s", quote(k), quote(k)))
		}
		write = fmt.Sprintf("DELETE FROM %s t USING %s s WHERE %s", target, stage, strings.Join(match, " AND "))
	} else {
		write = upsertSQL(target, stage, t)
	}
	// Keys in order: two workers lock shared keys in the same order.
	guard := fmt.Sprintf(`WITH w AS (
	INSERT INTO %[1]s AS v (tbl, "key", version, deleted)
	SELECT $1, %[3]s, %[4]s, $2 FROM %[2]s ORDER BY %[3]s
	ON CONFLICT (tbl, "key") DO UPDATE SET version = EXCLUDED.version, deleted = EXCLUDED.deleted
	WHERE v.version <= EXCLUDED.version
	RETURNING v."key")
DELETE FROM %[2]s s WHERE NOT EXISTS (SELECT 1 FROM w WHERE w."key" = s.%[3]s)`,
		versions, stage, quote(stageKey), quote(stageVersion))

	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE IF NOT EXISTS %s (LIKE %s, %s TEXT, %s BIGINT) ON COMMIT DELETE ROWS",
		stage, target, quote(stageKey), quote(stageVersion))); err != nil {
		return err
	}
	src := make([][]any, len(vb.Rows))
	for i, row := range vb.Rows {
		src[i] = append(copyRow(row, 2), vb.Keys[i], int64(vb.Versions[i]))
	}
	names := append(t.ColumnNames(), stageKey, stageVersion)
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"rtdw_vstage_" + t.Name}, names, pgx.CopyFromRows(src)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, guard, t.Name, del); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, write); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

var _ olap.PlainWriter = (*Sink)(nil)

// PlainWritesApply marks plain Upsert and Delete as applying whatever
// version a key holds (olap.PlainWriter): the versions live in
// _rtdw_versions, beside the rows.
func (s *Sink) PlainWritesApply() {}
