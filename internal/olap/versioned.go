package olap

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// Fencing a zombie worker's late writes
// (docs/decisions/2026-12-06-fencing-sink-writes.md). In cluster mode a
// load task writes before its checkpoint commits, so a worker that lost
// its partition while stalled (a zombie) may flush rows after the worker
// that took the partition over wrote newer ones. Each row the load job
// writes therefore carries a version (a sequence that grows with the
// input: LoadJob), and a VersionedSink applies a write only if its
// version is not below the one it holds for the key. A delete keeps its
// version (a tombstone), so an older upsert cannot bring the row back.
// Equal versions are applied: a replay of the same row.

// VersionedSink is a Sink whose writes are guarded by a per-key version:
// a row or a delete applies only if its version is >= the version the
// database holds for the key (from an earlier versioned upsert or
// delete; a key without one takes any version). versions[i] is the
// version of rows[i] (keys[i]); of several rows of one key in a call, the
// one with the highest version (of equal ones, the last) is the key's
// write. The plain Upsert and Delete neither check nor set versions.
// Versions must be below 2^63.
type VersionedSink interface {
	Sink
	UpsertVersioned(ctx context.Context, table string, rows [][]byte, versions []uint64) error
	DeleteVersioned(ctx context.Context, table string, keys [][]byte, versions []uint64) error
}

// PlainWriter is a VersionedSink whose plain Upsert and Delete apply
// whatever version a key holds (its versions are kept beside the rows:
// DuckDB, PostgreSQL). A load task that no zombie can race
// (stream.Context.Exclusive: embedded mode) then writes plainly, which
// costs one statement instead of two. On ClickHouse and Stream Load a
// plain write carries version 0 and would lose to any versioned one, so
// they always get versions.
type PlainWriter interface {
	VersionedSink
	PlainWritesApply()
}

// VersionColumn and DeletedColumn are the columns ClickHouse and Stream
// Load tables carry for versioned writes (the replacing version and the
// delete flag); DuckDB and PostgreSQL keep versions in VersionTable
// instead, out of the tables queries read.
const (
	VersionColumn = "_rtdw_version"
	DeletedColumn = "_rtdw_is_deleted"
)

// VersionTable is the side table where DuckDB and PostgreSQL keep each
// key's version: (tbl, key, version, deleted), keyed by (tbl, key), key
// being KeyText. A row with deleted = true is a tombstone.
const VersionTable = "_rtdw_versions"

// VersionedBatch is a decoded batch of versioned writes: one per key.
type VersionedBatch struct {
	Rows     [][]any  // decoded as by DecodeRow
	Versions []uint64 // Versions[i] is Rows[i]'s
	Keys     []string // KeyText of Rows[i]
}

// DecodeVersioned decodes rows (or keys) with their versions and keeps
// one write per key: the one with the highest version, of equal ones the
// last, in the order of the keys' first appearance. It fails on a row
// that does not decode, on a count mismatch and on a version of 2^63 or
// more (the SQL backends store versions as BIGINT).
func DecodeVersioned(t *Table, rows [][]byte, versions []uint64) (*VersionedBatch, error) {
	if len(rows) != len(versions) {
		return nil, fmt.Errorf("olap: %d rows with %d versions", len(rows), len(versions))
	}
	var p fastjson.Parser
	b := &VersionedBatch{}
	at := make(map[string]int, len(rows))
	for i, js := range rows {
		if versions[i] > math.MaxInt64 {
			return nil, fmt.Errorf("olap: version %d of table %s is not below 2^63", versions[i], t.Name)
		}
		r, err := DecodeRow(t, js, &p)
		if err != nil {
			return nil, err
		}
		k := KeyText(t, r)
		if j, ok := at[k]; ok {
			if versions[i] >= b.Versions[j] {
				b.Rows[j], b.Versions[j] = r, versions[i]
			}
			continue
		}
		at[k] = len(b.Rows)
		b.Rows = append(b.Rows, r)
		b.Versions = append(b.Versions, versions[i])
		b.Keys = append(b.Keys, k)
	}
	return b, nil
}

// KeyText renders a decoded row's key canonically (one text per key
// value: equal keys in the database give equal texts, and different keys
// different texts), for the version table.
func KeyText(t *Table, row []any) string {
	var b strings.Builder
	for i := range t.Key {
		if i > 0 {
			b.WriteByte(',')
		}
		switch v := row[i].(type) {
		case string:
			b.WriteString(strconv.Quote(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case Cents:
			b.WriteString(v.String())
		case time.Time:
			if t.Columns[i].Type == Date {
				b.WriteString(v.Format(DateLayout))
			} else {
				b.WriteString(v.Format("2006-01-02T15:04:05.999999999"))
			}
		default:
			fmt.Fprintf(&b, "%v", v)
		}
	}
	return b.String()
}
