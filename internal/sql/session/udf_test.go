package session_test

import (
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// Go user functions for testdata/logic/udf.test, registered the way an
// rtdw user registers theirs: a scalar, a table function (the gmall DWS
// keyword splitter's shape) and an aggregate.
func init() {
	function.RegisterFunc("test_twice", row.BigIntType, func(args []row.Value) (row.Value, error) {
		return row.BigInt(2 * args[0].Int64()), nil
	}, row.BigIntType)
	function.RegisterTableFunc("test_split", []row.Column{{Name: "word", Type: row.StringType}, {Name: "len", Type: row.IntType}},
		func(args []row.Value, emit func(...row.Value)) error {
			if args[0].IsNull() {
				return nil
			}
			for _, w := range strings.Fields(args[0].Str()) {
				emit(row.String(w), row.Int(int32(len(w))))
			}
			return nil
		}, row.StringType)
	aggfn.RegisterUser("test_longest", row.StringType, func() aggfn.Acc { return &longest{} }, row.StringType)
	// The same, declared unable to retract: refused over an updating input.
	if err := aggfn.RegisterUserFunc(aggfn.UserFunc{Name: "test_longest_append", Result: row.StringType, Args: []row.Type{row.StringType},
		New: func() aggfn.Acc { return &longest{} }, NoRetract: true}); err != nil {
		panic(err)
	}
}

// longest keeps the longest string (a multiset of lengths per string, so
// it can retract).
type longest struct{ vals []string }

func (l *longest) Add(args []row.Value) error {
	if !args[0].IsNull() {
		l.vals = append(l.vals, args[0].Str())
	}
	return nil
}

func (l *longest) Retract(args []row.Value) error {
	for i, v := range l.vals {
		if !args[0].IsNull() && v == args[0].Str() {
			l.vals = append(l.vals[:i], l.vals[i+1:]...)
			break
		}
	}
	return nil
}

func (l *longest) Merge(o aggfn.Acc) error {
	l.vals = append(l.vals, o.(*longest).vals...)
	return nil
}

func (l *longest) Result() row.Value {
	best := ""
	for _, v := range l.vals {
		if len(v) > len(best) || (len(v) == len(best) && v < best) {
			best = v
		}
	}
	if len(l.vals) == 0 {
		return row.Null()
	}
	return row.String(best)
}

func (l *longest) Marshal(dst []byte) []byte {
	return append(dst, strings.Join(l.vals, "\x00")...)
}

func (l *longest) Unmarshal(src []byte) error {
	l.vals = nil
	if len(src) > 0 {
		l.vals = strings.Split(string(src), "\x00")
	}
	return nil
}
