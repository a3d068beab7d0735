package function

import (
	"errors"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestRegisterFuncConversions(t *testing.T) {
	var seen []row.Value
	RegisterFunc("test_kinds", row.StringType.WithNotNull(true), func(args []row.Value) (row.Value, error) {
		seen = append(seen[:0], args...)
		return row.String("ok"), nil
	}, row.BigIntType, row.DoubleType, row.DecimalOf(10, 2), row.StringType, row.NullType)

	// Narrower arguments arrive converted to the declared types.
	bd := bind(t, utcEnv, "TEST_KINDS",
		Arg{Type: row.IntType.WithNotNull(true)}, Arg{Type: row.DecimalOf(3, 1).WithNotNull(true)},
		Arg{Type: row.IntType.WithNotNull(true)}, Arg{Type: row.CharOf(2).WithNotNull(true)},
		Arg{Type: row.ArrayOf(row.IntType).WithNotNull(true)})
	if bd.Type.String() != "STRING NOT NULL" || !bd.NullIfAnyNull {
		t.Errorf("type %s, NullIfAnyNull %v", bd.Type, bd.NullIfAnyNull)
	}
	in := []row.Value{i(7), dec("1.5", 3, 1), i(3), row.Char("ab"), arr(i(1))}
	if _, err := bd.Eval(in); err != nil {
		t.Fatal(err)
	}
	for k, want := range []row.Value{bi(7), f(1.5), dec("3.00", 10, 2), s("ab"), arr(i(1))} {
		if !same(seen[k], want) {
			t.Errorf("argument %d arrived as %v (%s), want %v (%s)", k+1, seen[k], seen[k].Kind(), want, want.Kind())
		}
	}
	if in[0].Kind() != row.KindInt {
		t.Error("the caller's arguments were modified")
	}

	// A nullable argument makes the result nullable; NULL skips fn.
	bd = bind(t, utcEnv, "TEST_KINDS", Arg{Type: row.BigIntType}, Arg{Type: row.DoubleType}, Arg{Type: row.DecimalOf(10, 2)},
		Arg{Type: row.StringType}, Arg{Type: row.IntType})
	if !bd.Type.Nullable() {
		t.Errorf("type %s with nullable arguments", bd.Type)
	}
	seen = nil
	if v, _ := bd.Eval([]row.Value{nl, f(1), dec("1.00", 10, 2), s("x"), i(1)}); !v.IsNull() || seen != nil {
		t.Errorf("NULL argument: %v, fn saw %v", v, seen)
	}

	errContains(t, bindErr(t, "TEST_KINDS", Arg{Type: row.IntType}),
		"TEST_KINDS expects (BIGINT, DOUBLE, DECIMAL(10, 2), STRING, ANY), got (INT)")
	errContains(t, bindErr(t, "TEST_KINDS", Arg{Type: row.DoubleType}, Arg{Type: row.DoubleType}, Arg{Type: row.DoubleType}, Arg{Type: row.StringType}, Arg{Type: row.IntType}),
		"got (DOUBLE, DOUBLE, DOUBLE, STRING, INT)")

	// fn's error fails the record.
	RegisterFunc("test_fail", row.IntType, func([]row.Value) (row.Value, error) { return nl, errors.New("boom") }, row.IntType)
	if _, err := bind(t, utcEnv, "TEST_FAIL", Arg{Type: row.IntType}).Eval([]row.Value{i(1)}); err == nil || err.Error() != "boom" {
		t.Errorf("error %v", err)
	}
}

func TestRegisterTableFunc(t *testing.T) {
	RegisterTableFunc("test_range", []row.Column{{Name: "n", Type: row.BigIntType}}, func(args []row.Value, emit func(...row.Value)) error {
		for k := int64(0); k < args[0].Int64(); k++ {
			emit(bi(k))
		}
		return nil
	}, row.BigIntType)
	tf, ok := LookupTable("Test_Range")
	if !ok {
		t.Fatal("not registered")
	}
	cols, ev, err := tf.Bind(utcEnv, []Arg{{Type: row.TinyIntType}})
	if err != nil || len(cols) != 1 || cols[0].Name != "n" {
		t.Fatalf("bind: %v %v", cols, err)
	}
	var got []int64
	if err := ev([]row.Value{row.TinyInt(3)}, func(v ...row.Value) { got = append(got, v[0].Int64()) }); err != nil || len(got) != 3 || got[2] != 2 {
		t.Errorf("rows %v, %v", got, err)
	}
	if _, _, err := tf.Bind(utcEnv, []Arg{{Type: row.StringType}}); err == nil {
		t.Error("TEST_RANGE(STRING) bound")
	}
}

// Bound functions are shared by the tasks of a job: evaluating one from
// many goroutines is safe, per-row pattern caches included (run with
// -race).
func TestConcurrentEval(t *testing.T) {
	df := bind(t, shEnv, "DATE_FORMAT", Arg{Type: row.TimestampLTZOf(3)}, Arg{Type: row.StringType})
	jv := bind(t, utcEnv, "JSON_VALUE", Arg{Type: row.StringType}, Arg{Type: row.StringType})
	re := bind(t, utcEnv, "REGEXP_REPLACE", Arg{Type: row.StringType}, Arg{Type: row.StringType}, Arg{Type: row.StringType})
	seed := i(7)
	rnd := bind(t, utcEnv, "RAND", Arg{Type: row.IntType, Const: &seed})
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			var err error
			for k := 0; k < 300 && err == nil; k++ {
				p := []string{"yyyy", "MM", "dd"}[k%3]
				var v row.Value
				if v, err = df.Eval([]row.Value{row.TimestampLTZ(0, 0), s(p)}); err == nil && v.Str() != map[string]string{"yyyy": "1970", "MM": "01", "dd": "01"}[p] {
					err = errors.New("DATE_FORMAT " + p + " = " + v.Str())
				}
				path := []string{"$.a", "$.b"}[k%2]
				if v, _ = jv.Eval([]row.Value{s(`{"a":"x","b":"y"}`), s(path)}); v.Str() != map[string]string{"$.a": "x", "$.b": "y"}[path] {
					err = errors.New("JSON_VALUE " + path + " = " + v.Str())
				}
				if v, _ = re.Eval([]row.Value{s("abc"), s([]string{"a", "b"}[k%2]), s("")}); v.Str() != []string{"bc", "ac"}[k%2] {
					err = errors.New("REGEXP_REPLACE = " + v.Str())
				}
				_, _ = rnd.Eval(nil)
			}
			done <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
