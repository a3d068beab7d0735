package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rtdw/rtdw/internal/olap"
)

type queryOptions struct {
	format              string
	file                string
	allowExternalAccess bool
}

func newQueryCmd(g *globals) *cobra.Command {
	o := &queryOptions{}
	c := &cobra.Command{
		Use:   `query [--format table|csv|json] ["SQL" | -f FILE]`,
		Short: "Run SQL against the OLAP database holding the DWS tables",
		Long: `Runs read-only SQL against the configured OLAP backend (olap: in rtdw.yaml;
by default the DuckDB file <data dir>/olap/gmall_realtime.duckdb) and prints
the rows to stdout. The SQL is the backend's dialect.

The SQL comes from the argument, from -f FILE, or from stdin (the argument
"-", or no argument when stdin is not a terminal); statements are separated
by ';' and run one after the other, stopping at the first error. With no
argument on a terminal, rtdw query is interactive: statements end with ';',
line editing and history (~/.rtdw_query_history; RTDW_QUERY_HISTORY names
another file, empty turns it off), "quit" or Ctrl-D leaves, Ctrl-C stops
the running query.

Queries see the warehouse tables only: DuckDB runs with external access
disabled (no read_csv of a file, COPY ... TO, EXPORT DATABASE, ATTACH or
INSTALL/LOAD, and no SET to turn it back on); PostgreSQL queries run in
READ ONLY transactions, as olap.query_dsn's role when set, else as
pg_read_all_data instead of a superuser (a safety net, not a boundary: see
docs/olap.md). --allow-external-access (or olap.allow_external_access: true
in rtdw.yaml) lifts that.

Decimals print exactly (DECIMAL(16,2) 100.50, not 100.5); the table format
aligns columns by display width, East Asian wide characters taking two.

With the default DuckDB backend the file can be read while no rtdw process is
writing it (DuckDB allows one writing process).`,
		Example: `  rtdw query "SELECT province_name, SUM(order_amount) AS gmv
              FROM dws_trade_province_order_window
              WHERE cur_date = '2024-06-01' GROUP BY province_name ORDER BY gmv DESC LIMIT 5"
  rtdw query --format json "SELECT * FROM dws_trade_order_window" | jq .order_unique_user_count
  rtdw query --format csv "SELECT * FROM dws_user_user_login_window" > login.csv
  rtdw query -f report.sql
  echo "SELECT 1" | rtdw query
  rtdw query            # interactive, on a terminal`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			switch o.format {
			case "table", "csv", "json":
			default:
				return usagef("--format %q: want table, csv or json", o.format)
			}
			if o.file != "" && len(a) > 0 {
				return usagef("query: give the SQL as an argument or with -f, not both")
			}
			var sql, source string
			interactive := false
			switch {
			case o.file != "" && o.file != "-":
				b, err := os.ReadFile(o.file)
				if err != nil {
					return fmt.Errorf("reading SQL: %w", err)
				}
				sql, source = string(b), o.file
			case o.file == "-" || len(a) == 1 && a[0] == "-" || len(a) == 0 && !isTerminal(g.stdin):
				b, err := io.ReadAll(g.stdin)
				if err != nil {
					return fmt.Errorf("reading SQL from stdin: %w", err)
				}
				sql, source = string(b), stdinName
			case len(a) == 1:
				sql = a[0]
			default:
				interactive = true
			}
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			var stmts []olapStatement
			if !interactive {
				stmts = splitOLAPSQL(sql, cfg.OLAP.Kind)
				if len(stmts) == 0 {
					if source == "" {
						return usagef("query: the SQL is empty")
					}
					return usagef("query: no SQL in %s", source)
				}
			}
			if o.allowExternalAccess {
				cfg.OLAP.AllowExternalAccess = true
			}
			var db olap.Querier
			sink, err := g.openOLAP(cmd.Context(), cfg, true)
			switch {
			case err == nil:
				defer sink.Close()
				db = sink
			case strings.Contains(err.Error(), "open in another process"):
				// A running rtdw holds the database: query through it
				// (its console's confined, read-only /api/query).
				p, ok := g.processClient()
				if !ok {
					return err
				}
				db = remoteQuerier{p: p, truncated: func(max int) {
					fmt.Fprintf(g.stderr, "rtdw query: the running rtdw returns at most %d rows: the result is cut there\n", max)
				}}
			default:
				return err
			}
			q := &queryRunner{db: db, format: o.format, timeout: cfg.OLAP.Timeout}
			if interactive {
				return queryInteractive(cmd.Context(), g, q, backslashStrings(cfg.OLAP.Kind))
			}
			return q.runAll(cmd.Context(), g.stdout, stmts)
		},
	}
	c.Flags().StringVar(&o.format, "format", "table", "table (aligned columns), csv (with a header), or json (one object per row)")
	c.Flags().StringVarP(&o.file, "file", "f", "", `read the SQL from FILE ("-": stdin)`)
	c.Flags().BoolVar(&o.allowExternalAccess, "allow-external-access", false,
		"let the SQL reach the server's files, extensions and settings (DuckDB external access; PostgreSQL: the connecting role's own privileges)")
	return c
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// queryRunner runs statements and prints their results.
type queryRunner struct {
	db      olap.Querier
	format  string
	timeout time.Duration
	printed bool // a result was printed: the next one is set apart
}

// runAll runs the statements in order, stopping at the first error.
func (q *queryRunner) runAll(ctx context.Context, out io.Writer, stmts []olapStatement) error {
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, st := range stmts {
		if _, err := q.run(ctx, w, st.Text); err != nil {
			if len(stmts) > 1 {
				return fmt.Errorf("statement at line %d: %w", st.Line, err)
			}
			return err
		}
	}
	return w.Flush()
}

// run runs one statement and prints its result.
func (q *queryRunner) run(ctx context.Context, w io.Writer, sql string) (*olap.Result, error) {
	if q.timeout > 0 {
		var cancel func()
		ctx, cancel = context.WithTimeout(ctx, q.timeout)
		defer cancel()
	}
	res, err := q.db.Query(olap.WithExactDecimals(ctx), sql)
	if err != nil {
		return nil, err
	}
	if len(res.Columns) == 0 {
		return res, nil // SET, CHECKPOINT ...: nothing to print
	}
	if q.printed && q.format != "json" {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return nil, err
		}
	}
	q.printed = true
	switch q.format {
	case "csv":
		err = writeCSV(w, res)
	case "json":
		err = writeJSONRows(w, res)
	default:
		err = writeTable(w, res)
	}
	return res, err
}

// queryInteractive reads statements from the terminal until quit or Ctrl-D.
func queryInteractive(ctx context.Context, g *globals, q *queryRunner, backslash bool) error {
	history := newHistory("RTDW_QUERY_HISTORY", ".rtdw_query_history")
	sh := &queryShell{q: q, out: g.stdout, errw: g.stderr, history: history,
		interrupts: func() (<-chan struct{}, func()) { return nil, func() {} },
		split:      olapSplitter{backslash: backslash}}
	f, ok := g.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		sh.in = newPlainReader(g.stdin)
		defer sh.in.close()
		return sh.run(ctx)
	}
	if tr, err := newTermReader(f, g.stdout, g.stderr, history.load(1000)); err != nil {
		fmt.Fprintf(g.stderr, "[WARN] no line editing: %v\n", err)
		sh.in = newPlainReader(g.stdin)
	} else {
		// Results and messages are written between reads, so straight to
		// stdout and stderr (readline's Stderr would redraw a stale prompt).
		sh.in = tr
	}
	closeIn := sync.OnceFunc(sh.in.close)
	defer closeIn()
	// Ctrl-C while a query runs stops the query, not the shell, which
	// outlives the command's context (SIGINT cancels it) and ends on quit,
	// Ctrl-D, SIGTERM or SIGHUP.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	sh.interrupts = signalInterrupts
	onQuitSignal(ctx, func() {
		cancel()
		closeIn()
	})
	return sh.run(ctx)
}

// queryShell is rtdw query's interactive mode.
type queryShell struct {
	q          *queryRunner
	in         lineReader
	out, errw  io.Writer
	history    *sqlHistory
	interrupts func() (<-chan struct{}, func())
	split      olapSplitter
}

const (
	queryPrompt     = "query> "
	queryPromptMore = "    -> "
)

func (sh *queryShell) run(ctx context.Context) error {
	fmt.Fprintln(sh.errw, "rtdw query: statements end with ';'. quit (or Ctrl-D) leaves.")
	for {
		if ctx.Err() != nil {
			return nil
		}
		prompt := queryPrompt
		if sh.split.pending() {
			prompt = queryPromptMore
		}
		line, err := sh.in.readLine(ctx, prompt)
		switch {
		case errors.Is(err, errInterrupted):
			sh.split = olapSplitter{backslash: sh.split.backslash, line: sh.split.line}
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		if !sh.split.pending() {
			switch w := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), ";"))); w {
			case "quit", "exit", `\q`:
				return nil
			case "help", `\?`:
				fmt.Fprintln(sh.errw, "End each statement with ';' (it may span lines). quit, exit or Ctrl-D leaves; Ctrl-C drops the statement being typed or stops the running query.")
				continue
			}
		}
		for _, st := range sh.split.feed(line) {
			sh.execute(ctx, st.Text)
		}
	}
}

// execute runs one statement, printing its result or its error; the shell
// goes on either way.
func (sh *queryShell) execute(ctx context.Context, sql string) {
	entry := historyLine(sql + ";")
	sh.history.add(entry)
	sh.in.addHistory(entry)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	intr, stop := sh.interrupts()
	defer stop()
	go func() {
		select {
		case <-intr:
			cancel()
		case <-ctx.Done():
		}
	}()
	started := time.Now()
	w := bufio.NewWriter(sh.out)
	sh.q.printed = false
	res, err := sh.q.run(ctx, w, sql)
	w.Flush()
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(sh.errw, "query stopped")
	case err != nil:
		fmt.Fprintf(sh.errw, "error: %v\n", err)
	default:
		fmt.Fprintf(sh.errw, "(%s, %s)\n", plural(len(res.Rows), "row"), time.Since(started).Round(time.Millisecond))
	}
}

func typeOf(res *olap.Result, i int) olap.Type {
	if i < len(res.Types) {
		return res.Types[i]
	}
	return ""
}

// writeTable prints the result in columns two spaces apart, each as wide
// as its widest cell in terminal cells (displayWidth: an East Asian wide
// character takes two). NULL is printed as NULL.
func writeTable(w io.Writer, res *olap.Result) error {
	esc := strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`) // would break the columns
	lines := make([][]string, 0, len(res.Rows)+1)
	lines = append(lines, res.Columns)
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = "NULL"
			if v != nil {
				cells[i] = esc.Replace(olap.FormatValue(v, typeOf(res, i)))
			}
		}
		lines = append(lines, cells)
	}
	widths := make([]int, len(res.Columns))
	for _, cells := range lines {
		for i, c := range cells {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, cells := range lines {
		b.Reset()
		for i, c := range cells {
			if i == len(cells)-1 {
				b.WriteString(c) // the last column is not padded
				break
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

func writeCSV(w io.Writer, res *olap.Result) error {
	cw := csv.NewWriter(w)
	cw.Write(res.Columns)
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = olap.FormatValue(v, typeOf(res, i)) // NULL is empty
		}
		cw.Write(cells)
	}
	cw.Flush()
	return cw.Error()
}

// writeJSONRows prints one object per row, keys in column order; decimals
// are JSON numbers with all their digits.
func writeJSONRows(w io.Writer, res *olap.Result) error {
	var b []byte
	for _, r := range res.Rows {
		b = append(b[:0], '{')
		for i, v := range r {
			if i > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(res.Columns[i])
			b = append(append(b, k...), ':')
			switch x := v.(type) {
			case nil:
				b = append(b, "null"...)
			case int64:
				b = strconv.AppendInt(b, x, 10)
			case olap.DecimalString:
				b = append(b, x...)
			case float64:
				if math.IsNaN(x) || math.IsInf(x, 0) { // not JSON numbers
					b = strconv.AppendQuote(b, strconv.FormatFloat(x, 'f', -1, 64))
					break
				}
				b = strconv.AppendFloat(b, x, 'f', -1, 64)
			default:
				s, _ := json.Marshal(olap.FormatValue(x, typeOf(res, i)))
				b = append(b, s...)
			}
		}
		b = append(b, '}', '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// --- splitting statements -------------------------------------------------

// olapStatement is one statement of rtdw query's input, without its ';'.
type olapStatement struct {
	Text string
	Line int // of its first token in the input, from 1
}

// olapSplitter cuts input lines into statements at ';' outside the
// literals and comments of the OLAP dialects: 'strings' (a doubled quote inside,
// \' too when backslash is set: Doris, StarRocks, ClickHouse),
// "identifiers", `identifiers`, $tag$dollar strings$tag$, -- comments
// and /* comments */.
type olapSplitter struct {
	backslash bool
	buf       strings.Builder
	line      int // lines fed
	first     int // line of the statement's first token (0: none yet)
	quote     byte
	tag       string // the $tag$ of a dollar-quoted string
	block     bool   // inside /* */
}

func (sp *olapSplitter) pending() bool {
	return sp.first > 0 || sp.quote != 0 || sp.tag != "" || sp.block
}

// feed takes one input line (without its line break) and returns the
// statements it completes.
func (sp *olapSplitter) feed(text string) []olapStatement {
	sp.line++
	var out []olapStatement
	seg := 0
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case sp.block:
			if ch == '*' && i+1 < len(text) && text[i+1] == '/' {
				sp.block = false
				i++
			}
			continue
		case sp.tag != "":
			if ch == '$' && strings.HasPrefix(text[i:], sp.tag) {
				i += len(sp.tag) - 1
				sp.tag = ""
			}
			continue
		case sp.quote != 0:
			if ch == '\\' && sp.backslash && sp.quote == '\'' {
				i++ // \' and \\ in a MySQL or ClickHouse string
				continue
			}
			if ch == sp.quote {
				sp.quote = 0
			}
			continue
		}
		switch {
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v':
			continue
		case ch == '-' && i+1 < len(text) && text[i+1] == '-':
			i = len(text)
			continue
		case ch == '/' && i+1 < len(text) && text[i+1] == '*':
			sp.block = true
			i++
			continue
		case ch == ';':
			if sp.first > 0 {
				sp.buf.WriteString(text[seg:i])
				out = append(out, olapStatement{Text: strings.TrimSpace(sp.buf.String()), Line: sp.first})
			}
			sp.buf.Reset()
			sp.first = 0
			seg = i + 1
			continue
		}
		if sp.first == 0 {
			sp.first, seg = sp.line, i // comments before a statement are left out
		}
		switch ch {
		case '\'', '"', '`':
			sp.quote = ch
		case '$':
			if j := strings.IndexByte(text[i+1:], '$'); j >= 0 && isDollarTag(text[i+1:i+1+j]) && (i == 0 || !isWordByte(text[i-1]) && (text[i-1] < '0' || text[i-1] > '9')) {
				sp.tag = text[i : i+j+2]
				i += j + 1
			}
		}
	}
	if sp.first > 0 || sp.quote != 0 || sp.tag != "" {
		sp.buf.WriteString(text[seg:])
		sp.buf.WriteByte('\n')
	}
	return out
}

// backslashStrings: the backend's string literals escape with a
// backslash (MySQL's dialect and ClickHouse's; not PostgreSQL's or
// DuckDB's, where 'C:\' is a whole literal).
func backslashStrings(kind string) bool {
	switch kind {
	case olap.KindDoris, olap.KindStarRocks, olap.KindClickHouse:
		return true
	}
	return false
}

// isDollarTag: the inside of $tag$ (empty for $$): a letter or _ first,
// then letters, digits and _.
func isDollarTag(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isWordByte(c) && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// flush returns what is left at the end of the input (a last statement
// without its ';').
func (sp *olapSplitter) flush() (olapStatement, bool) {
	defer func() { *sp = olapSplitter{backslash: sp.backslash, line: sp.line} }()
	if sp.first == 0 {
		return olapStatement{}, false
	}
	return olapStatement{Text: strings.TrimSpace(sp.buf.String()), Line: sp.first}, true
}

// splitOLAPSQL splits a whole text into statements of the backend kind's
// dialect.
func splitOLAPSQL(text, kind string) []olapStatement {
	sp := olapSplitter{backslash: backslashStrings(kind)}
	var out []olapStatement
	for _, l := range strings.Split(text, "\n") {
		out = append(out, sp.feed(strings.TrimSuffix(l, "\r"))...)
	}
	if st, ok := sp.flush(); ok {
		out = append(out, st)
	}
	return out
}
