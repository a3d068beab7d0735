// Package planner turns SQL queries and INSERT statements into engine
// jobs: it resolves names against the catalog, derives each operator's
// output changelog (insert-only, upsert or retract) and checks it against
// the sink, and builds the operators of internal/sql/exec on a
// stream.Job: projections and filters fused into one Calc after each
// source or shuffle, a shuffle (KeyByColumns) only where the key changes,
// window aggregations read straight from the window TVF's input.
//
// Planning is one pass from the syntax tree to the physical plan (there is
// no cost-based search: a streaming plan's shape follows the query), and
// every operator also gets a line of the printed plan (EXPLAIN).
package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/function"
	"github.com/rtdw/rtdw/internal/stream"
)

// Error is a planning error at a position of the statement.
type Error struct {
	Pos ast.Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

func errAt(n ast.Node, format string, args ...any) error {
	var p ast.Pos
	if n != nil {
		p = n.Position()
	}
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// Planner plans statements of one session.
type Planner struct {
	Catalog *catalog.Manager
	// Options are the session's SET options ('table.local-time-zone',
	// 'pipeline.name', 'table.exec.source.idle-timeout', ...).
	Options map[string]string
	Env     *function.Env
	// Conn is the template of every connector's context (log, data dir,
	// OLAP, output); the planner sets Job per job.
	Conn connector.Context
	// Rename maps a job's stable name to the engine job's name (nil:
	// the same).
	Rename func(string) string
}

// Job is a planned SQL job: the engine job of one INSERT, statement set or
// query, the helper jobs its connectors need, and its printed plan.
type Job struct {
	Name string
	// Base is the stable name before Rename (pipeline.name or the hash).
	Base      string
	Statement string
	Jobs      []*stream.Job // Jobs[0] is the SQL job
	Prepare   []func() error
	Plan      string
	// Columns of a query's result (SELECT), in order.
	Columns []row.Column
}

// JobName is the job's stable identity: 'pipeline.name' when set, else a
// hash of the statement's text (whitespace-insensitive; a literal's case
// matters, so no case folding), so a restart of
// the same SQL resumes from its checkpoint.
func (p *Planner) JobName(text string) string {
	if n := strings.TrimSpace(p.Options["pipeline.name"]); n != "" {
		return sanitize(n)
	}
	sum := sha256.Sum256([]byte(strings.Join(strings.Fields(text), " ")))
	return "sql_" + hex.EncodeToString(sum[:6])
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// builder plans one job.
type builder struct {
	p       *Planner
	job     *stream.Job
	out     *Job
	conn    connector.Context
	seq     int
	sinks   []*pnode
	scans   map[string]*rel // table + options -> its scan, read once per job
	refs    *refs           // what the statement may read (projection pushdown)
	durable bool            // an INSERT's job (named for good), not a query's
	// ttlHints is the STATE_TTL hint of the SELECT being planned: a TTL
	// per input name (lower case) of its joins and aggregation, and
	// which names matched an input.
	ttlHints map[string]time.Duration
	ttlUsed  map[string]bool
	pushes   []*pushedFilter // filters that may move into their sources
	pending  []*pendingSink  // the tables the job's INSERTs write
	// scope is where unqualified names resolve while a view's query is
	// planned: where the view was created (zero: the current database).
	scope catalog.Path
}

// qualify resolves a table name in the current scope.
func (b *builder) qualify(parts []string) (catalog.Path, error) {
	return b.p.Catalog.Qualify(catalog.Within(parts, b.scope))
}

// inScope runs fn with names resolving where view v was created, as
// Flink expands a view's names at CREATE VIEW.
func (b *builder) inScope(v *catalog.View, fn func() error) error {
	if v.Scope.Catalog == "" {
		return fn()
	}
	scope, env := b.scope, b.p.Env
	defer func() { b.scope, b.p.Env = scope, env }()
	b.scope = v.Scope
	e := *env
	e.Catalog, e.Database = v.Scope.Catalog, v.Scope.Database
	b.p.Env = &e
	return fn()
}

// newBuilder starts the job of a statement; base is its stable name,
// which Rename maps to the engine job's name for durable jobs.
func (p *Planner) newBuilder(base, text string, durable bool) *builder {
	name := base
	if durable && p.Rename != nil {
		name = p.Rename(base)
	}
	j := &Job{Name: name, Base: base, Statement: text}
	b := &builder{p: p, job: stream.NewJob(name), out: j, durable: durable}
	b.conn = p.Conn
	b.conn.Job = name
	if b.conn.Loc == nil {
		b.conn.Loc = p.Env.Loc
	}
	b.conn.AddJob = func(sj *stream.Job) { j.Jobs = append(j.Jobs, sj) }
	b.conn.AddPrepare = func(f func() error) { j.Prepare = append(j.Prepare, f) }
	j.Jobs = append(j.Jobs, b.job)
	return b
}

// opName names an operator uniquely and stably within the job: state
// and repartition topics are named after it, so the same SQL always
// gives the same names.
func (b *builder) opName(kind string) string {
	b.seq++
	return fmt.Sprintf("%s_%d", kind, b.seq)
}

func (b *builder) finish() *Job {
	b.pushFilters()
	var sb strings.Builder
	if b.durable {
		sb.WriteString("== Physical Plan (job " + b.out.Name + ") ==\n")
	} else {
		sb.WriteString("== Physical Plan ==\n") // a query's job name is per run
	}
	for _, n := range b.sinks {
		n.write(&sb, "", true, true)
	}
	b.out.Plan = sb.String()
	return b.out
}

// PlanInsert plans INSERT INTO ... SELECT as one job.
func (p *Planner) PlanInsert(ins *ast.Insert) (*Job, error) {
	b := p.newBuilder(p.JobName(ins.SQL()), ins.SQL(), true)
	b.refs = newRefs()
	b.collectQuery(ins.Query)
	if err := b.insert(ins); err != nil {
		return nil, err
	}
	if err := b.attachSinks(); err != nil {
		return nil, err
	}
	if err := b.validate(); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

// PlanStatementSet plans the INSERTs of a statement set as one job (one
// read of shared sources per job is the engine's business: each INSERT
// reads its sources itself today).
func (p *Planner) PlanStatementSet(set *ast.StatementSet) (*Job, error) {
	if len(set.Inserts) == 0 {
		return nil, errAt(set, "empty statement set")
	}
	b := p.newBuilder(p.JobName(set.SQL()), set.SQL(), true)
	b.refs = newRefs()
	for _, ins := range set.Inserts {
		b.collectQuery(ins.Query)
	}
	for _, ins := range set.Inserts {
		if err := b.insert(ins); err != nil {
			return nil, err
		}
	}
	if err := b.attachSinks(); err != nil {
		return nil, err
	}
	if err := b.validate(); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

// PlanQuery plans a SELECT whose rows (a changelog) go to collect.
//
// A query is not a durable job: each run is a fresh job (its own name,
// reading its sources from the start), as Flink's SQL client submits a
// new job per SELECT.
func (p *Planner) PlanQuery(q *ast.QueryStmt, collect func(row.Row)) (*Job, error) {
	sum := sha256.Sum256([]byte(q.SQL()))
	name := "query_" + hex.EncodeToString(sum[:4]) + "_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	b := p.newBuilder(name, q.SQL(), false)
	b.refs = newRefs()
	b.collectQuery(q.Query)
	r, err := b.query(q.Query, nil)
	if err != nil {
		return nil, err
	}
	r, err = b.materialize(r)
	if err != nil {
		return nil, err
	}
	cols := make([]row.Column, len(r.fields))
	for i, f := range r.fields {
		cols[i] = row.Column{Name: f.name, Type: f.typ}
	}
	b.out.Columns = cols
	r.s.Process(b.opName("Collect"), execCollect(collect))
	b.sinks = append(b.sinks, nodeOf(fmt.Sprintf("Collect(fields=[%s])", strings.Join(r.names(), ", ")), r.mode, r.node))
	if err := b.validate(); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

func (b *builder) validate() error {
	return b.job.Validate()
}

// interval evaluates a constant INTERVAL expression.
func (b *builder) interval(e ast.Expr) (time.Duration, error) {
	c, err := b.compile(e, nil, nil)
	if err != nil {
		return 0, err
	}
	if !c.Const {
		return 0, errAt(e, "expected a constant INTERVAL")
	}
	v, err := c.Eval(nil)
	if err != nil {
		return 0, errAt(e, "%v", err)
	}
	switch c.Type.Kind {
	case row.KindIntervalDayTime:
		return time.Duration(v.Int64()) * time.Millisecond, nil
	}
	return 0, errAt(e, "expected an INTERVAL DAY TO SECOND (e.g. INTERVAL '10' MINUTE), got %s", c.Type)
}
