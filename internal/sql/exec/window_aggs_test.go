package exec

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
)

// Tiny aggregate functions for the window and OVER tests (the real ones
// live in aggfn and are tested there): SUM over BIGINT or DECIMAL(p, s),
// COUNT(*), COUNT(x), MAX (cannot retract), and variants that cannot
// merge or retract, to drive every path of the operators.

// windowTestCall builds an AggCall from "fn(col)" text, columns by name:
// lower case the test functions below, upper case (SUM, COUNT, MAX, ...)
// aggfn's built-ins.
func windowTestCall(text string, s *row.Schema) (AggCall, error) {
	text = strings.TrimSpace(text)
	filter := -1
	if i := strings.Index(text, " filter "); i >= 0 {
		f := strings.TrimSpace(text[i+len(" filter "):])
		if filter = s.Index(f); filter < 0 {
			return AggCall{}, fmt.Errorf("no column %s", f)
		}
		text = text[:i]
	}
	open, close := strings.IndexByte(text, '('), strings.LastIndexByte(text, ')')
	if open < 0 || close < open {
		return AggCall{}, fmt.Errorf("call %q", text)
	}
	name, arg := strings.ToLower(text[:open]), strings.TrimSpace(text[open+1:close])
	var args []int
	var t row.Type
	if arg != "*" && arg != "" {
		c := s.Index(arg)
		if c < 0 {
			return AggCall{}, fmt.Errorf("no column %s", arg)
		}
		args, t = []int{c}, s.Column(c).Type
	}
	if raw := text[:open]; raw == strings.ToUpper(raw) {
		// Upper case: the aggfn built-in, bound to the argument's type.
		fn, ok := aggfn.Lookup(raw)
		if !ok {
			return AggCall{}, fmt.Errorf("no aggregate function %s", raw)
		}
		var types []row.Type
		var consts []*row.Value
		if len(args) == 1 {
			types, consts = []row.Type{t}, []*row.Value{nil}
		}
		b, err := fn.Bind(types, consts, false)
		if err != nil {
			return AggCall{}, err
		}
		return AggCall{Fn: b, Args: args, Filter: filter}, nil
	}
	var b aggfn.Bound
	switch name {
	case "sum", "sum_nomerge", "sum_noretract":
		if len(args) != 1 {
			return AggCall{}, fmt.Errorf("sum takes a column")
		}
		b = windowTestSumBound(t)
		b.Mergeable = name != "sum_nomerge"
		b.Retractable = name != "sum_noretract"
	case "count":
		b = aggfn.Bound{Name: "COUNT", Type: row.BigIntType.WithNotNull(true), Retractable: true, Mergeable: true,
			New: func() aggfn.Acc { return &windowTestCount{star: len(args) == 0} }}
	case "max":
		b = aggfn.Bound{Name: "MAX", Type: t, Mergeable: true, New: func() aggfn.Acc { return &windowTestMax{} }}
	default:
		return AggCall{}, fmt.Errorf("unknown test aggregate %s", name)
	}
	return AggCall{Fn: b, Args: args, Filter: filter}, nil
}

func windowTestSumBound(t row.Type) aggfn.Bound {
	if t.Kind == row.KindDecimal {
		p, s := row.DecimalSumType(t.Precision, t.Scale)
		return aggfn.Bound{Name: "SUM", Type: row.DecimalOf(p, s), Retractable: true, Mergeable: true,
			New: func() aggfn.Acc { return &windowTestSum{dec: true, p: p, s: s} }}
	}
	return aggfn.Bound{Name: "SUM", Type: row.BigIntType, Retractable: true, Mergeable: true,
		New: func() aggfn.Acc { return &windowTestSum{} }}
}

// windowTestSum sums BIGINTs or DECIMALs (unscaled int64: enough for tests),
// counting non-NULL values so that it is NULL for none.
type windowTestSum struct {
	dec  bool
	p, s int
	n    int64
	sum  int64 // unscaled for DECIMAL
}

func (a *windowTestSum) unscaled(v row.Value) int64 {
	if !a.dec {
		return v.Int64()
	}
	d, ok := v.Decimal().Rescale(a.p, a.s)
	u, fits := d.Unscaled()
	if !ok || !fits {
		panic("windowTestSum: decimal out of range")
	}
	return u
}

func (a *windowTestSum) Add(args []row.Value) error {
	if args[0].IsNull() {
		return nil
	}
	a.n++
	a.sum += a.unscaled(args[0])
	return nil
}

func (a *windowTestSum) Retract(args []row.Value) error {
	if args[0].IsNull() {
		return nil
	}
	a.n--
	a.sum -= a.unscaled(args[0])
	return nil
}

func (a *windowTestSum) Merge(o aggfn.Acc) error {
	b := o.(*windowTestSum)
	a.n += b.n
	a.sum += b.sum
	return nil
}

func (a *windowTestSum) Result() row.Value {
	if a.n == 0 {
		return row.Null()
	}
	if a.dec {
		d, _ := row.NewDecimal(a.sum, a.p, a.s)
		return row.DecimalValue(d)
	}
	return row.BigInt(a.sum)
}

func (a *windowTestSum) Marshal(dst []byte) []byte {
	return binary.AppendVarint(binary.AppendVarint(dst, a.n), a.sum)
}

func (a *windowTestSum) Unmarshal(src []byte) error {
	r := stateReader{b: src}
	a.n, a.sum = r.varint(), r.varint()
	return r.done()
}

// windowTestCount is COUNT(*) or COUNT(x).
type windowTestCount struct {
	star bool
	n    int64
}

func (a *windowTestCount) Add(args []row.Value) error {
	if a.star || !args[0].IsNull() {
		a.n++
	}
	return nil
}

func (a *windowTestCount) Retract(args []row.Value) error {
	if a.star || !args[0].IsNull() {
		a.n--
	}
	return nil
}

func (a *windowTestCount) Merge(o aggfn.Acc) error { a.n += o.(*windowTestCount).n; return nil }
func (a *windowTestCount) Result() row.Value       { return row.BigInt(a.n) }
func (a *windowTestCount) Marshal(dst []byte) []byte {
	return binary.AppendVarint(dst, a.n)
}

func (a *windowTestCount) Unmarshal(src []byte) error {
	r := stateReader{b: src}
	a.n = r.varint()
	return r.done()
}

// windowTestMax is MAX without retraction.
type windowTestMax struct{ v row.Value }

func (a *windowTestMax) Add(args []row.Value) error {
	if !args[0].IsNull() && (a.v.IsNull() || row.Compare(args[0], a.v) > 0) {
		a.v = args[0]
	}
	return nil
}

func (a *windowTestMax) Retract([]row.Value) error { return fmt.Errorf("MAX cannot retract") }
func (a *windowTestMax) Merge(o aggfn.Acc) error {
	return a.Add([]row.Value{o.(*windowTestMax).v})
}
func (a *windowTestMax) Result() row.Value         { return a.v }
func (a *windowTestMax) Marshal(dst []byte) []byte { return windowAppendValue(dst, a.v) }
func (a *windowTestMax) Unmarshal(src []byte) error {
	r := stateReader{b: src}
	a.v = windowReadValue(&r)
	return r.done()
}
