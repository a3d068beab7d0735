package exec_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
)

// Tiny aggregate functions of the tests' own (the real ones live in
// aggfn): SUM and COUNT over BIGINT with retraction, a MAX without
// retraction, and BOOM, a retractable SUM that fails on the value 13.

var (
	testSum   = aggfn.Bound{Name: "SUM", Type: row.BigIntType, New: func() aggfn.Acc { return &sumAcc{} }, Retractable: true}
	testCount = aggfn.Bound{Name: "COUNT", Type: row.BigIntType, New: func() aggfn.Acc { return &countAcc{} }, Retractable: true}
	testMax   = aggfn.Bound{Name: "MAX", Type: row.BigIntType, New: func() aggfn.Acc { return &maxAcc{} }}
	testBoom  = aggfn.Bound{Name: "BOOM", Type: row.BigIntType, New: func() aggfn.Acc { return &sumAcc{boom: true} }, Retractable: true}
)

// sumAcc is SUM(x): NULLs skipped, NULL when no non-NULL value counts.
type sumAcc struct {
	sum, n int64
	boom   bool
}

func (a *sumAcc) Add(args []row.Value) error {
	if args[0].IsNull() {
		return nil
	}
	if a.boom && args[0].Int64() == 13 {
		return errors.New("unlucky 13")
	}
	a.sum += args[0].Int64()
	a.n++
	return nil
}

func (a *sumAcc) Retract(args []row.Value) error {
	if args[0].IsNull() {
		return nil
	}
	if a.boom && args[0].Int64() == 13 {
		return errors.New("unlucky 13")
	}
	a.sum -= args[0].Int64()
	a.n--
	return nil
}

func (a *sumAcc) Merge(o aggfn.Acc) error {
	b := o.(*sumAcc)
	a.sum, a.n = a.sum+b.sum, a.n+b.n
	return nil
}

func (a *sumAcc) Result() row.Value {
	if a.n == 0 {
		return row.Null()
	}
	return row.BigInt(a.sum)
}

func (a *sumAcc) Marshal(dst []byte) []byte {
	return binary.AppendVarint(binary.AppendVarint(dst, a.sum), a.n)
}

func (a *sumAcc) Unmarshal(src []byte) error {
	var n1, n2 int
	a.sum, n1 = binary.Varint(src)
	if n1 <= 0 {
		return errors.New("bad sum")
	}
	a.n, n2 = binary.Varint(src[n1:])
	if n2 <= 0 || n1+n2 != len(src) {
		return errors.New("bad sum")
	}
	return nil
}

// countAcc is COUNT(*) (no arguments) or COUNT(x) (non-NULL x).
type countAcc struct{ n int64 }

func (a *countAcc) counts(args []row.Value) bool { return len(args) == 0 || !args[0].IsNull() }
func (a *countAcc) Add(args []row.Value) error {
	if a.counts(args) {
		a.n++
	}
	return nil
}
func (a *countAcc) Retract(args []row.Value) error {
	if a.counts(args) {
		a.n--
	}
	return nil
}
func (a *countAcc) Merge(o aggfn.Acc) error   { a.n += o.(*countAcc).n; return nil }
func (a *countAcc) Result() row.Value         { return row.BigInt(a.n) }
func (a *countAcc) Marshal(dst []byte) []byte { return binary.AppendVarint(dst, a.n) }
func (a *countAcc) Unmarshal(src []byte) error {
	v, n := binary.Varint(src)
	if n <= 0 || n != len(src) {
		return errors.New("bad count")
	}
	a.n = v
	return nil
}

// maxAcc is MAX(x) without retraction.
type maxAcc struct {
	max int64
	set bool
}

func (a *maxAcc) Add(args []row.Value) error {
	if args[0].IsNull() {
		return nil
	}
	if v := args[0].Int64(); !a.set || v > a.max {
		a.max, a.set = v, true
	}
	return nil
}
func (a *maxAcc) Retract([]row.Value) error { return errors.New("MAX cannot retract") }
func (a *maxAcc) Merge(aggfn.Acc) error     { return errors.New("no merge") }
func (a *maxAcc) Result() row.Value {
	if !a.set {
		return row.Null()
	}
	return row.BigInt(a.max)
}
func (a *maxAcc) Marshal(dst []byte) []byte {
	if !a.set {
		return dst
	}
	return binary.AppendVarint(dst, a.max)
}
func (a *maxAcc) Unmarshal(src []byte) error {
	if len(src) == 0 {
		return nil
	}
	v, n := binary.Varint(src)
	if n != len(src) {
		return fmt.Errorf("bad max")
	}
	a.max, a.set = v, true
	return nil
}
