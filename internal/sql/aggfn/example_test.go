package aggfn_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
)

// weightedAvg is the accumulator of WEIGHTED_AVG(value DOUBLE, weight
// BIGINT): sum(value * weight) / sum(weight), NULL for no weight.
type weightedAvg struct {
	sum     float64
	weights int64
}

func (a *weightedAvg) Add(args []row.Value) error {
	if args[0].IsNull() || args[1].IsNull() {
		return nil // rows with a NULL argument do not count, as built-ins do
	}
	w := args[1].Int64()
	a.sum += args[0].Float64() * float64(w)
	a.weights += w
	return nil
}

func (a *weightedAvg) Retract(args []row.Value) error {
	if args[0].IsNull() || args[1].IsNull() {
		return nil
	}
	w := args[1].Int64()
	a.sum -= args[0].Float64() * float64(w)
	a.weights -= w
	return nil
}

func (a *weightedAvg) Merge(other aggfn.Acc) error {
	o, ok := other.(*weightedAvg)
	if !ok {
		return fmt.Errorf("weighted_avg: cannot merge a %T", other)
	}
	a.sum += o.sum
	a.weights += o.weights
	return nil
}

func (a *weightedAvg) Result() row.Value {
	if a.weights == 0 {
		return row.Null()
	}
	return row.Double(a.sum / float64(a.weights))
}

// The state: a version byte, the sum (8 bytes), the weights (a varint).
func (a *weightedAvg) Marshal(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(append(dst, 1), math.Float64bits(a.sum))
	return binary.AppendVarint(dst, a.weights)
}

func (a *weightedAvg) Unmarshal(src []byte) error {
	if len(src) < 10 || src[0] != 1 {
		return errors.New("weighted_avg: bad state")
	}
	w, n := binary.Varint(src[9:])
	if n <= 0 || 9+n != len(src) {
		return errors.New("weighted_avg: bad state")
	}
	a.sum, a.weights = math.Float64frombits(binary.LittleEndian.Uint64(src[1:9])), w
	return nil
}

// A Go aggregate function registered by name, then called as SQL would:
// SELECT item, WEIGHTED_AVG(price, qty) FROM orders GROUP BY item.
func ExampleRegisterUser() {
	aggfn.RegisterUser("weighted_avg", row.DoubleType,
		func() aggfn.Acc { return new(weightedAvg) },
		row.DoubleType, row.BigIntType)

	// the planner: look the name up (any case) and bind the argument
	// types; an INT quantity is accepted where BIGINT is declared
	f, _ := aggfn.Lookup("WEIGHTED_AVG")
	b, err := f.Bind([]row.Type{row.DoubleType, row.IntType}, make([]*row.Value, 2), false)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Name, b.Type, b.Retractable, b.Mergeable)

	// the operator: one accumulator per group
	acc := b.New()
	_ = acc.Add([]row.Value{row.Double(10), row.Int(1)})
	_ = acc.Add([]row.Value{row.Double(20), row.Int(3)})
	fmt.Println(acc.Result()) // (10*1 + 20*3) / 4

	_ = acc.Retract([]row.Value{row.Double(20), row.Int(3)}) // an update retracts the old row
	fmt.Println(acc.Result())

	// checkpoint and restore
	restored := b.New()
	if err := restored.Unmarshal(acc.Marshal(nil)); err != nil {
		fmt.Println(err)
		return
	}
	_ = restored.Add([]row.Value{row.Double(40), row.Int(1)})
	fmt.Println(restored.Result())

	// a wrong argument type fails at plan time
	_, err = f.Bind([]row.Type{row.StringType, row.IntType}, make([]*row.Value, 2), false)
	fmt.Println(err)
	// Output:
	// WEIGHTED_AVG DOUBLE true true
	// 17.5
	// 10
	// 25
	// WEIGHTED_AVG: argument 1 is STRING, the function takes DOUBLE
}
