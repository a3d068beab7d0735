package clickhouse

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"

	"github.com/rtdw/rtdw/internal/olap"
)

// Versioned writes (olap.VersionedSink), which fence a zombie load task's
// late writes (docs/decisions/2026-12-06-fencing-sink-writes.md). Tables
// are ReplacingMergeTree(_rtdw_version, _rtdw_is_deleted) (ClickHouse >=
// 23.2): of a key's rows, merges and FINAL keep the one with the highest
// version (of equal versions the last inserted), and drop the key when
// that row has _rtdw_is_deleted = 1. So an upsert inserts its rows with
// their versions, and a delete inserts the keys with their versions and
// _rtdw_is_deleted = 1: a tombstone that merges keep (unless a cleanup is
// forced), so an older row inserted later stays hidden. Nothing is
// compared at insert time; the database orders the versions, which is
// why no check-then-write race exists.
//
// A table created before versioned writes (a plain ReplacingMergeTree:
// its engine cannot be altered) is written with plain inserts and
// lightweight DELETEs, not fenced; EnsureTable logs it. Dropping the table
// makes the load job recreate it and reload it from its topic.

// versionedEngine matches the engine of a table with versioned writes in
// system.tables.engine_full.
var versionedEngine = regexp.MustCompile("ReplacingMergeTree\\(\\s*`?" + olap.VersionColumn + "`?\\s*,\\s*`?" + olap.DeletedColumn + "`?\\s*\\)")

// isVersioned reads the table's engine.
func (s *Sink) isVersioned(ctx context.Context, table string) (bool, error) {
	res, err := s.Query(ctx, fmt.Sprintf("SELECT engine_full FROM system.tables WHERE database = %s AND name = %s",
		literal(s.o.Database, olap.String), literal(table, olap.String)))
	if err != nil {
		return false, err
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return false, fmt.Errorf("system.tables has %d rows for it", len(res.Rows))
	}
	engine := fmt.Sprint(res.Rows[0][0])
	if versionedEngine.MatchString(engine) {
		return true, nil
	}
	slog.Default().Warn("clickhouse: the table was created before versioned writes: loads into it are not fenced against a zombie worker; "+
		"drop it (the load job recreates it and reloads it from its topic) to fence them", "table", table, "engine", engine)
	return false, nil
}

// UpsertVersioned implements olap.VersionedSink: one INSERT of the rows
// with their versions.
func (s *Sink) UpsertVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64) error {
	return s.insertVersioned(ctx, table, rows, versions, false)
}

// DeleteVersioned implements olap.VersionedSink: one INSERT of the keys
// with their versions and _rtdw_is_deleted = 1.
func (s *Sink) DeleteVersioned(ctx context.Context, table string, keys [][]byte, versions []uint64) error {
	return s.insertVersioned(ctx, table, keys, versions, true)
}

func (s *Sink) insertVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64, del bool) error {
	s.mu.Lock()
	e := s.tables.Lookup(table)
	versioned := s.versioned[table]
	s.mu.Unlock()
	// A table not ensured goes on to Versioned, which says so.
	if e.Table != nil && !versioned {
		if del {
			return s.Delete(ctx, table, rows)
		}
		return s.Upsert(ctx, table, rows)
	}
	t, vb, err := e.Versioned(rows, versions)
	if vb == nil {
		return err
	}
	cols := t.ColumnNames()
	flag := "0"
	if del {
		cols = cols[:len(t.Key)]
		flag = "1"
	}
	kt := *t
	kt.Columns = t.Columns[:len(cols)]
	version := "," + strconv.Quote(olap.VersionColumn) + ":"
	deleted := "," + strconv.Quote(olap.DeletedColumn) + ":" + flag + "}\n"
	var body bytes.Buffer
	var num [20]byte
	for i, row := range vb.Rows {
		olap.WriteJSONRow(&body, &kt, row[:len(cols)])
		body.Truncate(body.Len() - 1) // the closing brace
		body.WriteString(version)
		body.Write(strconv.AppendUint(num[:0], vb.Versions[i], 10))
		body.WriteString(deleted)
	}
	label, _ := olap.Label(ctx)
	if err := s.InsertJSON(ctx, table, append(cols, olap.VersionColumn, olap.DeletedColumn), body.Bytes(), label); err != nil {
		op := "insert"
		if del {
			op = "delete from"
		}
		return fmt.Errorf("clickhouse: %s %s: %w", op, table, err)
	}
	return nil
}

var _ olap.VersionedSink = (*Sink)(nil)
