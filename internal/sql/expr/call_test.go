package expr

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// Test functions, registered under names no library function has.
var (
	addCalls  atomic.Int64
	bindConst sync.Map // function name -> the last bind's constant arguments, printed
)

func init() {
	function.Register(&function.Scalar{Name: "zz_expr_add", Bind: func(_ *function.Env, args []function.Arg) (function.Bound, error) {
		if len(args) != 2 || !args[0].Type.IsInteger() || !args[1].Type.IsInteger() {
			return function.Bound{}, errors.New("ZZ_EXPR_ADD expects (integer, integer)")
		}
		return function.Bound{
			Type:          row.BigIntType.WithNotNull(!nullable(args[0].Type, args[1].Type)),
			NullIfAnyNull: true,
			Eval: func(a []row.Value) (row.Value, error) {
				addCalls.Add(1)
				return row.BigInt(a[0].Int64() + a[1].Int64()), nil
			},
		}, nil
	}})
	function.Register(&function.Scalar{Name: "ZZ_EXPR_NOW", Bind: func(env *function.Env, args []function.Arg) (function.Bound, error) {
		return function.Bound{Type: row.BigIntType.WithNotNull(true), Dynamic: true, Eval: func([]row.Value) (row.Value, error) {
			return row.BigInt(env.Now().UnixMilli()), nil
		}}, nil
	}})
	function.Register(&function.Scalar{Name: "ZZ_EXPR_ARGS", Bind: func(_ *function.Env, args []function.Arg) (function.Bound, error) {
		var b strings.Builder
		for k, a := range args {
			if k > 0 {
				b.WriteString(",")
			}
			if a.Const != nil {
				fmt.Fprintf(&b, "%s=%v", a.Type, *a.Const)
			} else {
				b.WriteString(a.Type.String())
			}
		}
		bindConst.Store("ZZ_EXPR_ARGS", b.String())
		return function.Bound{Type: row.StringType.WithNotNull(true), Eval: func(a []row.Value) (row.Value, error) {
			var out strings.Builder
			for k, v := range a {
				if k > 0 {
					out.WriteString("|")
				}
				out.WriteString(v.String())
			}
			return row.String(out.String()), nil
		}}, nil
	}})
	function.Register(&function.Scalar{Name: "ZZ_EXPR_FAIL", Bind: func(_ *function.Env, args []function.Arg) (function.Bound, error) {
		return function.Bound{Type: row.IntType, NullIfAnyNull: true, Eval: func([]row.Value) (row.Value, error) {
			return row.Value{}, errors.New("boom")
		}}, nil
	}})
}

func TestFunctionCalls(t *testing.T) {
	v, cp := eval(t, call("ZZ_EXPR_ADD", ref("a"), i("8")))
	if !same(v, row.BigInt(50)) || cp.Const || cp.Type.String() != "BIGINT" {
		t.Errorf("zz_expr_add(a, 8) = %v %s const=%v", v, cp.Type, cp.Const)
	}
	// NullIfAnyNull: Eval is skipped.
	before := addCalls.Load()
	v, _ = eval(t, call("zz_expr_add", ref("n"), i("8")))
	if !v.IsNull() || addCalls.Load() != before {
		t.Errorf("NULL argument: %v, calls %d", v, addCalls.Load()-before)
	}
	// Constant arguments fold.
	v, cp = eval(t, call("zz_expr_add", i("1"), bin("+", i("1"), i("1"))))
	if !cp.Const || !same(v, row.BigInt(3)) || !cp.Type.NotNull {
		t.Errorf("constant call: %v const=%v %s", v, cp.Const, cp.Type)
	}
	// Dynamic functions never fold, nor do expressions over them.
	_, cp = eval(t, bin("+", call("ZZ_EXPR_NOW"), i("1")))
	if cp.Const {
		t.Error("dynamic call folded")
	}
	v, _ = eval(t, call("ZZ_EXPR_NOW"))
	if v.Int64() != 1714979289000 {
		t.Errorf("NOW from the scope's Env: %v", v)
	}
	// Time units and keywords are STRING constants; literals come with their values.
	tu := &ast.TimeUnit{At: at(), Unit: "day"}
	sy := &ast.Symbol{At: at(), Name: "BOTH"}
	v, _ = eval(t, call("ZZ_EXPR_ARGS", tu, sy, i("5"), ref("b"), ref("n")))
	if v.Str() != "DAY|BOTH|5|xyz|NULL" {
		t.Errorf("arguments: %q", v.Str())
	}
	bound, _ := bindConst.Load("ZZ_EXPR_ARGS")
	if bound != "STRING NOT NULL=DAY,STRING NOT NULL=BOTH,INT NOT NULL=5,STRING,INT" {
		t.Errorf("bind arguments: %v", bound)
	}
	// Runtime errors name the function.
	if err := evalErr(t, call("ZZ_EXPR_FAIL", ref("a"))); err == nil || !strings.Contains(err.Error(), "ZZ_EXPR_FAIL: boom") {
		t.Errorf("error: %v", err)
	}
	// Bind errors are compile errors at the call.
	ce := compileErr(t, call("zz_expr_add", ref("b"), i("1")))
	if ce.Msg != "ZZ_EXPR_ADD expects (integer, integer)" || ce.Pos != pos {
		t.Errorf("bind error: %v", ce)
	}
	// Unknown functions, Calcite's message.
	ce = compileErr(t, call("no_such_fn", i("1"), ref("b"), ref("ts")))
	if ce.Msg != "No match found for function signature no_such_fn(<NUMERIC>, <CHARACTER>, <TIMESTAMP>)" {
		t.Errorf("unknown: %q", ce.Msg)
	}
	// Aggregates and window functions belong to the planner.
	for _, e := range []ast.Expr{
		call("COUNT", ref("a")), call("sum", ref("a")), call("ROW_NUMBER"), call("LISTAGG", ref("b")),
		&ast.FuncCall{At: at(), Name: call("zz_expr_add").Name, Args: []ast.Expr{i("1"), i("2")}, Distinct: true},
		&ast.FuncCall{At: at(), Name: call("ZZ_EXPR_ADD").Name, Over: &ast.Over{WindowName: "w"}},
	} {
		ce := compileErr(t, e)
		if !strings.Contains(ce.Msg, "not allowed here") {
			t.Errorf("aggregate: %q", ce.Msg)
		}
	}
	ce = compileErr(t, call("TUMBLE_START", ref("ts"), interval("1", "HOUR", "")))
	if !strings.Contains(ce.Msg, "GROUP BY") {
		t.Errorf("window function: %q", ce.Msg)
	}
}

// A Compiled is evaluated by many goroutines at once (the argument
// scratch is claimed atomically; the LIKE pattern cache swapped
// atomically).
func TestConcurrentEvaluation(t *testing.T) {
	sc := &Scope{Columns: testCols, Env: env(shanghai)}
	e := and(
		bin("=", call("ZZ_EXPR_ARGS", ref("b"), ref("a")), bin("||", ref("b"), s("|42"))),
		like(ref("b"), ref("ns")),
	)
	cp, err := Compile(e, sc)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := testRow()
			for k := 0; k < 2000; k++ {
				str := fmt.Sprintf("s%d-%d", g, k%7)
				r.Values[1] = row.String(str)
				pat := str[:2] + "%"
				want := true
				if k%3 == 0 {
					pat = "zz%"
					want = false
				}
				r.Values[13] = row.String(pat)
				v, err := cp.Eval(r)
				if err != nil || v.IsNull() || v.Bool() != want {
					t.Errorf("goroutine %d row %d: %v %v", g, k, v, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// JSON_OBJECT and JSON_ARRAY take their ON NULL clause (the parser's
// trailing symbol) and insert nested constructors as JSON: Flink's
// documented examples (sql_functions.yml).
func TestJSONConstructorClauses(t *testing.T) {
	null := &ast.Symbol{At: at(), Name: "NULL ON NULL"}
	absent := &ast.Symbol{At: at(), Name: "ABSENT ON NULL"}
	str := func(s string) ast.Expr { return &ast.Literal{At: at(), Kind: ast.StringLit, Text: s} }
	for _, c := range []struct {
		e    ast.Expr
		want string
	}{
		{call("JSON_ARRAY", i("1"), absent), `[1]`},
		{call("JSON_ARRAY", ref("n"), null), `[null]`},
		{call("JSON_ARRAY", ref("n"), i("1")), `[1]`}, // ABSENT ON NULL by default
		{call("JSON_ARRAY", call("JSON_ARRAY", i("1"))), `[[1]]`},
		{call("JSON_OBJECT", str("K1"), call("JSON_OBJECT", str("K2"), str("V"))), `{"K1":{"K2":"V"}}`},
		{call("JSON_OBJECT", str("K1"), ref("n")), `{"K1":null}`}, // NULL ON NULL by default
		{call("JSON_OBJECT", str("K1"), ref("n"), absent), `{}`},
		{call("JSON_OBJECT", str("K1"), paren(call("JSON_ARRAY", i("1"), ref("n"), null))), `{"K1":[1,null]}`},
		{call("JSON_ARRAY", str("[1]")), `["[1]"]`}, // a string stays a string
	} {
		v, _ := eval(t, c.e)
		if v.Str() != c.want {
			t.Errorf("%s = %s, want %s", ast.Format(c.e), v.Str(), c.want)
		}
	}
}

// JSON_VALUE ... RETURNING t converts as TRY_CAST (NULL when t cannot
// hold the value: Flink's default NULL ON ERROR); default clauses change
// nothing; other clauses are refused by name.
func TestJSONValueClauses(t *testing.T) {
	doc := s(`{"a":"12","b":1.5,"c":true}`)
	ret := func(ty row.Type) ast.Expr { return &ast.TypeArg{At: at(), Type: ty} }
	sym := func(name string) ast.Expr { return &ast.Symbol{At: at(), Name: name} }
	for _, c := range []struct {
		e    ast.Expr
		want string
	}{
		{call("JSON_VALUE", doc, s("$.a"), ret(row.IntType)), "12"},
		{call("JSON_VALUE", doc, s("$.b"), ret(row.DoubleType)), "1.5"},
		{call("JSON_VALUE", doc, s("$.c"), ret(row.BooleanType)), "true"},
		{call("JSON_VALUE", doc, s("$.c"), ret(row.IntType)), "NULL"},
		{call("JSON_VALUE", doc, s("$.a"), sym("NULL ON EMPTY"), sym("NULL ON ERROR")), "12"},
	} {
		v, _ := eval(t, c.e)
		if v.String() != c.want {
			t.Errorf("%s = %s, want %s", ast.Format(c.e), v.String(), c.want)
		}
	}
	ce := compileErr(t, call("JSON_VALUE", doc, s("$.a"), sym("ERROR ON EMPTY")))
	if ce.Msg != "JSON_VALUE ... ERROR ON EMPTY is not supported yet" {
		t.Errorf("refused clause: %q", ce.Msg)
	}
}
