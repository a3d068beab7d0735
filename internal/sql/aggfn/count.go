package aggfn

import (
	"encoding/binary"
	"errors"

	"github.com/rtdw/rtdw/internal/row"
)

// COUNT(*) counts rows, COUNT(x, ...) rows whose arguments are all
// non-NULL (Flink's Count1AggFunction and CountAggFunction): BIGINT NOT
// NULL, 0 for no rows. A retraction decrements, so a retraction that
// arrives before its row makes the count negative until the row comes, as
// in Flink.
func bindCount(args []row.Type, _ []*row.Value, distinct bool) (Bound, error) {
	if distinct && len(args) == 0 {
		return Bound{}, errCountDistinctStar
	}
	star := len(args) == 0
	b := Bound{
		Name:        "COUNT",
		Type:        row.BigIntType.WithNotNull(true),
		New:         func() Acc { return &countAcc{star: star} },
		Retractable: true,
		Mergeable:   true,
	}
	return finish(b, args, distinct)
}

var errCountDistinctStar = errors.New("COUNT(DISTINCT *) is not valid: name the columns")

type countAcc struct {
	n    int64
	star bool
}

func (a *countAcc) counts(args []row.Value) bool {
	if a.star {
		return true
	}
	for i := range args {
		if args[i].IsNull() {
			return false
		}
	}
	return true
}

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

func (a *countAcc) Merge(other Acc) error {
	o, ok := other.(*countAcc)
	if !ok {
		return mergeMismatch("COUNT", other)
	}
	a.n += o.n
	return nil
}

func (a *countAcc) Result() row.Value { return row.BigInt(a.n) }

// State: version, varint count.
func (a *countAcc) Marshal(dst []byte) []byte {
	return binary.AppendVarint(append(dst, stateVersion), a.n)
}

func (a *countAcc) Unmarshal(src []byte) error {
	r := newReader("COUNT", src)
	n := r.varint()
	if err := r.done(); err != nil {
		a.n = 0
		return err
	}
	a.n = n
	return nil
}
