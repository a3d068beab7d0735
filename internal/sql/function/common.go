package function

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// Conventions of the built-in functions (files string.go, time.go,
// dateformat.go, math.go, json.go, hash.go, collection.go, misc.go):
//
//   - Bind accepts Flink's implicit conversions: any integer type where
//     an integer is expected, CHAR / VARCHAR / STRING interchangeably, and
//     a NULL-typed argument (a NULL literal) anywhere.
//   - The result is nullable when an argument is, or when the function
//     returns NULL on bad input (TO_TIMESTAMP, REGEXP_EXTRACT, ...).
//   - Every Eval checks its arguments for NULL itself, so a caller that
//     does not honour NullIfAnyNull still gets SQL's answer.
//   - Evals are safe for concurrent use: per-call-site caches (the last
//     non-constant regex, date pattern or JSON path) are atomic pointers.
//   - Strings are counted in Unicode code points where Flink counts Java
//     chars (UTF-16 units): the two agree except for characters outside
//     the Basic Multilingual Plane (emoji).

// ---- argument classes ----

type class func(row.Type) bool

func isNullT(t row.Type) bool { return t.Kind == row.KindNull }
func isStrT(t row.Type) bool  { return isNullT(t) || t.IsString() }
func isStrBinT(t row.Type) bool {
	return isNullT(t) || t.IsString() || t.IsBinary()
}
func isIntT(t row.Type) bool  { return isNullT(t) || t.IsInteger() }
func isNumT(t row.Type) bool  { return isNullT(t) || t.IsNumeric() }
func isBoolT(t row.Type) bool { return isNullT(t) || t.Kind == row.KindBoolean }

// isDateTimeT accepts DATE, TIMESTAMP and TIMESTAMP_LTZ.
func isDateTimeT(t row.Type) bool {
	switch t.Kind {
	case row.KindNull, row.KindDate, row.KindTimestamp, row.KindTimestampLTZ:
		return true
	}
	return false
}

// isTemporalT also accepts TIME.
func isTemporalT(t row.Type) bool { return isDateTimeT(t) || t.Kind == row.KindTime }

// ---- signatures and messages ----

// sig is one accepted argument list: want spells it in error messages
// ("(STRING, INT[, INT])"), cls gives each position's class, min the
// fewest arguments; with variadic the last class repeats.
type sig struct {
	want     string
	min      int
	cls      []class
	variadic bool
}

func (s sig) matches(args []Arg) bool {
	if len(args) < s.min || (!s.variadic && len(args) > len(s.cls)) {
		return false
	}
	for i, a := range args {
		if !s.cls[min(i, len(s.cls)-1)](a.Type) {
			return false
		}
	}
	return true
}

// check returns the user-facing error when args do not match.
func (s sig) check(name string, args []Arg) error {
	if s.matches(args) {
		return nil
	}
	return sigError(name, s.want, args)
}

// sigError is "NAME expects want, got (T1, T2)".
func sigError(name, want string, args []Arg) error {
	return fmt.Errorf("%s expects %s, got %s", name, want, argList(args))
}

// argList spells the argument types as "(INT, STRING)" (nullability
// left out: it never decides whether a call is valid).
func argList(args []Arg) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Type.WithNotNull(false).String())
	}
	b.WriteByte(')')
	return b.String()
}

// ---- nullability ----

// anyNullable reports whether some argument may be NULL.
func anyNullable(args []Arg) bool {
	for _, a := range args {
		if a.Type.Nullable() {
			return true
		}
	}
	return false
}

// withNull returns t, nullable when n.
func withNull(t row.Type, n bool) row.Type { return t.WithNotNull(!n) }

// hasNull reports whether an evaluated argument is NULL.
func hasNull(args []row.Value) bool {
	for _, v := range args {
		if v.IsNull() {
			return true
		}
	}
	return false
}

// ---- constants ----

// constStr returns a non-NULL constant string argument.
func constStr(a Arg) (string, bool) {
	if a.Const == nil || a.Const.IsNull() || !isStrKind(a.Const.Kind()) {
		return "", false
	}
	return a.Const.Str(), true
}

// constInt returns a non-NULL constant integer argument.
func constInt(a Arg) (int64, bool) {
	if a.Const == nil || a.Const.IsNull() || !isIntKind(a.Const.Kind()) {
		return 0, false
	}
	return a.Const.Int64(), true
}

// isConstNull reports a NULL literal argument.
func isConstNull(a Arg) bool { return a.Const != nil && a.Const.IsNull() }

func isIntKind(k row.Kind) bool { return k >= row.KindTinyInt && k <= row.KindBigInt }
func isStrKind(k row.Kind) bool { return k == row.KindChar || k == row.KindVarChar }

// ---- result builders ----

// strType is the VARCHAR(n) a string function returns for an argument of
// type t (ARG0 "varying" in Calcite's terms): STRING for a NULL type.
func strType(t row.Type) row.Type {
	if t.IsString() {
		return row.VarCharOf(t.Precision)
	}
	return row.StringType
}

// strOf returns s as a value of kind k (CHAR stays CHAR).
func strOf(k row.Kind, s string) row.Value {
	if k == row.KindChar {
		return row.Char(s)
	}
	return row.String(s)
}

var null = row.Null()

// ---- environment ----

func locOf(env *Env) *time.Location {
	if env == nil || env.Loc == nil {
		return time.UTC
	}
	return env.Loc
}

func nowOf(env *Env) func() time.Time {
	if env == nil || env.Now == nil {
		return time.Now
	}
	return env.Now
}

// ---- per-call-site cache of the last non-constant pattern ----

// lastCache remembers the last compiled form of a non-constant pattern
// argument (a regex, a date format, a JSON path, a zone), so a column
// that holds the same pattern in every row compiles it once. It is an
// atomic pointer: bound functions may run on many goroutines.
type lastCache[T any] struct {
	p       atomic.Pointer[lastEntry[T]]
	compile func(string) (T, error)
}

type lastEntry[T any] struct {
	key string
	val T
	err error
}

func newLastCache[T any](compile func(string) (T, error)) *lastCache[T] {
	return &lastCache[T]{compile: compile}
}

func (c *lastCache[T]) get(key string) (T, error) {
	if e := c.p.Load(); e != nil && e.key == key {
		return e.val, e.err
	}
	v, err := c.compile(key)
	c.p.Store(&lastEntry[T]{key: key, val: v, err: err})
	return v, err
}

// compiled returns a getter for a pattern argument: the constant's
// compiled form (compiled once, at bind time, its error a bind error),
// or the cache for a per-row pattern.
func compiled[T any](name string, a Arg, compile func(string) (T, error)) (func(string) (T, error), error) {
	if s, ok := constStr(a); ok {
		v, err := compile(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return func(string) (T, error) { return v, nil }, nil
	}
	return newLastCache(compile).get, nil
}

// ---- registration ----

func reg(name string, bind func(env *Env, args []Arg) (Bound, error), aliases ...string) {
	Register(&Scalar{Name: name, Bind: bind})
	for _, a := range aliases {
		Register(&Scalar{Name: a, Bind: bind})
	}
}

// simple registers a function of one signature whose result is NULL when
// an argument is: result derives the type from the arguments, mk the
// evaluator.
func simple(name string, s sig, result func(args []Arg) row.Type, mk func(env *Env, args []Arg) (Eval, error), aliases ...string) {
	reg(name, func(env *Env, args []Arg) (Bound, error) {
		if err := s.check(name, args); err != nil {
			return Bound{}, err
		}
		ev, err := mk(env, args)
		if err != nil {
			return Bound{}, err
		}
		return Bound{Type: result(args), Eval: ev, NullIfAnyNull: true}, nil
	}, aliases...)
}

// fixed returns a result-type function: t, nullable when an argument is.
func fixed(t row.Type) func([]Arg) row.Type {
	return func(args []Arg) row.Type { return withNull(t, anyNullable(args)) }
}

// forced returns t always nullable (functions returning NULL on bad input).
func forced(t row.Type) func([]Arg) row.Type {
	return func([]Arg) row.Type { return withNull(t, true) }
}

func cls(c ...class) []class { return c }
