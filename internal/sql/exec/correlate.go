package exec

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// CorrelateSpec joins each input row with the rows a table function
// produces from it: CROSS JOIN UNNEST(...) and [LEFT JOIN] LATERAL
// TABLE(udtf(...)) (Flink's Correlate).
type CorrelateSpec struct {
	// Eval calls emit once per function row, with Width values (the
	// values are copied: emit's argument may be reused). Every task of
	// the stage calls it concurrently: it must keep no mutable state.
	Eval  func(r *row.Row, emit func(vals ...row.Value)) error
	Width int // columns the function adds
	// Left: LEFT JOIN LATERAL ... ON TRUE: an input row for which the
	// function produces nothing gives one row padded with NULLs.
	Left bool
}

// Correlate returns the Correlate operator: for each input row, one output
// row per function row, the input columns followed by the function's,
// with the input row's kind (a -D input row retracts every row it
// produced, since the function is deterministic). An Eval error, or a
// function row of the wrong width, dead-letters the input record (code
// "eval_error") and emits none of its rows.
func Correlate(spec CorrelateSpec) stream.Factory {
	return func() stream.Operator { return &correlate{spec: spec} }
}

type correlate struct {
	spec CorrelateSpec
	vals []row.Value // function rows, Width values each
	bad  error
	emit RowEmitter
	fn   func(vals ...row.Value)
}

func (c *correlate) Open(*stream.Context) error {
	if c.spec.Eval == nil || c.spec.Width < 1 {
		return fmt.Errorf("correlate: no function or width %d", c.spec.Width)
	}
	c.fn = func(vals ...row.Value) {
		if len(vals) != c.spec.Width {
			if c.bad == nil {
				c.bad = fmt.Errorf("table function row of %d columns, want %d", len(vals), c.spec.Width)
			}
			return
		}
		c.vals = append(c.vals, vals...)
	}
	return nil
}

func (c *correlate) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "correlate", 0)
	if err != nil {
		return err
	}
	// The function's rows are collected first, so an error midway emits
	// nothing.
	c.vals, c.bad = c.vals[:0], nil
	err = c.spec.Eval(in, c.fn)
	if err == nil {
		err = c.bad
	}
	if err != nil {
		return EvalError(err)
	}
	w := c.spec.Width
	if len(c.vals) == 0 {
		if !c.spec.Left {
			return nil
		}
		c.vals = append(c.vals, make([]row.Value, w)...) // NULL padding
	}
	for i := 0; i+w <= len(c.vals); i += w {
		c.emit.Set(in.Values, c.vals[i:i+w])
		c.emit.Emit(out, rec, in.Kind)
	}
	return nil
}

// UnnestArray returns the Eval of UNNEST over an ARRAY (or MULTISET:
// each element as many times as it occurs) in input column col: one row
// per element, plus its 1-based position (INT) WITH ORDINALITY. A NULL
// collection gives no rows. For an ARRAY of ROW, whose fields become the
// columns, use UnnestRows.
func UnnestArray(col int, withOrdinality bool) func(r *row.Row, emit func(vals ...row.Value)) error {
	return func(r *row.Row, emit func(vals ...row.Value)) error {
		v, err := collection(r, col, row.KindArray, row.KindMultiset)
		if err != nil || v.IsNull() {
			return err
		}
		for i, e := range v.Elems() {
			if withOrdinality {
				emit(e, row.Int(int32(i+1)))
			} else {
				emit(e)
			}
		}
		return nil
	}
}

// UnnestRows returns the Eval of UNNEST over an ARRAY of ROW with fields
// fields in input column col: Flink expands each element's fields into
// columns (a NULL element gives a row of NULLs), plus its 1-based position
// (INT) WITH ORDINALITY.
func UnnestRows(col, fields int, withOrdinality bool) func(r *row.Row, emit func(vals ...row.Value)) error {
	return func(r *row.Row, emit func(vals ...row.Value)) error {
		v, err := collection(r, col, row.KindArray, row.KindMultiset)
		if err != nil || v.IsNull() {
			return err
		}
		buf := make([]row.Value, 0, fields+1) // per call: tasks share the function
		for i, e := range v.Elems() {
			buf = buf[:0]
			switch {
			case e.IsNull():
				buf = append(buf, make([]row.Value, fields)...)
			case e.Kind() != row.KindRow || e.Len() != fields:
				return fmt.Errorf("UNNEST: element %d is not a ROW of %d fields", i+1, fields)
			default:
				buf = append(buf, e.Elems()...)
			}
			if withOrdinality {
				buf = append(buf, row.Int(int32(i+1)))
			}
			emit(buf...)
		}
		return nil
	}
}

// UnnestMap returns the Eval of UNNEST over a MAP in input column col:
// one (key, value) row per entry in the map's order, plus its 1-based
// position (INT) WITH ORDINALITY. A MULTISET gives one row per
// occurrence of each element (as UnnestArray). A NULL map gives no rows.
func UnnestMap(col int, withOrdinality bool) func(r *row.Row, emit func(vals ...row.Value)) error {
	arr := UnnestArray(col, withOrdinality)
	return func(r *row.Row, emit func(vals ...row.Value)) error {
		v, err := collection(r, col, row.KindMap, row.KindMultiset)
		if err != nil || v.IsNull() {
			return err
		}
		if v.Kind() == row.KindMultiset {
			return arr(r, emit)
		}
		for i := range v.Len() {
			if withOrdinality {
				emit(v.MapKey(i), v.MapValue(i), row.Int(int32(i+1)))
			} else {
				emit(v.MapKey(i), v.MapValue(i))
			}
		}
		return nil
	}
}

func collection(r *row.Row, col int, kinds ...row.Kind) (row.Value, error) {
	if col < 0 || col >= len(r.Values) {
		return row.Value{}, fmt.Errorf("UNNEST: column %d of a %d-column row", col, len(r.Values))
	}
	v := r.Values[col]
	if v.IsNull() {
		return v, nil
	}
	for _, k := range kinds {
		if v.Kind() == k {
			return v, nil
		}
	}
	return v, fmt.Errorf("UNNEST: column %d is %s, want %s", col, v.Kind(), kinds[0])
}
