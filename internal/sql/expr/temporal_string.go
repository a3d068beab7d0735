package expr

import (
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// A DATE, TIME, TIMESTAMP or TIMESTAMP_LTZ compared with a string (=,
// <>, <, BETWEEN, IN, IS DISTINCT FROM) compares with the string cast to
// the temporal type, as Flink casts it (ScalarOperatorsTest
// testTemporalTypeEqualsStringLiteral, ...): dt = '2024-01-31' is what a
// user means. A literal that is no such value is a plan-time error; a
// string column's value that is none compares as NULL.

func isTemporalKind(k row.Kind) bool { return isDatetimeKind(k) || k == row.KindTime }

// temporalOperand returns s cast to t when t is temporal and s a string,
// else s unchanged.
func (c *compiler) temporalOperand(at ast.Node, t row.Type, s *Compiled) (*Compiled, error) {
	if !isTemporalKind(t.Kind) || !isStrKind(s.Type.Kind) {
		return s, nil
	}
	to := t.WithNotNull(s.Type.NotNull)
	if v, ok := constValue(s); ok {
		if v.IsNull() {
			return c.constant(to.WithNotNull(false), row.Value{}), nil
		}
		cast, err := castFunc(s.Type, to, c.env, false)
		if err != nil {
			return nil, errAt(at, "%v", err)
		}
		out, err := cast(v)
		if err != nil {
			return nil, errAt(at, "%v", err)
		}
		return c.constant(to, out), nil
	}
	cast, err := castFunc(s.Type, to, c.env, false)
	if err != nil {
		return nil, errAt(at, "%v", err)
	}
	try := tryWrap(cast)
	return c.node(to.WithNotNull(false), unEval(s, try), s), nil
}

// temporalPair applies temporalOperand both ways.
func (c *compiler) temporalPair(at ast.Node, l, r *Compiled) (*Compiled, *Compiled, error) {
	var err error
	if r, err = c.temporalOperand(at, l.Type, r); err != nil {
		return nil, nil, err
	}
	if l, err = c.temporalOperand(at, r.Type, l); err != nil {
		return nil, nil, err
	}
	return l, r, nil
}
