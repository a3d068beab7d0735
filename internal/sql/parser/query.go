package parser

import (
	"strings"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// This file parses queries: WITH, set operations, SELECT blocks, FROM
// items and joins, GROUP BY, WINDOW, ORDER BY / LIMIT, VALUES, and hints.

// query parses [WITH ctes] body [ORDER BY ...] [LIMIT n | FETCH ...] [OFFSET n].
func (p *parser) query() *ast.Query {
	p.enter()
	defer p.leave()
	t := p.peek()
	q := &ast.Query{At: at(t)}
	if p.acceptKw("WITH") {
		if p.isKw("RECURSIVE") {
			p.failAt(p.peek().pos, "WITH RECURSIVE is not supported (as in Flink)")
		}
		for {
			q.With = append(q.With, p.cte())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	q.Body = p.setExpr()
	if p.isKw("ORDER") {
		p.next()
		p.expectKw("BY")
		q.OrderBy = p.orderItems()
	}
	p.limitOffset(q)
	return q
}

// limitOffset parses LIMIT n|ALL [OFFSET m [ROWS]], OFFSET m [ROWS]
// [FETCH ...], and FETCH FIRST|NEXT [n] ROW|ROWS ONLY (a LIMIT).
func (p *parser) limitOffset(q *ast.Query) {
	if p.acceptKw("LIMIT") {
		if !p.acceptKw("ALL") {
			q.Limit = p.exprPrec(precAdd)
		}
		if p.acceptKw("OFFSET") {
			q.Offset = p.exprPrec(precAdd)
			p.rowsWord()
		}
		return
	}
	if p.acceptKw("OFFSET") {
		q.Offset = p.exprPrec(precAdd)
		p.rowsWord()
	}
	if p.isKw("FETCH") {
		t := p.next()
		if !p.acceptKw("FIRST") && !p.acceptKw("NEXT") {
			p.unexpected("FIRST or NEXT")
		}
		if p.isKw("ROW") || p.isKw("ROWS") {
			q.Limit = &ast.Literal{At: at(t), Kind: ast.IntLit, Text: "1"}
		} else {
			q.Limit = p.exprPrec(precAdd)
		}
		if !p.rowsWord() {
			p.unexpected("ROWS")
		}
		p.expectKw("ONLY")
	}
}

func (p *parser) rowsWord() bool { return p.acceptKw("ROWS") || p.acceptKw("ROW") }

// cte parses name [(cols)] AS (query).
func (p *parser) cte() ast.CTE {
	c := ast.CTE{Name: p.ident()}
	c.At = c.Name.At
	if p.isOp("(") {
		c.Columns = p.identList()
	}
	p.expectKw("AS")
	p.expectOp("(")
	c.Query = p.query()
	p.expectOp(")")
	return c
}

// setExpr parses set operations: INTERSECT binds tighter than UNION and
// EXCEPT, which associate to the left (the SQL standard's precedence).
func (p *parser) setExpr() ast.SetExpr {
	left := p.intersectTerm()
	if t := p.peek(); t.up == "MINUS" && (p.isKwAt(1, "SELECT") || p.isKwAt(1, "ALL") || p.isKwAt(1, "DISTINCT") || p.isOpAt(1, "(")) {
		p.failAt(t.pos, "MINUS is not supported (as in Flink), nor is EXCEPT yet")
	}
	for p.isKw("UNION") || p.isKw("EXCEPT") {
		op := ast.SetOpKind(p.next().up)
		all := p.setQuantifier()
		right := p.intersectTerm()
		left = &ast.SetOp{At: ast.At{P: left.Position()}, Op: op, All: all, Left: left, Right: right}
	}
	return left
}

func (p *parser) intersectTerm() ast.SetExpr {
	left := p.setPrimary()
	for p.isKw("INTERSECT") {
		p.next()
		all := p.setQuantifier()
		right := p.setPrimary()
		left = &ast.SetOp{At: ast.At{P: left.Position()}, Op: ast.Intersect, All: all, Left: left, Right: right}
	}
	return left
}

func (p *parser) setQuantifier() bool {
	if p.acceptKw("ALL") {
		return true
	}
	p.acceptKw("DISTINCT")
	return false
}

// setPrimary parses SELECT, VALUES or a parenthesized query.
func (p *parser) setPrimary() ast.SetExpr {
	switch {
	case p.isKw("SELECT"):
		return p.selectBlock()
	case p.isKw("VALUES"):
		return p.values()
	case p.isOp("("):
		p.enter()
		defer p.leave()
		p.next()
		q := p.query()
		p.expectOp(")")
		return q
	}
	p.unexpected("SELECT, VALUES or (")
	return nil
}

// values parses VALUES (e, ...), (e, ...) (ROW before a row is allowed).
func (p *parser) values() *ast.Values {
	t := p.expectKw("VALUES")
	v := &ast.Values{At: at(t)}
	for {
		if p.isKw("ROW") && p.isOpAt(1, "(") {
			p.next()
		}
		p.expectOp("(")
		var r []ast.Expr
		for {
			r = append(r, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
		v.Rows = append(v.Rows, r)
		if !p.acceptOp(",") {
			return v
		}
	}
}

// selectBlock parses SELECT [hints] [DISTINCT|ALL] items [FROM ...]
// [WHERE ...] [GROUP BY ...] [HAVING ...] [WINDOW ...].
func (p *parser) selectBlock() *ast.Select {
	t := p.expectKw("SELECT")
	s := &ast.Select{At: at(t)}
	s.Hints = p.hints()
	if p.acceptKw("DISTINCT") {
		s.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	for {
		s.Items = append(s.Items, p.selectItem())
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		s.From = p.fromClause()
	}
	if p.acceptKw("WHERE") {
		s.Where = p.expr()
	}
	if p.isKw("GROUP") {
		p.next()
		p.expectKw("BY")
		for {
			s.GroupBy = append(s.GroupBy, p.groupingElement())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("HAVING") {
		s.Having = p.expr()
	}
	if p.acceptKw("WINDOW") {
		for {
			nw := ast.NamedWindow{Name: p.ident()}
			p.expectKw("AS")
			nw.Spec = p.windowSpec()
			s.Windows = append(s.Windows, nw)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	return s
}

// selectItem parses *, qualifier.* or expr [[AS] alias].
func (p *parser) selectItem() ast.SelectItem {
	t := p.peek()
	if p.isOp("*") {
		p.next()
		return ast.SelectItem{At: at(t), Star: true}
	}
	// qualifier.*: identifiers joined by dots, ending in .*
	for n := 0; isIdentTok(p.peekN(n)) && p.isOpAt(n+1, "."); n += 2 {
		if p.isOpAt(n+2, "*") {
			first := p.ident()
			q := ast.ObjectName{At: first.At, Parts: []ast.Ident{first}}
			for i := 0; i < n; i += 2 {
				p.next()
				q.Parts = append(q.Parts, p.ident())
			}
			if len(q.Parts) > 3 {
				p.failAt(q.Parts[3].P, "a name has at most three parts: catalog.database.object")
			}
			p.expectOp(".")
			p.expectOp("*")
			return ast.SelectItem{At: at(t), Star: true, Qualifier: &q}
		}
	}
	it := ast.SelectItem{At: at(t), Expr: p.expr()}
	if p.acceptKw("AS") {
		a := p.ident()
		it.Alias = &a
	} else if p.isIdent() {
		at := p.peek()
		a := p.ident()
		p.aliasTypo(at)
		it.Alias = &a
	}
	return it
}

// aliasTypo reports a misspelt keyword taken for an implicit alias
// ("SELECT a FORM t": FORM is read as a's alias, then t cannot follow).
func (p *parser) aliasTypo(alias *token) {
	next := p.peek()
	if alias.kind == tWord && (isIdentTok(next) || next.kind == tNumber || next.kind == tString) {
		if k := nearMiss(alias.val, clauseWords...); k != "" {
			p.unexpectedTok(alias, k)
		}
	}
}

// fromClause parses table references joined by commas and JOINs, left to
// right (Calcite's associativity: a, b JOIN c ON ... is (a, b) JOIN c).
func (p *parser) fromClause() ast.TableExpr {
	left := p.tableRef()
	for {
		t := p.peek()
		var kind ast.JoinKind
		switch {
		case p.acceptOp(","):
			right := p.tableRef()
			left = &ast.Join{At: ast.At{P: left.Position()}, Kind: ast.CommaJoin, Left: left, Right: right}
			continue
		case p.acceptKw("CROSS"):
			if p.isKw("APPLY") {
				p.failAt(p.peek().pos, "CROSS APPLY is not supported: use CROSS JOIN LATERAL TABLE(...)")
			}
			p.expectKw("JOIN")
			right := p.tableRef()
			left = &ast.Join{At: ast.At{P: left.Position()}, Kind: ast.CrossJoin, Left: left, Right: right}
			continue
		case p.acceptKw("JOIN"):
			kind = ast.InnerJoin
		case p.acceptKw("INNER"):
			p.expectKw("JOIN")
			kind = ast.InnerJoin
		case p.isKw("LEFT") || p.isKw("RIGHT") || p.isKw("FULL"):
			kind = ast.JoinKind(p.next().up)
			p.acceptKw("OUTER")
			p.expectKw("JOIN")
		case p.isKw("NATURAL"):
			p.failAt(t.pos, "NATURAL JOIN is not supported: join ON or USING the columns")
		default:
			return left
		}
		right := p.tableRef()
		j := &ast.Join{At: ast.At{P: left.Position()}, Kind: kind, Left: left, Right: right}
		switch {
		case p.acceptKw("ON"):
			j.On = p.expr()
		case p.acceptKw("USING"):
			j.Using = p.identList()
		default:
			p.unexpected("ON or USING (a " + string(kind) + " JOIN needs a condition; use ON TRUE for a lateral table function)")
		}
		left = j
	}
}

// tableRef parses one FROM item: a table or view (with hints, FOR
// SYSTEM_TIME AS OF and alias), a subquery, TABLE(f(...)), LATERAL
// TABLE(f(...)), LATERAL (query), UNNEST(...), or a parenthesized join.
func (p *parser) tableRef() ast.TableExpr {
	p.enter()
	defer p.leave()
	t := p.peek()
	switch {
	case p.isKw("LATERAL"):
		p.next()
		switch {
		case p.isKw("TABLE"):
			tf := p.tableFunc()
			tf.Lateral = true
			tf.At = at(t)
			return tf
		case p.isOp("("):
			sq := p.subquery()
			sq.Lateral = true
			sq.At = at(t)
			return sq
		}
		p.unexpected("TABLE or (")
	case p.isKw("TABLE") && p.isOpAt(1, "("):
		return p.tableFunc()
	case p.isKw("UNNEST"):
		p.next()
		u := &ast.Unnest{At: at(t)}
		p.expectOp("(")
		for {
			u.Args = append(u.Args, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
		if p.isKw("WITH") && p.isKwAt(1, "ORDINALITY") {
			p.next()
			p.next()
			u.WithOrdinality = true
		}
		u.Alias = p.alias()
		return u
	case p.isOp("("):
		if p.startsQueryAt(1) {
			return p.subquery()
		}
		p.next()
		j := p.fromClause()
		p.expectOp(")")
		return j
	}
	if !p.isIdent() {
		p.unexpected("a table name")
	}
	tr := &ast.TableRef{At: at(t), Name: p.objectName()}
	tr.Hints = p.hints()
	if p.isKw("FOR") {
		p.next()
		p.expectKw("SYSTEM_TIME")
		p.expectKw("AS")
		p.expectKw("OF")
		tr.ForSystemTime = p.expr()
	}
	tr.Alias = p.alias()
	return tr
}

func (p *parser) subquery() *ast.Subquery {
	t := p.expectOp("(")
	sq := &ast.Subquery{At: at(t), Query: p.query()}
	p.expectOp(")")
	sq.Alias = p.alias()
	return sq
}

// tableFunc parses TABLE(f(args)) [alias].
func (p *parser) tableFunc() *ast.TableFunc {
	t := p.expectKw("TABLE")
	p.expectOp("(")
	c := p.peek()
	call, ok := p.expr().(*ast.FuncCall)
	if !ok || call.NoParens {
		p.failAt(c.pos, "TABLE(...) takes a table function call, such as TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))")
	}
	p.expectOp(")")
	return &ast.TableFunc{At: at(t), Call: call, Alias: p.alias()}
}

// alias parses [AS] name [(col, ...)] after a FROM item.
func (p *parser) alias() *ast.Alias {
	var a *ast.Alias
	switch {
	case p.acceptKw("AS"):
		a = &ast.Alias{Name: p.ident()}
	case p.isKw("MINUS") && (p.isKwAt(1, "SELECT") || p.isKwAt(1, "ALL") || p.isKwAt(1, "DISTINCT")):
		return nil // Calcite's MINUS (a set operation), reported by setExpr
	case p.isKw("MATCH_RECOGNIZE") && p.isOpAt(1, "("):
		p.failAt(p.peek().pos, "MATCH_RECOGNIZE is not supported yet")
	case p.isIdent():
		t := p.peek()
		a = &ast.Alias{Name: p.ident()}
		if !p.isOp("(") {
			p.aliasTypo(t)
		}
	default:
		return nil
	}
	if p.isOp("(") {
		a.Columns = p.identList()
	}
	return a
}

// groupingElement parses an expression of GROUP BY, GROUPING SETS (...),
// ROLLUP (...), CUBE (...) or () (the grand total).
func (p *parser) groupingElement() ast.Expr {
	t := p.peek()
	switch {
	case p.isKw("GROUPING") && p.isKwAt(1, "SETS"):
		p.next()
		p.next()
		g := &ast.GroupingSets{At: at(t)}
		p.expectOp("(")
		for {
			g.Sets = append(g.Sets, p.groupingSet())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
		return g
	case (p.isKw("ROLLUP") || p.isKw("CUBE")) && p.isOpAt(1, "("):
		p.next()
		p.expectOp("(")
		var es []ast.Expr
		for {
			es = append(es, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
		if t.up == "ROLLUP" {
			return &ast.Rollup{At: at(t), Exprs: es}
		}
		return &ast.Cube{At: at(t), Exprs: es}
	case p.isOp("(") && p.isOpAt(1, ")"):
		p.next()
		p.next()
		return &ast.GroupingSets{At: at(t), Sets: [][]ast.Expr{{}}}
	}
	return p.expr()
}

// groupingSet parses one set of GROUPING SETS: (a, b), (a), (), a, or a
// nested ROLLUP / CUBE / GROUPING SETS. A parenthesized list reads as a
// row constructor or a parenthesized expression first, and is taken
// apart here.
func (p *parser) groupingSet() []ast.Expr {
	if p.isOp("(") && p.isOpAt(1, ")") {
		p.next()
		p.next()
		return []ast.Expr{}
	}
	switch e := p.groupingElement().(type) {
	case *ast.RowCtor:
		return e.Args
	case *ast.Paren:
		return []ast.Expr{e.X}
	default:
		return []ast.Expr{e}
	}
}

// orderItems parses expr [ASC|DESC] [NULLS FIRST|LAST], ...
func (p *parser) orderItems() []ast.OrderItem {
	var items []ast.OrderItem
	for {
		t := p.peek()
		it := ast.OrderItem{At: at(t), Expr: p.expr()}
		if p.acceptKw("DESC") {
			it.Desc = true
		} else {
			p.acceptKw("ASC")
		}
		if p.acceptKw("NULLS") {
			first := false
			switch {
			case p.acceptKw("FIRST"):
				first = true
			case p.acceptKw("LAST"):
			default:
				p.unexpected("FIRST or LAST")
			}
			it.NullsFirst = &first
		}
		items = append(items, it)
		if !p.acceptOp(",") {
			return items
		}
	}
}

// hints parses the /*+ ... */ hints written before the current token:
// NAME, NAME('k' = 'v', ...) (OPTIONS, STATE_TTL, LOOKUP) or NAME(a, b)
// (join hints).
func (p *parser) hints() []ast.Hint {
	var hs []ast.Hint
	for _, g := range p.takeHints() {
		sp := p.sub(g.toks)
		if sp.peek().kind == tEOF {
			p.failAt(g.pos, "empty hint /*+ */")
		}
		for {
			hs = append(hs, sp.hint())
			if !sp.acceptOp(",") {
				break
			}
		}
		if sp.peek().kind != tEOF {
			sp.unexpected(`"," or "*/"`)
		}
	}
	return hs
}

func (p *parser) hint() ast.Hint {
	t := p.peek()
	if t.kind != tWord && t.kind != tQuoted {
		p.unexpected("a hint name")
	}
	p.next()
	h := ast.Hint{At: at(t), Name: strings.ToUpper(t.val)}
	if !p.acceptOp("(") {
		return h
	}
	if p.acceptOp(")") {
		return h
	}
	if k := p.peek(); (k.kind == tString || k.kind == tWord || k.kind == tQuoted) && p.isOpAt(1, "=") {
		for {
			k := p.peek()
			if k.kind != tString && k.kind != tWord && k.kind != tQuoted {
				p.unexpected("an option key")
			}
			p.next()
			p.expectOp("=")
			v := p.peek()
			if v.kind != tString {
				p.unexpected("a string literal")
			}
			p.next()
			h.Options = append(h.Options, ast.Option{At: at(k), Key: k.val, Value: v.val})
			if !p.acceptOp(",") {
				break
			}
		}
	} else {
		for {
			a := p.peek()
			switch a.kind {
			case tWord, tQuoted, tString, tNumber:
				p.next()
				h.Args = append(h.Args, a.val)
			default:
				p.unexpected("a hint argument")
			}
			if !p.acceptOp(",") {
				break
			}
		}
	}
	p.expectOp(")")
	return h
}
