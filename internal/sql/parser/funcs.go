package parser

import (
	"strings"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// This file parses function calls: arguments (named ones, TABLE t,
// COUNT(*), DISTINCT), FILTER and OVER, and the functions with a
// syntax of their own, normalized into plain arguments as ast.FuncCall
// documents:
//
//	EXTRACT(unit FROM x)               EXTRACT(TimeUnit, x)
//	FLOOR(x TO unit), CEIL(x TO unit)  FLOOR(x, TimeUnit)
//	TIMESTAMPADD(unit, n, ts)          TIMESTAMPADD(TimeUnit, n, ts); TIMESTAMPDIFF likewise
//	POSITION(a IN b)                   POSITION(a, b)
//	TRIM([BOTH|LEADING|TRAILING] [c] FROM s)  TRIM(Symbol, c or ' ', s)
//	SUBSTRING(s FROM a [FOR b])        SUBSTRING(s, a [, b])
//	OVERLAY(s PLACING r FROM a [FOR b]) OVERLAY(s, r, a [, b])
//
// and the SQL/JSON functions, whose clauses become trailing arguments:
//
//	JSON_VALUE(x, path [RETURNING t] [b ON EMPTY] [b ON ERROR])
//	    x, path, [TypeArg t], [Symbol "NULL|ERROR|DEFAULT ON EMPTY" (+ the default)], [same ON ERROR]
//	JSON_QUERY(x, path [RETURNING t] [wrapper] [b ON EMPTY] [b ON ERROR])
//	    x, path, [TypeArg], [Symbol "WITHOUT ARRAY WRAPPER" | "WITH CONDITIONAL ARRAY WRAPPER" |
//	    "WITH UNCONDITIONAL ARRAY WRAPPER"], [Symbol "NULL|ERROR|EMPTY ARRAY|EMPTY OBJECT ON EMPTY"], [... ON ERROR]
//	JSON_EXISTS(x, path [TRUE|FALSE|UNKNOWN|ERROR ON ERROR])
//	    x, path, [Symbol "... ON ERROR"]
//	JSON_OBJECT([KEY] k VALUE v, ... [NULL|ABSENT ON NULL]), JSON_OBJECTAGG likewise
//	    k1, v1, k2, v2, ..., [Symbol "NULL ON NULL" | "ABSENT ON NULL"]
//	JSON_ARRAY(v, ... [NULL|ABSENT ON NULL]), JSON_ARRAYAGG likewise
//	    v1, v2, ..., [Symbol "... ON NULL"]
//
// The special forms are recognized only for an unquoted one-part name:
// `TRIM`(a, b) is a call of a function named TRIM with plain arguments.

// call parses the parenthesized arguments of name and what may follow
// them (FILTER, OVER). bare: the name is one unquoted word, so the
// special syntaxes apply.
func (p *parser) call(name ast.ObjectName, bare bool) ast.Expr {
	f := &ast.FuncCall{At: name.At, Name: name}
	open := p.expectOp("(")
	upper := strings.ToUpper(name.Parts[len(name.Parts)-1].Name)
	switch {
	case !bare || p.isOp(")") || p.isOp("*") && p.isOpAt(1, ")") || p.isKw("DISTINCT") || p.isKw("ALL"):
		p.genericArgs(f)
	case upper == "EXTRACT":
		p.extract(f)
	case upper == "FLOOR" || upper == "CEIL" || upper == "CEILING":
		p.floorCeil(f)
	case upper == "TIMESTAMPADD" || upper == "TIMESTAMPDIFF":
		p.timestampAdd(f)
	case upper == "POSITION":
		p.position(f)
	case upper == "TRIM":
		p.trim(f, open)
	case upper == "SUBSTRING":
		p.substring(f)
	case upper == "OVERLAY":
		p.overlay(f)
	case upper == "JSON_VALUE" || upper == "JSON_QUERY" || upper == "JSON_EXISTS":
		p.restArgs(f, p.arg())
		p.jsonClauses(f, upper)
	case upper == "JSON_OBJECT" || upper == "JSON_OBJECTAGG":
		p.jsonObject(f)
	case upper == "JSON_ARRAY" || upper == "JSON_ARRAYAGG":
		if !p.isJSONNullClause() {
			p.restArgs(f, p.arg())
		}
		p.jsonNullClause(f)
	default:
		p.genericArgs(f)
	}
	p.expectOp(")")
	p.callSuffix(f)
	return f
}

// genericArgs parses [DISTINCT|ALL] arg, ... or * (COUNT(*)).
func (p *parser) genericArgs(f *ast.FuncCall) {
	if p.isOp(")") {
		return
	}
	if p.isOp("*") && p.isOpAt(1, ")") {
		p.next()
		f.Star = true
		return
	}
	if p.acceptKw("DISTINCT") {
		f.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	p.restArgs(f, p.arg())
}

// restArgs appends first and the arguments after it, comma-separated.
func (p *parser) restArgs(f *ast.FuncCall, first ast.Expr) {
	f.Args = append(f.Args, first)
	for p.acceptOp(",") {
		f.Args = append(f.Args, p.arg())
	}
}

// arg parses an argument: name => value (named TVF arguments), TABLE t,
// TABLE (query), either with PARTITION BY columns, or an expression.
func (p *parser) arg() ast.Expr {
	t := p.peek()
	if (t.kind == tWord || t.kind == tQuoted) && p.isOpAt(1, "=>") {
		p.next()
		p.next()
		return &ast.NamedArg{At: at(t), Name: ast.Ident{At: at(t), Name: t.val, Quoted: t.kind == tQuoted}, Value: p.argValue()}
	}
	return p.argValue()
}

func (p *parser) argValue() ast.Expr {
	t := p.peek()
	if t.kind == tWord && t.up == "TABLE" {
		p.next()
		ta := &ast.TableArg{At: at(t)}
		if p.acceptOp("(") {
			ta.Query = p.query()
			p.expectOp(")")
		} else {
			ta.Name = p.objectName()
		}
		if !p.isKw("PARTITION") {
			return ta
		}
		p.next()
		p.expectKw("BY")
		pt := &ast.PartitionedTableArg{At: at(t), Table: ta}
		if p.isOp("(") {
			pt.PartitionBy = p.identList()
		} else {
			pt.PartitionBy = []ast.Ident{p.ident()}
		}
		return pt
	}
	return p.expr()
}

// callSuffix parses FILTER (WHERE cond) and OVER (...) | OVER w.
func (p *parser) callSuffix(f *ast.FuncCall) {
	if p.isKw("WITHIN") && p.isKwAt(1, "GROUP") {
		p.failAt(p.peek().pos, "WITHIN GROUP is not supported")
	}
	if p.isKw("IGNORE") || p.isKw("RESPECT") {
		if p.isKwAt(1, "NULLS") {
			p.failAt(p.peek().pos, "%s NULLS is not supported", p.peek().up)
		}
	}
	if p.acceptKw("FILTER") {
		p.expectOp("(")
		p.expectKw("WHERE")
		f.Filter = p.expr()
		p.expectOp(")")
	}
	if p.isKw("OVER") {
		t := p.next()
		o := &ast.Over{At: at(t)}
		if p.isOp("(") {
			o.Spec = p.windowSpec()
		} else {
			o.WindowName = p.ident().Name
		}
		f.Over = o
	}
}

// timeUnits maps the time units of EXTRACT, FLOOR/CEIL ... TO and
// TIMESTAMPADD/DIFF (plural and JDBC SQL_TSI_ forms included) to their
// upper-case singular names.
var timeUnits = func() map[string]string {
	m := map[string]string{}
	for _, u := range []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND",
		"MILLISECOND", "MICROSECOND", "NANOSECOND", "DECADE", "CENTURY", "MILLENNIUM"} {
		m[u] = u
		m[u+"S"] = u
	}
	for _, u := range []string{"DOW", "DOY", "ISODOW", "ISOYEAR", "EPOCH"} {
		m[u] = u
	}
	for _, u := range []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MICROSECOND"} {
		m["SQL_TSI_"+u] = u
	}
	m["MILLENIUM"] = "MILLENNIUM"
	m["FRAC_SECOND"] = "MICROSECOND"
	return m
}()

func (p *parser) timeUnit() *ast.TimeUnit {
	t := p.peek()
	if t.kind == tWord {
		if u, ok := timeUnits[t.up]; ok {
			p.next()
			return &ast.TimeUnit{At: at(t), Unit: u}
		}
		p.failAt(t.pos, "unknown time unit %s: expected YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, ...", describe(p.src, *t))
	}
	p.unexpected("a time unit such as DAY")
	return nil
}

// extract parses EXTRACT(unit FROM x).
func (p *parser) extract(f *ast.FuncCall) {
	if p.peek().kind == tWord && p.isKwAt(1, "FROM") {
		u := p.timeUnit()
		p.next()
		f.Args = []ast.Expr{u, p.expr()}
		return
	}
	p.genericArgs(f)
}

// floorCeil parses FLOOR(x TO unit) and plain FLOOR(x).
func (p *parser) floorCeil(f *ast.FuncCall) {
	x := p.arg()
	if p.acceptKw("TO") {
		f.Args = []ast.Expr{x, p.timeUnit()}
		return
	}
	p.restArgs(f, x)
}

// timestampAdd parses TIMESTAMPADD(unit, n, ts) / TIMESTAMPDIFF(unit, a, b).
func (p *parser) timestampAdd(f *ast.FuncCall) {
	if t := p.peek(); t.kind == tWord && p.isOpAt(1, ",") {
		if _, ok := timeUnits[t.up]; ok {
			f.Args = append(f.Args, p.timeUnit())
			p.expectOp(",")
			p.restArgs(f, p.arg())
			return
		}
	}
	p.genericArgs(f)
}

// position parses POSITION(a IN b); POSITION(a, b) is the same call.
func (p *parser) position(f *ast.FuncCall) {
	a := p.exprPrec(precAdd)
	if p.acceptKw("IN") {
		f.Args = []ast.Expr{a, p.expr()}
		return
	}
	p.restArgs(f, p.infix(a, precPrimary, precOr))
}

// trim parses TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) and TRIM(s)
// into TRIM(Symbol, chars, s).
func (p *parser) trim(f *ast.FuncCall, open *token) {
	sym := &ast.Symbol{At: at(open), Name: "BOTH"}
	chars := ast.Expr(&ast.Literal{At: at(open), Kind: ast.StringLit, Text: " "})
	var s ast.Expr
	t := p.peek()
	switch {
	case (p.isKw("BOTH") || p.isKw("LEADING") || p.isKw("TRAILING")) && !p.isOpAt(1, ")") && !p.isOpAt(1, ","):
		p.next()
		sym = &ast.Symbol{At: at(t), Name: t.up}
		if !p.acceptKw("FROM") {
			chars = p.expr()
			p.expectKw("FROM")
		}
		s = p.expr()
	case p.acceptKw("FROM"):
		s = p.expr()
	default:
		e := p.expr()
		if p.acceptKw("FROM") {
			chars = e
			s = p.expr()
		} else {
			s = e
		}
	}
	if p.isOp(",") {
		p.unexpected(`")": TRIM takes [BOTH|LEADING|TRAILING] [characters] FROM string`)
	}
	f.Args = []ast.Expr{sym, chars, s}
}

// substring parses SUBSTRING(s FROM a [FOR b]) and SUBSTRING(s, a [, b]).
func (p *parser) substring(f *ast.FuncCall) {
	s := p.arg()
	if p.acceptKw("FROM") {
		f.Args = []ast.Expr{s, p.expr()}
		if p.acceptKw("FOR") {
			f.Args = append(f.Args, p.expr())
		}
		return
	}
	p.restArgs(f, s)
}

// overlay parses OVERLAY(s PLACING r FROM a [FOR b]).
func (p *parser) overlay(f *ast.FuncCall) {
	s := p.arg()
	if p.acceptKw("PLACING") {
		r := p.expr()
		p.expectKw("FROM")
		f.Args = []ast.Expr{s, r, p.expr()}
		if p.acceptKw("FOR") {
			f.Args = append(f.Args, p.expr())
		}
		return
	}
	p.restArgs(f, s)
}

func (p *parser) symbol(t *token, name string) *ast.Symbol {
	return &ast.Symbol{At: at(t), Name: name}
}

// jsonClauses parses the RETURNING, wrapper, ON EMPTY and ON ERROR
// clauses of JSON_VALUE, JSON_QUERY and JSON_EXISTS.
func (p *parser) jsonClauses(f *ast.FuncCall, fn string) {
	if fn == "JSON_EXISTS" {
		t := p.peek()
		if (p.isKw("TRUE") || p.isKw("FALSE") || p.isKw("UNKNOWN") || p.isKw("ERROR")) && p.isKwAt(1, "ON") {
			p.next()
			p.next()
			p.expectKw("ERROR")
			f.Args = append(f.Args, p.symbol(t, t.up+" ON ERROR"))
		}
		return
	}
	if t := p.peek(); p.acceptKw("RETURNING") {
		f.Args = append(f.Args, &ast.TypeArg{At: at(t), Type: p.dataType()})
	}
	if fn == "JSON_QUERY" && (p.isKw("WITH") || p.isKw("WITHOUT")) {
		t := p.next()
		name := "WITHOUT ARRAY WRAPPER"
		if t.up == "WITH" {
			name = "WITH UNCONDITIONAL ARRAY WRAPPER"
			if p.acceptKw("CONDITIONAL") {
				name = "WITH CONDITIONAL ARRAY WRAPPER"
			} else {
				p.acceptKw("UNCONDITIONAL")
			}
		}
		p.acceptKw("ARRAY")
		p.expectKw("WRAPPER")
		f.Args = append(f.Args, p.symbol(t, name))
	}
	seenEmpty, seenError := false, false
	for !seenError {
		t := p.peek()
		var behaviour string
		var def ast.Expr
		switch {
		case (p.isKw("NULL") || p.isKw("ERROR")) && p.isKwAt(1, "ON"):
			behaviour = p.next().up
		case fn == "JSON_VALUE" && p.isKw("DEFAULT"):
			p.next()
			behaviour = "DEFAULT"
			def = p.expr()
		case fn == "JSON_QUERY" && p.isKw("EMPTY") && (p.isKwAt(1, "ARRAY") || p.isKwAt(1, "OBJECT")):
			p.next()
			behaviour = "EMPTY " + p.next().up
		default:
			return
		}
		p.expectKw("ON")
		w := p.peek()
		switch {
		case p.isKw("EMPTY") && !seenEmpty:
			seenEmpty = true
		case p.isKw("ERROR"):
			seenError = true
		default:
			p.unexpected("EMPTY or ERROR")
		}
		p.next()
		f.Args = append(f.Args, p.symbol(t, behaviour+" ON "+w.up))
		if def != nil {
			f.Args = append(f.Args, def)
		}
	}
}

// jsonObject parses JSON_OBJECT([KEY] k VALUE v, ... [NULL|ABSENT ON NULL]).
func (p *parser) jsonObject(f *ast.FuncCall) {
	for !p.isOp(")") && !p.isJSONNullClause() {
		k := p.jsonKey()
		f.Args = append(f.Args, k, p.expr())
		if !p.acceptOp(",") {
			break
		}
	}
	p.jsonNullClause(f)
}

// jsonKey parses [KEY] k VALUE. KEY is the keyword unless the key is a
// column named key (key VALUE v): the keyword is tried first.
func (p *parser) jsonKey() ast.Expr {
	if p.isKw("KEY") {
		if p.speculating == 0 {
			var k ast.Expr
			if p.speculate(func() {
				p.next()
				k = p.expr()
				p.expectKw("VALUE")
			}) {
				return k
			}
		} else if !p.isKwAt(1, "VALUE") || p.isKwAt(2, "VALUE") || p.isOpAt(2, ".") || p.isOpAt(2, "[") {
			// inside another speculation, by lookahead alone
			p.next()
		}
	}
	k := p.expr()
	p.expectKw("VALUE")
	return k
}

func (p *parser) isJSONNullClause() bool {
	return (p.isKw("NULL") || p.isKw("ABSENT")) && p.isKwAt(1, "ON") && p.isKwAt(2, "NULL")
}

func (p *parser) jsonNullClause(f *ast.FuncCall) {
	if p.isJSONNullClause() {
		t := p.next()
		p.next()
		p.next()
		f.Args = append(f.Args, p.symbol(t, t.up+" ON NULL"))
	}
}
