package aggfn

import (
	"encoding/binary"
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
)

// LAG(x [, offset [, default]]) OVER (...): x of the row offset rows
// before the current one in the window's order, or default (NULL) when
// there are fewer, as Flink's streaming LagAggFunction: the accumulator
// keeps the last offset+1 values in arrival order and its result is the
// oldest once it holds offset+1. The offset is an INT literal (1 by
// default, >= 0); the default is any expression of x's type, taken from
// the current row. It neither retracts (an OVER frame that drops rows
// rebuilds it) nor merges.
func bindLag(args []row.Type, consts []*row.Value, distinct bool) (Bound, error) {
	const name = "LAG"
	if err := argCount(name, args, 1, 3); err != nil {
		return Bound{}, err
	}
	if distinct {
		return Bound{}, fmt.Errorf("LAG does not take DISTINCT")
	}
	t := args[0]
	if isNullType(t) {
		return Bound{}, unsupported(name, t)
	}
	offset := int64(1)
	if len(args) > 1 {
		if !args[1].IsInteger() || len(consts) < 2 || consts[1] == nil || consts[1].IsNull() {
			return Bound{}, fmt.Errorf("LAG's offset must be an integer literal, got %s", args[1])
		}
		if offset = consts[1].Int64(); offset < 0 {
			return Bound{}, fmt.Errorf("Offset(%d) should be positive.", offset)
		}
	}
	if len(args) > 2 && !isNullType(args[2]) && args[2].Kind != t.Kind {
		return Bound{}, fmt.Errorf("Please explicitly cast default value %s to %s.", args[2], t)
	}
	s, err := stateSchema(t)
	if err != nil {
		return Bound{}, fmt.Errorf("LAG: %w", err)
	}
	cfg := &lagCfg{offset: int(offset), hasDefault: len(args) > 2, schema: s}
	return Bound{
		Name: name,
		Type: t.WithNotNull(false),
		New:  func() Acc { return &lagAcc{cfg: cfg} },
	}, nil
}

type lagCfg struct {
	offset     int
	hasDefault bool
	schema     *row.Schema // one ARRAY column of x's type
}

type lagAcc struct {
	cfg  *lagCfg
	vals []row.Value // the last offset+1 values, oldest first
	def  row.Value   // the latest row's default
}

func (a *lagAcc) Add(args []row.Value) error {
	if a.cfg.hasDefault {
		a.def = cloneValue(args[2])
	}
	a.vals = append(a.vals, cloneValue(args[0]))
	if n := len(a.vals) - (a.cfg.offset + 1); n > 0 {
		a.vals = append(a.vals[:0], a.vals[n:]...)
	}
	return nil
}

func (a *lagAcc) Retract([]row.Value) error { return errInsertOnly }

func (a *lagAcc) Merge(other Acc) error { return mergeMismatch("LAG", other) }

func (a *lagAcc) Result() row.Value {
	if len(a.vals) < a.cfg.offset+1 {
		return a.def
	}
	return a.vals[0]
}

// State: version, the default as a one-element ARRAY row, then the
// values as one ARRAY row (both length-prefixed).
func (a *lagAcc) Marshal(dst []byte) []byte {
	dst = append(dst, stateVersion)
	def := appendValues(nil, "LAG", a.cfg.schema, []row.Value{row.Array([]row.Value{a.def})})
	dst = binary.AppendUvarint(dst, uint64(len(def)))
	dst = append(dst, def...)
	return appendValues(dst, "LAG", a.cfg.schema, []row.Value{row.Array(a.vals)})
}

func (a *lagAcc) Unmarshal(src []byte) error {
	a.vals, a.def = nil, row.Value{}
	r := newReader("LAG", src)
	def := r.sized()
	if r.err == nil {
		var dr row.Row
		if err := row.DecodeRow(def, a.cfg.schema, &dr); err != nil || len(dr.Values) != 1 || len(dr.Values[0].Elems()) != 1 {
			r.fail("bad default")
		} else {
			a.def = dr.Values[0].Elems()[0]
		}
	}
	cols := r.rowOf(a.cfg.schema)
	if r.err == nil {
		a.vals = append([]row.Value(nil), cols[0].Elems()...)
		if len(a.vals) > a.cfg.offset+1 {
			r.fail("%d values for offset %d", len(a.vals), a.cfg.offset)
		}
	}
	if err := r.done(); err != nil {
		a.vals, a.def = nil, row.Value{}
		return err
	}
	return nil
}
