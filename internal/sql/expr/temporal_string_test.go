package expr

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// A temporal value compared with a string compares with the string cast
// to its type, as Flink (ScalarOperatorsTest
// testTemporalTypeEqualsStringLiteral / ...StringType,
// ImplicitConversionEqualsFunctionITCase). testRow: dt 2024-01-31,
// ts 2024-01-31 10:30:00, ltz 2024-01-01 00:00:00Z (08:00 in the
// session's Asia/Shanghai), b 'xyz'.
func TestTemporalComparedWithString(t *testing.T) {
	isDistinct := func(l, r ast.Expr, not bool) ast.Expr { return &ast.IsDistinct{At: at(), L: l, R: r, Not: not} }
	between := func(x, lo, hi ast.Expr) ast.Expr { return &ast.Between{At: at(), X: x, Lo: lo, Hi: hi} }
	for _, c := range []struct {
		e    ast.Expr
		want string
	}{
		{bin("=", ref("dt"), s("2024-01-31")), "T"},
		{bin("=", s("2024-01-31"), ref("dt")), "T"},
		{bin("<>", ref("dt"), s("2024-01-30")), "T"},
		{bin(">", ref("dt"), s("2024-01-30")), "T"},
		{bin("<", ref("dt"), s("2024-01-30")), "F"},
		{bin("=", ref("ts"), s("2024-01-31 10:30:00")), "T"},
		{bin(">", ref("ts"), s("2024-01-01 00:00:00")), "T"},
		{bin("=", ref("ltz"), s("2024-01-01 08:00:00")), "T"},
		{between(ref("dt"), s("2024-01-01"), s("2024-12-31")), "T"},
		{inList(ref("dt"), s("2024-02-01"), s("2024-01-31")), "T"},
		{isDistinct(ref("dt"), s("2024-01-31"), true), "T"},
		// A string column's value that is no date compares as NULL.
		{bin("=", ref("dt"), ref("b")), "N"},
		{bin("=", ref("dt"), ref("ns")), "N"},
	} {
		v, _ := eval(t, c.e)
		if truth(v) != c.want {
			t.Errorf("%s = %s, want %s", ast.Format(c.e), truth(v), c.want)
		}
	}
	// A literal that is no date is a plan-time error.
	if err := compileErr(t, bin("=", ref("dt"), s("2024-13-01"))); !strings.Contains(err.Error(), "Cannot cast '2024-13-01' to DATE") {
		t.Errorf("dt = '2024-13-01': %v", err)
	}
	// Strings and numbers still do not compare (as Flink).
	if err := compileErr(t, bin("=", ref("a"), s("42"))); !strings.Contains(err.Error(), "Cannot apply '='") {
		t.Errorf("a = '42': %v", err)
	}
}
