package connector

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

var bg = context.Background()

func openLog(t *testing.T) *embedded.Log {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// env is a test's engine: an embedded log, a Context on it, the helper
// jobs and preparations connectors add.
type env struct {
	t       *testing.T
	log     *embedded.Log
	ctx     *Context
	out     *syncBuffer
	jobs    []*stream.Job
	prepare []func() error
	// restarts: how often a drained run restarts failed tasks (default 3).
	restarts int
	interval time.Duration // checkpoint interval (default 10 ms)
	fetch    int           // records per fetch (default 1000)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, log: openLog(t), out: &syncBuffer{}}
	e.ctx = &Context{
		Log: e.log, DataDir: t.TempDir(), Loc: time.UTC, Job: "j", Out: e.out,
		Now:        func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) },
		AddJob:     func(j *stream.Job) { e.jobs = append(e.jobs, j) },
		AddPrepare: func(f func() error) { e.prepare = append(e.prepare, f) },
	}
	return e
}

// tbl makes a table from a column list, options and metadata columns
// "name:key[:virtual]".
func tbl(name, cols string, opts map[string]string, meta ...string) *Table {
	schema := row.MustParseSchema(cols)
	t := &Table{Name: "default_catalog.default_database." + name, ObjectName: name, Schema: schema, Options: opts}
	for _, m := range meta {
		parts := strings.Split(m, ":")
		mc := MetadataColumn{Index: schema.Index(parts[0]), Key: parts[1]}
		mc.Virtual = len(parts) > 2
		t.Metadata = append(t.Metadata, mc)
	}
	return t
}

func withPK(t *Table, cols ...string) *Table {
	for _, c := range cols {
		t.PrimaryKey = append(t.PrimaryKey, t.Schema.Index(c))
	}
	return t
}

func (e *env) source(t *Table) Source {
	e.t.Helper()
	f, err := Lookup(t.Options["connector"])
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := f.NewSource(e.ctx, t)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) sink(t *Table) Sink {
	e.t.Helper()
	f, err := Lookup(t.Options["connector"])
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := f.NewSink(e.ctx, t)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// pipe builds job name: source table -> sink table.
func (e *env) pipe(name string, src, dst *Table, opts ...stream.SourceOption) *stream.Job {
	e.t.Helper()
	j := stream.NewJob(name)
	s, err := e.source(src).Attach(j, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.sink(dst).Attach(s); err != nil {
		e.t.Fatal(err)
	}
	return j
}

func (e *env) produce(topic string, parts int32, recs ...rlog.Record) {
	e.t.Helper()
	if _, err := rlog.EnsureTopic(bg, e.log, topic, rlog.TopicConfig{Partitions: parts}); err != nil {
		e.t.Fatal(err)
	}
	for i := range recs {
		recs[i].Topic = topic
		if recs[i].Partition == 0 && parts == 1 {
			recs[i].Partition = 0
		}
	}
	if err := e.log.Produce(bg, recs...); err != nil {
		e.t.Fatal(err)
	}
}

// values produces records with the given values (no key) to partition 0.
func (e *env) values(topic string, vals ...string) {
	e.t.Helper()
	var recs []rlog.Record
	for i, v := range vals {
		recs = append(recs, rlog.Record{Value: []byte(v), Timestamp: int64(1000 * (i + 1))})
	}
	e.produce(topic, 1, recs...)
}

// run runs the preparations, then the jobs and the helper jobs, drained.
func (e *env) run(jobs ...*stream.Job) error {
	for _, p := range e.prepare {
		if err := p(); err != nil {
			return err
		}
	}
	e.prepare = nil
	all := append(slices.Clone(jobs), e.jobs...)
	e.jobs = nil
	restarts, interval := e.restarts, e.interval
	if restarts == 0 {
		restarts = 3
	}
	if interval == 0 {
		interval = 10 * time.Millisecond
	}
	return stream.Run(bg, stream.Options{Log: e.log, Drain: true, Partitions: 1, Interval: interval, FetchMax: e.fetch,
		MaxRestarts: restarts, RestartBackoff: time.Millisecond}, all...)
}

func (e *env) mustRun(jobs ...*stream.Job) {
	e.t.Helper()
	if err := e.run(jobs...); err != nil {
		e.t.Fatal(err)
	}
}

// read prints a topic's records, one per line: "key|value @time" plus
// headers, in partition and offset order; a null key or value prints as
// <null>. Dead letters add their reason.
func (e *env) read(topic string) []string {
	e.t.Helper()
	info, err := e.log.DescribeTopic(bg, topic)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for p := range info.Partitions {
		tp := rlog.TopicPartition{Topic: topic, Partition: p}
		for off := int64(0); ; {
			recs, err := e.log.Fetch(bg, tp, off, 1000, 0)
			if err != nil {
				e.t.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				off = r.Offset + 1
				if r.Header(stream.HeaderControl) != nil {
					continue
				}
				out = append(out, recordText(r))
			}
		}
	}
	return out
}

func recordText(r rlog.Record) string {
	s := func(b []byte) string {
		if b == nil {
			return "<null>"
		}
		return string(b)
	}
	line := fmt.Sprintf("%s|%s @%d", s(r.Key), s(r.Value), r.Timestamp)
	for _, h := range r.Headers {
		switch h.Key {
		case stream.HeaderReason:
			line += " [" + string(h.Value) + "]"
		case stream.HeaderJob, stream.HeaderSource:
		default:
			line += fmt.Sprintf(" %s=%s", h.Key, h.Value)
		}
	}
	return line
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func errContains(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
