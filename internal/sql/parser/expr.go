package parser

import (
	"strings"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// Expressions are parsed by precedence climbing. From loosest to
// tightest:
//
//	OR
//	AND
//	NOT (prefix)
//	= <> != < <= > >=, IS ..., [NOT] IN, [NOT] BETWEEN, [NOT] LIKE, [NOT] SIMILAR TO
//	+ - ||
//	* / %
//	unary + -
//	postfix x[i], x.field; primaries
//
// Binary operators associate to the left. ast.Format parenthesizes by
// the same table, so the two must change together (the round-trip tests
// hold them to it).
const (
	precOr = 1 + iota
	precAnd
	precNot
	precCmp
	precAdd
	precMul
	precUnary
	precPrimary
)

func (p *parser) expr() ast.Expr { return p.exprPrec(precOr) }

// exprPrec parses an expression whose operators all bind at least as
// tightly as min.
func (p *parser) exprPrec(min int) ast.Expr {
	p.enter()
	defer p.leave()
	x, prec := p.prefix(min)
	return p.infix(x, prec, min)
}

// prefix parses NOT x, -x, +x or a primary with its postfix operators,
// and returns the precedence of what it parsed.
func (p *parser) prefix(min int) (ast.Expr, int) {
	t := p.peek()
	switch {
	case t.kind == tWord && t.up == "NOT":
		if min > precNot {
			// a = NOT b: NOT binds looser than =, so the tree would not
			// print back as written; Flink wants the parentheses too.
			p.failAt(t.pos, "NOT needs parentheses here: write (NOT ...)")
		}
		p.next()
		x := p.exprPrec(precNot)
		if ex, ok := x.(*ast.Exists); ok && !ex.Not {
			ex.Not = true
			ex.At = at(t)
			return ex, precNot
		}
		return &ast.Unary{At: at(t), Op: "NOT", X: x}, precNot
	case t.kind == tOp && (t.val == "-" || t.val == "+"):
		p.next()
		return &ast.Unary{At: at(t), Op: t.val, X: p.exprPrec(precUnary)}, precUnary
	}
	return p.postfix(p.primary()), precPrimary
}

// binaryOp returns the precedence and operator of the current token as a
// binary (or comparison-level) operator, or 0.
func (p *parser) binaryOp() (int, string) {
	t := p.peek()
	switch t.kind {
	case tOp:
		switch t.val {
		case "=", "<>", "<", "<=", ">", ">=":
			return precCmp, t.val
		case "!=":
			return precCmp, "<>"
		case "+", "-", "||":
			return precAdd, t.val
		case "*", "/", "%":
			return precMul, t.val
		}
	case tWord:
		switch t.up {
		case "OR", "AND":
			if t.up == "OR" {
				return precOr, "OR"
			}
			return precAnd, "AND"
		case "IS", "IN", "BETWEEN", "LIKE", "SIMILAR":
			return precCmp, t.up
		case "NOT":
			if n := p.peekN(1); n.kind == tWord && (n.up == "IN" || n.up == "BETWEEN" || n.up == "LIKE" || n.up == "SIMILAR") {
				return precCmp, "NOT"
			}
		}
	}
	return 0, ""
}

// infix parses the operators after left, of precedence last, that bind
// at least as tightly as min. An operator binding tighter than the one
// before it cannot follow it: x IS NULL + 1 is an error, not
// (x IS NULL) + 1, since IS NULL and IN (...) end without a right
// operand that would have taken the + (and Format prints the
// parentheses such a tree needs).
func (p *parser) infix(left ast.Expr, last, min int) ast.Expr {
	for {
		prec, op := p.binaryOp()
		if prec == 0 || prec < min {
			return left
		}
		if prec > last {
			t := p.peek()
			p.failAt(t.pos, "unexpected %s: put what comes before it in parentheses", describe(p.src, *t))
		}
		last = prec
		if prec == precCmp {
			left = p.comparison(left)
			continue
		}
		p.next()
		right := p.exprPrec(prec + 1)
		left = &ast.Binary{At: ast.At{P: left.Position()}, Op: op, L: left, R: right}
	}
}

// comparison parses the comparison-level operator after left.
func (p *parser) comparison(left ast.Expr) ast.Expr {
	pos := ast.At{P: left.Position()}
	t := p.next()
	if t.kind == tOp {
		op := t.val
		if op == "!=" {
			op = "<>"
		}
		if q := p.peek(); (q.up == "ANY" || q.up == "SOME" || q.up == "ALL") && p.isOpAt(1, "(") {
			p.failAt(q.pos, "%s %s (subquery) is not supported yet", op, q.up)
		}
		return &ast.Binary{At: pos, Op: op, L: left, R: p.exprPrec(precAdd)}
	}
	if t.up == "IS" {
		not := p.acceptKw("NOT")
		v := p.peek()
		switch {
		case p.acceptKw("NULL"):
			return &ast.IsNull{At: pos, X: left, Not: not}
		case p.isKw("TRUE") || p.isKw("FALSE") || p.isKw("UNKNOWN"):
			p.next()
			return &ast.IsBool{At: pos, X: left, Not: not, Value: v.up}
		case p.acceptKw("DISTINCT"):
			p.expectKw("FROM")
			return &ast.IsDistinct{At: pos, L: left, R: p.exprPrec(precAdd), Not: not}
		case p.isKw("JSON"):
			p.failAt(v.pos, "IS JSON is not supported")
		}
		p.unexpected("NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM")
	}
	not := false
	if t.up == "NOT" {
		not = true
		t = p.next()
	}
	switch t.up {
	case "IN":
		p.expectOp("(")
		if p.isKw("SELECT") || p.isKw("WITH") || p.isKw("VALUES") {
			q := p.query()
			p.expectOp(")")
			return &ast.InQuery{At: pos, X: left, Query: q, Not: not}
		}
		in := &ast.InList{At: pos, X: left, Not: not}
		for {
			in.List = append(in.List, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
		return in
	case "BETWEEN":
		b := &ast.Between{At: pos, X: left, Not: not}
		if p.acceptKw("SYMMETRIC") {
			b.Symmetric = true
		} else {
			p.acceptKw("ASYMMETRIC")
		}
		b.Lo = p.exprPrec(precAdd)
		p.expectKw("AND")
		b.Hi = p.exprPrec(precAdd)
		return b
	case "LIKE", "SIMILAR":
		l := &ast.Like{At: pos, X: left, Not: not, Similar: t.up == "SIMILAR"}
		if l.Similar {
			p.expectKw("TO")
		}
		l.Pattern = p.exprPrec(precAdd)
		if p.acceptKw("ESCAPE") {
			l.Escape = p.exprPrec(precAdd)
		}
		return l
	}
	p.unexpectedTok(t, "IN, BETWEEN, LIKE or SIMILAR TO")
	return nil
}

// postfix parses x[i] and x.field after a primary.
func (p *parser) postfix(x ast.Expr) ast.Expr {
	for {
		switch {
		case p.isOp("["):
			p.next()
			idx := p.expr()
			p.expectOp("]")
			x = &ast.Subscript{At: ast.At{P: x.Position()}, X: x, Index: idx}
		case p.isOp(".") && !p.isOpAt(1, "*") && !isLiteral(x):
			p.next()
			x = &ast.FieldAccess{At: ast.At{P: x.Position()}, X: x, Field: p.ident()}
		default:
			return x
		}
	}
}

// isLiteral reports literals, which have no fields: 1 .a is an error
// rather than a field of 1.
func isLiteral(x ast.Expr) bool {
	switch x.(type) {
	case *ast.Literal, *ast.TypedLiteral, *ast.IntervalLiteral:
		return true
	}
	return false
}

// noParenFuncs are the niladic functions written without parentheses.
var noParenFuncs = map[string]bool{"CURRENT_DATE": true, "CURRENT_TIME": true, "CURRENT_TIMESTAMP": true,
	"LOCALTIME": true, "LOCALTIMESTAMP": true, "CURRENT_ROW_TIMESTAMP": true}

func (p *parser) primary() ast.Expr {
	t := p.peek()
	switch t.kind {
	case tNumber:
		p.next()
		return numberLit(t)
	case tString:
		p.next()
		return &ast.Literal{At: at(t), Kind: ast.StringLit, Text: t.val}
	case tBinary:
		p.next()
		return &ast.Literal{At: at(t), Kind: ast.BinaryLit, Text: t.val}
	case tQuoted:
		return p.namePrimary()
	case tOp:
		switch t.val {
		case "(":
			return p.parenPrimary()
		case "?":
			p.failAt(t.pos, "parameters (?) are not supported")
		}
		p.unexpected("an expression")
	case tWord:
		return p.wordPrimary(t)
	}
	p.unexpected("an expression")
	return nil
}

func (p *parser) wordPrimary(t *token) ast.Expr {
	next := p.peekN(1)
	nextOp := func(op string) bool { return next.kind == tOp && next.val == op }
	switch t.up {
	case "NULL":
		p.next()
		return &ast.Literal{At: at(t), Kind: ast.NullLit}
	case "TRUE", "FALSE":
		p.next()
		return &ast.Literal{At: at(t), Kind: ast.BoolLit, Bool: t.up == "TRUE"}
	case "CASE":
		return p.caseExpr()
	case "CAST", "TRY_CAST":
		return p.cast()
	case "EXISTS":
		p.next()
		p.expectOp("(")
		q := p.query()
		p.expectOp(")")
		return &ast.Exists{At: at(t), Query: q}
	case "INTERVAL":
		return p.interval()
	case "ROW":
		if nextOp("(") {
			p.next()
			p.next()
			r := &ast.RowCtor{At: at(t)}
			if !p.acceptOp(")") {
				r.Args = p.exprList()
				p.expectOp(")")
			}
			return r
		}
	case "ARRAY":
		if nextOp("[") {
			p.next()
			p.next()
			a := &ast.ArrayCtor{At: at(t)}
			if !p.acceptOp("]") {
				a.Elems = p.exprList()
				p.expectOp("]")
			}
			return a
		}
		if nextOp("(") {
			p.failAt(t.pos, "ARRAY(subquery) is not supported: use ARRAY[...] or ARRAY_AGG")
		}
	case "MAP":
		if nextOp("[") {
			p.next()
			p.next()
			m := &ast.MapCtor{At: at(t)}
			if !p.acceptOp("]") {
				m.KVs = p.exprList()
				p.expectOp("]")
			}
			if len(m.KVs)%2 != 0 {
				p.failAt(t.pos, "MAP[...] takes keys and values in pairs: MAP[k1, v1, k2, v2]")
			}
			return m
		}
		if nextOp("(") {
			p.failAt(t.pos, "MAP(subquery) is not supported: use MAP[...]")
		}
	case "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ":
		if next.kind == tString {
			p.next()
			p.next()
			return &ast.TypedLiteral{At: at(t), Type: t.up, Value: next.val}
		}
	case "DESCRIPTOR":
		if nextOp("(") {
			p.next()
			d := &ast.Descriptor{At: at(t), Columns: p.identList()}
			return d
		}
	case "LEFT", "RIGHT":
		// string functions that share a name with a join keyword
		if nextOp("(") {
			p.next()
			name := ast.ObjectName{At: at(t), Parts: []ast.Ident{identOf(t)}}
			return p.call(name, false)
		}
	}
	if noParenFuncs[t.up] {
		p.next()
		name := ast.ObjectName{At: at(t), Parts: []ast.Ident{identOf(t)}}
		if p.isOp("(") {
			return p.call(name, false)
		}
		return &ast.FuncCall{At: at(t), Name: name, NoParens: true}
	}
	if ast.IsReserved(t.up) {
		p.unexpected("an expression")
	}
	return p.namePrimary()
}

func (p *parser) exprList() []ast.Expr {
	var es []ast.Expr
	for {
		es = append(es, p.expr())
		if !p.acceptOp(",") {
			return es
		}
	}
}

func numberLit(t *token) *ast.Literal {
	kind := ast.IntLit
	switch {
	case strings.ContainsAny(t.val, "eE"):
		kind = ast.FloatLit
	case strings.Contains(t.val, "."):
		kind = ast.DecimalLit
	}
	return &ast.Literal{At: at(t), Kind: kind, Text: t.val}
}

// namePrimary parses a column reference a.b.c or a function call
// f(...) / db.f(...).
func (p *parser) namePrimary() ast.Expr {
	first := p.peek()
	parts := []ast.Ident{p.ident()}
	for p.isOp(".") && !p.isOpAt(1, "*") {
		p.next()
		parts = append(parts, p.ident())
	}
	if p.isOp("(") {
		if len(parts) > 3 {
			p.failAt(parts[3].P, "a function name has at most three parts: catalog.database.function")
		}
		name := ast.ObjectName{At: at(first), Parts: parts}
		return p.call(name, len(parts) == 1 && first.kind == tWord)
	}
	return &ast.ColumnRef{At: at(first), Parts: parts}
}

// parenPrimary parses (expr), (a, b, ...) (a row) or (query) (a scalar
// subquery).
func (p *parser) parenPrimary() ast.Expr {
	t := p.expectOp("(")
	if p.isKw("SELECT") || p.isKw("WITH") || p.isKw("VALUES") {
		q := p.query()
		p.expectOp(")")
		return &ast.ScalarSubquery{At: at(t), Query: q}
	}
	e := p.expr()
	if p.acceptOp(",") {
		r := &ast.RowCtor{At: at(t), Args: append([]ast.Expr{e}, p.exprList()...)}
		p.expectOp(")")
		return r
	}
	p.expectOp(")")
	return &ast.Paren{At: at(t), X: e}
}

// caseExpr parses CASE [operand] WHEN c THEN r ... [ELSE e] END.
func (p *parser) caseExpr() *ast.Case {
	t := p.expectKw("CASE")
	c := &ast.Case{At: at(t)}
	if p.isKw("END") || p.isKw("ELSE") {
		p.unexpected("WHEN")
	}
	if !p.isKw("WHEN") {
		c.Operand = p.expr()
	}
	for p.acceptKw("WHEN") {
		w := ast.When{Cond: p.expr()}
		p.expectKw("THEN")
		w.Result = p.expr()
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		p.unexpected("WHEN")
	}
	if p.acceptKw("ELSE") {
		c.Else = p.expr()
	}
	p.expectKw("END")
	return c
}

// cast parses CAST(x AS type) and TRY_CAST(x AS type).
func (p *parser) cast() *ast.Cast {
	t := p.next()
	p.expectOp("(")
	c := &ast.Cast{At: at(t), Try: t.up == "TRY_CAST", X: p.expr()}
	p.expectKw("AS")
	c.Type = p.dataType()
	p.expectOp(")")
	return c
}

// intervalUnits maps the units of an interval literal, plural forms
// included, to their singular names.
var intervalUnits = map[string]string{
	"YEAR": "YEAR", "YEARS": "YEAR", "MONTH": "MONTH", "MONTHS": "MONTH",
	"DAY": "DAY", "DAYS": "DAY", "HOUR": "HOUR", "HOURS": "HOUR",
	"MINUTE": "MINUTE", "MINUTES": "MINUTE", "SECOND": "SECOND", "SECONDS": "SECOND",
}

// intervalTo lists the units each leading unit may run TO.
var intervalTo = map[string]string{"YEAR": "MONTH", "DAY": "HOUR MINUTE SECOND", "HOUR": "MINUTE SECOND", "MINUTE": "SECOND"}

// interval parses INTERVAL [-|+]'value' unit [(p [, f])] [TO unit [(f)]].
// The value may also be written as a bare number (INTERVAL 10 MINUTE).
func (p *parser) interval() *ast.IntervalLiteral {
	t := p.expectKw("INTERVAL")
	iv := &ast.IntervalLiteral{At: at(t)}
	if p.isOp("-") || p.isOp("+") {
		iv.Negative = p.next().val == "-"
	}
	v := p.peek()
	switch v.kind {
	case tString, tNumber:
		p.next()
		iv.Value = v.val
	default:
		p.unexpected("the interval's value as a string, as in INTERVAL '10' MINUTE")
	}
	iv.From = p.intervalUnit()
	if p.acceptOp("(") {
		iv.Precision = p.smallInt()
		if iv.From == "SECOND" && p.acceptOp(",") {
			iv.FracPrecision = p.smallInt()
		}
		p.expectOp(")")
	}
	if p.isKw("TO") {
		to := p.next()
		iv.To = p.intervalUnit()
		if !strings.Contains(intervalTo[iv.From], iv.To) {
			p.failAt(to.pos, "INTERVAL %s TO %s is not a valid interval qualifier", iv.From, iv.To)
		}
		if iv.To == "SECOND" && p.acceptOp("(") {
			iv.FracPrecision = p.smallInt()
			p.expectOp(")")
		}
	}
	return iv
}

func (p *parser) intervalUnit() string {
	t := p.peek()
	if t.kind == tWord {
		if u, ok := intervalUnits[t.up]; ok {
			p.next()
			return u
		}
	}
	p.unexpected("YEAR, MONTH, DAY, HOUR, MINUTE or SECOND")
	return ""
}

// smallInt parses an unsigned integer precision.
func (p *parser) smallInt() int {
	t := p.peek()
	if t.kind != tNumber || strings.ContainsAny(t.val, ".eE") || len(t.val) > 9 {
		p.unexpected("an integer")
	}
	p.next()
	n := 0
	for _, c := range t.val {
		n = n*10 + int(c-'0')
	}
	return n
}

// windowSpec parses (PARTITION BY ... ORDER BY ... [ROWS|RANGE ...]).
func (p *parser) windowSpec() *ast.WindowSpec {
	p.expectOp("(")
	ws := &ast.WindowSpec{}
	if p.isIdent() && !p.isFrameStart() {
		p.failAt(p.peek().pos, "OVER (w ...) is not supported: refer to a named window as OVER w")
	}
	if p.isKw("PARTITION") {
		p.next()
		p.expectKw("BY")
		ws.PartitionBy = p.exprList()
	}
	if p.isKw("ORDER") {
		p.next()
		p.expectKw("BY")
		ws.OrderBy = p.orderItems()
	}
	if p.isFrameStart() {
		ws.Frame = p.frame()
	}
	p.expectOp(")")
	return ws
}

func (p *parser) isFrameStart() bool {
	return (p.isKw("ROWS") || p.isKw("RANGE")) && !p.isOpAt(1, ")") && !p.isOpAt(1, ",")
}

// frame parses ROWS|RANGE BETWEEN bound AND bound, or ROWS|RANGE bound
// (up to the CURRENT ROW).
func (p *parser) frame() *ast.Frame {
	f := &ast.Frame{Rows: p.next().up == "ROWS"}
	if p.acceptKw("BETWEEN") {
		f.Start = p.frameBound()
		p.expectKw("AND")
		f.End = p.frameBound()
	} else {
		f.Start = p.frameBound()
		f.End = ast.FrameBound{Kind: ast.CurrentRow}
	}
	return f
}

func (p *parser) frameBound() ast.FrameBound {
	switch {
	case p.isKw("UNBOUNDED") && (p.isKwAt(1, "PRECEDING") || p.isKwAt(1, "FOLLOWING")):
		p.next()
		if p.next().up == "PRECEDING" {
			return ast.FrameBound{Kind: ast.UnboundedPreceding}
		}
		return ast.FrameBound{Kind: ast.UnboundedFollowing}
	case p.isKw("CURRENT") && p.isKwAt(1, "ROW"):
		p.next()
		p.next()
		return ast.FrameBound{Kind: ast.CurrentRow}
	}
	off := p.exprPrec(precAdd)
	switch {
	case p.acceptKw("PRECEDING"):
		return ast.FrameBound{Kind: ast.Preceding, Offset: off}
	case p.acceptKw("FOLLOWING"):
		return ast.FrameBound{Kind: ast.Following, Offset: off}
	}
	p.unexpected("PRECEDING or FOLLOWING")
	return ast.FrameBound{}
}
