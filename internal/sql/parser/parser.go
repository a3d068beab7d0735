// Package parser reads rtdw's SQL, Flink SQL, into the syntax tree of
// internal/sql/ast: a hand-written lexer (lexer.go) and a recursive
// descent parser, expressions by precedence climbing (expr.go). It is
// rtdw's own parser rather than a port of Calcite's grammar: it accepts
// what Flink's SQL client accepts for the statements and queries rtdw
// runs, and reports errors Flink-style, at a file:line:column with the
// offending line and a caret (Error).
//
// Keywords are case-insensitive. Reserved words (ast.IsReserved: clause
// keywords, operators, literals, constructors) cannot be bare
// identifiers. Words Flink reserves but that cannot be misread here
// (value, date, year, user, ...) are taken as bare column names, as
// users write them in gmall-style jobs; ast.Format quotes them, so what
// it prints is valid Flink SQL as well.
//
// Whatever parses prints with ast.Format as SQL that parses back to an
// equal tree: the data-driven tests, a random-tree test and FuzzParse
// hold the parser and Format to that.
//
// Files: lexer.go (tokens, comments, hints, rune columns), parser.go
// (entry points, token helpers, statement dispatch, INSERT, statement
// sets, EXPLAIN), ddl.go (CREATE, DROP, ALTER, USE, SHOW, DESCRIBE, SET,
// RESET, STOP JOB), query.go (queries, FROM items, joins, hints),
// expr.go (operators and primaries), funcs.go (calls and the special
// syntaxes normalized into arguments), types.go (data types), errors.go
// (Error and messages).
package parser

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// maxDepth bounds the nesting of expressions, queries and types, so that
// a pathological input fails with an error instead of exhausting the
// stack.
const maxDepth = 500

// Parse parses a script: statements separated by ';' (the last ';' is
// optional, empty statements are skipped). Each statement's Text is its
// source from its first token to its last, without the ';'.
func Parse(file, src string) (stmts []ast.Statement, err error) {
	p := newParser(file, src)
	defer p.recoverScript(&stmts, &err)
	for {
		for p.acceptOp(";") {
		}
		if p.peek().kind == tEOF {
			p.next() // reports hints written at the end
			return stmts, nil
		}
		stmts = append(stmts, p.statement())
		if p.peek().kind != tEOF && !p.isOp(";") {
			p.endOfStatement()
		}
	}
}

// ParseExpr parses one expression (a computed column, a watermark, as
// the catalog stores them).
func ParseExpr(src string) (e ast.Expr, err error) {
	p := newParser("", src)
	defer p.recover(&err)
	e = p.expr()
	p.expectEOF()
	return e, nil
}

// ParseQuery parses one query (a view's, as the catalog stores it); a
// trailing ';' is allowed.
func ParseQuery(src string) (q *ast.Query, err error) {
	p := newParser("", src)
	defer p.recover(&err)
	q = p.query()
	p.acceptOp(";")
	p.expectEOF()
	return q, nil
}

// parser is the state of one parse: the tokens and a cursor.
type parser struct {
	file, src string
	toks      []token
	i         int
	taken     map[int]bool // tokens whose hints were taken
	lastEnd   int          // byte offset just past the last consumed token
	depth     int
	// speculating counts the speculate calls under way
	speculating int
}

func newParser(file, src string) *parser {
	return &parser{file: file, src: src, toks: lex(src)}
}

// sub returns a parser over a hint's tokens, sharing the source for
// positions and error lines.
func (p *parser) sub(toks []token) *parser {
	return &parser{file: p.file, src: p.src, toks: toks, depth: p.depth}
}

// recoverScript is recover for Parse: no statements with an error.
func (p *parser) recoverScript(stmts *[]ast.Statement, err *error) {
	if r := recover(); r != nil {
		b, ok := r.(bailout)
		if !ok {
			panic(r)
		}
		*stmts, *err = nil, b.err
	}
}

// recover turns the bailout of a syntax error into the returned error
// (deferred directly, as recover requires).
func (p *parser) recover(err *error) {
	if r := recover(); r != nil {
		b, ok := r.(bailout)
		if !ok {
			panic(r)
		}
		*err = b.err
	}
}

// ---------------------------------------------------------------- errors

func (p *parser) failAt(pos ast.Pos, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	panic(bailout{&Error{File: p.file, Pos: pos, Msg: msg, LineText: lineText(p.src, pos.Offset)}})
}

// unexpected fails at the current token: `unexpected "x", expected ...`.
func (p *parser) unexpected(expected string) {
	p.unexpectedTok(p.peek(), expected)
}

func (p *parser) unexpectedTok(t *token, expected string) {
	if t.kind == tError {
		p.failAt(t.pos, "%s", t.val)
	}
	msg := "unexpected " + describe(p.src, *t)
	if expected != "" {
		msg += ", expected " + expected
	}
	p.failAt(t.pos, "%s", msg)
}

// clauseWords are what a statement may continue with; a near miss of one
// of them where a statement should end is reported as that typo.
var clauseWords = []string{"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION",
	"INTERSECT", "EXCEPT", "JOIN", "LEFT", "RIGHT", "INNER", "CROSS", "WINDOW", "SELECT", "VALUES", "WITH"}

// endOfStatement reports what follows a complete statement where ';'
// or the end was due.
func (p *parser) endOfStatement() {
	t := p.peek()
	if t.kind == tWord {
		if k := nearMiss(t.val, clauseWords...); k != "" {
			p.unexpected(k)
		}
	}
	p.unexpected(`";"`)
}

func (p *parser) expectEOF() {
	if p.peek().kind != tEOF {
		p.unexpected("end of input")
	}
	p.next()
}

// speculate runs fn and reports whether it parsed; if it failed, the
// parser is back where it was. It resolves the rare local ambiguities a
// token of lookahead cannot (JSON_OBJECT(key VALUE v) with a column
// named key).
//
// A speculation does not nest (callers check p.speculating and decide by
// lookahead inside one), so a failing parse is retried at most once per
// level and the cost stays polynomial.
func (p *parser) speculate(fn func()) (ok bool) {
	i, lastEnd, depth := p.i, p.lastEnd, p.depth
	p.speculating++
	defer func() {
		p.speculating--
		if r := recover(); r != nil {
			if _, isBail := r.(bailout); !isBail {
				panic(r)
			}
			p.i, p.lastEnd, p.depth = i, lastEnd, depth
			ok = false
		}
	}()
	fn()
	return true
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.failAt(p.peek().pos, "the statement is nested too deeply (more than %d levels)", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// ---------------------------------------------------------------- tokens

func (p *parser) peek() *token { return &p.toks[p.i] }

// peekN returns the token n ahead (peekN(0) is peek); past the end it
// is the final EOF or error token.
func (p *parser) peekN(n int) *token {
	if p.i+n < len(p.toks) {
		return &p.toks[p.i+n]
	}
	return &p.toks[len(p.toks)-1]
}

// next consumes the current token. A lexical error is reported when the
// parser reaches it, and so are hints the parser did not take there.
func (p *parser) next() *token {
	t := &p.toks[p.i]
	if t.kind == tError {
		p.failAt(t.pos, "%s", t.val)
	}
	if len(t.hints) > 0 && !p.taken[p.i] {
		p.failAt(t.hints[0].pos, "a hint /*+ ... */ is allowed only after SELECT, after a table name, or after the table of INSERT INTO")
	}
	if t.kind != tEOF {
		p.i++
		p.lastEnd = t.end
	}
	return t
}

// takeHints returns the hints written before the current token and
// marks them as used.
func (p *parser) takeHints() []hintGroup {
	t := p.peek()
	if len(t.hints) == 0 {
		return nil
	}
	if p.taken == nil {
		p.taken = map[int]bool{}
	}
	p.taken[p.i] = true
	// The statement's text runs to the hint's closing */ at least (a
	// hint written last in a view's query is part of its text).
	last := t.hints[len(t.hints)-1].toks
	p.lastEnd = max(p.lastEnd, last[len(last)-1].pos.Offset+len("*/"))
	return t.hints
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.val == op
}

func (p *parser) isOpAt(n int, op string) bool {
	t := p.peekN(n)
	return t.kind == tOp && t.val == op
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) *token {
	if !p.isOp(op) {
		p.unexpected(`"` + op + `"`)
	}
	return p.next()
}

// isKw reports whether the current token is the unquoted word kw
// (upper-case).
func (p *parser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == tWord && t.up == kw
}

func (p *parser) isKwAt(n int, kw string) bool {
	t := p.peekN(n)
	return t.kind == tWord && t.up == kw
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectKw(kw string) *token {
	if !p.isKw(kw) {
		p.unexpected(kw)
	}
	return p.next()
}

// acceptKws consumes the keyword sequence kws if it is next.
func (p *parser) acceptKws(kws ...string) bool {
	for i, kw := range kws {
		if !p.isKwAt(i, kw) {
			return false
		}
	}
	for range kws {
		p.next()
	}
	return true
}

func (p *parser) expectKws(kws ...string) {
	for _, kw := range kws {
		p.expectKw(kw)
	}
}

// isIdentTok reports whether t can be an identifier: quoted, or a word
// that is not reserved.
func isIdentTok(t *token) bool {
	return t.kind == tQuoted || t.kind == tWord && !ast.IsReserved(t.up)
}

func (p *parser) isIdent() bool { return isIdentTok(p.peek()) }

// ident consumes an identifier.
func (p *parser) ident() ast.Ident {
	t := p.peek()
	if !isIdentTok(t) {
		if t.kind == tWord {
			p.failAt(t.pos, "unexpected %s, expected an identifier (%s is a reserved word: write it as `%s`)",
				describe(p.src, *t), t.up, t.val)
		}
		p.unexpected("an identifier")
	}
	p.next()
	return identOf(t)
}

func identOf(t *token) ast.Ident {
	return ast.Ident{At: at(t), Name: t.val, Quoted: t.kind == tQuoted}
}

func at(t *token) ast.At { return ast.At{P: t.pos} }

// objectName parses [catalog.][database.]name.
func (p *parser) objectName() ast.ObjectName {
	first := p.ident()
	n := ast.ObjectName{At: first.At, Parts: []ast.Ident{first}}
	for p.isOp(".") {
		dot := p.next()
		if len(n.Parts) == 3 {
			p.failAt(dot.pos, "a name has at most three parts: catalog.database.object")
		}
		n.Parts = append(n.Parts, p.ident())
	}
	return n
}

// identList parses ( ident, ... ).
func (p *parser) identList() []ast.Ident {
	p.expectOp("(")
	var ids []ast.Ident
	for {
		ids = append(ids, p.ident())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return ids
}

// stringLit consumes a string literal and returns its value.
func (p *parser) stringLit(what string) string {
	t := p.peek()
	if t.kind != tString {
		p.unexpected(what)
	}
	p.next()
	return t.val
}

// ---------------------------------------------------------------- statements

// statementWords are the words a statement starts with, for the near-miss
// hint of a misspelt one.
var statementWords = []string{"SELECT", "INSERT", "CREATE", "DROP", "ALTER", "SHOW", "DESCRIBE", "EXPLAIN",
	"EXECUTE", "BEGIN", "VALUES", "WITH", "RESET", "STOP", "USE"}

// statement parses one statement and sets its Text.
func (p *parser) statement() ast.Statement {
	first := p.peek()
	s := p.statementBody()
	setText(s, p.src[first.pos.Offset:p.lastEnd])
	return s
}

func (p *parser) statementBody() ast.Statement {
	t := p.peek()
	if t.kind == tOp && t.val == "(" {
		return p.queryStmt()
	}
	if t.kind != tWord {
		p.unexpected("a statement")
	}
	switch t.up {
	case "SELECT", "WITH", "VALUES":
		return p.queryStmt()
	case "INSERT":
		return p.insert()
	case "EXECUTE":
		return p.execute()
	case "BEGIN":
		return p.beginStatementSet()
	case "EXPLAIN":
		return p.explain()
	case "CREATE":
		return p.create()
	case "DROP":
		return p.drop()
	case "ALTER":
		return p.alter()
	case "USE":
		return p.use()
	case "SHOW":
		return p.show()
	case "DESCRIBE", "DESC":
		return p.describe()
	case "SET":
		return p.set()
	case "RESET":
		return p.reset()
	case "ADD", "REMOVE":
		return p.jar()
	case "STOP":
		return p.stopJob()
	}
	if k := nearMiss(t.val, statementWords...); k != "" {
		p.unexpected(k)
	}
	p.unexpected("a statement")
	return nil
}

func setText(s ast.Statement, text string) {
	switch x := s.(type) {
	case *ast.CreateTable:
		x.Text = text
	case *ast.CreateView:
		x.Text = text
	case *ast.CreateDatabase:
		x.Text = text
	case *ast.CreateCatalog:
		x.Text = text
	case *ast.CreateFunction:
		x.Text = text
	case *ast.Drop:
		x.Text = text
	case *ast.AlterTable:
		x.Text = text
	case *ast.Use:
		x.Text = text
	case *ast.Show:
		x.Text = text
	case *ast.Describe:
		x.Text = text
	case *ast.Explain:
		x.Text = text
	case *ast.Set:
		x.Text = text
	case *ast.Reset:
		x.Text = text
	case *ast.Jar:
		x.Text = text
	case *ast.Insert:
		x.Text = text
	case *ast.StatementSet:
		x.Text = text
	case *ast.QueryStmt:
		x.Text = text
	case *ast.StopJob:
		x.Text = text
	}
}

func (p *parser) queryStmt() *ast.QueryStmt {
	t := p.peek()
	return &ast.QueryStmt{At: at(t), Query: p.query()}
}

// insert parses INSERT INTO|OVERWRITE table [/*+ OPTIONS(...) */]
// [PARTITION (col = value, ...)] [(col, ...)] query.
func (p *parser) insert() *ast.Insert {
	start := p.expectKw("INSERT")
	ins := &ast.Insert{At: at(start)}
	if p.acceptKw("OVERWRITE") {
		ins.Overwrite = true
	} else {
		p.expectKw("INTO")
	}
	ins.Table = p.objectName()
	for _, h := range p.hints() {
		if h.Name != "OPTIONS" {
			p.failAt(h.P, "only the OPTIONS hint is allowed on the table of an INSERT, not %s", h.Name)
		}
		ins.Hints = append(ins.Hints, h.Options...)
	}
	if p.acceptKw("PARTITION") {
		p.expectOp("(")
		for {
			col := p.ident()
			p.expectOp("=")
			ins.Partition = append(ins.Partition, ast.PartitionSpec{Column: col, Value: p.exprPrec(precAdd)})
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	if p.isOp("(") && !p.startsQueryAt(1) {
		ins.Columns = p.identList()
	}
	ins.Query = p.query()
	return ins
}

// startsQueryAt reports whether the token n ahead starts a query
// (SELECT, WITH, VALUES, or parentheses around one).
func (p *parser) startsQueryAt(n int) bool {
	for p.isOpAt(n, "(") {
		n++
	}
	return p.isKwAt(n, "SELECT") || p.isKwAt(n, "WITH") || p.isKwAt(n, "VALUES")
}

// execute parses EXECUTE STATEMENT SET BEGIN ... END and EXECUTE INSERT.
func (p *parser) execute() ast.Statement {
	start := p.expectKw("EXECUTE")
	if p.isKw("INSERT") {
		ins := p.insert()
		ins.At = at(start)
		return ins
	}
	p.expectKws("STATEMENT", "SET")
	set := &ast.StatementSet{At: at(start)}
	p.expectKw("BEGIN")
	set.Inserts = p.statementSetBody()
	return set
}

// beginStatementSet parses the SQL client's BEGIN STATEMENT SET; INSERT
// ...; INSERT ...; END.
func (p *parser) beginStatementSet() ast.Statement {
	start := p.expectKw("BEGIN")
	p.expectKws("STATEMENT", "SET")
	p.expectOp(";")
	return &ast.StatementSet{At: at(start), Inserts: p.statementSetBody()}
}

// statementSetBody parses INSERT statements, each ended by ';' (the last
// one's is optional), up to END.
func (p *parser) statementSetBody() []*ast.Insert {
	var inserts []*ast.Insert
	for {
		for p.acceptOp(";") {
		}
		if p.acceptKw("END") {
			if len(inserts) == 0 {
				p.failAt(p.toks[p.i-1].pos, "a statement set needs at least one INSERT statement")
			}
			return inserts
		}
		if !p.isKw("INSERT") {
			p.unexpected("INSERT or END (a statement set holds only INSERT statements)")
		}
		first := p.peek()
		ins := p.insert()
		ins.Text = p.src[first.pos.Offset:p.lastEnd]
		inserts = append(inserts, ins)
		if !p.isOp(";") && !p.isKw("END") {
			p.unexpected(`";"`)
		}
	}
}

// explainDetails are Flink's EXPLAIN detail words; rtdw's plan output
// has one form, so they are accepted and not kept.
var explainDetails = map[string]bool{"ESTIMATED_COST": true, "CHANGELOG_MODE": true, "JSON_EXECUTION_PLAN": true, "PLAN_ADVICE": true}

// explain parses EXPLAIN [PLAN FOR | detail, ...] followed by a query, an
// INSERT or a statement set ([EXECUTE] STATEMENT SET BEGIN ... END).
func (p *parser) explain() *ast.Explain {
	start := p.expectKw("EXPLAIN")
	ex := &ast.Explain{At: at(start)}
	if p.acceptKw("PLAN") {
		p.expectKw("FOR")
	} else if t := p.peek(); t.kind == tWord && explainDetails[t.up] {
		for {
			t := p.peek()
			if t.kind != tWord || !explainDetails[t.up] {
				p.unexpected("ESTIMATED_COST, CHANGELOG_MODE, JSON_EXECUTION_PLAN or PLAN_ADVICE")
			}
			p.next()
			if !p.acceptOp(",") {
				break
			}
		}
	}
	first := p.peek()
	var inner ast.Statement
	switch {
	case p.isKw("INSERT"):
		inner = p.insert()
	case p.isKw("EXECUTE"):
		inner = p.execute()
	case p.isKw("STATEMENT"):
		p.next()
		p.expectKw("SET")
		p.expectKw("BEGIN")
		inner = &ast.StatementSet{At: at(first), Inserts: p.statementSetBody()}
	case p.isKw("SELECT") || p.isKw("WITH") || p.isKw("VALUES") || p.isOp("("):
		inner = p.queryStmt()
	default:
		p.unexpected("a query, INSERT or STATEMENT SET")
	}
	setText(inner, p.src[first.pos.Offset:p.lastEnd])
	ex.Stmt = inner
	return ex
}
