package parser

import (
	"strings"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// This file parses DDL and the SQL client's session statements: CREATE,
// DROP, ALTER TABLE, USE, SHOW, DESCRIBE, SET, RESET and STOP JOB.

// create dispatches CREATE [TEMPORARY [SYSTEM]] TABLE|VIEW|DATABASE|CATALOG|FUNCTION.
func (p *parser) create() ast.Statement {
	start := p.expectKw("CREATE")
	if p.isKw("OR") {
		p.failAt(p.peek().pos, "CREATE OR REPLACE is not supported")
	}
	temporary := p.acceptKw("TEMPORARY")
	system := temporary && p.acceptKw("SYSTEM")
	t := p.peek()
	switch {
	case p.isKw("TABLE") && !system:
		return p.createTable(start, temporary)
	case p.isKw("VIEW") && !system:
		return p.createView(start, temporary)
	case p.isKw("FUNCTION"):
		return p.createFunction(start, temporary, system)
	case p.isKw("DATABASE") && !temporary:
		return p.createDatabase(start)
	case p.isKw("CATALOG") && !temporary:
		return p.createCatalog(start)
	}
	switch {
	case system:
		p.unexpected("FUNCTION")
	case temporary:
		p.unexpected("TABLE, VIEW or FUNCTION")
	}
	if t.kind == tWord {
		if k := nearMiss(t.val, "TABLE", "VIEW", "DATABASE", "CATALOG", "FUNCTION", "TEMPORARY"); k != "" {
			p.unexpected(k)
		}
	}
	p.unexpected("TABLE, VIEW, DATABASE, CATALOG or FUNCTION")
	return nil
}

func (p *parser) ifNotExists() bool {
	if p.isKw("IF") {
		p.next()
		p.expectKw("NOT")
		p.expectKw("EXISTS")
		return true
	}
	return false
}

func (p *parser) ifExists() bool {
	if p.isKw("IF") {
		p.next()
		p.expectKw("EXISTS")
		return true
	}
	return false
}

// createTable parses CREATE TABLE name [(elements)] [COMMENT '...']
// [PARTITIONED BY (...)] [WITH (...)] [LIKE src [(like options)]].
// The element list may be left out with LIKE.
func (p *parser) createTable(start *token, temporary bool) *ast.CreateTable {
	p.expectKw("TABLE")
	ct := &ast.CreateTable{At: at(start), Temporary: temporary}
	ct.IfNotExists = p.ifNotExists()
	ct.Name = p.objectName()
	if p.acceptOp("(") {
		for {
			p.tableElement(ct)
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	if p.acceptKw("COMMENT") {
		ct.Comment = p.stringLit("a string literal")
	}
	if p.acceptKw("PARTITIONED") {
		p.expectKw("BY")
		ct.PartitionBy = p.identList()
	}
	if p.isKw("WITH") {
		ct.Options = p.options()
	}
	if p.acceptKw("LIKE") {
		src := p.objectName()
		ct.Like = &src
		if p.isOp("(") {
			ct.LikeOptions = p.likeOptions()
		}
	}
	if p.isKw("AS") {
		p.failAt(p.peek().pos, "CREATE TABLE ... AS SELECT is not supported: create the table, then INSERT INTO it")
	}
	if len(ct.Columns) == 0 && ct.Like == nil {
		p.failAt(start.pos, "CREATE TABLE needs at least one column (or LIKE another table)")
	}
	return ct
}

// likeOptions parses the LIKE clause's options: INCLUDING or EXCLUDING
// ALL, CONSTRAINTS or PARTITIONS; INCLUDING, EXCLUDING or OVERWRITING
// GENERATED, OPTIONS, WATERMARKS or METADATA (Flink's grammar).
func (p *parser) likeOptions() []ast.LikeOption {
	p.expectOp("(")
	var out []ast.LikeOption
	for {
		if !p.isKw("INCLUDING") && !p.isKw("EXCLUDING") && !p.isKw("OVERWRITING") {
			p.unexpected("INCLUDING, EXCLUDING or OVERWRITING")
		}
		mode := p.next().up
		f := p.peek()
		if f.kind != tWord || !likeFeatures[f.up] {
			p.unexpected("ALL, CONSTRAINTS, PARTITIONS, GENERATED, OPTIONS, WATERMARKS or METADATA")
		}
		if mode == "OVERWRITING" && (f.up == "ALL" || f.up == "CONSTRAINTS" || f.up == "PARTITIONS") {
			p.failAt(f.pos, "OVERWRITING %s is not allowed: %s can be included or excluded only", f.up, f.up)
		}
		p.next()
		out = append(out, ast.LikeOption{Mode: mode, Feature: f.up})
		if p.acceptOp(")") {
			return out
		}
		p.acceptOp(",")
	}
}

// likeFeatures are what LIKE options include, exclude or overwrite.
var likeFeatures = map[string]bool{"ALL": true, "CONSTRAINTS": true, "PARTITIONS": true, "GENERATED": true,
	"OPTIONS": true, "WATERMARKS": true, "METADATA": true}

// tableElement parses one column, WATERMARK or table constraint.
func (p *parser) tableElement(ct *ast.CreateTable) {
	t := p.peek()
	switch {
	case p.isKw("WATERMARK") && p.isKwAt(1, "FOR"):
		p.next()
		p.next()
		if ct.Watermark != nil {
			p.failAt(t.pos, "a table has at most one WATERMARK")
		}
		wm := &ast.WatermarkDef{At: at(t), Column: p.ident()}
		p.expectKw("AS")
		wm.Expr = p.expr()
		ct.Watermark = wm
		return
	case p.isKw("PRIMARY") && p.isKwAt(1, "KEY"), p.isKw("UNIQUE"),
		p.isKw("CONSTRAINT") && isIdentTok(p.peekN(1)) && (p.isKwAt(2, "PRIMARY") || p.isKwAt(2, "UNIQUE")):
		name := p.constraintName()
		p.primaryKey(ct, name, t, nil)
		return
	}
	col := ast.ColumnDef{Name: p.ident()}
	col.At = col.Name.At
	if p.acceptKw("AS") {
		col.Computed = p.expr()
	} else {
		col.Type = p.dataType()
		if p.acceptKw("METADATA") {
			col.Metadata = true
			if p.acceptKw("FROM") {
				col.MetadataKey = p.stringLit("a metadata key string such as 'timestamp'")
			}
			col.Virtual = p.acceptKw("VIRTUAL")
		}
	}
	if !col.Metadata && col.Computed == nil {
		if c := p.peek(); p.isKw("PRIMARY") || p.isKw("UNIQUE") || p.isKw("CONSTRAINT") {
			name := p.constraintName()
			p.primaryKey(ct, name, c, &col.Name)
		}
	}
	if p.acceptKw("COMMENT") {
		col.Comment = p.stringLit("a string literal")
	}
	ct.Columns = append(ct.Columns, col)
}

func (p *parser) constraintName() string {
	if p.acceptKw("CONSTRAINT") {
		return p.ident().Name
	}
	return ""
}

// primaryKey parses PRIMARY KEY [(cols)] NOT ENFORCED, the column list
// being absent on a column's own constraint (col set).
func (p *parser) primaryKey(ct *ast.CreateTable, name string, start *token, col *ast.Ident) {
	if p.isKw("UNIQUE") {
		p.failAt(p.peek().pos, "UNIQUE constraints are not supported (as in Flink): use PRIMARY KEY (...) NOT ENFORCED")
	}
	p.expectKw("PRIMARY")
	p.expectKw("KEY")
	if ct.PrimaryKey != nil {
		p.failAt(start.pos, "a table has at most one PRIMARY KEY")
	}
	if col != nil {
		ct.PrimaryKey = []ast.Ident{*col}
	} else {
		ct.PrimaryKey = p.identList()
	}
	ct.PrimaryKeyName = name
	if !p.isKw("NOT") || !p.isKwAt(1, "ENFORCED") {
		p.failAt(p.peek().pos, "PRIMARY KEY must be NOT ENFORCED: Flink does not own the data, so it cannot enforce the key")
	}
	p.next()
	p.next()
}

// options parses WITH ('key' = 'value', ...).
func (p *parser) options() []ast.Option {
	p.expectKw("WITH")
	p.expectOp("(")
	var opts []ast.Option
	if p.acceptOp(")") {
		return opts
	}
	for {
		opts = append(opts, p.option())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return opts
}

// option parses 'key' = 'value'. Flink takes string keys and values only;
// an unquoted key gets a hint to quote it.
func (p *parser) option() ast.Option {
	t := p.peek()
	if t.kind != tString {
		if t.kind == tWord || t.kind == tQuoted {
			p.failAt(t.pos, "unexpected %s, expected a string literal: option keys are quoted, as in 'connector' = 'kafka'", describe(p.src, *t))
		}
		p.unexpected("a string literal such as 'connector'")
	}
	p.next()
	p.expectOp("=")
	v := p.peek()
	if v.kind != tString {
		p.failAt(v.pos, "unexpected %s, expected a string literal: option values are quoted, as in '%s' = '...'", describe(p.src, *v), strings.ReplaceAll(t.val, "'", "''"))
	}
	p.next()
	return ast.Option{At: at(t), Key: t.val, Value: v.val}
}

// createView parses CREATE VIEW [IF NOT EXISTS] name [(cols)] [COMMENT '...'] AS query.
func (p *parser) createView(start *token, temporary bool) *ast.CreateView {
	p.expectKw("VIEW")
	v := &ast.CreateView{At: at(start), Temporary: temporary}
	v.IfNotExists = p.ifNotExists()
	v.Name = p.objectName()
	if p.isOp("(") {
		v.Columns = p.identList()
	}
	if p.acceptKw("COMMENT") {
		v.Comment = p.stringLit("a string literal")
	}
	p.expectKw("AS")
	q := p.peek()
	v.Query = p.query()
	v.QueryText = p.src[q.pos.Offset:p.lastEnd]
	return v
}

// createDatabase parses CREATE DATABASE [IF NOT EXISTS] [catalog.]name [COMMENT '...'] [WITH (...)].
func (p *parser) createDatabase(start *token) *ast.CreateDatabase {
	p.expectKw("DATABASE")
	d := &ast.CreateDatabase{At: at(start)}
	d.IfNotExists = p.ifNotExists()
	d.Name = p.objectName()
	if len(d.Name.Parts) > 2 {
		p.failAt(d.Name.Parts[2].P, "a database name has at most two parts: catalog.database")
	}
	if p.acceptKw("COMMENT") {
		d.Comment = p.stringLit("a string literal")
	}
	if p.isKw("WITH") {
		d.Options = p.options()
	}
	return d
}

// createCatalog parses CREATE CATALOG [IF NOT EXISTS] name WITH (...).
func (p *parser) createCatalog(start *token) *ast.CreateCatalog {
	p.expectKw("CATALOG")
	c := &ast.CreateCatalog{At: at(start)}
	c.IfNotExists = p.ifNotExists()
	c.Name = p.ident()
	c.Options = p.options()
	return c
}

var functionLanguages = map[string]bool{"JAVA": true, "SCALA": true, "PYTHON": true, "GO": true}

// createFunction parses CREATE [TEMPORARY [SYSTEM]] FUNCTION [IF NOT EXISTS]
// name AS 'identifier' [LANGUAGE JAVA|SCALA|PYTHON|GO].
func (p *parser) createFunction(start *token, temporary, system bool) *ast.CreateFunction {
	p.expectKw("FUNCTION")
	f := &ast.CreateFunction{At: at(start), Temporary: temporary, System: system}
	f.IfNotExists = p.ifNotExists()
	f.Name = p.objectName()
	p.expectKw("AS")
	f.Class = p.stringLit("the function's identifier as a string literal")
	if p.acceptKw("LANGUAGE") {
		t := p.peek()
		if t.kind != tWord || !functionLanguages[t.up] {
			p.unexpected("JAVA, SCALA, PYTHON or GO")
		}
		p.next()
		f.Language = t.up
	}
	if p.isKw("USING") {
		p.failAt(p.peek().pos, "CREATE FUNCTION ... USING JAR is not supported: rtdw's functions are Go functions registered in the binary")
	}
	return f
}

// drop parses DROP [TEMPORARY [SYSTEM]] TABLE|VIEW|DATABASE|CATALOG|FUNCTION
// [IF EXISTS] name [RESTRICT|CASCADE].
func (p *parser) drop() *ast.Drop {
	start := p.expectKw("DROP")
	d := &ast.Drop{At: at(start)}
	d.Temporary = p.acceptKw("TEMPORARY")
	d.System = d.Temporary && p.acceptKw("SYSTEM")
	switch {
	case p.isKw("FUNCTION"):
		d.Kind = ast.DropFunction
	case d.System:
		p.unexpected("FUNCTION")
	case p.isKw("TABLE"):
		d.Kind = ast.DropTable
	case p.isKw("VIEW"):
		d.Kind = ast.DropView
	case p.isKw("DATABASE") && !d.Temporary:
		d.Kind = ast.DropDatabase
	case p.isKw("CATALOG") && !d.Temporary:
		d.Kind = ast.DropCatalog
	case d.Temporary:
		p.unexpected("TABLE, VIEW or FUNCTION")
	default:
		p.unexpected("TABLE, VIEW, DATABASE, CATALOG or FUNCTION")
	}
	p.next()
	d.IfExists = p.ifExists()
	d.Name = p.objectName()
	if d.Kind == ast.DropCatalog && len(d.Name.Parts) > 1 {
		p.failAt(d.Name.Parts[1].P, "a catalog name has one part")
	}
	if d.Kind == ast.DropDatabase {
		if p.acceptKw("CASCADE") {
			d.Cascade = true
		} else {
			p.acceptKw("RESTRICT")
		}
	}
	return d
}

// alter parses ALTER TABLE [IF EXISTS] name SET (...) | RESET (...) | RENAME TO new.
func (p *parser) alter() *ast.AlterTable {
	start := p.expectKw("ALTER")
	if !p.isKw("TABLE") {
		p.unexpected("TABLE (rtdw alters tables only)")
	}
	p.next()
	a := &ast.AlterTable{At: at(start)}
	a.IfExists = p.ifExists()
	a.Name = p.objectName()
	switch {
	case p.acceptKw("SET"):
		p.expectOp("(")
		for {
			a.Set = append(a.Set, p.option())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	case p.acceptKw("RESET"):
		p.expectOp("(")
		for {
			a.Reset = append(a.Reset, p.stringLit("an option key as a string literal"))
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	case p.acceptKw("RENAME"):
		if p.isKw("TO") {
			p.next()
			n := p.objectName()
			a.RenameTo = &n
		} else {
			p.failAt(p.peek().pos, "ALTER TABLE ... RENAME of a column is not supported: only RENAME TO a new table name")
		}
	case p.isKw("ADD") || p.isKw("MODIFY") || p.isKw("DROP"):
		p.failAt(p.peek().pos, "ALTER TABLE ... %s is not supported: only SET (...), RESET (...) and RENAME TO", p.peek().up)
	default:
		p.unexpected("SET, RESET or RENAME")
	}
	return a
}

// use parses USE [CATALOG] name.
func (p *parser) use() *ast.Use {
	start := p.expectKw("USE")
	u := &ast.Use{At: at(start)}
	if p.isKw("CATALOG") && isIdentTok(p.peekN(1)) {
		p.next()
		u.Catalog = true
		u.Name = p.objectName()
		if len(u.Name.Parts) > 1 {
			p.failAt(u.Name.Parts[1].P, "a catalog name has one part")
		}
		return u
	}
	if p.isKw("MODULES") {
		p.failAt(p.peek().pos, "USE MODULES is not supported")
	}
	u.Name = p.objectName()
	if len(u.Name.Parts) > 2 {
		p.failAt(u.Name.Parts[2].P, "a database name has at most two parts: catalog.database")
	}
	return u
}

// show parses SHOW TABLES|VIEWS|[USER] FUNCTIONS [FROM|IN db] [LIKE '...'],
// SHOW DATABASES|CATALOGS|JOBS, SHOW CURRENT CATALOG|DATABASE, SHOW
// CREATE TABLE|VIEW name, SHOW COLUMNS FROM|IN table [LIKE '...'].
func (p *parser) show() *ast.Show {
	start := p.expectKw("SHOW")
	s := &ast.Show{At: at(start)}
	t := p.peek()
	switch {
	case p.acceptKw("TABLES"):
		s.Kind = ast.ShowTables
		p.showFromLike(s, false)
	case p.acceptKw("VIEWS"):
		s.Kind = ast.ShowViews
		p.showFromLike(s, false)
	case p.acceptKw("DATABASES"):
		s.Kind = ast.ShowDatabases
	case p.acceptKw("CATALOGS"):
		s.Kind = ast.ShowCatalogs
	case p.acceptKw("FUNCTIONS"):
		s.Kind = ast.ShowFunctions
		p.showFromLike(s, false)
	case p.isKw("USER") && p.isKwAt(1, "FUNCTIONS"):
		p.next()
		p.next()
		s.Kind, s.User = ast.ShowFunctions, true
		p.showFromLike(s, false)
	case p.acceptKw("JOBS"):
		s.Kind = ast.ShowJobs
	case p.acceptKw("CURRENT"):
		switch {
		case p.acceptKw("CATALOG"):
			s.Kind = ast.ShowCurrentCatalog
		case p.acceptKw("DATABASE"):
			s.Kind = ast.ShowCurrentDatabase
		default:
			p.unexpected("CATALOG or DATABASE")
		}
	case p.acceptKw("CREATE"):
		switch {
		case p.acceptKw("TABLE"):
			s.Kind = ast.ShowCreateTable
		case p.acceptKw("VIEW"):
			s.Kind = ast.ShowCreateView
		default:
			p.unexpected("TABLE or VIEW")
		}
		n := p.objectName()
		s.Name = &n
	case p.acceptKw("COLUMNS"):
		s.Kind = ast.ShowColumns
		p.showFromLike(s, true)
	default:
		if t.kind == tWord {
			if k := nearMiss(t.val, "TABLES", "VIEWS", "DATABASES", "CATALOGS", "FUNCTIONS", "JOBS", "CURRENT", "CREATE", "COLUMNS"); k != "" {
				p.unexpected(k)
			}
		}
		p.unexpected("TABLES, VIEWS, DATABASES, CATALOGS, FUNCTIONS, JOBS, CURRENT, CREATE or COLUMNS")
	}
	return s
}

// showFromLike parses [FROM|IN name] [LIKE 'pattern']; the name is
// required for SHOW COLUMNS.
func (p *parser) showFromLike(s *ast.Show, required bool) {
	if p.acceptKw("FROM") || p.acceptKw("IN") {
		n := p.objectName()
		s.Name = &n
	} else if required {
		p.unexpected("FROM or IN")
	}
	if p.isKw("NOT") || p.isKw("ILIKE") {
		p.failAt(p.peek().pos, "SHOW ... %s is not supported: use LIKE", p.peek().up)
	}
	if p.acceptKw("LIKE") {
		s.Like = p.stringLit("a LIKE pattern string")
	}
}

// describe parses DESCRIBE|DESC name.
func (p *parser) describe() *ast.Describe {
	start := p.next()
	if p.isKw("EXTENDED") && isIdentTok(p.peekN(1)) {
		p.next()
	}
	return &ast.Describe{At: at(start), Name: p.objectName()}
}

// set parses SET and SET 'key' = 'value'. Flink takes quoted keys only;
// an unquoted key (the SQL client's old SET key=value) gets a hint.
func (p *parser) set() *ast.Set {
	start := p.expectKw("SET")
	s := &ast.Set{At: at(start)}
	t := p.peek()
	if t.kind == tEOF || p.isOp(";") {
		return s
	}
	if t.kind != tString {
		if t.kind == tWord || t.kind == tQuoted {
			p.failAt(t.pos, "unexpected %s, expected a string literal: SET takes a quoted key and value, as in SET 'table.local-time-zone' = 'UTC'", describe(p.src, *t))
		}
		p.unexpected("a string literal")
	}
	p.next()
	p.expectOp("=")
	v := p.peek()
	if v.kind != tString {
		p.failAt(v.pos, "unexpected %s, expected a string literal: SET takes a quoted value, as in SET '%s' = '...'", describe(p.src, *v), strings.ReplaceAll(t.val, "'", "''"))
	}
	p.next()
	s.Key, s.Value, s.HasKey = t.val, v.val, true
	return s
}

// reset parses RESET and RESET 'key'.
func (p *parser) reset() *ast.Reset {
	start := p.expectKw("RESET")
	r := &ast.Reset{At: at(start)}
	if t := p.peek(); t.kind != tEOF && !p.isOp(";") {
		r.Key = p.stringLit("a string literal: RESET takes a quoted key, as in RESET 'table.local-time-zone'")
	}
	return r
}

// jar parses ADD JAR 'path' and REMOVE JAR 'path' (Flink's SQL client).
func (p *parser) jar() *ast.Jar {
	t := p.next()
	j := &ast.Jar{At: at(t), Remove: t.up == "REMOVE"}
	p.expectKw("JAR")
	j.Path = p.stringLit("the jar's path as a string literal, as in ADD JAR '/path/to.jar'")
	return j
}

// stopJob parses STOP JOB 'name' [WITH SAVEPOINT] [WITH DRAIN]. rtdw
// checkpoints continuously, so the savepoint and drain options need no
// field: they are accepted as written in Flink scripts.
func (p *parser) stopJob() *ast.StopJob {
	start := p.expectKw("STOP")
	p.expectKw("JOB")
	s := &ast.StopJob{At: at(start), Name: p.stringLit("the job's name as a string literal")}
	for p.isKw("WITH") {
		p.next()
		if !p.acceptKw("SAVEPOINT") && !p.acceptKw("DRAIN") {
			p.unexpected("SAVEPOINT or DRAIN")
		}
	}
	return s
}
