package exec

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// ExpandSpec is Flink's Expand: the input of a GROUP BY with GROUPING
// SETS, ROLLUP or CUBE copied once per grouping set, so that one group
// aggregation keyed by every key column plus the set's id computes every
// set's groups.
type ExpandSpec struct {
	// Width is the input rows' number of columns.
	Width int
	// Nulls[i]: the columns copy i sets to NULL (the keys not in set i).
	Nulls [][]int
	// Append[i]: the values copy i appends (the set's id, and the values
	// of the query's GROUPING() calls for set i); every copy appends as
	// many.
	Append [][]row.Value
}

// Validate reports a spec the operator cannot run (a planning error).
func (s ExpandSpec) Validate() error {
	if len(s.Nulls) == 0 || len(s.Nulls) != len(s.Append) {
		return fmt.Errorf("expand: %d null lists and %d appended lists", len(s.Nulls), len(s.Append))
	}
	for i, cols := range s.Nulls {
		if len(s.Append[i]) != len(s.Append[0]) {
			return fmt.Errorf("expand: copy %d appends %d values, copy 0 %d", i, len(s.Append[i]), len(s.Append[0]))
		}
		for _, c := range cols {
			if c < 0 || c >= s.Width {
				return fmt.Errorf("expand: column %d of a %d-column row", c, s.Width)
			}
		}
	}
	return nil
}

// Expand returns the Expand operator: each input row comes out once per
// grouping set, in the sets' order, with the set's NULLs and appended
// values, keeping the input's kind (a retraction retracts from every
// set), key and time.
func Expand(spec ExpandSpec) stream.Factory {
	return func() stream.Operator { return &expand{spec: spec} }
}

type expand struct {
	spec ExpandSpec
	emit RowEmitter
}

func (e *expand) Open(*stream.Context) error { return e.spec.Validate() }

func (e *expand) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "expand", e.spec.Width)
	if err != nil {
		return err
	}
	vals := in.Values[:e.spec.Width]
	for i, nulls := range e.spec.Nulls {
		e.emit.Set(vals, e.spec.Append[i])
		for _, c := range nulls {
			e.emit.Row.Values[c] = row.Null()
		}
		e.emit.Emit(out, rec, in.Kind)
	}
	return nil
}
