package stream_test

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// TestMetamorphic generates, from a seed, a small random job (sources,
// add, filter-odd, a buffering operator, KeyBys, Unions, a join, and
// tumbling-window or per-key totals at the end; sometimes a second job
// reading the first one's output) and random input, computes
// what the job must output with a plain in-memory evaluation of the same
// graph (no time, no state store), and runs the job drained on a real
// embedded log in several ways that must not change the result:
//
//	plain    one drained run, checkpoints only where the run needs them
//	faults   one drained run, checkpoints every millisecond, tiny fetches,
//	         failures (errors, retryable errors, panics) injected at random
//	         calls of the operators (records, timers, end of input): tasks
//	         restart from their last checkpoint
//	split    the input produced and drained in 2-4 parts: state, open
//	         windows and held records carry over from run to run
//	onepart  every topic with a single partition
//
// Event times never make a record late (times are non-decreasing per
// partition up to a jitter smaller than the source's out-of-orderness, and
// no input goes idle), so the result is independent of timing and
// partitioning, and any dead letter is a failure.
//
// Seeds are 1..N (-metamorphic.seeds=N, default 16), or from the clock with
// -metamorphic.random. Run more with -metamorphic.seeds=N; a
// failure prints its seed, the job and the input; rerun it alone with
// -metamorphic.seed=S (add -count=N: the job and input are the same, the
// timing of checkpoints and restarts is not), -metamorphic.v logs every
// case.
func TestMetamorphic(t *testing.T) {
	if *metaSeed != 0 {
		runMetaSeed(t, *metaSeed)
		return
	}
	// Fixed seeds by default, so CI is reproducible; -metamorphic.random
	// explores new cases from the clock.
	base := int64(1)
	if *metaRandom {
		base = time.Now().UnixNano() & (1<<40 - 1)
	}
	for i := range *metaSeeds {
		seed := base + int64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runMetaSeed(t, seed) })
	}
}

var (
	metaSeeds  = flag.Int("metamorphic.seeds", 16, "TestMetamorphic: number of random seeds")
	metaSeed   = flag.Int64("metamorphic.seed", 0, "TestMetamorphic: run only this seed")
	metaV      = flag.Bool("metamorphic.v", false, "TestMetamorphic: log every job and its input")
	metaRandom = flag.Bool("metamorphic.random", false, "TestMetamorphic: seeds from the clock instead of 1, 2, ...")
)

func runMetaSeed(t *testing.T, seed int64) {
	c := genMetaCase(seed)
	if *metaV || testing.Verbose() && *metaSeed != 0 {
		t.Logf("seed %d:\n%s", seed, c.describe())
	}
	for _, v := range c.variants() {
		if err := c.run(t, v); err != nil {
			t.Fatalf("seed %d, variant %s: %v\n\nreproduce: go test ./internal/stream/ -run Metamorphic -metamorphic.seed=%d -v\n\n%s",
				seed, v, err, seed, c.describe())
		}
	}
}

// ---- the job graph ----

type metaKind int

const (
	mSource metaKind = iota
	mAdd
	mOdd
	mFault // passes records on; fails on injected calls
	mHold  // holds records until the watermark passes them (metaHoldOp)
	mKeyBy
	mUnion
	mJoin   // inner join on the key: value l*r, time max(l, r)
	mWindow // metaWindowOp: per key and window, "start..end=sum"
	mTotal  // per key, "total=sum" at end of input
	mSink
)

var metaKindNames = [...]string{"source", "add", "odd", "fault", "hold", "keyby", "union", "join", "window", "total", "sink"}

func (k metaKind) String() string { return metaKindNames[k] }

type metaNode struct {
	id      int
	job     int // 0: the job reading the input topics; 1: a job reading its sinks
	kind    metaKind
	ins     []int
	topic   string // source, sink
	n       int64  // add: n; window: size; source: out-of-orderness (ms)
	byValue bool   // keyby
	keyed   bool   // every record of a key is in the partition the key hashes to
	final   bool   // a window's or total's output (or a fault point after it): only a sink may follow
}

type metaTopic struct {
	name  string
	parts int   // partitions (the onepart variant uses 1)
	keyed bool  // records go to their key's partition, else anywhere
	ooo   int64 // out-of-orderness, ms
	recs  []metaRec
}

type metaRec struct {
	key  string
	val  int64
	time int64
	part int // in the generated layout
}

type metaCase struct {
	seed   int64
	rng    *rand.Rand
	nodes  []*metaNode
	topics []*metaTopic
	srcOf  map[string]int // input topic -> its source node
	curJob int            // the job add puts nodes in
	exp    map[string]*metaExpect
	calls  int // operator calls a failure can be injected at (one uninterrupted run)
}

func (c *metaCase) add(n *metaNode) int {
	n.id, n.job = len(c.nodes), c.curJob
	c.nodes = append(c.nodes, n)
	return n.id
}

func (c *metaCase) pop() { c.nodes = c.nodes[:len(c.nodes)-1] }

const metaMaxNodes = 10

func genMetaCase(seed int64) *metaCase {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d657461))
	for {
		c := &metaCase{seed: seed, rng: rng, srcOf: map[string]int{}}
		c.genTopics()
		c.genJob()
		if len(c.nodes) < 4 || len(c.nodes) > metaMaxNodes+4 {
			continue
		}
		if err := c.validate(false); err != nil {
			panic(fmt.Sprintf("generated an invalid job: %v\n%s", err, c.describe()))
		}
		if c.reference() {
			return c
		}
	}
}

func (c *metaCase) genTopics() {
	rng := c.rng
	nkeys := 2 + rng.IntN(4)
	for _, name := range []string{"in_a", "in_b"} {
		tp := &metaTopic{name: name, parts: 1 + rng.IntN(4), keyed: rng.IntN(3) == 0}
		jitter := int64(0)
		if rng.IntN(2) == 0 {
			jitter = rng.Int64N(1500)
		}
		tp.ooo = jitter + 1 + rng.Int64N(1000)
		n := 5 + rng.IntN(35)
		base := 1000 + rng.Int64N(3000)
		for range n {
			if rng.IntN(3) != 0 {
				base += rng.Int64N(1500)
			}
			r := metaRec{key: "k" + strconv.Itoa(rng.IntN(nkeys)), val: rng.Int64N(20), time: base}
			if jitter > 0 {
				r.time += rng.Int64N(jitter + 1)
			}
			if tp.keyed {
				r.part = int(rlog.PartitionFor([]byte(r.key), int32(tp.parts)))
			} else {
				r.part = rng.IntN(tp.parts)
			}
			tp.recs = append(tp.recs, r)
		}
		c.topics = append(c.topics, tp)
	}
}

func (c *metaCase) topic(name string) *metaTopic {
	for _, tp := range c.topics {
		if tp.name == name {
			return tp
		}
	}
	return nil
}

func (c *metaCase) genJob() {
	rng := c.rng
	joins := 0
	var stream func(depth int) int
	keyed := func(depth int) int {
		s := stream(depth)
		if !c.nodes[s].keyed {
			s = c.keyBy(s, false)
		}
		return s
	}
	stream = func(depth int) int {
		if depth <= 0 || len(c.nodes) >= metaMaxNodes || rng.IntN(6) == 0 {
			tp := c.topics[rng.IntN(len(c.topics))]
			if id, ok := c.srcOf[tp.name]; ok {
				return id
			}
			id := c.add(&metaNode{kind: mSource, topic: tp.name, keyed: tp.keyed, n: tp.ooo})
			c.srcOf[tp.name] = id
			return id
		}
		one := func(k metaKind, n int64) int {
			in := stream(depth - 1)
			return c.add(&metaNode{kind: k, ins: []int{in}, n: n, keyed: c.nodes[in].keyed})
		}
		switch r := rng.IntN(24); {
		case r < 4:
			return one(mAdd, 1+rng.Int64N(9))
		case r < 6:
			return one(mOdd, 0)
		case r < 8:
			return one(mFault, 0)
		case r < 11:
			return one(mHold, 0)
		case r < 15:
			return c.keyBy(stream(depth-1), rng.IntN(4) == 0)
		case r < 19:
			a, b := stream(depth-1), stream(depth-1)
			return c.merge(mUnion, a, b)
		case r < 22 && joins == 0:
			joins++
			a, b := keyed(depth-1), keyed(depth-1)
			return c.merge(mJoin, a, b)
		default: // fan out: reuse a stream made so far
			var cands []int
			for _, n := range c.nodes {
				if n.kind != mSink && !n.final {
					cands = append(cands, n.id)
				}
			}
			if len(cands) == 0 {
				return stream(0)
			}
			return cands[rng.IntN(len(cands))]
		}
	}
	sinks := 1 + rng.IntN(2)
	var plain []string
	for i := range sinks {
		topic := "out" + strconv.Itoa(i)
		var in int
		if rng.IntN(3) == 0 {
			plain = append(plain, topic)
		}
		switch r := rng.IntN(8); {
		case len(plain) > 0 && plain[len(plain)-1] == topic:
			in = stream(4)
		case r < 5:
			in = keyed(4)
			in = c.add(&metaNode{kind: mWindow, ins: []int{in}, n: []int64{1000, 2000, 5000}[rng.IntN(3)], final: true})
		default:
			in = keyed(4)
			in = c.add(&metaNode{kind: mTotal, ins: []int{in}, final: true})
		}
		if rng.IntN(3) == 0 { // a fault point right before the sink
			in = c.add(&metaNode{kind: mFault, ins: []int{in}, final: true})
		}
		c.add(&metaNode{kind: mSink, ins: []int{in}, topic: topic})
	}
	// A second job reads some plain sinks (keyed: a sink partitions by
	// key), with an out-of-orderness of an hour: its windows close only
	// at the end of input. Drained runs finish the first job first.
	c.curJob = 1
	for _, topic := range plain {
		if rng.IntN(2) == 0 {
			continue
		}
		in := c.add(&metaNode{kind: mSource, topic: topic, keyed: true, n: 3600_000})
		if rng.IntN(2) == 0 {
			in = c.keyBy(in, false)
		}
		if rng.IntN(2) == 0 {
			in = c.add(&metaNode{kind: mWindow, ins: []int{in}, n: []int64{1000, 5000}[rng.IntN(2)], final: true})
		} else {
			in = c.add(&metaNode{kind: mTotal, ins: []int{in}, final: true})
		}
		c.add(&metaNode{kind: mSink, ins: []int{in}, topic: topic + "_2"})
	}
	c.curJob = 0
}

func (c *metaCase) keyBy(in int, byValue bool) int {
	return c.add(&metaNode{kind: mKeyBy, ins: []int{in}, byValue: byValue, keyed: true})
}

// merge adds a union or join of a and b, keying both sides first if
// reading them in one stage is impossible (a stage that feeds itself, or
// source topics of different partition counts).
func (c *metaCase) merge(k metaKind, a, b int) int {
	both := c.nodes[a].keyed && c.nodes[b].keyed
	id := c.add(&metaNode{kind: k, ins: []int{a, b}, keyed: both || k == mJoin})
	if c.validate(false) == nil && c.validate(true) == nil && c.rng.IntN(4) != 0 {
		return id
	}
	c.pop()
	a, b = c.keyBy(a, false), c.keyBy(b, false)
	return c.add(&metaNode{kind: k, ins: []int{a, b}, keyed: true})
}

// validate checks what the planner and layout require of the graph: no
// stage feeds itself (through KeyBys), and the source topics read by one
// stage have equal partition counts (onepart: all have one).
func (c *metaCase) validate(onePart bool) error {
	parent := make([]int, len(c.nodes))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	for _, n := range c.nodes {
		if n.kind == mSource || n.kind == mKeyBy {
			continue
		}
		for _, in := range n.ins {
			a, b := find(n.id), find(in)
			parent[max(a, b)] = min(a, b)
		}
	}
	edges := map[int][]int{}
	for _, n := range c.nodes {
		if n.kind == mKeyBy {
			from, to := find(n.ins[0]), find(n.id)
			if from == to {
				return fmt.Errorf("n%d feeds its own stage", n.id)
			}
			edges[from] = append(edges[from], to)
		}
	}
	state := map[int]int{}
	var visit func(s int) error
	visit = func(s int) error {
		switch state[s] {
		case 1:
			return fmt.Errorf("stages form a cycle through the stage of n%d", s)
		case 2:
			return nil
		}
		state[s] = 1
		for _, d := range edges[s] {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[s] = 2
		return nil
	}
	for s := range edges {
		if err := visit(s); err != nil {
			return err
		}
	}
	parts := map[int]int{}
	for _, n := range c.nodes {
		if n.kind != mSource || n.job != 0 {
			continue
		}
		p := c.topic(n.topic).parts
		if onePart {
			p = 1
		}
		if q, ok := parts[find(n.id)]; ok && q != p {
			return fmt.Errorf("one stage reads topics of %d and %d partitions", p, q)
		}
		parts[find(n.id)] = p
	}
	return nil
}

// ---- the reference ----

type metaRow struct {
	key  string
	val  int64
	text string // window and total outputs
	time int64
}

func (r metaRow) line() string {
	v := r.text
	if v == "" {
		v = strconv.FormatInt(r.val, 10)
	}
	return fmt.Sprintf("%s %s @%d", r.key, v, r.time)
}

// metaExpect is what a sink topic must hold.
type metaExpect struct {
	kind  metaKind // of the node feeding the sink (under its fault points)
	lines []string // sorted
}

// reference evaluates the graph over the whole input as a batch and fills
// c.exp and c.calls; it reports false when an output is too large for a
// quick test.
func (c *metaCase) reference() bool {
	out := make([][]metaRow, len(c.nodes))
	sinks := map[string][]metaRow{}
	c.exp = map[string]*metaExpect{}
	c.calls = 0
	for _, n := range c.nodes {
		var in []metaRow
		if len(n.ins) > 0 {
			in = out[n.ins[0]]
		}
		var res []metaRow
		switch n.kind {
		case mSource:
			if n.job > 0 {
				res = sinks[n.topic]
				break
			}
			for _, r := range c.topic(n.topic).recs {
				res = append(res, metaRow{key: r.key, val: r.val, time: r.time})
			}
		case mAdd:
			for _, r := range in {
				r.val += n.n
				res = append(res, r)
			}
		case mOdd:
			for _, r := range in {
				if r.val%2 != 0 {
					res = append(res, r)
				}
			}
		case mFault, mHold, mSink:
			res = in
			if n.kind != mSink {
				c.calls += len(in)
			}
		case mKeyBy:
			for _, r := range in {
				if n.byValue {
					r.key = strconv.FormatInt(r.val, 10)
				}
				res = append(res, r)
			}
		case mUnion:
			res = append(slices.Clone(in), out[n.ins[1]]...)
		case mJoin:
			c.calls += len(in) + len(out[n.ins[1]])
			for _, l := range in {
				for _, r := range out[n.ins[1]] {
					if l.key == r.key {
						res = append(res, metaRow{key: l.key, val: l.val * r.val, time: max(l.time, r.time)})
					}
				}
			}
		case mWindow:
			c.calls += len(in)
			type win struct {
				key string
				end int64
			}
			sums := map[win]int64{}
			for _, r := range in {
				sums[win{r.key, (r.time/n.n + 1) * n.n}] += r.val
			}
			for w, s := range sums {
				res = append(res, metaRow{key: w.key, text: fmt.Sprintf("%d..%d=%d", w.end-n.n, w.end, s), time: w.end - 1})
			}
		case mTotal:
			c.calls += len(in)
			sums := map[string]int64{}
			for _, r := range in {
				sums[r.key] += r.val
			}
			for k, s := range sums {
				res = append(res, metaRow{key: k, text: "total=" + strconv.FormatInt(s, 10), time: 1})
			}
		}
		if len(res) > 3000 {
			return false
		}
		out[n.id] = res
		if n.kind == mSink {
			sinks[n.topic] = res
			from := n.ins[0]
			for c.nodes[from].kind == mFault {
				from = c.nodes[from].ins[0]
			}
			e := &metaExpect{kind: c.nodes[from].kind}
			for _, r := range res {
				e.lines = append(e.lines, r.line())
			}
			slices.Sort(e.lines)
			c.exp[n.topic] = e
		}
	}
	return true
}

// ---- variants ----

type metaVariant struct {
	name       string
	onePart    bool
	runs       int           // drained runs the input is split over
	failures   int           // failures injected at random calls
	eoiFails   int           // failures injected at the first ends of input
	interval   time.Duration // checkpoint interval
	fetch      int           // FetchMax
	partitions int32         // Options.Partitions: sinks and dead letters
	exchange   stream.Exchange
}

func (v metaVariant) String() string {
	return fmt.Sprintf("%s (runs=%d failures=%d eoi-failures=%d interval=%s fetch=%d partitions=%d exchange=%s)",
		v.name, v.runs, v.failures, v.eoiFails, v.interval, v.fetch, v.partitions, map[stream.Exchange]string{stream.ExchangeMemory: "memory", stream.ExchangeTopics: "topics"}[v.exchange])
}

func (c *metaCase) variants() []metaVariant {
	rng := c.rng
	// The in-memory exchange or the repartition topics (drains use the
	// topics by default): faults and exchange always cover one each.
	either := func() stream.Exchange {
		return []stream.Exchange{stream.ExchangeMemory, stream.ExchangeTopics}[rng.IntN(2)]
	}
	return []metaVariant{
		{name: "plain", runs: 1, interval: time.Second, fetch: 1000, partitions: 1 + rng.Int32N(4), exchange: either()},
		{name: "faults", runs: 1, failures: 2 + rng.IntN(5), eoiFails: rng.IntN(3), interval: time.Millisecond, fetch: 1 + rng.IntN(4), partitions: 1 + rng.Int32N(4), exchange: stream.ExchangeTopics},
		{name: "exchange", runs: 1, failures: 2 + rng.IntN(5), eoiFails: rng.IntN(3), interval: time.Millisecond, fetch: 1 + rng.IntN(4), partitions: 1 + rng.Int32N(4), exchange: stream.ExchangeMemory},
		{name: "split", runs: 2 + rng.IntN(3), failures: rng.IntN(2) * (1 + rng.IntN(4)), eoiFails: rng.IntN(2), interval: []time.Duration{time.Millisecond, 10 * time.Millisecond, time.Second}[rng.IntN(3)],
			fetch: []int{1, 3, 1000}[rng.IntN(3)], partitions: 1 + rng.Int32N(4), exchange: either()},
		{name: "onepart", onePart: true, runs: 1, interval: 5 * time.Millisecond, fetch: 1 + rng.IntN(8), partitions: 1, exchange: either()},
	}
}

// metaFaults fails the calls of the jobs' fault points (fault operators,
// the records of holds, joins, windows and totals, the windows' timers)
// whose number, counted across all tasks and restarts, is in at; and the
// first eoi end-of-input calls (windows' end-of-input timers, totals'
// EndOfInput). Each call number comes once, so every failure is injected
// once and a run always makes progress.
type metaFaults struct {
	at       map[int64]bool
	calls    atomic.Int64
	eoi      atomic.Int64
	injected atomic.Int64
}

// hit fails an injected call in one of three ways: a retryable error, an
// error (a strike against the record, but every failure differs from the
// last, so no record is ever quarantined) or a panic.
func (f *metaFaults) hit() error {
	n := f.calls.Add(1)
	if !f.at[n] {
		return nil
	}
	f.injected.Add(1)
	switch n % 3 {
	case 0:
		return stream.Retryable(fmt.Errorf("injected failure at call %d", n))
	case 1:
		return fmt.Errorf("injected failure at call %d", n)
	}
	panic(fmt.Sprintf("injected panic at call %d", n))
}

func (f *metaFaults) hitEOI() error {
	if f.eoi.Add(-1) >= 0 {
		f.injected.Add(1)
		return stream.Retryable(fmt.Errorf("injected failure at end of input"))
	}
	return nil
}

func (c *metaCase) run(t *testing.T, v metaVariant) error {
	if err := c.validate(v.onePart); err != nil {
		return fmt.Errorf("invalid job: %v", err)
	}
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		return err
	}
	defer l.Close()
	f := &metaFaults{at: map[int64]bool{}}
	f.eoi.Store(int64(v.eoiFails))
	for range v.failures {
		if c.calls > 0 {
			f.at[1+c.rng.Int64N(int64(c.calls))] = true
		}
	}
	for _, tp := range c.topics {
		parts := tp.parts
		if v.onePart {
			parts = 1
		}
		if err := l.CreateTopic(context.Background(), tp.name, rlog.TopicConfig{Partitions: int32(parts)}); err != nil {
			return err
		}
	}
	// Cut points: run i produces records [cuts[i], cuts[i+1]) of each topic.
	cuts := map[string][]int{}
	for _, tp := range c.topics {
		cs := []int{0}
		for range v.runs - 1 {
			cs = append(cs, c.rng.IntN(len(tp.recs)+1))
		}
		slices.Sort(cs)
		cuts[tp.name] = append(cs, len(tp.recs))
	}
	js := c.jobs(f)
	o := stream.Options{Log: l, Drain: true, Interval: v.interval, FetchMax: v.fetch, Partitions: v.partitions, Exchange: v.exchange,
		MaxRestarts: 1000, RestartBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	began := time.Now()
	for run := range v.runs {
		var recs []rlog.Record
		for _, tp := range c.topics {
			for _, r := range tp.recs[cuts[tp.name][run]:cuts[tp.name][run+1]] {
				p := int32(r.part)
				if v.onePart {
					p = 0
				}
				recs = append(recs, rlog.Record{Topic: tp.name, Partition: p, Key: []byte(r.key),
					Value: strconv.AppendInt(nil, r.val, 10), Timestamp: r.time})
			}
		}
		if len(recs) > 0 {
			if err := l.Produce(context.Background(), recs...); err != nil {
				return err
			}
		}
		if err := stream.Run(context.Background(), o, js...); err != nil {
			return fmt.Errorf("run %d: %w", run+1, err)
		}
	}
	if testing.Verbose() {
		t.Logf("%s: %s, %d failures injected", v, time.Since(began).Round(time.Millisecond), f.injected.Load())
	}
	// Compare every sink with the reference.
	var errs []string
	for _, topic := range slices.Sorted(maps.Keys(c.exp)) {
		e := c.exp[topic]
		got := metaRead(t, l, topic)
		// A stateless stream holds each record once, however the input is
		// split; a window or a total is emitted once in one run, and
		// again, updated, by each later run in which it is still open.
		if v.runs > 1 && (e.kind == mWindow || e.kind == mTotal) {
			var problems []string
			got, problems = metaLast(got, v.runs)
			for _, p := range problems {
				errs = append(errs, fmt.Sprintf("topic %s (%s): %s", topic, e.kind, p))
			}
		}
		if d := metaDiff(e.lines, got); d != "" {
			errs = append(errs, fmt.Sprintf("topic %s (%s):\n%s", topic, e.kind, d))
		}
	}
	if dl := metaRead(t, l, "dirty_data"); len(dl) > 0 {
		errs = append(errs, fmt.Sprintf("unexpected dead letters:\n  %s", strings.Join(dl, "\n  ")))
	}
	if len(errs) > 0 {
		return fmt.Errorf("output differs from the reference (- missing, + unexpected):\n%s", strings.Join(errs, "\n"))
	}
	return nil
}

// metaRead returns a topic's records as "key value @time" lines in
// partition and offset order; dead letters carry their reason and where
// they were made.
func metaRead(t *testing.T, l rlog.Log, topic string) []string {
	var lines []string
	for _, r := range logtest.ReadAll(t, l, topic) {
		if r.Header(stream.HeaderControl) != nil {
			continue
		}
		line := fmt.Sprintf("%s %s @%d", r.Key, r.Value, r.Timestamp)
		if reason := r.Header(stream.HeaderReason); reason != nil {
			first, _, _ := strings.Cut(string(reason), "\n")
			line += fmt.Sprintf(" [%s at %s from %s]", first, r.Header(stream.HeaderJob), r.Header(stream.HeaderSource))
		}
		lines = append(lines, line)
	}
	return lines
}

// metaLast keeps the last emitted value of each key and window (lines in
// partition and offset order: a key's outputs all come from one task, in
// order), sorted. It also checks what holds over several runs: a group is
// emitted at most once per run, and its sum never decreases (values are
// not negative).
func metaLast(lines []string, runs int) (last []string, problems []string) {
	byGroup := map[string][]string{}
	var order []string
	for _, l := range lines {
		g, rest, _ := strings.Cut(l, "=")
		if strings.Contains(l, " total=") {
			g, _, _ = strings.Cut(l, " ")
		}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], l)
		sum, _, _ := strings.Cut(rest, " ")
		if n := len(byGroup[g]); n > 1 {
			prev, _ := strings.CutPrefix(byGroup[g][n-2], g)
			_, prev, _ = strings.Cut(prev, "=")
			prev, _, _ = strings.Cut(prev, " ")
			if metaInt([]byte(sum)) < metaInt([]byte(prev)) {
				problems = append(problems, fmt.Sprintf("%s: sum went down: %s", g, strings.Join(byGroup[g], ", ")))
			}
		}
	}
	for _, g := range order {
		ls := byGroup[g]
		if len(ls) > runs {
			problems = append(problems, fmt.Sprintf("%s: emitted %d times in %d runs: %s", g, len(ls), runs, strings.Join(ls, ", ")))
		}
		last = append(last, ls[len(ls)-1])
	}
	slices.Sort(last)
	return last, problems
}

// metaDiff compares two multisets of lines.
func metaDiff(want, got []string) string {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	var d []string
	for _, l := range slices.Sorted(maps.Keys(count)) {
		for n := count[l]; n > 0; n-- {
			d = append(d, "  - "+l)
		}
		for n := count[l]; n < 0; n++ {
			d = append(d, "  + "+l)
		}
	}
	if len(d) == 0 {
		return ""
	}
	if len(d) > 40 {
		d = append(d[:40], fmt.Sprintf("  ... %d more", len(d)-40))
	}
	return fmt.Sprintf("  want %d lines, got %d\n%s", len(want), len(got), strings.Join(d, "\n"))
}

// ---- the job ----

// jobs builds the graph's jobs: "meta", and "meta2" if a job reads its sinks.
func (c *metaCase) jobs(f *metaFaults) []*stream.Job {
	js := []*stream.Job{stream.NewJob("meta")}
	st := make([]stream.Stream, len(c.nodes))
	for _, n := range c.nodes {
		if n.job >= len(js) {
			js = append(js, stream.NewJob("meta"+strconv.Itoa(n.job+1)))
		}
		j := js[n.job]
		name := fmt.Sprintf("n%d_%s", n.id, n.kind)
		var in stream.Stream
		if len(n.ins) > 0 {
			in = st[n.ins[0]]
		}
		switch n.kind {
		case mSource:
			st[n.id] = j.Source(n.topic, stream.OutOfOrderness(time.Duration(n.n)*time.Millisecond), stream.IdleTimeout(time.Hour),
				stream.EventTime(func(r *stream.Record) (int64, bool) { return r.Time, true }))
		case mAdd:
			d := n.n
			st[n.id] = in.Process(name, func() stream.Operator { return metaAddOp(d) }).Main()
		case mOdd:
			st[n.id] = in.Process(name, func() stream.Operator { return metaOddOp{} }).Main()
		case mFault:
			st[n.id] = in.Process(name, func() stream.Operator { return &metaFaultOp{f: f} }).Main()
		case mHold:
			st[n.id] = in.Process(name, func() stream.Operator { return &metaHoldOp{f: f} }).Main()
		case mKeyBy:
			byValue := n.byValue
			st[n.id] = in.KeyBy(name, func(r *stream.Record) ([]byte, error) {
				if byValue {
					return r.Value, nil
				}
				return r.Key, nil
			})
		case mUnion:
			st[n.id] = stream.Union(name, in, st[n.ins[1]])
		case mJoin:
			st[n.id] = stream.Connect(name, func() stream.Operator { return &metaJoinOp{f: f} }, in, st[n.ins[1]]).Main()
		case mWindow:
			size := n.n
			st[n.id] = in.Process(name, func() stream.Operator { return &metaWindowOp{size: size, f: f} }).Main()
		case mTotal:
			st[n.id] = in.Process(name, func() stream.Operator { return &metaTotalOp{f: f} }).Main()
		case mSink:
			in.To(n.topic)
		}
	}
	return js
}

func (c *metaCase) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job meta (seed %d):\n", c.seed)
	for i, n := range c.nodes {
		if i > 0 && n.job != c.nodes[i-1].job {
			fmt.Fprintf(&b, "job meta%d:\n", n.job+1)
		}
		fmt.Fprintf(&b, "  n%d: %s", n.id, n.kind)
		switch n.kind {
		case mSource:
			fmt.Fprintf(&b, " %s ooo=%dms", n.topic, n.n)
		case mSink:
			fmt.Fprintf(&b, " %s", n.topic)
		case mAdd:
			fmt.Fprintf(&b, " n=%d", n.n)
		case mWindow:
			fmt.Fprintf(&b, " size=%d", n.n)
		case mKeyBy:
			if n.byValue {
				b.WriteString(" value")
			} else {
				b.WriteString(" key")
			}
		}
		for _, in := range n.ins {
			fmt.Fprintf(&b, " n%d", in)
		}
		b.WriteString("\n")
	}
	for _, tp := range c.topics {
		if _, used := c.srcOf[tp.name]; !used {
			continue
		}
		fmt.Fprintf(&b, "topic %s: %d partitions, keyed=%v; partition: key time value\n", tp.name, tp.parts, tp.keyed)
		for p := range tp.parts {
			var recs []string
			for _, r := range tp.recs {
				if r.part == p {
					recs = append(recs, fmt.Sprintf("%s %d %d", r.key, r.time, r.val))
				}
			}
			fmt.Fprintf(&b, "  %d: %s\n", p, strings.Join(recs, ", "))
		}
	}
	b.WriteString("expected:\n")
	for _, topic := range slices.Sorted(maps.Keys(c.exp)) {
		fmt.Fprintf(&b, "  %s: %s\n", topic, strings.Join(c.exp[topic].lines, ", "))
	}
	return b.String()
}

// ---- operators ----

// metaAddOp adds n to each value.
type metaAddOp int64

func (metaAddOp) Open(*stream.Context) error { return nil }
func (a metaAddOp) Process(r *stream.Record, out stream.Emitter) error {
	rec := r.Derive(r.Key, strconv.AppendInt(nil, metaInt(r.Value)+int64(a), 10), r.Time)
	out.Emit(0, &rec)
	return nil
}

// metaOddOp keeps the records with an odd value.
type metaOddOp struct{}

func (metaOddOp) Open(*stream.Context) error { return nil }
func (metaOddOp) Process(r *stream.Record, out stream.Emitter) error {
	if metaInt(r.Value)%2 != 0 {
		out.Emit(0, r)
	}
	return nil
}

// metaFaultOp passes records on, failing (retryably) on injected calls.
type metaFaultOp struct{ f *metaFaults }

func (*metaFaultOp) Open(*stream.Context) error { return nil }
func (o *metaFaultOp) Process(r *stream.Record, out stream.Emitter) error {
	if err := o.f.hit(); err != nil {
		return err
	}
	out.Emit(0, r)
	return nil
}

// metaWindowOp sums values per key in tumbling event-time windows of size
// ms, as tumbleOp of testops_test.go: a window fires when the watermark
// passes its end, emitting "start..end=sum" at time end-1; a record behind
// the watermark is dead-lettered (late); at the end of a drained input an
// open window is emitted and kept. Its records, timers and end-of-input
// timers are fault points.
type metaWindowOp struct {
	size int64
	f    *metaFaults
	ctx  *stream.Context
	sums *state.MapState
}

func (w *metaWindowOp) Open(c *stream.Context) error { w.ctx, w.sums = c, c.Map("sums"); return nil }

func (w *metaWindowOp) Process(r *stream.Record, _ stream.Emitter) error {
	if err := w.f.hit(); err != nil {
		return err
	}
	end := (r.Time/w.size + 1) * w.size
	if end-1 <= w.ctx.Watermark() {
		w.ctx.CountLate()
		return stream.BadInput("late", "t=%d wm=%d", r.Time, w.ctx.Watermark())
	}
	wk := metaTimeKey(end)
	old, _, err := w.sums.Get(r.Key, wk)
	if err != nil {
		return err
	}
	if err := w.sums.Put(r.Key, wk, strconv.AppendInt(nil, metaInt(old)+metaInt(r.Value), 10)); err != nil {
		return err
	}
	return w.ctx.RegisterTimer(state.EventTime, end-1, r.Key)
}

func (w *metaWindowOp) emit(key []byte, end int64, out stream.Emitter) (bool, error) {
	v, ok, err := w.sums.Get(key, metaTimeKey(end))
	if err != nil || !ok {
		return false, err
	}
	rec := stream.Record{Key: slices.Clone(key), Value: fmt.Appendf(nil, "%d..%d=%s", end-w.size, end, v), Time: end - 1}
	out.Emit(0, &rec)
	return true, nil
}

func (w *metaWindowOp) OnTimer(_ state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if err := w.f.hit(); err != nil {
		return err
	}
	if ok, err := w.emit(key, ts+1, out); err != nil || !ok {
		return err
	}
	return w.sums.Delete(key, metaTimeKey(ts+1))
}

func (w *metaWindowOp) OnEndOfInputTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if d != state.EventTime {
		return nil
	}
	if err := w.f.hitEOI(); err != nil {
		return err
	}
	_, err := w.emit(key, ts+1, out)
	return err
}

// metaTotalOp sums values per key and, at the end of input, emits
// "total=N" per key (time 1); the sums carry over to a later run.
type metaTotalOp struct {
	f    *metaFaults
	sums *state.MapState
}

var metaAll = []byte("all")

func (o *metaTotalOp) Open(c *stream.Context) error { o.sums = c.Map("totals"); return nil }

func (o *metaTotalOp) Process(r *stream.Record, _ stream.Emitter) error {
	if err := o.f.hit(); err != nil {
		return err
	}
	old, _, err := o.sums.Get(metaAll, r.Key)
	if err != nil {
		return err
	}
	return o.sums.Put(metaAll, r.Key, strconv.AppendInt(nil, metaInt(old)+metaInt(r.Value), 10))
}

func (o *metaTotalOp) EndOfInput(out stream.Emitter) error {
	if err := o.f.hitEOI(); err != nil {
		return err
	}
	var recs []stream.Record
	err := o.sums.Range(metaAll, func(k, v []byte) bool {
		recs = append(recs, stream.Record{Key: slices.Clone(k), Value: append([]byte("total="), v...), Time: 1})
		return true
	})
	if err != nil {
		return err
	}
	for i := range recs {
		out.Emit(0, &recs[i])
	}
	return nil
}

// metaHoldOp holds every record until the watermark passes its time (an
// event-time timer), then emits it; at the end of input it emits all it
// holds. Records are counted per (time, key, value), so restarts and
// duplicates need no sequence numbers.
type metaHoldOp struct {
	f    *metaFaults
	ctx  *stream.Context
	held *state.MapState
}

func (h *metaHoldOp) Open(c *stream.Context) error { h.ctx, h.held = c, c.Map("held"); return nil }

func metaTimeKey(ts int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(ts)) }

func (h *metaHoldOp) Process(r *stream.Record, _ stream.Emitter) error {
	if err := h.f.hit(); err != nil {
		return err
	}
	tk := metaTimeKey(r.Time)
	mk := binary.AppendUvarint(nil, uint64(len(r.Key)))
	mk = append(append(mk, r.Key...), r.Value...)
	old, _, err := h.held.Get(tk, mk)
	if err != nil {
		return err
	}
	if err := h.held.Put(tk, mk, strconv.AppendInt(nil, metaInt(old)+1, 10)); err != nil {
		return err
	}
	return h.ctx.RegisterTimer(state.EventTime, r.Time, tk)
}

func (h *metaHoldOp) OnTimer(_ state.TimeDomain, ts int64, tk []byte, out stream.Emitter) error {
	var recs []stream.Record
	err := h.held.Range(tk, func(mk, v []byte) bool {
		n, k := binary.Uvarint(mk)
		key, val := slices.Clone(mk[k:k+int(n)]), slices.Clone(mk[k+int(n):])
		for range metaInt(v) {
			recs = append(recs, stream.Record{Key: key, Value: val, Time: ts})
		}
		return true
	})
	if err != nil {
		return err
	}
	for i := range recs {
		out.Emit(0, &recs[i])
	}
	return h.held.Clear(tk)
}

// OnEndOfInputTimer emits what the timer holds and forgets it: held
// records do not wait for a later run.
func (h *metaHoldOp) OnEndOfInputTimer(d state.TimeDomain, ts int64, tk []byte, out stream.Emitter) error {
	if d != state.EventTime {
		return nil
	}
	if err := h.OnTimer(d, ts, tk, out); err != nil {
		return err
	}
	return h.ctx.DeleteTimer(d, ts, tk)
}

// metaJoinOp is an inner join of two keyed inputs on the record key: every
// record of one side meets every record of the other once, emitted as the
// product of their values at the later of their times, whatever the order
// in which they arrive. Each side keeps a count per (time, value).
type metaJoinOp struct {
	f     *metaFaults
	sides [2]*state.MapState
}

func (j *metaJoinOp) Open(c *stream.Context) error {
	j.sides = [2]*state.MapState{c.Map("left"), c.Map("right")}
	return nil
}

func (*metaJoinOp) Process(*stream.Record, stream.Emitter) error {
	return fmt.Errorf("metaJoinOp is a two-input operator")
}

func (j *metaJoinOp) ProcessInput(input int, r *stream.Record, out stream.Emitter) error {
	if err := j.f.hit(); err != nil {
		return err
	}
	v := metaInt(r.Value)
	mk := strconv.AppendInt(metaTimeKey(r.Time), v, 10)
	old, _, err := j.sides[input].Get(r.Key, mk)
	if err != nil {
		return err
	}
	if err := j.sides[input].Put(r.Key, mk, strconv.AppendInt(nil, metaInt(old)+1, 10)); err != nil {
		return err
	}
	type other struct{ ts, v, n int64 }
	var others []other
	err = j.sides[1-input].Range(r.Key, func(mk, n []byte) bool {
		others = append(others, other{int64(binary.BigEndian.Uint64(mk[:8])), metaInt(mk[8:]), metaInt(n)})
		return true
	})
	if err != nil {
		return err
	}
	key := slices.Clone(r.Key)
	for _, o := range others {
		for range o.n {
			rec := stream.Record{Key: key, Value: strconv.AppendInt(nil, v*o.v, 10), Time: max(r.Time, o.ts)}
			out.Emit(0, &rec)
		}
	}
	return nil
}

func metaInt(b []byte) int64 { n, _ := strconv.ParseInt(string(b), 10, 64); return n }

// TestMetamorphicSelfJoin is the smallest case of a bug the metamorphic
// test found: stream.Connect(name, f, s, s) (a self-join) fed every record
// to input 0 twice and never to input 1, so it output nothing. One topic,
// one partition, two records of key k, and a join of the source stream
// with itself: every record must meet every record, itself included:
// k 4 @1000, k 6 @2000 (twice), k 9 @2000.
func TestMetamorphicSelfJoin(t *testing.T) {
	c := &metaCase{rng: rand.New(rand.NewPCG(1, 1)), srcOf: map[string]int{"in_a": 0}, topics: []*metaTopic{{
		name: "in_a", parts: 1, keyed: true, ooo: 1,
		recs: []metaRec{{key: "k", val: 2, time: 1000}, {key: "k", val: 3, time: 2000}},
	}}}
	c.add(&metaNode{kind: mSource, topic: "in_a", keyed: true})
	c.add(&metaNode{kind: mJoin, ins: []int{0, 0}, keyed: true})
	c.add(&metaNode{kind: mSink, ins: []int{1}, topic: "out0"})
	c.reference()
	if err := c.run(t, metaVariant{name: "plain", runs: 1, interval: time.Second, fetch: 1000, partitions: 1}); err != nil {
		t.Fatalf("%v\n\n%s", err, c.describe())
	}
}
