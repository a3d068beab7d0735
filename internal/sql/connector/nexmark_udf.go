package connector

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// Nexmark q14's user function, so that the suite's
// CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar'
// runs unchanged (a Java class name binds the Go function of its simple
// name). CountChar(s, c) is the number of bytes of s equal to the first
// byte of c, 0 when s is NULL, as the suite's Java class.
func init() {
	function.Register(&function.Scalar{Name: "CountChar", Bind: func(_ *function.Env, args []function.Arg) (function.Bound, error) {
		if len(args) != 2 || !stringArg(args[0].Type) || !stringArg(args[1].Type) {
			return function.Bound{}, fmt.Errorf("CountChar expects (STRING, STRING)")
		}
		return function.Bound{Type: row.BigIntType.WithNotNull(true), Eval: func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return row.BigInt(0), nil
			}
			if a[1].IsNull() || a[1].Str() == "" {
				return row.Null(), fmt.Errorf("CountChar: the character to count is NULL or empty")
			}
			s, c := a[0].Str(), a[1].Str()[0]
			var n int64
			for i := 0; i < len(s); i++ {
				if s[i] == c {
					n++
				}
			}
			return row.BigInt(n), nil
		}}, nil
	}})
}

func stringArg(t row.Type) bool { return t.IsString() || t.Kind == row.KindNull }
