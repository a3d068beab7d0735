package exec

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/stream"
)

// LookupJoinSpec is a lookup join (Flink's LookupJoinRunner and
// AsyncLookupJoinRunner): JOIN d FOR SYSTEM_TIME AS OF s.proc_time ON
// s.a = d.x AND ... against a lookup table.
type LookupJoinSpec struct {
	// Table names the looked-up table in metrics and messages.
	Table string
	// Left: a LEFT JOIN emits the input row padded with NULLs when no row
	// matches; an inner join emits nothing then.
	Left bool
	// KeyCols are the input columns giving the lookup keys, in the order
	// of the key columns the Source was made for (Factory.NewLookup).
	KeyCols []int
	Source  connector.LookupSource
	// RightWidth is the number of columns of the looked-up rows.
	RightWidth int
	// Cond is the residual join condition over input ++ looked-up row
	// (NULL and false reject the pair); nil accepts every row.
	Cond func(joined *row.Row) (bool, error)
	// Cache, Async, AsyncCapacity and MaxRetries come from the table's
	// options (connector.LookupOptionsOf).
	Cache connector.LookupCacheOptions
	// Async runs up to AsyncCapacity lookups of a task at once; results
	// are emitted in input order (Flink's ORDERED output mode).
	Async         bool
	AsyncCapacity int // default connector.DefaultLookupAsyncCapacity
	// MaxRetries: attempts after a failed lookup before the task fails.
	MaxRetries int
	// RetryBackoff: the wait before retry n is n times this (Flink's JDBC
	// lookup waits 1 s, 2 s, ...); default 1 s.
	RetryBackoff time.Duration
	// Timeout of one lookup attempt; default 1 min.
	Timeout time.Duration
}

// Lookup join metrics: lookups are counted where they happen (off the
// task goroutine with Async), so they are shared counters.
var (
	// LookupMisses counts input rows the lookup found no row for (a NULL
	// key included), whether the miss came from the store or the cache:
	// an inner join drops such a row, a left join pads it with NULLs, so
	// it must be visible.
	LookupMisses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtdw_sql_lookup_misses_total",
		Help: "Input rows of SQL lookup joins that found no row in the looked-up table, by job and table.",
	}, []string{"job", "table"})
	// LookupQueries counts the lookups that went to the store (cache
	// misses), retries not included.
	LookupQueries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtdw_sql_lookup_queries_total",
		Help: "Lookups of SQL lookup joins answered by the looked-up table rather than the cache, by job and table.",
	}, []string{"job", "table"})
	// LookupCacheHits counts the lookups the cache answered.
	LookupCacheHits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtdw_sql_lookup_cache_hits_total",
		Help: "Lookups of SQL lookup joins answered by the per-task cache, by job and table.",
	}, []string{"job", "table"})
)

// LookupCollectors are the lookup join's metrics, for a command's
// registry: reg.MustRegister(exec.LookupCollectors()...).
func LookupCollectors() []prometheus.Collector {
	return []prometheus.Collector{LookupMisses, LookupQueries, LookupCacheHits}
}

const (
	defaultLookupBackoff = time.Second
	defaultLookupTimeout = time.Minute
)

// LookupJoin returns the lookup join operator. For each input row it
// looks the keys up at its arrival (processing time) and emits, with the
// input row's kind, input ++ each looked-up row that satisfies Cond; a row
// of any kind is looked up (a -U or -D is joined with what the table holds
// now, as Flink does). A key with a NULL matches nothing (the table is not
// asked). A miss emits the NULL-padded row in a LEFT join and nothing in
// an inner join, and counts in rtdw_sql_lookup_misses_total{job,table}.
//
// Caching: each task keeps its own cache (connector.LookupCache) by the
// table's lookup.cache options; it is in memory only, empty after a
// restart (its entries are processing-time answers, which the checkpoint
// does not hold either).
//
// Errors: a failed lookup is retried MaxRetries times (waiting 1x, 2x, ...
// RetryBackoff), then the task fails and restarts from its checkpoint; a
// store error the source marked retryable never counts against the row,
// so the job waits for the store rather than losing rows. A
// stream.BadInputError from the source (a value of the table that does
// not fit its column) and a Cond error (code eval_error) dead-letter the
// input row, before any of its output was emitted.
//
// Async (lookup.async): up to AsyncCapacity lookups of a task run at once
// on their own goroutines; results are emitted from the task goroutine in
// input order (so the order of the rows of a key is kept too), and Process
// blocks while AsyncCapacity are in flight. Before the watermark advances
// and in PrepareCheckpoint and EndOfInput every lookup in flight is waited
// for and emitted, so a checkpoint holds the output of every input row it
// commits: nothing is kept in state, and a restore replays the input after
// the checkpoint (exactly-once).
func LookupJoin(spec LookupJoinSpec) stream.Factory {
	if err := spec.validate(); err != nil {
		panic("exec: " + err.Error())
	}
	return func() stream.Operator { return &lookupJoin{spec: spec} }
}

func (s *LookupJoinSpec) validate() error {
	if s.Source == nil {
		return fmt.Errorf("lookup join %s: no Source", s.Table)
	}
	if len(s.KeyCols) == 0 {
		return fmt.Errorf("lookup join %s: no KeyCols", s.Table)
	}
	if err := checkCols("lookup join "+s.Table, s.KeyCols...); err != nil {
		return err
	}
	if s.RightWidth <= 0 || s.AsyncCapacity < 0 || s.MaxRetries < 0 || s.RetryBackoff < 0 || s.Timeout < 0 {
		return fmt.Errorf("lookup join %s: RightWidth %d must be positive; AsyncCapacity, MaxRetries, RetryBackoff and Timeout not negative",
			s.Table, s.RightWidth)
	}
	if s.AsyncCapacity == 0 {
		s.AsyncCapacity = connector.DefaultLookupAsyncCapacity
	}
	if s.RetryBackoff == 0 {
		s.RetryBackoff = defaultLookupBackoff
	}
	if s.Timeout == 0 {
		s.Timeout = defaultLookupTimeout
	}
	return nil
}

type lookupJoin struct {
	spec    LookupJoinSpec
	ctx     *stream.Context
	cache   *connector.LookupCache
	misses  prometheus.Counter
	queries prometheus.Counter
	hits    prometheus.Counter
	minW    int
	nulls   []row.Value // RightWidth NULLs
	emit    RowEmitter
	joined  row.Row // Cond's argument
	ok      []int   // scratch: the looked-up rows that satisfy Cond
	keys    []row.Value
	queue   []*lookupCall // Async: in input order
}

// lookupCall is one input row being looked up asynchronously. The
// goroutine writes rows and err, then closes done; the task goroutine
// reads them only after done.
type lookupCall struct {
	rec  stream.Record // an owned copy of the input record
	in   row.Row       // a clone of its row
	done chan struct{}
	rows []row.Row
	err  error
}

func (l *lookupJoin) Open(ctx *stream.Context) error {
	l.ctx = ctx
	l.cache = connector.NewLookupCache(l.spec.Cache, ctx.Now)
	l.misses = LookupMisses.WithLabelValues(ctx.Job, l.spec.Table)
	l.queries = LookupQueries.WithLabelValues(ctx.Job, l.spec.Table)
	l.hits = LookupCacheHits.WithLabelValues(ctx.Job, l.spec.Table)
	l.minW = MinWidth(l.spec.KeyCols...)
	l.nulls = make([]row.Value, l.spec.RightWidth)
	return nil
}

func (l *lookupJoin) Process(rec *stream.Record, out stream.Emitter) error {
	in, err := TypedRow(rec, "lookup join", l.minW)
	if err != nil {
		return err
	}
	if !l.spec.Async {
		l.keys = l.keys[:0]
		for _, c := range l.spec.KeyCols {
			l.keys = append(l.keys, in.Values[c])
		}
		rows, err := l.fetch(l.keys)
		if err != nil {
			return err
		}
		return l.join(out, rec, in, rows)
	}
	if err := l.emitDone(out); err != nil {
		return err
	}
	for len(l.queue) >= l.spec.AsyncCapacity {
		if err := l.emitHead(out, true); err != nil {
			return err
		}
	}
	c := &lookupCall{rec: ownRecord(rec), in: in.Clone(), done: make(chan struct{})}
	l.queue = append(l.queue, c)
	keys := make([]row.Value, len(l.spec.KeyCols))
	for i, col := range l.spec.KeyCols {
		keys[i] = c.in.Values[col]
	}
	go l.run(c, keys)
	return nil
}

// run looks one row up off the task goroutine.
func (l *lookupJoin) run(c *lookupCall, keys []row.Value) {
	defer close(c.done)
	defer func() {
		// A panicking source is a bug: fail the task (restart with
		// backoff) rather than crash the process from a goroutine.
		if r := recover(); r != nil {
			c.rows, c.err = nil, fmt.Errorf("lookup join %s: the lookup panicked: %v", l.spec.Table, r)
		}
	}()
	c.rows, c.err = l.fetch(keys)
}

// fetch returns the rows of keys: none for a NULL key, else from the
// cache or the source (retried).
func (l *lookupJoin) fetch(keys []row.Value) ([]row.Row, error) {
	for _, k := range keys {
		if k.IsNull() {
			return nil, nil
		}
	}
	if l.cache == nil {
		return l.query(keys)
	}
	rows, hit, err := l.cache.Load(string(row.AppendKey(nil, keys...)), func() ([]row.Row, error) { return l.query(keys) })
	if hit {
		l.hits.Inc()
	}
	return rows, err
}

// query asks the source, retrying failures MaxRetries times.
func (l *lookupJoin) query(keys []row.Value) ([]row.Row, error) {
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), l.spec.Timeout)
		rows, err := l.spec.Source.Lookup(ctx, keys)
		cancel()
		if err == nil {
			l.queries.Inc()
			for i := range rows {
				if len(rows[i].Values) != l.spec.RightWidth {
					return nil, fmt.Errorf("lookup join %s: the source returned a row of %d columns, want %d", l.spec.Table, len(rows[i].Values), l.spec.RightWidth)
				}
			}
			return rows, nil
		}
		if _, bad := stream.AsBadInput(err); bad {
			return nil, err
		}
		if attempt >= l.spec.MaxRetries {
			return nil, fmt.Errorf("lookup join %s: %d attempts failed: %w", l.spec.Table, attempt+1, err)
		}
		l.logger().Warn("lookup failed; retrying", "table", l.spec.Table, "attempt", attempt+1, "err", err)
		time.Sleep(time.Duration(attempt+1) * l.spec.RetryBackoff)
	}
}

// join emits input ++ each row of rows that satisfies Cond, or the padded
// row (LEFT) when none does. Cond is evaluated for every row before
// anything is emitted, so an error emits nothing.
func (l *lookupJoin) join(out stream.Emitter, rec *stream.Record, in *row.Row, rows []row.Row) error {
	if len(rows) == 0 {
		l.misses.Inc()
	}
	l.ok = l.ok[:0]
	for i := range rows {
		if l.spec.Cond != nil {
			l.joined.Kind = in.Kind
			l.joined.Values = append(append(l.joined.Values[:0], in.Values...), rows[i].Values...)
			pass, err := l.spec.Cond(&l.joined)
			if err != nil {
				return EvalError(err)
			}
			if !pass {
				continue
			}
		}
		l.ok = append(l.ok, i)
	}
	if len(l.ok) == 0 {
		if l.spec.Left {
			l.emit.Set(in.Values, l.nulls)
			l.emit.Emit(out, rec, in.Kind)
		}
		return nil
	}
	for _, i := range l.ok {
		l.emit.Set(in.Values, rows[i].Values)
		l.emit.Emit(out, rec, in.Kind)
	}
	return nil
}

func (l *lookupJoin) logger() *slog.Logger {
	if l.ctx.Logger != nil {
		return l.ctx.Logger
	}
	return slog.Default()
}

func (l *lookupJoin) FlushBeforeWatermark(out stream.Emitter) error { return l.flush(out) }
func (l *lookupJoin) OnWatermark(_ int64, out stream.Emitter) error { return l.flush(out) }
func (l *lookupJoin) PrepareCheckpoint(out stream.Emitter) error    { return l.flush(out) }
func (l *lookupJoin) EndOfInput(out stream.Emitter) error           { return l.flush(out) }

// emitDone emits the finished calls at the head of the queue.
func (l *lookupJoin) emitDone(out stream.Emitter) error {
	for len(l.queue) > 0 {
		select {
		case <-l.queue[0].done:
		default:
			return nil
		}
		if err := l.emitHead(out, false); err != nil {
			return err
		}
	}
	return nil
}

// flush waits for every call in flight and emits it, in order.
func (l *lookupJoin) flush(out stream.Emitter) error {
	for len(l.queue) > 0 {
		if err := l.emitHead(out, true); err != nil {
			return err
		}
	}
	return nil
}

// emitHead pops the head call (waiting for it if wait) and emits its
// result: the failure of a call is its input row's, not that of the row
// the task is reading now.
func (l *lookupJoin) emitHead(out stream.Emitter, wait bool) error {
	c := l.queue[0]
	if wait {
		<-c.done
	}
	l.queue[0] = nil
	l.queue = l.queue[1:]
	err := c.err
	if err == nil {
		err = l.join(out, &c.rec, &c.in, c.rows)
	}
	if err == nil {
		return nil
	}
	if b, ok := stream.AsBadInput(err); ok {
		l.ctx.DeadLetter(&c.rec, b)
		return nil
	}
	return stream.FailedOn(&c.rec, err)
}

// ownRecord copies what an async lookup keeps of a record past Process
// (its bytes are the caller's only during the call).
func ownRecord(rec *stream.Record) stream.Record {
	cp := rec.Derive(cloneBytes(rec.Key), nil, rec.Time)
	if len(rec.Headers) > 0 {
		cp.Headers = make([]rlog.Header, len(rec.Headers))
		for i, h := range rec.Headers {
			cp.Headers[i] = rlog.Header{Key: h.Key, Value: cloneBytes(h.Value)}
		}
	}
	return cp
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
