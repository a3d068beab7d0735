package expr

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// BenchmarkFilterProject is a Calc's work per row: WHERE a > 10 AND b
// LIKE 'x%', then SELECT price * qty (DECIMAL), a * 2 + 1 (BIGINT),
// x * 1.5 (DOUBLE) and a function call. Numeric expressions allocate
// nothing.
func BenchmarkFilterProject(b *testing.B) {
	sc := &Scope{Columns: testCols, Env: env(shanghai)}
	r := testRow()
	r.Values[1] = row.String("xylophone")
	bench := func(name string, e ast.Expr, filter bool) {
		b.Run(name, func(b *testing.B) {
			if filter {
				fl, err := CompileFilter(e, sc)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if ok, err := fl(r); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
				return
			}
			cp, err := Compile(e, sc)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if v, err := cp.Eval(r); v.IsNull() || err != nil {
					b.Fatal(v, err)
				}
			}
		})
	}
	bench("filter", and(bin(">", ref("a"), i("10")), like(ref("b"), s("x%"))), true)
	bench("price*qty", bin("*", ref("price"), ref("qty")), false)
	bench("bigint", bin("+", bin("*", ref("a"), i("2")), i("1")), false)
	bench("double", bin("*", ref("x"), d("1.5")), false)
	bench("case", caseWhen(nil, i("0"), bin(">", ref("a"), i("100")), i("2"), bin(">", ref("a"), i("10")), i("1")), false)
	bench("in", inList(ref("a"), i("1"), i("7"), i("42")), false)
	bench("call", call("zz_expr_add", ref("a"), ref("qty")), false)
	bench("ltz<ts", bin("<", ref("ts"), ref("ltz")), false)
}

// TestNumericZeroAllocs keeps the benchmark's promise in the test suite.
func TestNumericZeroAllocs(t *testing.T) {
	sc := &Scope{Columns: testCols, Env: env(shanghai)}
	r := testRow()
	r.Values[1] = row.String("xylophone")
	for _, e := range []ast.Expr{
		and(bin(">", ref("a"), i("10")), like(ref("b"), s("x%"))),
		bin("*", ref("price"), ref("qty")),
		bin("+", bin("*", ref("a"), i("2")), i("1")),
		bin("*", ref("x"), d("1.5")),
		bin("/", ref("price"), i("4")),
		inList(ref("a"), i("1"), i("7"), i("42")),
		call("zz_expr_add", ref("a"), ref("qty")),
		&ast.Between{At: at(), X: ref("price"), Lo: i("1"), Hi: i("100")},
	} {
		cp, err := Compile(e, sc)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := cp.Eval(r); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%T: %v allocs per evaluation", e, allocs)
		}
	}
}
