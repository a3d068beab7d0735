// Package session executes Flink SQL scripts: DDL goes to the durable
// catalog, SET/RESET change the session, SHOW/DESCRIBE print, and every
// INSERT, statement set and query is planned into a job. A script is
// planned completely before anything runs, so a file with an error starts
// no job (SQL.md: "nothing is started when any statement of a file fails
// to plan").
package session

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/sql/function"
	"github.com/rtdw/rtdw/internal/sql/parser"
	"github.com/rtdw/rtdw/internal/sql/planner"

	_ "github.com/rtdw/rtdw/internal/sql/connector" // built-in connectors
)

// Session is one SQL client session: its catalog, options and output.
type Session struct {
	Catalog *catalog.Manager
	// Defaults are options in force unless SET ('table.local-time-zone'
	// from rtdw.yaml's timezone).
	Defaults map[string]string
	options  map[string]string
	Conn     connector.Context
	Out      io.Writer
	Now      func() time.Time
	// TemporaryDDL makes CREATE TABLE / VIEW / FUNCTION temporary and
	// CREATE DATABASE / CATALOG "if not exists": for files that define a
	// long-running pipeline (rtdw run --sql, worker --sql), which are read
	// again at every start and must not fail on their own earlier DDL, and
	// for --explain, which changes nothing. Permanent tables of the catalog
	// stay visible and unchanged (DROP reaches temporary objects only;
	// ALTER of a permanent table, DROP DATABASE / CATALOG are refused).
	TemporaryDDL bool
	// Rename, if set, maps a job's name (its pipeline.name or statement
	// hash) to the engine job name: the CLI appends a generation after a
	// reset, so the reset job starts from scratch.
	Rename func(string) string
	// JobNames, if not nil, collects the names of the jobs every Execute
	// plans, so a command that runs several files as one run (rtdw sql
	// -f a -f b, run --sql DIR) refuses two jobs of one name across them
	// as within a file: they would run at once and write every output
	// twice. nil: each Execute checks its own script only (the
	// interactive client submits a stopped job again under its name).
	JobNames map[string]bool
	// RefuseQueries, if set, is the error a SELECT gets instead of being
	// planned (pipeline files: a query there has nowhere to print).
	// EXPLAIN of a query still prints its plan.
	RefuseQueries string

	sysFuncs map[string]systemFunction // CREATE TEMPORARY SYSTEM FUNCTION, by folded name
}

// New makes a session over a catalog.
func New(cat *catalog.Manager, defaults map[string]string, conn connector.Context, out io.Writer) *Session {
	if defaults == nil {
		defaults = map[string]string{}
	}
	if _, ok := defaults["table.local-time-zone"]; !ok {
		defaults["table.local-time-zone"] = "UTC"
	}
	return &Session{Catalog: cat, Defaults: defaults, options: map[string]string{}, Conn: conn, Out: out, Now: time.Now}
}

// Option returns an option's value in force (SET, else default).
func (s *Session) Option(k string) string {
	if v, ok := s.options[k]; ok {
		return v
	}
	return s.Defaults[k]
}

func (s *Session) allOptions() map[string]string {
	m := map[string]string{}
	for k, v := range s.Defaults {
		m[k] = v
	}
	for k, v := range s.options {
		m[k] = v
	}
	return m
}

func (s *Session) env() (*function.Env, error) {
	tz := s.Option("table.local-time-zone")
	loc, err := function.SessionZone(tz)
	if err != nil {
		return nil, fmt.Errorf("'table.local-time-zone' = '%s': %v", tz, err)
	}
	return &function.Env{Loc: loc, Now: s.Now, Functions: s.resolveFunction}, nil
}

func (s *Session) planner() (*planner.Planner, error) {
	env, err := s.env()
	if err != nil {
		return nil, err
	}
	conn := s.Conn
	conn.Loc = env.Loc
	return &planner.Planner{Catalog: s.Catalog, Options: s.allOptions(), Env: env, Conn: conn, Rename: s.Rename}, nil
}

// Mode says what Execute does with jobs.
type Mode uint8

const (
	// Plan: plan jobs (to run them).
	Plan Mode = iota
	// Explain: print each job's plan instead.
	Explain
)

// Query is a planned SELECT and the rows it collects.
type Query struct {
	Job     *planner.Job
	Columns []row.Column
	Rows    *Changelog
}

// Script is what executing a script produced: jobs to run (INSERTs and
// statement sets) and queries (SELECTs) to run and show.
type Script struct {
	Jobs    []*planner.Job
	Queries []*Query
}

// Execute runs a script's statements in order. DDL, SET and SHOW take
// effect at once; jobs are planned and returned, not started. Errors are
// *parser.Error (file:line:column with the line and a caret).
func (s *Session) Execute(file, src string, mode Mode) (*Script, error) {
	stmts, err := parser.Parse(file, src)
	if err != nil {
		return nil, err
	}
	out := &Script{}
	names := s.JobNames
	if names == nil {
		names = map[string]bool{}
	}
	for _, st := range stmts {
		if err := s.statement(st, mode, out, names); err != nil {
			return nil, locate(file, src, st, err)
		}
	}
	return out, nil
}

func (s *Session) statement(st ast.Statement, mode Mode, out *Script, names map[string]bool) error {
	switch x := st.(type) {
	case *ast.Set:
		if !x.HasKey {
			s.printOptions()
			return nil
		}
		if x.Key == "table.local-time-zone" {
			if _, err := function.SessionZone(x.Value); err != nil {
				return errAt(x, "'table.local-time-zone' = '%s': %v", x.Value, err)
			}
		}
		s.options[x.Key] = x.Value
		return nil
	case *ast.Jar:
		// Flink scripts add connector jars; rtdw's are built in.
		verb := "ADD"
		if x.Remove {
			verb = "REMOVE"
		}
		slog.Info("ignoring "+verb+" JAR: rtdw's connectors, formats and functions are built in", "jar", x.Path)
		return nil
	case *ast.Reset:
		if x.Key == "" {
			s.options = map[string]string{}
		} else {
			delete(s.options, x.Key)
		}
		return nil
	case *ast.Insert, *ast.StatementSet, *ast.QueryStmt:
		return s.job(st, mode, out, names)
	case *ast.Explain:
		return s.job(x.Stmt, Explain, out, names)
	default:
		return s.ddl(st)
	}
}

func (s *Session) job(st ast.Statement, mode Mode, out *Script, names map[string]bool) error {
	if _, ok := st.(*ast.QueryStmt); ok && mode != Explain && s.RefuseQueries != "" {
		return errAt(st, "%s", s.RefuseQueries)
	}
	p, err := s.planner()
	if err != nil {
		return errAt(st, "%v", err)
	}
	var j *planner.Job
	var q *Query
	switch x := st.(type) {
	case *ast.Insert:
		j, err = p.PlanInsert(x)
	case *ast.StatementSet:
		j, err = p.PlanStatementSet(x)
	case *ast.QueryStmt:
		q = &Query{Rows: &Changelog{}}
		j, err = p.PlanQuery(x, q.Rows.add)
		if err == nil {
			q.Job, q.Columns = j, j.Columns
		}
	default:
		return errAt(st, "EXPLAIN takes a query, an INSERT or a statement set")
	}
	if err != nil {
		return err
	}
	if mode == Explain {
		fmt.Fprint(s.Out, j.Plan)
		return nil
	}
	if names[j.Name] {
		return errAt(st, "two jobs named %s in one run: give each its own SET 'pipeline.name'", j.Name)
	}
	names[j.Name] = true
	if q != nil {
		out.Queries = append(out.Queries, q)
	} else {
		out.Jobs = append(out.Jobs, j)
	}
	return nil
}

func (s *Session) printOptions() {
	m := s.allOptions()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(s.Out, "'%s' = '%s'\n", k, m[k])
	}
}

// stmtError is an error at a position inside a statement.
type stmtError struct {
	pos   ast.Pos
	msg   string
	cause error // what wrap located (errors.Is finds catalog.ErrExists through it)
}

func (e *stmtError) Error() string { return e.msg }
func (e *stmtError) Unwrap() error { return e.cause }

func errAt(n ast.Node, format string, args ...any) error {
	return &stmtError{pos: n.Position(), msg: fmt.Sprintf(format, args...)}
}

// locate turns an error of a statement into a *parser.Error pointing at
// the offending position of the file (the statement's start when the
// error has none).
func locate(file, src string, st ast.Statement, err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) && pe.File != "" {
		return err
	}
	pos := st.Position()
	msg := err.Error()
	var se *stmtError
	var ple *planner.Error
	var ee *expr.Error
	switch {
	case errors.As(err, &se):
		pos, msg = se.pos, se.msg
	case errors.As(err, &ple):
		if ple.Pos.Line > 0 {
			pos = ple.Pos
		}
		msg = ple.Msg
	case errors.As(err, &ee):
		if ee.Pos.Line > 0 {
			pos = ee.Pos
		}
		msg = ee.Msg
	}
	return &parser.Error{File: file, Pos: pos, Msg: msg, LineText: lineAt(src, pos.Line), Err: err}
}

func lineAt(src string, line int) string {
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[line-1], "\r")
}
