package expr

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// Function calls: COALESCE, IFNULL, NULLIF and IF are compiled here as
// special forms (lazy); every other name is looked up in the function
// library (internal/sql/function) and bound once to its argument types,
// constant arguments included (a time unit or keyword argument is a
// STRING constant: "DAY", "BOTH"). A call whose arguments are all
// constant folds, unless the function is Dynamic (NOW, RAND, UUID).
// Aggregate and window functions are the planner's: it replaces them
// with input columns through Scope.Lookup; one that reaches the compiler
// is an error.

// aggregateNames are the aggregate and window functions Flink has, for
// the error when one is used where no aggregation happens.
var aggregateNames = map[string]bool{
	"COUNT": true, "SUM": true, "SUM0": true, "MIN": true, "MAX": true, "AVG": true,
	"FIRST_VALUE": true, "LAST_VALUE": true, "LISTAGG": true, "COLLECT": true,
	"ROW_NUMBER": true, "RANK": true, "DENSE_RANK": true, "PERCENT_RANK": true, "CUME_DIST": true,
	"NTILE": true, "LEAD": true, "LAG": true, "STDDEV": true, "STDDEV_POP": true, "STDDEV_SAMP": true,
	"VARIANCE": true, "VAR_POP": true, "VAR_SAMP": true, "ARRAY_AGG": true,
	"JSON_OBJECTAGG": true, "JSON_ARRAYAGG": true, "BIT_AND": true, "BIT_OR": true, "BIT_XOR": true,
}

// windowNames are the legacy group window functions and their auxiliary
// functions, only meaningful in GROUP BY / SELECT of a window aggregation.
var windowNames = map[string]bool{
	"TUMBLE": true, "HOP": true, "SESSION": true, "CUMULATE": true,
	"TUMBLE_START": true, "TUMBLE_END": true, "TUMBLE_ROWTIME": true, "TUMBLE_PROCTIME": true,
	"HOP_START": true, "HOP_END": true, "HOP_ROWTIME": true, "HOP_PROCTIME": true,
	"SESSION_START": true, "SESSION_END": true, "SESSION_ROWTIME": true, "SESSION_PROCTIME": true,
}

func funcName(n *ast.FuncCall) string {
	if len(n.Name.Parts) == 0 {
		return ""
	}
	return n.Name.Parts[len(n.Name.Parts)-1].Name
}

func (c *compiler) call(n *ast.FuncCall) (*Compiled, error) {
	name := funcName(n)
	upper := strings.ToUpper(name)
	if n.Over != nil {
		return nil, errAt(n, "OVER window function %s is not allowed here", upper)
	}
	if n.Distinct || n.Star || n.Filter != nil {
		return nil, errAt(n, "Aggregate function %s is not allowed here", upper)
	}
	switch upper {
	case "COALESCE", "IFNULL":
		return c.coalesce(n, upper)
	case "NULLIF":
		return c.nullIf(n)
	case "IF":
		return c.ifExpr(n)
	}
	target := c.env.Resolve(n.Name.Names())
	fn, found := function.Lookup(target)
	if !found {
		if _, isAgg := aggfn.Lookup(target); isAgg || aggregateNames[upper] {
			return nil, errAt(n, "Aggregate function %s is not allowed here", upper)
		}
		if windowNames[upper] {
			return nil, errAt(n, "Group window function %s is only allowed in GROUP BY (and its auxiliary functions in the SELECT of that window aggregation)", upper)
		}
	}
	if found && (upper == "JSON_VALUE" || upper == "JSON_QUERY" || upper == "JSON_EXISTS") && len(n.Args) > 2 {
		return c.jsonClauses(n, upper)
	}
	// JSON_OBJECT / JSON_ARRAY: the ON NULL clause (the parser's trailing
	// symbol) and nested constructor calls, inserted as JSON rather than
	// as strings (Flink's JsonGenerateUtils.isJsonFunctionOperand).
	argNodes := n.Args
	jsonCtor := found && (upper == "JSON_OBJECT" || upper == "JSON_ARRAY")
	var raw []bool
	keepNulls := upper == "JSON_OBJECT"
	if jsonCtor {
		if k := len(argNodes); k > 0 {
			if sym, ok := argNodes[k-1].(*ast.Symbol); ok {
				keepNulls, argNodes = strings.EqualFold(sym.Name, "NULL ON NULL"), argNodes[:k-1]
			}
		}
		raw = make([]bool, len(argNodes))
		for i, a := range argNodes {
			if f, ok := ast.Unparen(a).(*ast.FuncCall); ok && !f.Star && len(f.Name.Parts) == 1 {
				nm := strings.ToUpper(f.Name.Parts[0].Name)
				raw[i] = (nm == "JSON_OBJECT" || nm == "JSON_ARRAY") && (upper == "JSON_ARRAY" || i%2 == 1)
			}
		}
	}
	args := make([]function.Arg, len(argNodes))
	compiled := make([]*Compiled, len(argNodes))
	for i, a := range argNodes {
		var word string
		switch x := a.(type) {
		case *ast.TimeUnit:
			word = strings.ToUpper(x.Unit)
		case *ast.Symbol:
			word = strings.ToUpper(x.Name)
		}
		var cp *Compiled
		if word != "" {
			cp = c.constant(row.StringType.WithNotNull(true), row.String(word))
		} else {
			var err error
			if cp, err = c.expr(a); err != nil {
				return nil, err
			}
		}
		compiled[i] = cp
		args[i].Type = cp.Type
		if v, ok := constValue(cp); ok {
			args[i].Const = &v
		}
	}
	if !found {
		fams := make([]string, len(args))
		for i, a := range args {
			fams[i] = "<" + familyName(a.Type) + ">"
		}
		return nil, errAt(n, "No match found for function signature %s(%s)", name, strings.Join(fams, ", "))
	}
	var b function.Bound
	var err error
	if jsonCtor {
		b, err = function.BindJSONConstructorOnNull(c.env, upper, args, raw, keepNulls)
	} else {
		b, err = fn.Bind(c.env, args)
	}
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	if b.Eval == nil {
		return nil, errAt(n, "internal error: function %s bound without an evaluator", upper)
	}
	f := callEval(upper, b, compiled)
	if b.Dynamic {
		return &Compiled{Type: b.Type, Eval: f, env: c.env}, nil
	}
	return c.node(b.Type, f, compiled...), nil
}

// argScratch is a call site's argument slice, claimed per evaluation
// with an atomic flag; an evaluation that finds it taken (the same
// Compiled evaluated concurrently) allocates its own.
type argScratch struct {
	busy atomic.Bool
	buf  []row.Value
}

func (s *argScratch) get(n int) ([]row.Value, bool) {
	if s.busy.CompareAndSwap(false, true) {
		return s.buf, true
	}
	return make([]row.Value, n), false
}

func (s *argScratch) put(buf []row.Value) {
	clear(buf) // drop references to strings and elements
	s.busy.Store(false)
}

func callEval(name string, b function.Bound, args []*Compiled) Func {
	eval := b.Eval
	wrap := func(err error) error { return fmt.Errorf("%s: %w", name, err) }
	n := len(args)
	if n == 0 {
		return func(*row.Row) (row.Value, error) {
			v, err := eval(nil)
			if err != nil {
				return row.Value{}, wrap(err)
			}
			return v, nil
		}
	}
	fs := make([]Func, n)
	for i, a := range args {
		fs[i] = a.Eval
	}
	sc := &argScratch{buf: make([]row.Value, n)}
	skipNull := b.NullIfAnyNull
	return func(rw *row.Row) (row.Value, error) {
		buf, own := sc.get(n)
		for i, g := range fs {
			v, err := g(rw)
			if err != nil || skipNull && v.IsNull() {
				if own {
					sc.put(buf)
				}
				return row.Value{}, err
			}
			buf[i] = v
		}
		out, err := eval(buf)
		if own {
			sc.put(buf)
		}
		if err != nil {
			return row.Value{}, wrap(err)
		}
		return out, nil
	}
}

// jsonClauses compiles JSON_VALUE, JSON_QUERY or JSON_EXISTS with the
// clauses the parser appended to its two arguments: their defaults (NULL
// ON EMPTY / ON ERROR, WITHOUT ARRAY WRAPPER, FALSE ON ERROR) change
// nothing, JSON_VALUE's RETURNING t converts the value as TRY_CAST does
// (a value t cannot hold is NULL, Flink's default NULL ON ERROR); the
// other clauses are refused by name.
func (c *compiler) jsonClauses(n *ast.FuncCall, fn string) (*Compiled, error) {
	var returning *ast.TypeArg
	for _, a := range n.Args[2:] {
		switch x := a.(type) {
		case *ast.TypeArg:
			if fn == "JSON_VALUE" || fn == "JSON_QUERY" && x.Type.IsString() {
				returning = x
				continue
			}
			return nil, errAt(a, "%s ... RETURNING %s is not supported yet", fn, x.Type)
		case *ast.Symbol:
			switch x.Name {
			case "NULL ON EMPTY", "NULL ON ERROR", "WITHOUT ARRAY WRAPPER", "FALSE ON ERROR":
				continue
			}
			return nil, errAt(a, "%s ... %s is not supported yet", fn, x.Name)
		}
		return nil, errAt(a, "%s ... DEFAULT is not supported yet", fn)
	}
	base := &ast.FuncCall{At: n.At, Name: n.Name, Args: n.Args[:2]}
	if returning == nil || fn == "JSON_QUERY" {
		return c.expr(base)
	}
	return c.expr(&ast.Cast{At: n.At, X: base, Type: returning.Type, Try: true})
}
