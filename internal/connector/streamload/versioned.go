package streamload

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/rtdw/rtdw/internal/olap"
)

// Versioned writes (olap.VersionedSink), which fence a zombie load task's
// late writes (docs/decisions/2026-12-06-fencing-sink-writes.md). The
// database orders a key's loads by their versions, so nothing is read
// before a load and no check-then-write race exists.
//
//   - Doris: tables have a hidden sequence column
//     ("function_column.sequence_type" = "bigint"). Every load into them
//     names its source with the function_column.sequence_col header (the
//     _rtdw_version field of each row, listed in the columns header): a
//     row replaces the key's row only if its sequence is >= the stored
//     one. A delete is a load with merge_type: DELETE and the keys'
//     sequences, which applies under the same rule and leaves the
//     sequence behind (the delete-sign row), so an older upsert loaded
//     later stays hidden. Plain Upsert and Delete load with sequence 0
//     (Doris requires one): they win among themselves, and lose to any
//     versioned write. Caveat: Doris drops delete-sign rows at base
//     compaction (not before the writes of a zombie, which are at most a
//     transaction timeout late, in practice).
//   - StarRocks: tables have a last column _rtdw_version BIGINT, and a
//     versioned upsert is a conditional update (merge_condition:
//     _rtdw_version): a row replaces the key's row only if its version is
//     >= the stored one. StarRocks does not apply merge conditions to
//     deletes (__op = 1), and a deleted key keeps no version, so
//     DeleteVersioned is a plain delete: on StarRocks a zombie's late
//     delete can remove a newer row, and its late upsert can bring back a
//     row deleted since. Plain Upsert loads version 0, unconditionally.
//
// A table created before versioned writes (without the sequence or
// version column) is written with plain loads, not fenced; EnsureTable
// logs it. Dropping the table makes the load job recreate it and reload
// it from its topic.

// isVersioned reads the table's DDL.
func (s *Sink) isVersioned(ctx context.Context, table string) (bool, error) {
	var name, ddl string
	if err := s.ddl.QueryRowContext(ctx, fmt.Sprintf("SHOW CREATE TABLE %s.%s", quote(s.o.Database), quote(table))).Scan(&name, &ddl); err != nil {
		return false, err
	}
	mark := `"function_column.sequence_type"`
	if s.o.Kind == olap.KindStarRocks {
		mark = quote(olap.VersionColumn)
	}
	if strings.Contains(ddl, mark) {
		return true, nil
	}
	slog.Default().Warn(s.o.Kind+": the table was created before versioned writes: loads into it are not fenced against a zombie worker; "+
		"drop it (the load job recreates it and reloads it from its topic) to fence them", "table", table)
	return false, nil
}

// UpsertVersioned implements olap.VersionedSink.
func (s *Sink) UpsertVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64) error {
	return s.writeVersioned(ctx, table, rows, versions, false)
}

// DeleteVersioned implements olap.VersionedSink (on StarRocks a plain
// delete: see above).
func (s *Sink) DeleteVersioned(ctx context.Context, table string, keys [][]byte, versions []uint64) error {
	return s.writeVersioned(ctx, table, keys, versions, true)
}

func (s *Sink) writeVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64, del bool) error {
	s.mu.Lock()
	e := s.tables.Lookup(table)
	versioned := s.versioned[table]
	s.mu.Unlock()
	// A table not ensured goes on to Versioned, which says so.
	if e.Table != nil && (!versioned || (del && s.o.Kind == olap.KindStarRocks)) {
		if del {
			return s.Delete(ctx, table, rows)
		}
		return s.Upsert(ctx, table, rows)
	}
	t, vb, err := e.Versioned(rows, versions)
	if vb == nil {
		return err
	}
	return s.loadVersioned(ctx, t, labelOf(ctx, table, "v"), vb, del, true)
}

// loadVersioned loads rows (del: keys to delete, Doris only) with their
// versions; conditional (StarRocks): under the merge condition.
func (s *Sink) loadVersioned(ctx context.Context, t *olap.Table, label string, vb *olap.VersionedBatch, del, conditional bool) error {
	star := s.o.Kind == olap.KindStarRocks
	n := len(t.Columns)
	if del {
		n = len(t.Key)
	}
	kt := *t
	kt.Columns = t.Columns[:n]
	version := "," + strconv.Quote(olap.VersionColumn) + ":"
	var b bytes.Buffer
	var num [20]byte
	if star {
		b.WriteByte('[')
	}
	for i, row := range vb.Rows {
		if i > 0 && star {
			b.WriteByte(',')
		}
		olap.WriteJSONRow(&b, &kt, row[:n])
		b.Truncate(b.Len() - 1) // the closing brace
		b.WriteString(version)
		b.Write(strconv.AppendUint(num[:0], vb.Versions[i], 10))
		b.WriteByte('}')
		if !star {
			b.WriteByte('\n')
		}
	}
	header := map[string]string{}
	if star {
		b.WriteByte(']')
		if conditional {
			header["merge_condition"] = olap.VersionColumn
		}
	} else {
		cols := make([]string, 0, n+1)
		for _, c := range kt.Columns {
			cols = append(cols, quote(c.Name))
		}
		header["columns"] = strings.Join(append(cols, olap.VersionColumn), ",")
		header["function_column.sequence_col"] = olap.VersionColumn
		if del {
			header["merge_type"] = "DELETE"
		}
	}
	return s.Load(ctx, Request{Table: t.Name, Label: label, Body: b.Bytes(), Header: header})
}

var _ olap.VersionedSink = (*Sink)(nil)
