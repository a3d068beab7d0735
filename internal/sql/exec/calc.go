package exec

import (
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/stream"
)

// CalcSpec is a projection and a filter over one input row (Flink's Calc:
// the WHERE condition and the SELECT list of a query without aggregation).
type CalcSpec struct {
	// Filter keeps the rows it returns true for (SQL's WHERE: NULL and
	// false drop the row); nil keeps every row.
	Filter func(*row.Row) (bool, error)
	// Projections compute the output columns from the input row; nil
	// passes the input record through unchanged (a filter only).
	Projections []expr.Func
}

// Calc returns the Calc operator: for each input row that passes Filter,
// one output row of the Projections' values with the input row's kind
// (a -U stays a -U: projecting and filtering commute with retraction),
// keyed, timed and positioned as the input record. A Filter or projection
// error dead-letters the record (code "eval_error") and emits nothing.
//
// Each instance reuses one output row for every record: receivers clone
// what they keep, which is the engine's rule for every record and row.
func Calc(spec CalcSpec) stream.Factory {
	return func() stream.Operator { return &calc{spec: spec} }
}

type calc struct {
	spec CalcSpec
	emit RowEmitter
}

func (c *calc) Open(*stream.Context) error { return nil }

func (c *calc) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "calc", 0)
	if err != nil {
		return err
	}
	if c.spec.Filter != nil {
		keep, err := c.spec.Filter(in)
		if err != nil {
			return EvalError(err)
		}
		if !keep {
			return nil
		}
	}
	if c.spec.Projections == nil {
		out.Emit(0, rec)
		return nil
	}
	vals := c.emit.Row.Values[:0]
	for _, p := range c.spec.Projections {
		v, err := p(in)
		if err != nil {
			c.emit.Row.Values = vals[:0]
			return EvalError(err)
		}
		vals = append(vals, v)
	}
	c.emit.Row.Values = vals
	c.emit.Emit(out, rec, in.Kind)
	return nil
}
