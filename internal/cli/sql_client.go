package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chzyer/readline"
	"golang.org/x/term"
	"golang.org/x/text/width"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/parser"
	"github.com/rtdw/rtdw/internal/sql/planner"
	"github.com/rtdw/rtdw/internal/sql/session"
	"github.com/rtdw/rtdw/internal/stream"
)

// The interactive SQL client: `rtdw sql` without -f and -e, like Flink's
// SQL client. Statements end with ';' and run one by one: DDL, SET and SHOW
// at once; a SELECT runs as a streaming job whose result updates on the
// screen until Ctrl-C (or, in batch mode and when stdin is not a terminal,
// drains and prints once); INSERTs and statement sets are submitted as
// background jobs that run until the client exits (SHOW JOBS, STOP JOB).

// Options of the client, set with SET 'key' = 'value' (Flink's names).
const (
	optResultMode  = "sql-client.execution.result-mode" // table | changelog | tableau
	optRuntimeMode = "execution.runtime-mode"           // streaming | batch
	optDMLSync     = "table.dml-sync"                   // true: an INSERT runs in the foreground
)

var clientOptionValues = map[string][]string{
	optResultMode:  {"table", "changelog", "tableau"},
	optRuntimeMode: {"streaming", "batch"},
	optDMLSync:     {"true", "false"},
}

// redrawEvery is how often a live result is redrawn at most.
const redrawEvery = 200 * time.Millisecond

const (
	promptFirst = "rtdw> "
	promptMore  = "   -> "
	stdinName   = "<stdin>"
)

const sqlClientHelp = `Statements end with ';' and may span lines. The client accepts:

  CREATE TABLE|VIEW|DATABASE|CATALOG|FUNCTION ...  define objects (durable in the data dir)
  DROP ... / ALTER TABLE ... / USE [CATALOG] name  change the catalog
  SHOW TABLES|VIEWS|DATABASES|CATALOGS|FUNCTIONS   list objects; also SHOW USER FUNCTIONS,
                                                   SHOW CURRENT CATALOG|DATABASE,
                                                   SHOW CREATE TABLE t, SHOW COLUMNS FROM t
  DESCRIBE t                                       a table's columns
  SELECT ... / WITH ...                            run a query, show its result; Ctrl-C stops it
  INSERT INTO t SELECT ...                         submit a job, which runs in the background
                                                   until the client exits
  EXECUTE STATEMENT SET BEGIN INSERT ...; END      submit several INSERTs as one job (also
                                                   BEGIN STATEMENT SET; INSERT ...; END)
  EXPLAIN [PLAN FOR] statement                     the plan of a query, INSERT or statement set
  SHOW JOBS                                        the jobs this client submitted, with status
  STOP JOB 'name'                                  stop one (submitted again, it resumes)
  SET / SET 'key' = 'value' / RESET ['key']        list, set or reset session options
  HELP / CLEAR                                     this text / clear the terminal
  QUIT / EXIT                                      leave (stops the jobs this client submitted)

Options of the client (SET 'key' = 'value'):
  'sql-client.execution.result-mode'  'table': a SELECT's result updates in place (default);
                                      'changelog': its changes as they arrive (op +I -U +U -D);
                                      'tableau': the final table once the query stops
  'execution.runtime-mode'            'batch': a SELECT or INSERT processes what its sources
                                      hold now, then ends; 'streaming' (default): until stopped
  'table.dml-sync'                    'true': an INSERT runs in the foreground (Ctrl-C stops it)
`

// sqlInteractive runs the interactive client on g's stdin until QUIT,
// EXIT or the end of the input, then stops the jobs it submitted (a
// bounded one, in batch mode, is waited for).
func sqlInteractive(ctx context.Context, g *globals, cfg Config, o *sqlOptions, sess *session.Session, reg *sqlJobRegistry) error {
	c := newSQLClient(ctx, g, cfg, o, sess, reg)
	defer c.close()
	return c.run()
}

// sqlClient is one interactive session.
type sqlClient struct {
	ctx    context.Context // the client's life: submitted jobs run under it
	cancel context.CancelFunc
	g      *globals
	cfg    Config
	o      *sqlOptions
	sess   *session.Session
	reg    *sqlJobRegistry
	logger *slog.Logger // for jobs: warnings only, unless --log-level debug

	in      lineReader
	out     io.Writer // results: g.stdout (shared with the session and print sinks)
	errw    io.Writer // messages and errors: g.stderr
	history *sqlHistory
	split   sqlSplitter

	// terminal: stdin is a terminal; SELECTs stream until Ctrl-C.
	terminal bool
	// live: stdout is a terminal too; results redraw in place.
	live bool
	// size returns the terminal's columns and rows (0: unknown).
	size func() (int, int)
	// interrupts reports Ctrl-C while a query or a foreground job runs.
	interrupts func() (<-chan struct{}, func())

	mu   sync.Mutex
	jobs []*clientJob
	wg   sync.WaitGroup

	// services are what planning the current statement registered to run
	// next to its jobs (a mysql-cdc capture streaming the binlog); an
	// unbounded job started from it runs them.
	services *connector.Services
}

// clientJob is a job the client submitted (an INSERT or statement set).
type clientJob struct {
	name, statement string
	started         time.Time
	bounded         bool
	cancel          context.CancelFunc
	done            chan struct{}
	status          string // RUNNING, FINISHED, FAILED, CANCELED
	err             error
}

func newSQLClient(ctx context.Context, g *globals, cfg Config, o *sqlOptions, sess *session.Session, reg *sqlJobRegistry) *sqlClient {
	c := &sqlClient{g: g, cfg: cfg, o: o, sess: sess, reg: reg,
		out:        &lockedWriter{w: g.stdout},
		errw:       &lockedWriter{w: g.stderr},
		history:    newSQLHistory(),
		size:       func() (int, int) { return 0, 0 },
		interrupts: func() (<-chan struct{}, func()) { return nil, func() {} },
	}
	// Jobs print (print connector) and the session prints (SHOW) from
	// different goroutines: through one lock.
	sess.Out, sess.Conn.Out = c.out, c.out
	in, inOK := g.stdin.(*os.File)
	out, outOK := g.stdout.(*os.File)
	c.terminal = inOK && term.IsTerminal(int(in.Fd()))
	defer c.setLogger()
	if !c.terminal {
		c.ctx, c.cancel = context.WithCancel(ctx)
		c.in = newPlainReader(g.stdin)
		return c
	}
	// On a terminal Ctrl-C stops the running query, not the client: the
	// client outlives the command's context (which SIGINT cancels) and
	// ends on QUIT, Ctrl-D, SIGTERM or SIGHUP.
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.live = outOK && term.IsTerminal(int(out.Fd()))
	if c.live {
		c.size = func() (int, int) {
			w, h, err := term.GetSize(int(out.Fd()))
			if err != nil {
				return 0, 0
			}
			return w, h
		}
	}
	c.interrupts = signalInterrupts
	tr, err := newTermReader(in, g.stdout, g.stderr, c.history.load(1000))
	if err != nil {
		fmt.Fprintf(c.errw, "[WARN] no line editing: %v\n", err)
		c.in = newPlainReader(g.stdin)
	} else {
		c.in = tr
		c.errw = &lockedWriter{w: tr.rl.Stderr()} // keeps the prompt intact
	}
	onQuitSignal(c.ctx, func() {
		c.cancel()
		c.in.close()
	})
	return c
}

// onQuitSignal calls quit on SIGTERM or SIGHUP until ctx ends: an
// interactive shell, which Ctrl-C does not end, ends then.
func onQuitSignal(ctx context.Context, quit func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
			quit()
		case <-ctx.Done():
		}
	}()
}

// setLogger makes the jobs' logger: warnings and errors only (a job's
// "tasks assigned" would land in the middle of the prompt), unless
// --log-level asks for debug or for less.
func (c *sqlClient) setLogger() {
	level := slog.LevelWarn
	var l slog.Level
	if l.UnmarshalText([]byte(c.g.logLevel)) == nil && (l < slog.LevelInfo || l > level) {
		level = l
	}
	c.logger = slog.New(slog.NewTextHandler(c.errw, &slog.HandlerOptions{Level: level}))
}

// signalInterrupts delivers SIGINT (Ctrl-C while the terminal is not in
// raw mode, i.e. while a query runs) until stop is called.
func signalInterrupts() (<-chan struct{}, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() { signal.Stop(sig); close(done) }
}

func (c *sqlClient) info(format string, args ...any) {
	fmt.Fprintf(c.errw, "[INFO] "+format+"\n", args...)
}

// run reads and executes statements until QUIT/EXIT or the end of input.
func (c *sqlClient) run() error {
	if c.terminal {
		fmt.Fprintln(c.errw, "rtdw SQL client: statements end with ';'. HELP; lists them, QUIT; leaves.")
	}
	for {
		if c.ctx.Err() != nil {
			return nil
		}
		prompt := promptFirst
		if c.split.pending() {
			prompt = promptMore
		} else if c.terminal {
			// At the prompt, errors count lines from the statement's
			// first (on a pipe, from the input's).
			c.split = sqlSplitter{}
		}
		line, err := c.in.readLine(c.ctx, prompt)
		switch {
		case errors.Is(err, errInterrupted):
			c.split.reset()
			continue
		case errors.Is(err, io.EOF):
			// Piped input may end without a last ';'.
			if st, ok := c.split.flush(); ok && !c.terminal && c.ctx.Err() == nil {
				c.execute(st)
			}
			return nil
		case err != nil:
			return err
		}
		if !c.split.pending() {
			if w := strings.ToUpper(strings.TrimSpace(line)); w == "QUIT" || w == "EXIT" {
				c.history.add(strings.TrimSpace(line))
				return nil
			}
		}
		for _, st := range c.split.feed(line) {
			if c.execute(st) {
				return nil
			}
		}
	}
}

// execute runs one statement and reports whether the client should quit.
func (c *sqlClient) execute(st sqlStatement) (quit bool) {
	entry := historyLine(st.Text)
	c.history.add(entry)
	c.in.addHistory(entry)
	switch st.command() {
	case "QUIT", "EXIT":
		return true
	case "HELP":
		fmt.Fprint(c.out, sqlClientHelp)
		return false
	case "CLEAR":
		if c.live {
			fmt.Fprint(c.out, "\x1b[H\x1b[2J")
		}
		return false
	}
	stmts, err := parser.Parse(stdinName, st.Text)
	if err != nil {
		c.printError(st, err)
		return false
	}
	if len(stmts) == 1 {
		switch x := stmts[0].(type) {
		case *ast.Show:
			if x.Kind == ast.ShowJobs {
				c.showJobs()
				return false
			}
		case *ast.StopJob:
			if err := c.stopJob(x.Name); err != nil {
				c.printError(st, &parser.Error{File: stdinName, Pos: x.Position(), Msg: err.Error(), LineText: lineOf(st.Text, x.Position().Line)})
			}
			return false
		case *ast.Set:
			if allowed, ok := clientOptionValues[x.Key]; ok && x.HasKey && !containsFold(allowed, x.Value) {
				c.printError(st, &parser.Error{File: stdinName, Pos: x.Position(), LineText: lineOf(st.Text, x.Position().Line),
					Msg: fmt.Sprintf("'%s' = '%s': want %s", x.Key, x.Value, quoteList(allowed))})
				return false
			}
		}
	}
	mode := session.Plan
	if c.o.explain {
		mode = session.Explain
	}
	c.services = &connector.Services{}
	c.sess.Conn.AddService = c.services.Add
	sc, err := c.sess.Execute(stdinName, st.Text, mode)
	if err != nil {
		c.printError(st, err)
		return false
	}
	if len(sc.Jobs) > 0 {
		c.submit(sc.Jobs, c.services)
	}
	for _, q := range sc.Queries {
		if err := c.runQuery(q); err != nil {
			fmt.Fprintf(c.errw, "[ERROR] query failed: %v\n", err)
		}
	}
	if len(sc.Jobs)+len(sc.Queries) > 0 || len(stmts) != 1 {
		return false
	}
	switch x := stmts[0].(type) {
	case *ast.Set:
		if x.HasKey {
			c.info("Session property has been set.")
		}
	case *ast.Reset:
		if x.Key == "" {
			c.info("All session properties have been set to their default values.")
		} else {
			c.info("Session property has been reset.")
		}
	case *ast.Show, *ast.Describe, *ast.Explain, *ast.Insert, *ast.StatementSet, *ast.QueryStmt:
		// They printed (a plan with --explain).
	default:
		c.info("Execute statement succeeded.")
	}
	return false
}

// printError prints a statement's error as the CLI does (file:line:column,
// the line and a caret), at its place in the input.
func (c *sqlClient) printError(st sqlStatement, err error) {
	fmt.Fprintln(c.errw, sqlError(st.relocate(err)))
}

func (c *sqlClient) batch() bool {
	return c.o.drain || strings.EqualFold(c.sess.Option(optRuntimeMode), "batch")
}

func (c *sqlClient) resultMode() string {
	if m := strings.ToLower(c.sess.Option(optResultMode)); m != "" {
		return m
	}
	if c.o.format == "changelog" {
		return "changelog"
	}
	return "table"
}

func (c *sqlClient) streamOptions(drain bool) stream.Options {
	return stream.Options{Log: c.sess.Conn.Log, Interval: c.o.interval, Partitions: c.cfg.Partitions, MaxEventTimeSkew: c.cfg.MaxEventTimeSkew,
		Drain: drain, Metrics: stream.NewMetrics(newRegistry()), Logger: c.logger}
}

// prepareJobs runs the jobs' Prepare steps (sink topics, tables) and
// returns their engine jobs.
func prepareJobs(jobs ...*planner.Job) ([]*stream.Job, error) {
	var all []*stream.Job
	for _, j := range jobs {
		for _, p := range j.Prepare {
			if err := p(); err != nil {
				return nil, fmt.Errorf("job %s: %w", j.Name, err)
			}
		}
		all = append(all, j.Jobs...)
	}
	return all, nil
}

// submit starts INSERT jobs: in the background (as Flink's client submits
// a job and returns), or in the foreground with 'table.dml-sync'.
func (c *sqlClient) submit(jobs []*planner.Job, services *connector.Services) {
	for _, j := range jobs {
		if c.running(j.Name) != nil {
			fmt.Fprintf(c.errw, "[ERROR] job %s is already running in this client (SHOW JOBS): STOP JOB '%s' first, or give the new one its own SET 'pipeline.name'\n", j.Name, j.Name)
			return
		}
	}
	if err := c.reg.check(jobs); err != nil {
		fmt.Fprintf(c.errw, "[ERROR] %v\n", err)
		return
	}
	bounded := c.batch()
	foreground := strings.EqualFold(c.sess.Option(optDMLSync), "true")
	for _, j := range jobs {
		sj, err := prepareJobs(j)
		if err != nil {
			fmt.Fprintf(c.errw, "[ERROR] %v\n", err)
			return
		}
		ctx, cancel := context.WithCancel(c.ctx)
		cj := &clientJob{name: j.Name, statement: j.Statement, started: time.Now(), bounded: bounded,
			cancel: cancel, done: make(chan struct{}), status: "RUNNING"}
		c.mu.Lock()
		c.jobs = append(c.jobs, cj)
		c.mu.Unlock()
		c.wg.Add(1)
		svc := services
		services = nil // the statement's services run once, with its first job
		go func() {
			defer c.wg.Done()
			runCtx, stopServices := ctx, func() error { return nil }
			if !bounded {
				runCtx, stopServices = svc.Start(ctx) // a nil *Services runs nothing
			}
			err := stream.Run(runCtx, c.streamOptions(bounded), sj...)
			if serr := stopServices(); err == nil && ctx.Err() == nil {
				err = serr
			}
			c.mu.Lock()
			switch {
			case ctx.Err() != nil: // STOP JOB, Ctrl-C or the client's end
				cj.status = "CANCELED"
			case err != nil:
				cj.status, cj.err = "FAILED", err
			default:
				cj.status = "FINISHED"
			}
			c.mu.Unlock()
			cancel()
			close(cj.done)
			if cj.status == "FAILED" && !foreground {
				fmt.Fprintf(c.errw, "[ERROR] job %s failed: %v\n", cj.name, err)
			}
		}()
		if !foreground {
			how := "runs in the background until the client exits"
			if bounded {
				how = "processes what its sources hold now, in the background"
			}
			c.info("Job %s submitted: it %s.", j.Name, how)
			continue
		}
		c.info("Running job %s in the foreground (Ctrl-C stops it).", j.Name)
		intr, stop := c.interrupts()
		select {
		case <-cj.done:
		case <-intr:
			cancel()
			<-cj.done
		}
		stop()
		c.mu.Lock()
		status, jerr := cj.status, cj.err
		c.mu.Unlock()
		if jerr != nil {
			fmt.Fprintf(c.errw, "[ERROR] job %s failed: %v\n", j.Name, jerr)
		} else {
			c.info("Job %s %s.", j.Name, strings.ToLower(status))
		}
	}
}

func (c *sqlClient) running(name string) *clientJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range c.jobs {
		if j.name == name && j.status == "RUNNING" {
			return j
		}
	}
	return nil
}

func (c *sqlClient) stopJob(name string) error {
	j := c.running(name)
	if j == nil {
		return fmt.Errorf("STOP JOB: no running job %s was submitted by this client (SHOW JOBS lists them)", name)
	}
	j.cancel()
	<-j.done
	c.info("Job %s stopped (submitted again, it resumes from its checkpoint).", name)
	return nil
}

// showJobs lists the jobs this client submitted.
func (c *sqlClient) showJobs() {
	c.mu.Lock()
	rows := make([][]string, 0, len(c.jobs))
	for _, j := range c.jobs {
		rows = append(rows, []string{j.name, j.status, j.started.Format("2006-01-02 15:04:05"), shorten(strings.Join(strings.Fields(j.statement), " "), 60)})
	}
	c.mu.Unlock()
	session.WriteTable(c.out, []string{"job name", "status", "start time", "statement"}, rows)
}

// close ends the session: streaming jobs are stopped (each commits a final
// checkpoint), bounded ones are waited for unless interrupted.
func (c *sqlClient) close() {
	defer c.in.close()
	c.mu.Lock()
	var stopping, waiting []*clientJob
	for _, j := range c.jobs {
		if j.status != "RUNNING" {
			continue
		}
		if j.bounded {
			waiting = append(waiting, j)
		} else {
			stopping = append(stopping, j)
		}
	}
	c.mu.Unlock()
	if len(waiting) > 0 && c.ctx.Err() == nil {
		c.info("Waiting for %d bounded job(s) to finish (Ctrl-C stops them): %s", len(waiting), jobNames(waiting))
		intr, stop := c.interrupts()
		all := make(chan struct{})
		go func() {
			for _, j := range waiting {
				<-j.done
			}
			close(all)
		}()
		select {
		case <-all:
		case <-intr:
		case <-c.ctx.Done():
		}
		stop()
	}
	if len(stopping) > 0 {
		c.info("Stopping %d job(s) submitted by this client: %s", len(stopping), jobNames(stopping))
	}
	c.cancel()
	c.wg.Wait()
}

func jobNames(js []*clientJob) string {
	names := make([]string, len(js))
	for i, j := range js {
		names[i] = j.name
	}
	return strings.Join(names, ", ")
}

// runQuery runs a SELECT: bounded and printed once in batch mode (and when
// stdin is not a terminal), else as a streaming job shown live until
// Ctrl-C.
func (c *sqlClient) runQuery(q *session.Query) error {
	sj, err := prepareJobs(q.Job)
	if err != nil {
		return err
	}
	mode := c.resultMode()
	if c.batch() || !c.terminal {
		ctx, cancel := context.WithCancel(c.ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- stream.Run(ctx, c.streamOptions(true), sj...) }()
		intr, stop := c.interrupts()
		var err error
		select {
		case err = <-done:
		case <-intr:
			cancel()
			<-done
		}
		stop()
		if ctx.Err() != nil {
			c.info("Query stopped.")
			return nil
		}
		if err != nil {
			return err
		}
		format := "table"
		if mode == "changelog" {
			format = "changelog"
		} else if c.o.format == "json" && c.sess.Option(optResultMode) == "" {
			format = "json"
		}
		printResult(c.out, q, format)
		return nil
	}
	return c.streamQuery(q, sj, mode)
}

// streamQuery runs a query until Ctrl-C (or until it fails), redrawing its
// result at most every redrawEvery.
func (c *sqlClient) streamQuery(q *session.Query, sj []*stream.Job, mode string) error {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx, c.streamOptions(false), sj...) }()
	intr, stop := c.interrupts()
	defer stop()

	header := columnNames(q.Columns)
	var view resultView
	switch {
	case mode == "changelog":
		view = &changelogView{w: c.out, header: header, widths: changelogWidths(q.Columns)}
	case mode == "table" && c.live:
		view = &liveTableView{w: c.out, header: header, size: c.size}
	default:
		view = &finalTableView{w: c.out, header: header}
		c.info("Query running; its result prints when Ctrl-C stops it.")
	}
	tick := time.NewTicker(redrawEvery)
	defer tick.Stop()
	seen := -1
	var err error
	for running := true; running; {
		select {
		case <-intr:
			cancel()
			err = <-done
			running = false
			if c.live {
				fmt.Fprint(c.out, "\r\x1b[K") // over the terminal's ^C
			}
		case err = <-done:
			running = false
		case <-tick.C:
			if log := q.Rows.Rows(); len(log) != seen {
				seen = len(log)
				view.update(log)
			}
		}
	}
	view.finish(q.Rows.Rows())
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func columnNames(cols []row.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// resultView shows a streaming query's changelog as it grows.
type resultView interface {
	update(log []row.Row) // the whole changelog so far
	finish(log []row.Row) // the query stopped
}

// liveResult materializes a changelog incrementally: +I/+U add a row,
// -U/-D remove an equal one (as session.Materialize, without replaying).
type liveResult struct {
	applied int
	rows    map[string]*liveRow
	changes int
}

type liveRow struct {
	r     row.Row
	cells []string
	n     int
}

func (m *liveResult) apply(log []row.Row) {
	if m.rows == nil {
		m.rows = map[string]*liveRow{}
	}
	for _, r := range log[m.applied:] {
		cs := cells(r)
		var kb strings.Builder
		for i, v := range r.Values {
			kb.WriteByte(byte(v.Kind()))
			kb.WriteString(cs[i])
			kb.WriteByte(0)
		}
		k := kb.String()
		switch r.Kind {
		case row.Insert, row.UpdateAfter:
			if e := m.rows[k]; e != nil {
				e.n++
			} else {
				m.rows[k] = &liveRow{r: r, cells: cs, n: 1}
			}
		default:
			if e := m.rows[k]; e != nil {
				if e.n--; e.n == 0 {
					delete(m.rows, k)
				}
			}
		}
	}
	m.changes += len(log) - m.applied
	m.applied = len(log)
}

// table returns the rows sorted by their values (tasks deliver rows
// concurrently: a stable order keeps each row in its place as it updates).
func (m *liveResult) table() [][]string {
	es := make([]*liveRow, 0, len(m.rows))
	for _, e := range m.rows {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i].r.Values, es[j].r.Values
		for k := range a {
			if c := row.Compare(a[k], b[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	var out [][]string
	for _, e := range es {
		for range e.n {
			out = append(out, e.cells)
		}
	}
	return out
}

// liveTableView redraws the result table in place (Flink's 'table' mode).
type liveTableView struct {
	w      io.Writer
	header []string
	size   func() (int, int)
	res    liveResult
	screen inPlace
}

func (v *liveTableView) update(log []row.Row) {
	v.res.apply(log)
	wd, h := v.size()
	rows := v.res.table()
	v.screen.w = v.w
	v.screen.draw(renderTableFrame(v.header, rows, fmt.Sprintf("%s, %s (Ctrl-C stops the query)", plural(len(rows), "row"), plural(v.res.changes, "change")), wd, h))
}

func (v *liveTableView) finish(log []row.Row) {
	v.res.apply(log)
	// The whole table, in place of the (screen-sized) live frame.
	var b bytes.Buffer
	session.WriteTable(&b, v.header, v.res.table())
	fmt.Fprintf(&b, "Query stopped after %s.\n", plural(v.res.changes, "change"))
	v.screen.w = v.w
	v.screen.draw(b.String())
}

// finalTableView prints the final table once (Flink's 'tableau' mode, and
// 'table' mode when stdout is not a terminal).
type finalTableView struct {
	w      io.Writer
	header []string
	res    liveResult
}

func (v *finalTableView) update(log []row.Row) {}

func (v *finalTableView) finish(log []row.Row) {
	v.res.apply(log)
	session.WriteTable(v.w, v.header, v.res.table())
}

// changelogView appends the changelog's rows as they arrive, in columns
// as wide as their types need (Flink's 'changelog' mode, tableau-style).
type changelogView struct {
	w       io.Writer
	header  []string
	widths  []int
	printed int
	started bool
}

func (v *changelogView) border() string {
	var b strings.Builder
	b.WriteString("+----+")
	for _, n := range v.widths {
		b.WriteString(strings.Repeat("-", n+2))
		b.WriteByte('+')
	}
	b.WriteByte('\n')
	return b.String()
}

func (v *changelogView) line(op string, cs []string) string {
	var b strings.Builder
	b.WriteString("| ")
	b.WriteString(padRight(op, 2))
	b.WriteString(" |")
	for i, c := range cs {
		b.WriteByte(' ')
		b.WriteString(padRight(fitWidth(c, v.widths[i]), v.widths[i]))
		b.WriteString(" |")
	}
	b.WriteByte('\n')
	return b.String()
}

func (v *changelogView) update(log []row.Row) {
	var b strings.Builder
	if !v.started {
		v.started = true
		b.WriteString(v.border())
		b.WriteString(v.line("op", v.header))
		b.WriteString(v.border())
	}
	for _, r := range log[v.printed:] {
		b.WriteString(v.line(r.Kind.String(), cells(r)))
	}
	v.printed = len(log)
	io.WriteString(v.w, b.String())
}

func (v *changelogView) finish(log []row.Row) {
	v.update(log)
	fmt.Fprintf(v.w, "%sReceived a total of %s\n", v.border(), plural(len(log), "row"))
}

// changelogWidths sizes the changelog's columns by their types, as
// Flink's tableau does: at most 30 columns, at least the name's width.
func changelogWidths(cols []row.Column) []int {
	const maxWidth = 30
	out := make([]int, len(cols))
	for i, c := range cols {
		n := typeWidth(c.Type)
		if n > maxWidth {
			n = maxWidth
		}
		if c.Type.Nullable() && n < 4 {
			n = 4 // NULL
		}
		if h := displayWidth(c.Name); h > n {
			n = h
		}
		out[i] = n
	}
	return out
}

func typeWidth(t row.Type) int {
	frac := func(p int) int {
		if p > 0 {
			return p + 1
		}
		return 0
	}
	switch t.Kind {
	case row.KindBoolean:
		return 5
	case row.KindTinyInt:
		return 4
	case row.KindSmallInt:
		return 6
	case row.KindInt:
		return 11
	case row.KindBigInt:
		return 20
	case row.KindDecimal:
		return t.Precision + 2
	case row.KindDate:
		return 10
	case row.KindTime:
		return 8 + frac(t.Precision)
	case row.KindTimestamp, row.KindTimestampLTZ:
		return 19 + frac(t.Precision)
	case row.KindChar, row.KindVarChar, row.KindBinary, row.KindVarBinary:
		if t.Precision > 0 {
			return t.Precision
		}
	}
	return 30
}

// inPlace draws frames over each other: the cursor goes back up over the
// previous frame, which is erased (ANSI CUU, CR, ED).
type inPlace struct {
	w     io.Writer
	lines int
}

func (p *inPlace) draw(frame string) {
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r\x1b[J", p.lines)
	}
	b.WriteString(frame)
	p.lines = strings.Count(frame, "\n")
	io.WriteString(p.w, b.String())
}

// renderTableFrame is one frame of a live result: the table as the
// tableau prints it with a status line in place of its row count, at
// most height lines tall (rows past the screen are left out and the
// status says so) and lines cut short of width columns (0: no limit), so
// that no line wraps and the cursor goes back up over the frame exactly.
func renderTableFrame(header []string, rows [][]string, status string, width, height int) string {
	shown := rows
	if height > 0 {
		// Borders (4), the status line and the line the cursor rests on:
		// a frame that scrolled could not be drawn over.
		max := height - 6
		if max < 1 {
			max = 1
		}
		if len(shown) > max {
			shown = shown[:max]
			status = fmt.Sprintf("first %d of %s", max, status)
		}
	}
	var b bytes.Buffer
	session.WriteTable(&b, header, shown)
	text := strings.TrimSuffix(b.String(), "\n")
	text = text[:strings.LastIndexByte(text, '\n')+1] // drop "N rows in set"
	text += status + "\n"
	if width <= 0 {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		lines[i] = cutWidth(strings.TrimSuffix(l, "\n"), width-1)
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	return strings.Join(lines, "")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// displayWidth counts terminal cells: East Asian wide and fullwidth
// characters take two, combining marks and format characters none.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	if r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	return 1
}

// cutWidth cuts s to at most n cells.
func cutWidth(s string, n int) string {
	w := 0
	for i, r := range s {
		if w += runeWidth(r); w > n {
			return s[:i]
		}
	}
	return s
}

// fitWidth cuts s to at most n cells, ending it with "..." when cut.
func fitWidth(s string, n int) string {
	if displayWidth(s) <= n {
		return s
	}
	keep := n - 3
	if keep < 0 {
		keep = 0
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		if w+runeWidth(r) > keep {
			break
		}
		b.WriteRune(r)
		w += runeWidth(r)
	}
	return b.String() + "..."[:min(3, n)]
}

func padRight(s string, n int) string {
	if w := displayWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-3]) + "..."
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, x := range list {
		q[i] = "'" + x + "'"
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func lineOf(src string, n int) string {
	lines := strings.Split(src, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[n-1], "\r")
}

// lockedWriter serializes writes from the client, its jobs and the session.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// --- reading lines --------------------------------------------------------

var errInterrupted = errors.New("interrupted")

// lineReader reads the client's input a line at a time.
type lineReader interface {
	// readLine returns a line without its line break; io.EOF at the end,
	// errInterrupted for Ctrl-C at the prompt (the statement is dropped).
	readLine(ctx context.Context, prompt string) (string, error)
	addHistory(entry string)
	close()
}

// plainReader reads a pipe or file: no prompt, no escape codes.
type plainReader struct {
	once  sync.Once
	r     *bufio.Reader
	lines chan lineOrErr
	done  chan struct{}

	closeOnce sync.Once
}

type lineOrErr struct {
	line string
	err  error
}

func newPlainReader(r io.Reader) *plainReader {
	return &plainReader{r: bufio.NewReaderSize(r, 64<<10), lines: make(chan lineOrErr), done: make(chan struct{})}
}

func (p *plainReader) readLine(ctx context.Context, _ string) (string, error) {
	// A goroutine reads so that a cancelled context (SIGINT) ends the
	// client even while stdin stays open.
	p.once.Do(func() {
		go func() {
			for {
				s, err := p.r.ReadString('\n')
				if err == io.EOF && s != "" {
					err = nil
				}
				select {
				case p.lines <- lineOrErr{strings.TrimRight(s, "\r\n"), err}:
				case <-p.done:
					return
				}
				if err != nil {
					return
				}
			}
		}()
	})
	select {
	case l := <-p.lines:
		return l.line, l.err
	case <-ctx.Done():
		return "", io.EOF
	}
}

func (p *plainReader) addHistory(string) {}
func (p *plainReader) close()            { p.closeOnce.Do(func() { close(p.done) }) }

// termReader edits lines on a terminal (arrow keys, history recall,
// Ctrl-R search) with github.com/chzyer/readline.
type termReader struct {
	rl *readline.Instance
}

func newTermReader(in *os.File, stdout, stderr io.Writer, history []string) (*termReader, error) {
	rl, err := readline.NewEx(&readline.Config{
		Prompt:                 promptFirst,
		HistoryLimit:           1000,
		DisableAutoSaveHistory: true, // whole statements are saved, not lines
		HistorySearchFold:      true,
		Stdin:                  readline.NewCancelableStdin(in),
		Stdout:                 stdout,
		Stderr:                 stderr,
		InterruptPrompt:        "^C",
		EOFPrompt:              "exit",
	})
	if err != nil {
		return nil, err
	}
	for _, h := range history {
		rl.SaveHistory(h)
	}
	return &termReader{rl: rl}, nil
}

func (t *termReader) readLine(_ context.Context, prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", errInterrupted
	}
	return line, err
}

func (t *termReader) addHistory(entry string) {
	if entry != "" {
		t.rl.SaveHistory(entry)
	}
}

func (t *termReader) close() { t.rl.Close() }

// --- history --------------------------------------------------------------

// sqlHistory is the history file: one statement a line, appended as each
// statement is entered. RTDW_SQL_HISTORY names it (set empty, it is off),
// else ~/.rtdw_sql_history.
type sqlHistory struct {
	mu   sync.Mutex
	path string
	last string
}

func newSQLHistory() *sqlHistory { return newHistory("RTDW_SQL_HISTORY", ".rtdw_sql_history") }

// newHistory is the history file named by the environment variable env
// (set empty: none), else file in the home directory.
func newHistory(env, file string) *sqlHistory {
	if p, ok := os.LookupEnv(env); ok {
		return &sqlHistory{path: p}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return &sqlHistory{}
	}
	return &sqlHistory{path: filepath.Join(home, file)}
}

// load returns the last n entries.
func (h *sqlHistory) load(n int) []string {
	if h.path == "" {
		return nil
	}
	b, err := os.ReadFile(h.path)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	if len(out) > 0 {
		h.last = out[len(out)-1]
	}
	return out
}

// add appends an entry (not the same one twice in a row). A history that
// cannot be written is given up silently: it must not stop the client.
func (h *sqlHistory) add(entry string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.path == "" || entry == "" || entry == h.last {
		return
	}
	f, err := os.OpenFile(h.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		h.path = ""
		return
	}
	_, err = f.WriteString(entry + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		h.path = ""
		return
	}
	h.last = entry
}

// historyLine turns a statement into one history line: line breaks and
// runs of blanks outside literals become one space, and -- comments
// /* comments */, so that the line reads the same. (A line break inside a
// string literal becomes a space too.)
func historyLine(stmt string) string {
	var b strings.Builder
	s := normal
	blank := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			b.WriteByte(' ')
		}
	}
	for i := 0; i < len(stmt); i++ {
		ch := stmt[i]
		if ch == '\n' || ch == '\r' {
			ch = ' '
		}
		switch s {
		case inString, inQuoted:
			if ch == '\'' && s == inString || ch == '`' && s == inQuoted {
				s = normal
			}
		case inBlockComment:
			if ch == '*' && i+1 < len(stmt) && stmt[i+1] == '/' {
				b.WriteString("*/")
				i++
				s = normal
				continue
			}
		default:
			switch {
			case ch == ' ' || ch == '\t':
				blank()
				continue
			case ch == '\'':
				s = inString
			case ch == '`':
				s = inQuoted
			case ch == '/' && i+1 < len(stmt) && stmt[i+1] == '*':
				s = inBlockComment
			case ch == '-' && i+1 < len(stmt) && stmt[i+1] == '-':
				end := strings.IndexByte(stmt[i:], '\n')
				if end < 0 {
					end = len(stmt) - i
				}
				if c := strings.TrimSpace(stmt[i+2 : i+end]); c != "" && !strings.Contains(c, "*/") {
					blank()
					b.WriteString("/* " + c + " */")
				}
				i += end - 1
				continue
			}
		}
		b.WriteByte(ch)
	}
	return strings.TrimSpace(b.String())
}

// --- splitting statements -------------------------------------------------

type scanState uint8

const (
	normal scanState = iota
	inString
	inQuoted // `identifier`
	inBlockComment
)

// sqlStatement is one statement of the input: its text runs from just
// after the previous statement's ';' up to and including its own.
type sqlStatement struct {
	Text string
	// Line and Col (in runes, 1-based) of Text's start in the input, and
	// Prefix, the input line's text before it: errors point into the
	// input, not into the statement.
	Line, Col int
	Prefix    string
	words     []string // the first words, upper-cased
	tokens    int      // tokens before the ';'
}

// command returns HELP, QUIT, EXIT or CLEAR for a statement that is just
// that word.
func (s sqlStatement) command() string {
	if s.tokens == 1 && len(s.words) == 1 {
		switch w := s.words[0]; w {
		case "HELP", "QUIT", "EXIT", "CLEAR":
			return w
		}
	}
	return ""
}

// relocate moves an error's position from the statement to the input.
func (s sqlStatement) relocate(err error) error {
	var pe *parser.Error
	if !errors.As(err, &pe) || pe.Pos.Line < 1 {
		return err
	}
	cp := *pe
	if cp.Pos.Line == 1 {
		cp.Pos.Col += utf8.RuneCountInString(s.Prefix)
		cp.LineText = s.Prefix + cp.LineText
	}
	cp.Pos.Line += s.Line - 1
	return &cp
}

// sqlSplitter cuts input lines into statements at ';' outside string
// literals, quoted identifiers and comments, and outside a statement
// set's BEGIN ... END.
type sqlSplitter struct {
	buf    strings.Builder
	line   int // lines fed
	start  sqlStatement
	state  scanState
	tokens int
	words  []string
	prev   string // the last word
	inSet  bool   // a statement set: ';' ends it only after its END
	cases  int    // open CASE ... END inside a statement set
	setEnd bool
}

// pending reports whether a statement is under way (the continuation
// prompt).
func (sp *sqlSplitter) pending() bool {
	return sp.tokens > 0 || sp.state != normal
}

// reset drops the statement under way (Ctrl-C at the prompt).
func (sp *sqlSplitter) reset() {
	line := sp.line
	*sp = sqlSplitter{line: line}
	sp.start = sqlStatement{Line: line + 1, Col: 1}
}

// feed takes the next input line (without its line break) and returns the
// statements it completes.
func (sp *sqlSplitter) feed(text string) []sqlStatement {
	if sp.line == 0 && sp.buf.Len() == 0 {
		sp.start = sqlStatement{Line: 1, Col: 1}
	}
	sp.line++
	var out []sqlStatement
	seg := 0 // start of the part of text not yet in buf
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch sp.state {
		case inString:
			if ch == '\'' {
				sp.state = normal
			}
			continue
		case inQuoted:
			if ch == '`' {
				sp.state = normal
			}
			continue
		case inBlockComment:
			if ch == '*' && i+1 < len(text) && text[i+1] == '/' {
				sp.state = normal
				i++
			}
			continue
		}
		switch {
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v':
		case ch == '-' && i+1 < len(text) && text[i+1] == '-':
			i = len(text) // a comment to the end of the line
		case ch == '/' && i+1 < len(text) && text[i+1] == '*':
			sp.state = inBlockComment
			i++
		case ch == '\'':
			sp.state = inString
			sp.tokens++
		case ch == '`':
			sp.state = inQuoted
			sp.tokens++
		case ch == ';' && (!sp.inSet || sp.setEnd):
			sp.buf.WriteString(text[seg : i+1])
			seg = i + 1
			st := sp.start
			st.Text, st.words, st.tokens = sp.buf.String(), sp.words, sp.tokens
			if sp.tokens > 0 {
				out = append(out, st)
			}
			*sp = sqlSplitter{line: sp.line}
			sp.start = sqlStatement{Line: sp.line, Col: utf8.RuneCountInString(text[:i+1]) + 1, Prefix: text[:i+1]}
		case isWordByte(ch):
			j := i
			for j < len(text) && (isWordByte(text[j]) || text[j] >= '0' && text[j] <= '9' || text[j] == '$') {
				j++
			}
			if ch < '0' || ch > '9' {
				sp.word(strings.ToUpper(text[i:j]))
			}
			sp.tokens++
			i = j - 1
		default:
			sp.tokens++
		}
	}
	if sp.tokens == 0 && sp.state == normal {
		// Only blanks and comments since the last statement: start the
		// next one on the next line.
		sp.buf.Reset()
		sp.start = sqlStatement{Line: sp.line + 1, Col: 1}
		return out
	}
	sp.buf.WriteString(text[seg:])
	sp.buf.WriteByte('\n')
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func (sp *sqlSplitter) word(w string) {
	if len(sp.words) < 8 {
		sp.words = append(sp.words, w)
	}
	switch {
	case sp.inSet && w == "CASE":
		sp.cases++
	case sp.inSet && w == "END":
		if sp.cases > 0 {
			sp.cases--
		} else {
			sp.setEnd = true
		}
	case !sp.inSet && w == "SET" && sp.prev == "STATEMENT" && len(sp.words) <= 8:
		switch sp.words[0] {
		case "BEGIN", "EXECUTE", "EXPLAIN", "STATEMENT":
			sp.inSet = true
		}
	}
	sp.prev = w
}

// flush returns what is left at the end of the input as a last statement.
func (sp *sqlSplitter) flush() (sqlStatement, bool) {
	if sp.tokens == 0 {
		return sqlStatement{}, false
	}
	st := sp.start
	st.Text, st.words, st.tokens = sp.buf.String(), sp.words, sp.tokens
	sp.reset()
	return st, true
}

// splitSQL splits a whole text into statements (the last one may lack its ';').
func splitSQL(text string) []sqlStatement {
	var sp sqlSplitter
	var out []sqlStatement
	for _, l := range strings.Split(text, "\n") {
		out = append(out, sp.feed(l)...)
	}
	if st, ok := sp.flush(); ok {
		out = append(out, st)
	}
	return out
}
