package function

import (
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// RegisterFunc registers a Go function as the scalar SQL function name
// (case-insensitive), the simple way: argTypes are the parameter types
// and ret the result type.
//
// A call binds when it has len(argTypes) arguments, each of the declared
// type or one Flink converts to it implicitly (a narrower integer, an
// integer to DECIMAL or DOUBLE, CHAR to STRING, DATE to TIMESTAMP, a
// NULL literal); a parameter declared as row.NullType accepts any type.
// fn receives the arguments converted to the declared types. It is not
// called when an argument is NULL: the result is then NULL (so the result
// type is nullable when an argument is). fn may be called from many
// goroutines at once. An error fails the record (it goes to the dead
// letters), as an exception in a Flink UDF does.
//
// For variadic functions, overloads or NULL-aware functions, register a
// Scalar with its own Bind instead.
func RegisterFunc(name string, ret row.Type, fn func(args []row.Value) (row.Value, error), argTypes ...row.Type) {
	Register(&Scalar{Name: name, Bind: func(_ *Env, args []Arg) (Bound, error) {
		conv, err := checkUserArgs(name, argTypes, args)
		if err != nil {
			return Bound{}, err
		}
		return Bound{Type: withNull(ret, ret.Nullable() || anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			if conv {
				a = convertArgs(a, argTypes)
			}
			return fn(a)
		}}, nil
	}})
}

// RegisterTableFunc registers a Go table function (a UDTF, used as
// LATERAL TABLE(name(args)) or in a join): for each input row fn emits
// zero or more rows of cols. Arguments bind as RegisterFunc's; fn gets
// NULL arguments too (emitting nothing for them is the usual answer).
//
// The gmall DWS keyword splitter, for example:
//
//	function.RegisterTableFunc("ik_analyze",
//		[]row.Column{{Name: "keyword", Type: row.StringType}},
//		func(args []row.Value, emit func(...row.Value)) error {
//			for _, w := range segment(args[0].Str()) {
//				emit(row.String(w))
//			}
//			return nil
//		}, row.StringType)
func RegisterTableFunc(name string, cols []row.Column, fn TableEval, argTypes ...row.Type) {
	RegisterTable(&Table{Name: name, Bind: func(_ *Env, args []Arg) ([]row.Column, TableEval, error) {
		conv, err := checkUserArgs(name, argTypes, args)
		if err != nil {
			return nil, nil, err
		}
		if !conv {
			return cols, fn, nil
		}
		return cols, func(a []row.Value, emit func(vals ...row.Value)) error {
			return fn(convertArgs(a, argTypes), emit)
		}, nil
	}})
}

// checkUserArgs checks a call against declared parameter types and
// reports whether an argument needs converting.
func checkUserArgs(name string, want []row.Type, args []Arg) (conv bool, err error) {
	ok := len(args) == len(want)
	for i := 0; ok && i < len(args); i++ {
		ok = assignable(want[i], args[i].Type)
		conv = conv || ok && needsConversion(want[i], args[i].Type)
	}
	if !ok {
		var b strings.Builder
		b.WriteByte('(')
		for i, t := range want {
			if i > 0 {
				b.WriteString(", ")
			}
			if isNullT(t) {
				b.WriteString("ANY")
			} else {
				b.WriteString(t.WithNotNull(false).String())
			}
		}
		b.WriteByte(')')
		return false, sigError(strings.ToUpper(name), b.String(), args)
	}
	return conv, nil
}

// assignable reports whether a value of type from may be passed where to
// is declared (Flink's implicit conversions).
func assignable(to, from row.Type) bool {
	if isNullT(from) || isNullT(to) {
		return true
	}
	switch {
	case to.IsInteger():
		return from.IsInteger() && from.Kind <= to.Kind
	case to.Kind == row.KindDecimal:
		return from.IsInteger() || from.Kind == row.KindDecimal
	case to.Kind == row.KindFloat:
		return from.IsInteger() || from.Kind == row.KindFloat || from.Kind == row.KindDecimal
	case to.Kind == row.KindDouble:
		return from.IsNumeric()
	case to.IsString():
		return from.IsString()
	case to.IsBinary():
		return from.IsBinary()
	case to.Kind == row.KindTimestamp:
		return from.Kind == row.KindTimestamp || from.Kind == row.KindDate
	case to.Kind == from.Kind:
		switch to.Kind {
		case row.KindArray, row.KindMap, row.KindMultiset, row.KindRow:
			return to.WithNotNull(false).Equal(from.WithNotNull(false))
		}
		return true
	}
	return false
}

func needsConversion(to, from row.Type) bool {
	if isNullT(to) || isNullT(from) {
		return false
	}
	if to.Kind == row.KindDecimal {
		return from.Kind != row.KindDecimal || from.Precision != to.Precision || from.Scale != to.Scale
	}
	return to.Kind != from.Kind
}

func convertArgs(a []row.Value, want []row.Type) []row.Value {
	out := make([]row.Value, len(a))
	for i, v := range a {
		if isNullT(want[i]) {
			out[i] = v
		} else {
			out[i] = convertTo(v, want[i])
		}
	}
	return out
}
