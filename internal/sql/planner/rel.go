package planner

import (
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/stream"
)

// timeAttr marks a column as a time attribute (Flink's *ROWTIME* and
// *PROCTIME* markers): window TVFs and OVER need one.
type timeAttr uint8

const (
	noTime timeAttr = iota
	rowTime
	procTime
)

// field is one column of a relation: its qualifier (table name or alias),
// name and type.
type field struct {
	qual string
	name string
	typ  row.Type
	time timeAttr
	// tvfTime: the time attribute a window TVF read, a plain timestamp
	// in the TVF's output (as Flink) that still orders rows in time: a
	// window deduplication on it keeps the last of equal times.
	tvfTime bool
	// bound: the column is a window's window_start or window_end (of a
	// window TVF or aggregation), whatever it is called now: a Top-N
	// partitioned by both is a window Top-N.
	bound windowBound
}

type windowBound uint8

const (
	noBound windowBound = iota
	startBound
	endBound
	// The same of a window over a TIMESTAMP_LTZ attribute: the bounds are
	// local times of the session zone.
	startBoundLTZ
	endBoundLTZ
)

func (b windowBound) isStart() bool { return b == startBound || b == startBoundLTZ }
func (b windowBound) isEnd() bool   { return b == endBound || b == endBoundLTZ }
func (b windowBound) ltz() bool     { return b == startBoundLTZ || b == endBoundLTZ }

// windowBounds returns the bound markers of a window over a time
// attribute of type t.
func windowBounds(t row.Type) (start, end windowBound) {
	if t.Kind == row.KindTimestampLTZ {
		return startBoundLTZ, endBoundLTZ
	}
	return startBound, endBound
}

// rel is a planned relation: its columns, the changelog it carries, the
// engine stream producing its rows (typed, in field order) and its node in
// the printed plan.
type rel struct {
	fields []field
	mode   connector.ChangelogMode
	s      stream.Stream
	node   *pnode
	// window is set for a window TVF not materialized yet: a window
	// aggregation (or rank) over it reads the TVF's input directly.
	window *pendingWindow
	// rank is set for a SELECT with ROW_NUMBER() OVER whose enclosing
	// query's filter on it decides the operator.
	rank *pendingRank
	// upsertKeys: the columns that identify a row of an updating result
	// (the GROUP BY keys), for upsert sinks.
	upsertKeys []int
	// windowKeys: the columns that identify a row within its window of an
	// insert-only windowed result (a window aggregation's keys). A later
	// drained run emits a changed row of a window an end of input emitted
	// early again: a window operator reading it takes the row as a
	// revision of the early one. Empty (not nil): one row per window.
	windowKeys []int
	// keyed: the columns the rows are hash-partitioned by, in the order
	// of their record key (the key is row.AppendKey of these columns), so
	// a keyed operator on the same columns needs no shuffle; nil when
	// unknown (sources, unions), empty for "all on one task".
	keyed []int
	// scan is set on a table scan's own relation, whose filter may move
	// into the source.
	scan *scanInfo
}

// scanInfo is what filter pushdown needs of a scan: the source's stream
// and rows, and the Calc of computed columns over them if any.
type scanInfo struct {
	src      stream.Stream
	cols     []expr.Column // the source row's columns
	computed bool          // the relation is a Calc of computed columns over the source
	node     *pnode        // the TableSourceScan
}

func (r *rel) columns() []expr.Column {
	cols := make([]expr.Column, len(r.fields))
	for i, f := range r.fields {
		cols[i] = expr.Column{Qualifier: f.qual, Name: f.name, Type: f.typ}
	}
	return cols
}

// schema is the internal schema of the relation's rows (positional
// names: a relation may hold two columns of one name), for repartition
// topics and state.
func (r *rel) schema() *row.Schema {
	return schemaOf(r.fields)
}

func schemaOf(fs []field) *row.Schema {
	cols := make([]row.Column, len(fs))
	for i, f := range fs {
		cols[i] = row.Column{Name: fmt.Sprintf("f%d", i), Type: f.typ}
	}
	return row.MustSchema(cols...)
}

func (r *rel) rowtime() int {
	for i, f := range r.fields {
		if f.time == rowTime {
			return i
		}
	}
	return -1
}

func (r *rel) names() []string {
	out := make([]string, len(r.fields))
	for i, f := range r.fields {
		out[i] = f.name
	}
	return out
}

// pnode is one operator of the printed plan.
type pnode struct {
	op     string
	mode   connector.ChangelogMode
	inputs []*pnode
}

func (n *pnode) write(b *strings.Builder, prefix string, last, root bool) {
	if root {
		b.WriteString(n.op)
	} else {
		b.WriteString(prefix)
		b.WriteString("+- ")
		b.WriteString(n.op)
		if last {
			prefix += "   "
		} else {
			prefix += ":  "
		}
	}
	fmt.Fprintf(b, " [%s]\n", n.mode)
	for i, in := range n.inputs {
		in.write(b, prefix, i == len(n.inputs)-1, false)
	}
}

func nodeOf(op string, mode connector.ChangelogMode, inputs ...*pnode) *pnode {
	return &pnode{op: op, mode: mode, inputs: inputs}
}
