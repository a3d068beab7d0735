package connector

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The buffered external sink every connector writing into another system
// shares (jdbc, starrocks, doris, clickhouse, rtdw-dim/redis): one
// operator per task that buffers the rows of a checkpoint interval and
// writes them, in one batch, before the checkpoint commits
// (PrepareCheckpoint). An error fails the task, which restarts from its
// last checkpoint and writes the replayed rows again.
//
// With a primary key the buffer keeps one operation per key, the last
// (+I/+U: upsert the row; -D: delete the key; -U rows are dropped, the +U
// that follows replaces the row), so a batch is a set of final states:
// applying it twice, or applying an older batch and then a newer one,
// leaves the same rows as applying the newer alone. Without a primary key
// the buffer keeps every row in order (append-only).
//
// Epochs and sequences. Each task numbers its checkpoint intervals: the
// epoch, kept in the task's state (so it commits with the checkpoint and a
// replay after a crash uses the same numbers). A task's first epoch is the
// wall clock in milliseconds since 2020 when it first ran, so a job
// started again from scratch (or a new job writing the same table) numbers
// above any older run. Each row gets a sequence: its epoch in the high
// bits, and its position among the rows the task saw in that epoch in the
// low 22 bits (saturating). Since a replay reads the same input from the
// same committed offsets, a row gets the same sequence in every attempt
// and a later row a greater one; a fenced (zombie) worker still flushing
// an uncommitted epoch therefore writes sequences no greater than those
// the worker that took over writes for the same or newer rows. The
// ClickHouse sink stores the sequence as the version of
// ReplacingMergeTree, the rtdw-dim sink as the per-key guard of the
// dimension store; label-based sinks name a batch by its epoch and content.
//
// Early flushes: a buffer reaching 'sink.buffer-flush.max-rows' rows is
// written before the checkpoint; a replay makes the same early flushes at
// the same rows (the count restarts at each epoch).

// extSeqRowBits is the number of low sequence bits holding a row's
// position in its epoch.
const extSeqRowBits = 22

// extEpochBase: epochs of a new task start at the milliseconds since then.
var extEpochBase = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// extOp is one buffered operation.
type extOp struct {
	Delete bool
	Row    row.Row // the sink's row in Table.Schema order (kind Insert or Delete)
	Seq    uint64
}

// extBatch is what a writer applies at once.
type extBatch struct {
	Job   string
	Sink  string // the sink's node name: one per table written in the job
	Task  int32
	Epoch uint64
	Flush int // 0 at a checkpoint's first write, then 1, 2, ... for early flushes
	// Start: without a key, the number of rows the task wrote before this
	// batch's first, counted over the job's life (kept in its checkpoints):
	// the rows' positions, by which the jdbc sink skips rows written before
	// a crash.
	Start uint64
	// Ops: with a key, one operation per key (the last), in the order keys
	// were first seen; without, every row in order.
	Ops []extOp
}

// label names the batch for a system that refuses a label it has seen
// (Stream Load) or drops an insert whose token it has seen (ClickHouse):
// the job, task, epoch and flush, and a hash of the sink and the body, so
// a replay of the same batch reuses the label, a replay that cut its batch
// differently (checkpoints fall at other rows) is not mistaken for it, and
// two tables a job writes the same rows to get two labels (a database
// keeps one label space for all its tables).
// At most 128 characters of [A-Za-z0-9_-].
func (b *extBatch) label(prefix string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(b.Sink))
	h.Write([]byte{0})
	h.Write(body)
	sum := h.Sum(nil)
	id := fmt.Sprintf("_%d_%d_%d_%s", b.Task, b.Epoch, b.Flush, hex.EncodeToString(sum[:8]))
	job := fileSafe(b.Job)
	if len(prefix)+len(job)+len(id) > 128 {
		h := sha256.Sum256([]byte(b.Job))
		job = hex.EncodeToString(h[:6])
	}
	l := fileSafe(prefix) + job + id
	if len(l) > 128 {
		l = l[len(l)-128:]
	}
	return l
}

// extWriter applies batches to the external system; one per task.
type extWriter interface {
	write(ctx context.Context, b *extBatch) error
}

// extSpec configures the operator.
type extSpec struct {
	name    string // node name
	l       *layout
	key     []int // primary key columns; nil: append-only
	maxRows int   // flush early at this many buffered operations (<= 0: only at checkpoints)
	retries int   // sink.max-retries: attempts after the first
	backoff time.Duration
	// refuseDelete, when set, dead-letters -D rows with this reason.
	refuseDelete string
	// open makes a task's writer (connections are shared per process).
	open func(ctx *stream.Context) (extWriter, error)
}

// attachExt adds the sink operator to s.
func attachExt(s stream.Stream, spec *extSpec) {
	s.Process(spec.name, func() stream.Operator { return &extSink{spec: spec} })
}

type extSink struct {
	spec  *extSpec
	ctx   *stream.Context
	w     extWriter
	st    interface{ Put(k, v []byte) error }
	epoch uint64
	n     uint64 // rows seen in this epoch
	base  uint64 // append-only: rows written before the buffered ones
	flush int
	ops   []extOp
	at    map[string]int // key -> index in ops
	full  row.Row
	key   []byte
}

var (
	extEpochKey = []byte("epoch")
	extBaseKey  = []byte("written")
)

// extCrashHook, when set, runs after a checkpoint's write (of wrote
// operations) and before the checkpoint commits: tests fail the task there
// (a crash after the write).
var extCrashHook func(sink string, wrote int) error

// SinkTarget names the sink in the job's output counts.
func (s *extSink) SinkTarget() string { return s.spec.name }

func (s *extSink) Open(ctx *stream.Context) error {
	s.ctx = ctx
	s.at = map[string]int{}
	vs := ctx.Value("ext")
	s.st = vs
	raw, ok, err := vs.Get(extEpochKey)
	if err != nil {
		return err
	}
	if ok && len(raw) == 8 {
		s.epoch = binary.BigEndian.Uint64(raw)
	} else {
		s.epoch = uint64(max(1, ctx.Now().Sub(extEpochBase).Milliseconds()))
	}
	raw, ok, err = vs.Get(extBaseKey)
	if err != nil {
		return err
	}
	if ok && len(raw) == 8 {
		s.base = binary.BigEndian.Uint64(raw)
	}
	s.w, err = s.spec.open(ctx)
	return err
}

// seq is the sequence of the row just counted.
func (s *extSink) seq() uint64 {
	const maxPos = 1<<extSeqRowBits - 1
	return s.epoch<<extSeqRowBits | min(s.n, maxPos)
}

func (s *extSink) Process(rec *stream.Record, _ stream.Emitter) error {
	if rec.Row == nil {
		return stream.BadInput("untyped_record", "the %s sink needs typed rows", s.spec.name)
	}
	r := s.spec.l.full(rec.Row, &s.full)
	s.n++
	if s.spec.key == nil {
		if r.Kind.IsRetract() || r.Kind == row.UpdateAfter {
			return stream.BadInput("encode_failed", "the %s sink has no PRIMARY KEY: it appends and cannot write a %s row", s.spec.name, r.Kind)
		}
		s.ops = append(s.ops, extOp{Row: r.Clone(), Seq: s.seq()})
		return s.maybeFlush()
	}
	before := r.Kind == row.UpdateBefore
	if before {
		// A -U deletes its key: the +U that usually follows overwrites
		// the delete in the same batch (last operation per key wins), and
		// when none follows (a filter or a join dropped the new row, or
		// the update moved the key) the old row must go, as Flink's upsert
		// sinks do.
		if s.spec.refuseDelete != "" {
			return nil
		}
		r.Kind = row.Delete
	}
	if r.Kind == row.Delete && s.spec.refuseDelete != "" {
		return stream.BadInput("delete_refused", "%s", s.spec.refuseDelete)
	}
	s.key = s.key[:0]
	for _, c := range s.spec.key {
		if r.Values[c].IsNull() {
			return stream.BadInput("null_key", "the %s sink: primary key column %s is NULL", s.spec.name, s.spec.l.t.Schema.Column(c).Name)
		}
		s.key = row.AppendKey(s.key, r.Values[c])
	}
	op := extOp{Delete: r.Kind == row.Delete, Row: r.Clone(), Seq: s.seq()}
	if op.Delete {
		op.Row.Kind = row.Delete
	} else {
		op.Row.Kind = row.Insert
	}
	if i, ok := s.at[string(s.key)]; ok {
		s.ops[i] = op
	} else {
		s.at[string(s.key)] = len(s.ops)
		s.ops = append(s.ops, op)
	}
	if before {
		return nil // not between a -U and its +U: the key would be gone until the next load
	}
	return s.maybeFlush()
}

// encodeOp appends op's row with enc; a row that cannot be encoded (a
// NULL map key in JSON) is dead-lettered ("bad_value") and left out of the
// batch, so one bad row does not fail every load of the task.
func encodeOp(ctx *stream.Context, sink string, body []byte, op *extOp, enc func([]byte) ([]byte, error)) ([]byte, bool) {
	n := len(body)
	out, err := enc(body)
	if err != nil {
		ctx.DeadLetter(&stream.Record{Row: &op.Row, Offset: -1}, &stream.BadInputError{Code: "bad_value", Detail: fmt.Sprintf("%s: %v", sink, err)})
		return body[:n], false
	}
	return out, true
}

func (s *extSink) maybeFlush() error {
	if s.spec.maxRows > 0 && len(s.ops) >= s.spec.maxRows {
		return s.write()
	}
	return nil
}

// write applies the buffer, retrying 'sink.max-retries' times.
func (s *extSink) write() error {
	if len(s.ops) == 0 {
		return nil
	}
	b := &extBatch{Job: s.ctx.Job, Sink: s.spec.name, Task: s.ctx.Partition, Epoch: s.epoch, Flush: s.flush, Start: s.base, Ops: s.ops}
	var err error
	for attempt := 0; ; attempt++ {
		if err = s.w.write(context.Background(), b); err == nil {
			break
		}
		if attempt >= s.spec.retries {
			return fmt.Errorf("%s: %w", s.spec.name, err)
		}
		logger(nil).Warn("external sink write failed; retrying", "sink", s.spec.name, "attempt", attempt+1, "err", err)
		time.Sleep(min(s.spec.backoff<<attempt, 5*time.Second))
	}
	s.flush++
	if s.spec.key == nil {
		s.base += uint64(len(s.ops))
	}
	clear(s.ops)
	s.ops = s.ops[:0]
	clear(s.at)
	return nil
}

// PrepareCheckpoint writes the buffer and starts the next epoch, which
// commits with the checkpoint.
func (s *extSink) PrepareCheckpoint(stream.Emitter) error {
	wrote := len(s.ops)
	if err := s.write(); err != nil {
		return err
	}
	if extCrashHook != nil {
		if err := extCrashHook(s.spec.name, wrote); err != nil {
			return err
		}
	}
	if s.n == 0 && s.flush == 0 {
		return nil // an empty epoch: keep its number
	}
	s.epoch++
	s.n, s.flush = 0, 0
	if s.spec.key == nil {
		if err := s.st.Put(extBaseKey, binary.BigEndian.AppendUint64(nil, s.base)); err != nil {
			return err
		}
	}
	return s.st.Put(extEpochKey, binary.BigEndian.AppendUint64(nil, s.epoch))
}

// extOptions reads the options every external sink shares: the buffer
// size and the retries.
func extOptions(f *Factory, t *Table, maxRowsKey string, defMax int64, retriesKey string, defRetries int64) (maxRows, retries int, err error) {
	m, err := intOpt(f, t, maxRowsKey, defMax)
	if err != nil {
		return 0, 0, err
	}
	r := int64(0)
	if retriesKey != "" {
		if r, err = intOpt(f, t, retriesKey, defRetries); err != nil {
			return 0, 0, err
		}
	}
	if m < 0 || r < 0 {
		return 0, 0, fmt.Errorf("%s: '%s' and '%s' must not be negative", where(f, t), maxRowsKey, retriesKey)
	}
	return int(m), int(r), nil
}

// seqText is a sequence as 20 digits, ordered as text as it is as a number.
func seqText(seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	for len(s) < 20 {
		s = "0" + s
	}
	return s
}

// extJSON writes a sink's rows as JSON objects for the JSON loads of
// StarRocks, Doris and ClickHouse: the physical columns by name, TIMESTAMP
// as 'yyyy-MM-dd HH:mm:ss[.fraction]', TIMESTAMP_LTZ as the same local
// time in the session time zone (the databases' DATETIME has no zone),
// DECIMAL exact, BYTES base64, ARRAY/MAP/ROW as JSON. Not safe for
// concurrent use: one per task.
type extJSON struct {
	enc  *row.JSONEncoder
	cols []int
	ltz  []bool
	loc  *time.Location
	tmp  row.Row
}

func newExtJSON(ctx *Context, t *Table, cols []int) (*extJSON, error) {
	j := &extJSON{cols: cols, ltz: make([]bool, len(cols))}
	if ctx != nil {
		j.loc = ctx.Loc
	}
	out := make([]row.Column, len(cols))
	for i, c := range cols {
		col := t.Schema.Column(c)
		if col.Type.Kind == row.KindTimestampLTZ {
			j.ltz[i] = true
			col.Type = row.TimestampOf(col.Type.Precision).WithNotNull(col.Type.NotNull)
		}
		out[i] = col
	}
	sch, err := row.NewSchema(out...)
	if err != nil {
		return nil, err
	}
	if j.enc, err = row.NewJSONEncoder(sch, row.JSONOptions{TimestampFormat: row.TimestampSQL}); err != nil {
		return nil, err
	}
	return j, nil
}

// append writes r's columns as one object; extra are `"name":value`
// members added at its end.
func (j *extJSON) append(dst []byte, r *row.Row, extra ...string) ([]byte, error) {
	j.tmp.Reset(row.Insert, len(j.cols))
	for i, c := range j.cols {
		v := r.Values[c]
		if j.ltz[i] && !v.IsNull() {
			v = row.Timestamp(row.InstantToLocal(v.Millis(), j.loc), v.NanosOfMilli())
		}
		j.tmp.Values[i] = v
	}
	start := len(dst)
	dst, err := j.enc.Append(dst, &j.tmp)
	if err != nil {
		return dst[:start], err
	}
	if len(extra) > 0 {
		dst = dst[:len(dst)-1] // the closing brace
		for _, e := range extra {
			if dst[len(dst)-1] != '{' {
				dst = append(dst, ',')
			}
			dst = append(dst, e...)
		}
		dst = append(dst, '}')
	}
	return dst, nil
}
