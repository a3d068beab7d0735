package aggfn

import (
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// UserFunc is an aggregate function written in Go, callable from SQL by
// Name once registered (RegisterUser, RegisterUserFunc), like a Flink
// AggregateFunction registered with CREATE FUNCTION.
//
// New makes an empty accumulator. Its Add gets one value per argument, of
// the declared types (see Args); NULLs are passed through: the function
// decides what a NULL means (built-ins ignore them). Result is called after
// any sequence of Add, Retract and Merge calls, so it must not modify the
// accumulator. Marshal must be deterministic and Unmarshal must reject
// (not panic on) bytes Marshal did not write, since states are checkpointed
// and restored, possibly by a newer version of the function: a version
// byte first is wise.
type UserFunc struct {
	Name   string
	Result row.Type // the result type
	// Args are the argument types. A call binds when each argument has the
	// declared kind (nullability and length or precision aside), with
	// these widenings, under which the Value accessors work unchanged:
	// any integer type for an integer type at least as wide (read with
	// Int64); any integer, FLOAT, DOUBLE or DECIMAL for DOUBLE (Float64);
	// any character string for a character string (Str), any binary
	// string for a binary string; any DECIMAL for DECIMAL (Decimal); and a
	// NULL literal for anything. Composite types (ARRAY, MAP, MULTISET,
	// ROW) must be equal apart from nullability.
	Args []row.Type
	New  func() Acc
	// NoRetract says Retract is not implemented: the planner must not use
	// the function over an updating (retracting) input (Flink requires a
	// retract method there too).
	NoRetract bool
	// NoMerge says Merge is not implemented: no session windows, and
	// HOP/CUMULATE windows cannot share slices.
	NoMerge bool
}

// RegisterUser registers a Go aggregate function that retracts and merges
// (see UserFunc): SQL calls name(args...) with arguments of argTypes and
// gets ret. It panics when the definition is invalid or name is taken by
// a built-in function, as registration happens at start-up, like
// http.Handle. A later registration of the same name replaces the earlier.
func RegisterUser(name string, ret row.Type, newAcc func() Acc, argTypes ...row.Type) {
	if err := RegisterUserFunc(UserFunc{Name: name, Result: ret, Args: argTypes, New: newAcc}); err != nil {
		panic(err)
	}
}

// RegisterUserFunc registers u; it fails when u is invalid or its name is
// a built-in function's.
func RegisterUserFunc(u UserFunc) error {
	switch {
	case u.Name == "" || strings.TrimSpace(u.Name) != u.Name:
		return fmt.Errorf("aggfn: invalid user aggregate function name %q", u.Name)
	case IsBuiltin(u.Name):
		return fmt.Errorf("aggfn: %s is a built-in aggregate function", strings.ToUpper(u.Name))
	case u.New == nil:
		return fmt.Errorf("aggfn: user aggregate function %s: New is nil", u.Name)
	}
	if err := u.Result.Validate(); err != nil {
		return fmt.Errorf("aggfn: user aggregate function %s: result type: %w", u.Name, err)
	}
	for i, t := range u.Args {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("aggfn: user aggregate function %s: argument %d: %w", u.Name, i+1, err)
		}
	}
	u.Args = append([]row.Type(nil), u.Args...)
	Register(&Func{Name: u.Name, Bind: u.bind})
	return nil
}

func (u UserFunc) bind(args []row.Type, _ []*row.Value, distinct bool) (Bound, error) {
	name := strings.ToUpper(u.Name)
	if len(args) != len(u.Args) {
		return Bound{}, fmt.Errorf("%s takes %d argument(s), got %d", name, len(u.Args), len(args))
	}
	for i, t := range args {
		if !assignable(t, u.Args[i]) {
			return Bound{}, fmt.Errorf("%s: argument %d is %s, the function takes %s", name, i+1, t, u.Args[i])
		}
	}
	b := Bound{
		Name:        name,
		Type:        u.Result,
		New:         u.New,
		Retractable: !u.NoRetract,
		Mergeable:   !u.NoMerge,
	}
	if distinct {
		return Distinct(b, args)
	}
	return b, nil
}

// assignable reports whether a value of type t can be passed where decl is
// declared (UserFunc.Args).
func assignable(t, decl row.Type) bool {
	if t.Kind == row.KindNull {
		return true
	}
	switch {
	case decl.IsInteger():
		return t.IsInteger() && t.Kind <= decl.Kind // TINYINT < SMALLINT < INT < BIGINT
	case decl.Kind == row.KindDouble:
		return t.IsNumeric()
	case decl.IsString():
		return t.IsString()
	case decl.IsBinary():
		return t.IsBinary()
	case decl.Kind == row.KindDecimal:
		return t.Kind == row.KindDecimal
	case decl.Kind >= row.KindArray:
		return t.WithNotNull(false).Equal(decl.WithNotNull(false))
	}
	return t.Kind == decl.Kind
}
