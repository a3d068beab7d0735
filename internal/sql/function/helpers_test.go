package function

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"github.com/rtdw/rtdw/internal/row"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	// fixedNow is 2024-03-15 20:00:00.123456789 UTC: 2024-03-16 04:00 in
	// Shanghai, so the session zone changes the date.
	fixedNow = func() time.Time { return time.Date(2024, 3, 15, 20, 0, 0, 123456789, time.UTC) }
	utcEnv   = &Env{Loc: time.UTC, Now: fixedNow}
	shEnv    = &Env{Loc: shanghai, Now: fixedNow}
)

// Value shorthands.
var (
	s  = row.String
	i  = row.Int
	bi = row.BigInt
	f  = row.Double
	b  = row.Bool
	nl = row.Null()
)

func dec(text string, p, sc int) row.Value { return row.DecimalValue(row.MustDecimal(text, p, sc)) }

func ts(text string) row.Value {
	ms, ns, err := row.ParseTimestamp(text)
	if err != nil {
		panic(err)
	}
	return row.Timestamp(ms, ns)
}

// ltz is the instant of a UTC wall-clock text.
func ltz(text string) row.Value {
	v := ts(text)
	return row.TimestampLTZ(v.Millis(), v.NanosOfMilli())
}

func date(text string) row.Value {
	d, err := row.ParseDate(text)
	if err != nil {
		panic(err)
	}
	return row.Date(d)
}

func tm(text string) row.Value {
	n, err := row.ParseTime(text)
	if err != nil {
		panic(err)
	}
	return row.Time(n)
}

func arr(vs ...row.Value) row.Value { return row.Array(vs) }

// typeOf is the type a test value binds with: NOT NULL, except NULL
// (the NULL type); TIMESTAMP(3) unless the value has more digits.
func typeOf(v row.Value) row.Type {
	var t row.Type
	switch v.Kind() {
	case row.KindNull:
		return row.NullType
	case row.KindChar:
		t = row.CharOf(max(1, len([]rune(v.Str()))))
	case row.KindVarChar:
		t = row.StringType
	case row.KindVarBinary:
		t = row.BytesType
	case row.KindDecimal:
		t = v.Decimal().Type()
	case row.KindTime:
		t = row.TimeOf(9)
	case row.KindTimestamp, row.KindTimestampLTZ:
		p := 3
		if v.NanosOfMilli() != 0 {
			p = 9
		}
		t = row.TimestampOf(p)
		if v.Kind() == row.KindTimestampLTZ {
			t = row.TimestampLTZOf(p)
		}
	case row.KindArray:
		et := row.IntType
		for _, e := range v.Elems() {
			if !e.IsNull() {
				et = typeOf(e).WithNotNull(false)
				break
			}
		}
		t = row.ArrayOf(et)
	case row.KindMap:
		kt, vt := row.StringType, row.StringType
		for k := 0; k < v.Len(); k++ {
			kt = typeOf(v.MapKey(k))
			if !v.MapValue(k).IsNull() {
				vt = typeOf(v.MapValue(k)).WithNotNull(false)
			}
		}
		t = row.MapOf(kt, vt)
	default:
		t = row.Type{Kind: v.Kind()}
	}
	return t.WithNotNull(true)
}

// argsOf makes bind arguments of values, constant or not.
func argsOf(consts bool, vals []row.Value) []Arg {
	out := make([]Arg, len(vals))
	for k, v := range vals {
		out[k] = Arg{Type: typeOf(v)}
		if consts {
			c := v
			out[k].Const = &c
		}
	}
	return out
}

// bind looks name up and binds it.
func bind(t testing.TB, env *Env, name string, args ...Arg) Bound {
	t.Helper()
	fn, ok := Lookup(name)
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	bd, err := fn.Bind(env, args)
	if err != nil {
		t.Fatalf("%s%s: bind: %v", name, argList(args), err)
	}
	return bd
}

// bindErr returns the bind error of a call that must not bind.
func bindErr(t testing.TB, name string, args ...Arg) error {
	t.Helper()
	fn, ok := Lookup(name)
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	_, err := fn.Bind(utcEnv, args)
	if err == nil {
		t.Fatalf("%s%s: bound, want an error", name, argList(args))
	}
	return err
}

// eval evaluates a bound call and checks the result against the bound
// type: the value's kind is the type's, a NOT NULL type is never NULL, a
// DECIMAL has the type's precision and scale.
func eval(t testing.TB, name string, bd Bound, vals []row.Value) (row.Value, error) {
	t.Helper()
	in := append([]row.Value(nil), vals...)
	v, err := bd.Eval(in)
	if err != nil {
		return v, err
	}
	switch {
	case v.IsNull():
		if !bd.Type.Nullable() {
			t.Errorf("%s(%v): NULL from NOT NULL type %s", name, vals, bd.Type)
		}
	case bd.Type.Kind != row.KindNull && v.Kind() != bd.Type.Kind:
		t.Errorf("%s(%v) = %v: a %s value for type %s", name, vals, v, v.Kind(), bd.Type)
	case v.Kind() == row.KindDecimal && (v.Decimal().Precision() != bd.Type.Precision || v.Decimal().Scale() != bd.Type.Scale):
		t.Errorf("%s(%v) = %v: DECIMAL(%d, %d) value for type %s", name, vals, v, v.Decimal().Precision(), v.Decimal().Scale(), bd.Type)
	}
	return v, nil
}

// callEnvErr binds name with the values as constants (as the compiler
// does for literals) and evaluates; when the function also binds with
// non-constant arguments (the per-row path), that must agree.
func callEnvErr(t testing.TB, env *Env, name string, vals ...row.Value) (row.Value, error) {
	t.Helper()
	bd := bind(t, env, name, argsOf(true, vals)...)
	v, err := eval(t, name, bd, vals)
	fn, _ := Lookup(name)
	if bd, err2 := fn.Bind(env, argsOf(false, vals)); err2 == nil && !bd.Dynamic {
		v2, err2 := eval(t, name, bd, vals)
		if (err == nil) != (err2 == nil) || !row.Equal(v, v2) || v.Kind() != v2.Kind() {
			t.Errorf("%s(%v): %v, %v with constants but %v, %v without", name, vals, v, err, v2, err2)
		}
	}
	return v, err
}

func callEnv(t testing.TB, env *Env, name string, vals ...row.Value) row.Value {
	t.Helper()
	v, err := callEnvErr(t, env, name, vals...)
	if err != nil {
		t.Fatalf("%s(%v): %v", name, vals, err)
	}
	return v
}

// call evaluates name on vals in UTC.
func call(t testing.TB, name string, vals ...row.Value) row.Value {
	t.Helper()
	return callEnv(t, utcEnv, name, vals...)
}

// same reports equal values of the same kind (1 and 1L differ).
func same(got, want row.Value) bool {
	if want.IsNull() || got.IsNull() {
		return want.IsNull() && got.IsNull()
	}
	return got.Kind() == want.Kind() && row.Equal(got, want)
}

// tcase is one row of a table-driven test.
type tcase struct {
	name string
	args []row.Value
	want row.Value
}

func c(name string, want row.Value, args ...row.Value) tcase { return tcase{name, args, want} }

func runCases(t *testing.T, env *Env, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		got := callEnv(t, env, tc.name, tc.args...)
		if !same(got, tc.want) {
			t.Errorf("%s(%s) = %v (%s), want %v (%s)", tc.name, show(tc.args), got, got.Kind(), tc.want, tc.want.Kind())
		}
	}
}

func show(vs []row.Value) string {
	parts := make([]string, len(vs))
	for k, v := range vs {
		parts[k] = v.String()
		if v.Kind() == row.KindVarChar || v.Kind() == row.KindChar {
			parts[k] = "'" + parts[k] + "'"
		}
	}
	return strings.Join(parts, ", ")
}

// errContains checks an error message.
func errContains(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to contain %q", err, want)
	}
}
