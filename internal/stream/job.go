package stream

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// Job is a named graph of operators. Its name is its consumer group and the
// identity of its state and checkpoints: renaming a job starts it afresh.
type Job struct {
	Name       string
	DeadLetter string // dead-letter topic; default "dirty_data"
	nodes      []*Node
	after      []string
	partitions map[string]int32 // Partitions: topics this job creates with their own count
	interval   time.Duration    // CheckpointEvery; 0: Options.Interval
	err        error
}

// CheckpointEvery gives the job its own checkpoint interval instead of
// Options.Interval (in an embedded run; a worker keeps its own), as each
// Flink job has its own: a sink job whose writes become visible at its
// checkpoints (the OLAP load) can commit more often than the jobs feeding
// it without making them commit more often too.
func (j *Job) CheckpointEvery(d time.Duration) *Job {
	if d <= 0 {
		j.err = fmt.Errorf("job %s: checkpoint interval %s (want > 0)", j.Name, d)
		return j
	}
	j.interval = d
	return j
}

// Partitions makes the job create topic (a source's, a sink's), when it
// does not exist yet, with n partitions instead of Options.Partitions. A
// topic two jobs share is created by whichever starts first, so both
// should say the same. An existing topic keeps its partitions.
func (j *Job) Partitions(topic string, n int32) *Job {
	if n < 1 {
		j.err = fmt.Errorf("job %s: topic %s: %d partitions (want >= 1)", j.Name, topic, n)
		return j
	}
	if j.partitions == nil {
		j.partitions = map[string]int32{}
	}
	j.partitions[topic] = n
	return j
}

// After makes drained runs finish the named jobs before this one, for an
// ordering topics do not show: a job that looks up dimensions runs after
// the job that writes them (DESIGN "dimension visibility"). Unbounded runs
// start every job at once; names not in the run are ignored.
func (j *Job) After(names ...string) *Job {
	j.after = append(j.after, names...)
	return j
}

// NewJob starts a job definition.
func NewJob(name string) *Job { return &Job{Name: name, DeadLetter: "dirty_data"} }

type nodeKind int

const (
	kindSource nodeKind = iota
	kindOperator
	kindKeyBy
	kindSink
)

// Node is one vertex of the job graph.
type Node struct {
	job   *Job
	id    int
	Name  string
	kind  nodeKind
	ports []string
	outs  [][]*Node // per port, downstream nodes
	ins   []Stream  // inputs, in order (several for Union and Connect)

	factory Factory
	src     SourceOptions
	keyFn   func(*Record) ([]byte, error)
	bcast   func(*Record) bool // KeyBy made by Broadcast: records to send to every partition
	topic   string             // source, sink or repartition topic
	topicFn func(*Record) (string, error)
	schema  *row.Schema      // KeyByColumns: the rows' schema, binary on the topic
	encode  func() RowEncode // ToRows: the sink's format, one per task
	known   []string         // a dynamic sink's topics known in advance (for drain ordering)
	hold    int64            // WatermarkHolder's hold, milliseconds
}

// Stream is one output port of a node: what the builder methods extend.
type Stream struct {
	node *Node
	port int
}

// SourceOptions configure how a source assigns event time and watermarks.
type SourceOptions struct {
	// EventTime returns a record's event time; ok=false keeps the log
	// timestamp and the record does not advance the watermark (malformed
	// input is then dead-lettered by the job's own validation).
	EventTime func(*Record) (ts int64, ok bool)
	// OutOfOrderness bounds how late a record may be; default 3 s.
	OutOfOrderness time.Duration
	// IdleTimeout marks an input idle after this long without records, so it
	// stops holding the watermark back; default 5 s. Only an input that has
	// read everything its partition holds goes idle (a starved or lagging
	// input stays active however long it was quiet), and a drained run
	// never marks an input idle (see DESIGN "Event time and drains").
	IdleTimeout time.Duration
	// MinEventTime and MaxEventTimeSkew override Options.MinEventTime and
	// Options.MaxEventTimeSkew for this source when set (non-zero): records
	// whose event time is before MinEventTime, or more than
	// MaxEventTimeSkew ahead of the processing-time clock, are
	// dead-lettered (implausible_event_time, future_event_time) and do not
	// move the watermark. A negative MaxEventTimeSkew accepts any time.
	MinEventTime     time.Time
	MaxEventTimeSkew time.Duration
	// Decode makes the source typed: each record value is decoded once
	// into rows, each pushed as a record with Row set (EventTime then
	// sees the row). It makes one decoder per task (decoders keep parsers
	// and rows). Nil: records flow as bytes.
	Decode func() RowDecode
	// DecodeRecord is Decode for decoders that read the whole record
	// (source_hooks.go); it wins over Decode.
	DecodeRecord func() RecordDecode
	// Start chooses the first offset of a partition the job has no
	// committed offset for (StartAt); nil: the beginning.
	Start StartOffset
	// Filter, for a typed source, decides in the decoding step whether a
	// decoded row goes on (a filter pushed into the source, see
	// Stream.PushFilter); an error dead-letters the record.
	Filter func(*row.Row) (bool, error)
}

// Decoded makes a typed source (see SourceOptions.Decode).
func Decoded(newDecode func() RowDecode) SourceOption {
	return func(o *SourceOptions) { o.Decode = newDecode }
}

// SourceOption sets a SourceOptions field.
type SourceOption func(*SourceOptions)

// EventTime sets the event-time extractor.
func EventTime(fn func(*Record) (int64, bool)) SourceOption {
	return func(o *SourceOptions) { o.EventTime = fn }
}

// OutOfOrderness sets the bounded out-of-orderness.
func OutOfOrderness(d time.Duration) SourceOption {
	return func(o *SourceOptions) { o.OutOfOrderness = d }
}

// IdleTimeout sets the idle-input timeout.
func IdleTimeout(d time.Duration) SourceOption { return func(o *SourceOptions) { o.IdleTimeout = d } }

// MinEventTime sets the source's plausibility floor (SourceOptions.MinEventTime).
func MinEventTime(t time.Time) SourceOption { return func(o *SourceOptions) { o.MinEventTime = t } }

// MaxEventTimeSkew sets how far ahead of the processing-time clock the
// source's event times may be (SourceOptions.MaxEventTimeSkew).
func MaxEventTimeSkew(d time.Duration) SourceOption {
	return func(o *SourceOptions) { o.MaxEventTimeSkew = d }
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_]+$`)

func (j *Job) add(n *Node) *Node {
	if !nameRE.MatchString(n.Name) && j.err == nil {
		j.err = fmt.Errorf("job %s: node name %q must match %s", j.Name, n.Name, nameRE)
	}
	for _, o := range j.nodes {
		if o.Name == n.Name && j.err == nil {
			j.err = fmt.Errorf("job %s: duplicate node name %q", j.Name, n.Name)
		}
	}
	n.job, n.id = j, len(j.nodes)
	if len(n.ports) == 0 {
		n.ports = []string{"out"}
	}
	n.outs = make([][]*Node, len(n.ports))
	j.nodes = append(j.nodes, n)
	return n
}

// Source reads a topic. Records keep the topic's keys.
func (j *Job) Source(topic string, opts ...SourceOption) Stream {
	o := SourceOptions{OutOfOrderness: 3 * time.Second, IdleTimeout: 5 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	for _, o := range j.nodes {
		if o.kind == kindSource && o.topic == topic && j.err == nil {
			// A task's input positions are per topic partition: one source
			// per topic and job (a SQL job reads a table once however often
			// it is used, but two tables over one topic are two sources).
			j.err = fmt.Errorf("job %s reads topic %q through two sources: declare one table over a topic and use it (or views of it) throughout the job", j.Name, topic)
		}
	}
	n := j.add(&Node{Name: "source_" + sanitize(topic), kind: kindSource, topic: topic, src: o})
	return Stream{node: n}
}

func (s Stream) link(n *Node) *Node { return linkAll(n, s) }

// linkAll adds n to the job of its inputs, fed by each of them.
func linkAll(n *Node, ins ...Stream) *Node {
	j := ins[0].node.job
	for _, in := range ins[1:] {
		if in.node.job != j && j.err == nil {
			j.err = fmt.Errorf("job %s: %s joins streams of different jobs", j.Name, n.Name)
		}
	}
	n = j.add(n)
	n.ins = ins
	for _, in := range ins {
		in.node.outs[in.port] = append(in.node.outs[in.port], n)
	}
	return n
}

// Union merges streams into one, as Flink's DataStream.union and SQL's
// UNION ALL: records pass through unchanged; the watermark downstream is
// the least of the inputs' (idle inputs do not hold it back).
func Union(name string, streams ...Stream) Stream {
	if len(streams) == 0 {
		panic("stream: Union of no streams")
	}
	return Connect(name, func() Operator { return unionOp{} }, streams...).Main()
}

// Connect adds an operator with several inputs (a join of two streams):
// it must implement MultiInput, which receives each record with the index
// of its input in streams. Records of one key meet in one task only if
// every input is keyed the same way (KeyBy each side on the join key): the
// inputs of a task are partition p of every input topic.
func Connect(name string, f Factory, streams ...Stream) *Node {
	if len(streams) == 0 {
		panic("stream: Connect of no streams")
	}
	op := f()
	var ports []string
	if p, ok := op.(Ported); ok {
		ports = p.Ports()
	}
	n := &Node{Name: name, kind: kindOperator, factory: f, ports: ports, hold: holdOf(op)}
	if _, ok := op.(MultiInput); !ok && len(streams) > 1 {
		j := streams[0].node.job
		if j.err == nil {
			j.err = fmt.Errorf("job %s: operator %s has %d inputs but does not implement stream.MultiInput", j.Name, name, len(streams))
		}
	}
	return linkAll(n, streams...)
}

type unionOp struct{}

func (unionOp) Open(*Context) error { return nil }
func (unionOp) Process(rec *Record, out Emitter) error {
	out.Emit(0, rec)
	return nil
}
func (u unionOp) ProcessInput(_ int, rec *Record, out Emitter) error { return u.Process(rec, out) }

// Process adds an operator. Use Port (or Main) on the result for its outputs.
func (s Stream) Process(name string, f Factory) *Node {
	op := f()
	var ports []string
	if p, ok := op.(Ported); ok {
		ports = p.Ports()
	}
	return s.link(&Node{Name: name, kind: kindOperator, factory: f, ports: ports, hold: holdOf(op)})
}

// holdOf is an operator's WatermarkHolder hold in milliseconds (0: none).
func holdOf(op Operator) int64 {
	if h, ok := op.(WatermarkHolder); ok {
		return max(0, h.WatermarkHold().Milliseconds())
	}
	return 0
}

// KeyBy re-keys the stream by fn through a repartition topic, so that the
// next operators see every record of a key in one task. A key fn error
// dead-letters the record.
func (s Stream) KeyBy(name string, fn func(*Record) ([]byte, error)) Stream {
	n := s.link(&Node{Name: name, kind: kindKeyBy, keyFn: fn})
	n.topic = repartitionTopic(s.node.job.Name, name)
	return Stream{node: n}
}

// Broadcast is a KeyBy that keeps each record's key and sends the records
// for which all returns true to every partition of the next stage (marked
// with the rtdw.broadcast header, see Record.Broadcast), the others to
// their key's partition. The next stage's operators thus see every
// broadcast record (config rows) next to their own share of the rest, with
// watermarks from every upstream task: Flink's broadcast state pattern
// (see operator.Broadcast for holding data back until config is known).
func (s Stream) Broadcast(name string, all func(*Record) bool) Stream {
	st := s.KeyBy(name, func(r *Record) ([]byte, error) { return r.Key, nil })
	st.node.bcast = all
	return st
}

// KeyByColumns re-keys a typed stream by the given columns of its rows
// (Flink's hash shuffle on key fields): the key is the columns'
// order-preserving encoding, and rows cross the repartition topic in the
// compact binary row format of schema. A record without a row is
// dead-lettered (untyped_record).
func (s Stream) KeyByColumns(name string, schema *row.Schema, cols ...int) Stream {
	for _, c := range cols {
		if c < 0 || c >= schema.Len() {
			j := s.node.job
			if j.err == nil {
				j.err = fmt.Errorf("job %s: %s keys by column %d of a %d-column schema", j.Name, name, c, schema.Len())
			}
		}
	}
	st := s.KeyBy(name, func(r *Record) ([]byte, error) {
		if r.Row == nil {
			return nil, BadInput("untyped_record", "%s needs a typed row", name)
		}
		if len(r.Row.Values) != schema.Len() {
			return nil, BadInput("bad_row", "%s: row of %d columns, schema has %d", name, len(r.Row.Values), schema.Len())
		}
		var key []byte // per call: tasks key concurrently
		for _, c := range cols {
			key = row.AppendKey(key, r.Row.Values[c]) // a key's bytes are its columns' in turn
		}
		return key, nil
	})
	st.node.schema = schema
	return st
}

// ToRows writes a typed stream to a topic, each row encoded once by an
// encoder newEncode makes per task (the sink's format), partitioned by
// record key.
func (s Stream) ToRows(topic string, newEncode func() RowEncode) {
	n := s.link(&Node{Name: "sink_" + sanitize(topic), kind: kindSink, topic: topic})
	n.encode = newEncode
}

// To writes the stream to a topic, partitioned by record key.
func (s Stream) To(topic string) {
	s.link(&Node{Name: "sink_" + sanitize(topic), kind: kindSink, topic: topic})
}

// ToDynamic writes each record to the topic fn names, created on first use
// (config-driven routing: a new config row starts a new topic without a
// restart). known lists the topics expected in advance, so that drained
// runs order the jobs reading them after this one. An fn error or an
// unusable topic name dead-letters the record.
func (s Stream) ToDynamic(name string, fn func(*Record) (string, error), known ...string) {
	s.link(&Node{Name: name, kind: kindSink, topicFn: fn, known: known})
}

// Main is the node's main output.
func (n *Node) Main() Stream { return Stream{node: n} }

// Port returns the named output of the node; it panics on a name the
// operator does not declare (a programming error in a job definition).
func (n *Node) Port(name string) Stream {
	for i, p := range n.ports {
		if p == name {
			return Stream{node: n, port: i}
		}
	}
	panic(fmt.Sprintf("job %s: operator %s has no port %q (ports %v)", n.job.Name, n.Name, name, n.ports))
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// repartitionTopic names the internal topic of a job's KeyBy.
func repartitionTopic(job, keyBy string) string { return "_rtdw-" + job + "-" + keyBy + "-repartition" }

// isRepartitionTopic reports whether topic is a KeyBy's internal topic.
func isRepartitionTopic(topic string) bool {
	return strings.HasPrefix(topic, "_rtdw-") && strings.HasSuffix(topic, "-repartition")
}
