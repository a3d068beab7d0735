package olap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/fence"
	"github.com/rtdw/rtdw/internal/stream"
)

// maxBatchRows flushes a task's buffer early, bounding its memory between
// checkpoints. Early flushes are deterministic too (by row count from the
// checkpointed offset), so a replay makes the same batches and labels.
const maxBatchRows = 10000

// LoadJob reads one topic per table (the topic is named after the table;
// each record's value is one JSON row) and upserts the rows into sink. A
// record with the header HeaderOp = OpDelete deletes its key instead
// (sink must be a Deleter; with another the record is dead-lettered).
// Each task buffers its rows and upserts them before its checkpoint
// commits, so a crash between the two replays rows that are already
// loaded, which the upsert by key (and Stream Load's labels) make
// harmless. Rows that do not fit their table are dead-lettered with the
// reason. A record's topic key should be its row key, so the rows of one
// key are in one partition and load in order.
//
// Tables are ensured (created if missing) when the tasks open. An invalid
// table is a programming error and panics, like a bad port name.
func LoadJob(name string, tables []Table, sink Sink) *stream.Job {
	j := stream.NewJob(name)
	for i := range tables {
		t := tables[i]
		if err := t.Validate(); err != nil {
			panic(fmt.Sprintf("olap.LoadJob %s: %v", name, err))
		}
		loadMetrics.init(t.Name)
		j.Source(t.Name).Process("load_"+t.Name, newLoader(t, sink))
	}
	return j
}

func newLoader(t Table, sink Sink) stream.Factory {
	return func() stream.Operator {
		l := &loader{t: &t, sink: sink, at: map[string]int{}}
		l.vs, _ = sink.(VersionedSink)
		return l
	}
}

// loader is one task's buffer of rows for one table.
type loader struct {
	t    *Table
	sink Sink
	ctx  *stream.Context
	p    fastjson.Parser

	rows        [][]byte
	dec         [][]any        // rows[i] decoded, when decoded is set
	del         []bool         // rows[i] is a delete (its value holds the key)
	seq         []uint64       // rows[i]'s version (with a VersionedSink)
	at          map[string]int // key -> index in rows: the last row of a key wins
	first, last int64          // input offsets of the buffered rows

	// decoded: the sink, when it takes decoded rows (plain writes only).
	decoded DecodedUpserter

	// Fencing: with a VersionedSink, each write's version (fence.Seq).
	vs   VersionedSink
	seqs *fence.Seq
}

func (l *loader) Open(ctx *stream.Context) error {
	l.ctx = ctx
	if _, plain := l.vs.(PlainWriter); plain && ctx.Exclusive() {
		l.vs = nil // no zombie can write behind this task: plain writes are cheaper
	}
	if l.vs != nil {
		seqs, err := fence.Open(ctx, "load", "olap load "+l.t.Name)
		if err != nil {
			return err
		}
		l.seqs = seqs
	} else if d, ok := l.sink.(DecodedUpserter); ok {
		l.decoded = d
	}
	return l.sink.EnsureTable(context.Background(), *l.t)
}

func (l *loader) Process(rec *stream.Record, _ stream.Emitter) error {
	del := string(rec.Header(HeaderOp)) == OpDelete
	if _, ok := l.sink.(Deleter); del && !ok && l.vs == nil {
		return stream.BadInput("olap_delete", "the OLAP database does not support deletes: the row stays in table %s", l.t.Name)
	}
	row, err := DecodeRow(l.t, rec.Value, &l.p)
	if err != nil {
		re := err.(*RowError)
		return stream.BadInput(re.Code, "%s", re.Detail)
	}
	if len(l.rows) == 0 {
		l.first = rec.Offset
	}
	l.last = rec.Offset
	v := append([]byte(nil), rec.Value...) // the record is reused after this call
	k := KeyText(l.t, row)
	var seq uint64
	if l.vs != nil {
		seq = l.seqs.Next(k)
	}
	if i, ok := l.at[k]; ok {
		l.rows[i], l.del[i], l.seq[i] = v, del, seq
		if l.decoded != nil {
			l.dec[i] = row
		}
	} else {
		l.at[k] = len(l.rows)
		l.rows = append(l.rows, v)
		if l.decoded != nil {
			l.dec = append(l.dec, row)
		}
		l.del = append(l.del, del)
		l.seq = append(l.seq, seq)
	}
	if len(l.rows) >= maxBatchRows {
		return l.flush()
	}
	return nil
}

// PrepareCheckpoint loads the buffer before the checkpoint commits: an
// error fails the task, which restarts from its last checkpoint. With a
// VersionedSink it then starts the next epoch (committed with the
// checkpoint) if this one numbered any write.
func (l *loader) PrepareCheckpoint(stream.Emitter) error {
	if err := l.flush(); err != nil {
		return err
	}
	if l.vs == nil {
		return nil
	}
	return l.seqs.Advance()
}

func (l *loader) flush() error {
	if len(l.rows) == 0 {
		return nil
	}
	var ups, dels [][]byte
	var upDec [][]any
	var upSeq, delSeq []uint64
	for i, r := range l.rows {
		if l.del[i] {
			dels = append(dels, r)
			delSeq = append(delSeq, l.seq[i])
		} else {
			ups = append(ups, r)
			if l.decoded != nil {
				upDec = append(upDec, l.dec[i])
			}
			upSeq = append(upSeq, l.seq[i])
		}
	}
	// Keys are distinct: the upserts and deletes commute.
	began := time.Now()
	if len(ups) > 0 {
		var err error
		switch ctx := context.Background(); {
		case l.decoded != nil: // no label: the sinks that dedupe replays by one take JSON
			err = l.decoded.UpsertDecoded(ctx, l.t, ups, upDec)
		case l.vs != nil:
			err = l.vs.UpsertVersioned(WithLabel(ctx, l.label(ups, "")), l.t.Name, ups, upSeq)
		default:
			err = l.sink.Upsert(WithLabel(ctx, l.label(ups, "")), l.t.Name, ups)
		}
		if err != nil {
			loadMetrics.failures.WithLabelValues(l.t.Name).Inc()
			return fmt.Errorf("load %s: %w", l.t.Name, err)
		}
	}
	if len(dels) > 0 {
		ctx := WithLabel(context.Background(), l.label(dels, "d"))
		var err error
		if l.vs != nil {
			err = l.vs.DeleteVersioned(ctx, l.t.Name, dels, delSeq)
		} else {
			err = l.sink.(Deleter).Delete(ctx, l.t.Name, dels)
		}
		if err != nil {
			loadMetrics.failures.WithLabelValues(l.t.Name).Inc()
			return fmt.Errorf("delete from %s: %w", l.t.Name, err)
		}
	}
	loadMetrics.seconds.WithLabelValues(l.t.Name).Observe(time.Since(began).Seconds())
	loadMetrics.rows.WithLabelValues(l.t.Name, "upsert").Add(float64(len(ups)))
	loadMetrics.rows.WithLabelValues(l.t.Name, "delete").Add(float64(len(dels)))
	clear(l.rows)
	l.rows = l.rows[:0]
	clear(l.dec)
	l.dec = l.dec[:0]
	l.del = l.del[:0]
	l.seq = l.seq[:0]
	clear(l.at)
	return nil
}

// label names this batch for Stream Load: the same input range with the
// same content always gets the same label, so a replayed batch is
// recognised as loaded. The content hash keeps a label from matching an
// older batch at the same offsets of a deleted and recreated topic.
func (l *loader) label(rows [][]byte, kind string) string {
	h := sha256.New()
	for _, r := range rows {
		h.Write(strconv.AppendInt(nil, int64(len(r)), 10))
		h.Write(r)
	}
	sum := hex.EncodeToString(h.Sum(nil)[:8])
	id := fmt.Sprintf("p%d_%d_%d_%s%s", l.ctx.Partition, l.first, l.last, kind, sum)
	prefix := l.ctx.Job + "_" + l.t.Name
	if len(prefix)+len(id)+6 > 128 { // Doris and StarRocks allow 128 characters
		ph := sha256.Sum256([]byte(prefix))
		prefix = hex.EncodeToString(ph[:8])
	}
	return "rtdw_" + prefix + "_" + id
}

type labelKey struct{}

// WithLabel attaches a load label (the batch's stable identity) to ctx;
// Stream Load sinks send it, so loading a batch twice loads it once.
func WithLabel(ctx context.Context, label string) context.Context {
	return context.WithValue(ctx, labelKey{}, label)
}

// Label returns the load label attached by WithLabel.
func Label(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(labelKey{}).(string)
	return s, ok && s != ""
}

// loadStats are the load job's metrics: rows written per table and
// operation, the time a batch takes to load (the OLAP's share of the
// end-to-end latency), and failed loads (the task retries from its
// checkpoint).
type loadStats struct {
	rows     *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	failures *prometheus.CounterVec
}

var loadMetrics = loadStats{
	rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_olap_rows_loaded_total",
		Help: "Rows the load job wrote to the OLAP database, per table and operation (upsert, delete)."}, []string{"table", "op"}),
	seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rtdw_olap_load_seconds",
		Help: "Time to load one batch into the OLAP database.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"table"}),
	failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtdw_olap_load_failures_total",
		Help: "Batches the OLAP database refused (the load task retries from its last checkpoint)."}, []string{"table"}),
}

// init creates a table's series at zero, before its first batch.
func (m loadStats) init(table string) {
	m.rows.WithLabelValues(table, "upsert")
	m.rows.WithLabelValues(table, "delete")
	m.seconds.WithLabelValues(table)
	m.failures.WithLabelValues(table)
}

// Collectors returns the load job's metrics, to register with the
// process's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{loadMetrics.rows, loadMetrics.seconds, loadMetrics.failures}
}
