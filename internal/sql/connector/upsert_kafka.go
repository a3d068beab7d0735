package connector

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'upsert-kafka' connector: a topic of upserts keyed by the table's
// PRIMARY KEY, as Flink's upsert-kafka. The record key is the primary key
// columns in 'key.format' (names without 'key.fields-prefix'), the value
// the value columns in 'value.format' (insert-only formats), and a
// tombstone (a null value) deletes the key.
//
// Source: a record with a value is an upsert (+U) of its key, a tombstone
// a delete (-D) of it. Like Flink's ChangelogNormalize, the source turns
// these upserts into a proper retract changelog: it keys the rows by the
// primary key (a repartition by the key columns) and keeps the last row of
// each key in keyed state, so that the first value of a key is +I, a later
// one -U (the previous row) then +U, a tombstone -D of the previous row,
// and a value equal to the previous row or a tombstone of an absent key
// nothing. The state holds one row per live key (deleted keys are
// removed). Downstream operators see a retract source.
//
// Sink (requires the PRIMARY KEY): +I and +U rows are written as values of
// their key, -D rows as tombstones. A -U row is held: when its key's +U
// (or +I) comes next, that value overwrites the key and the -U writes
// nothing; otherwise it becomes a tombstone (the stream's update key must
// be the primary key, as in Flink). Writes are exactly-once, with the
// job's checkpoints.

var upsertKafkaIgnored = []string{"properties.bootstrap.servers", "properties.*", "sink.parallelism", "sink.buffer-flush.*", "sink.transactional-id-prefix", "sink.delivery-guarantee", "scan.parallelism"}

var upsertKafkaFactory = &Factory{
	Name: "upsert-kafka",
	Doc:  "A topic of upserts keyed by the PRIMARY KEY: source (normalized into a retract changelog) and upsert sink (delete = tombstone).",
	Options: []OptionSpec{
		spec("topic", "", false, "Topic to read or write; a source may name several, separated by ';'. The default is the table's name."),
		spec("topic-pattern", "", false, "Source only: a regular expression of the topics to read, resolved when the job starts."),
		spec("properties.bootstrap.servers", "", false, "Accepted for Flink compatibility: rtdw reads and writes the log it runs on."),
		spec("properties.*", "", false, "Kafka client properties: accepted and not used."),
		spec("key.format", "", true, "Format of the record key: the PRIMARY KEY columns (json, csv, raw)."),
		spec("key.fields-prefix", "", false, "Prefix of the key columns' names, stripped in the key format; requires 'value.fields-include' = 'EXCEPT_KEY'."),
		spec("value.format", "", false, "Format of the record value (json, csv, raw); this or 'format' is required."),
		spec("format", "", false, "Same as 'value.format'."),
		spec("value.fields-include", "ALL", false, "ALL: the value holds every physical column; EXCEPT_KEY: the key columns are not in the value."),
		spec("sink.buffer-flush.max-rows", "", false, "Accepted and not used: rows are written at each checkpoint."),
		spec("sink.buffer-flush.interval", "", false, "Accepted and not used."),
		spec("sink.delivery-guarantee", "exactly-once", false, "Accepted: rtdw's sinks are always exactly-once."),
		spec("sink.transactional-id-prefix", "", false, "Accepted and not used."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
		spec("scan.parallelism", "", false, "Accepted and not used."),
	},
}

func init() {
	upsertKafkaFactory.NewSource = func(ctx *Context, t *Table) (Source, error) {
		k, err := newKafka(ctx, t, upsertKafkaFactory, true)
		if err != nil {
			return nil, err
		}
		return kafkaSource{k}, nil
	}
	upsertKafkaFactory.NewSink = func(ctx *Context, t *Table) (Sink, error) {
		k, err := newKafka(ctx, t, upsertKafkaFactory, false)
		if err != nil {
			return nil, err
		}
		return kafkaSink{k}, nil
	}
	Register(upsertKafkaFactory)
}

// normalizeUpserts keys the upserts by the primary key and turns them into
// a retract changelog.
func normalizeUpserts(k *kafkaTable, s stream.Stream) stream.Stream {
	schema := k.t.Schema
	keyed := s.KeyByColumns(nodeName("upsert_key", k.t), schema, k.t.PrimaryKey...)
	return keyed.Process(nodeName("upsert_normalize", k.t), func() stream.Operator {
		return &normalize{schema: schema}
	}).Main()
}

// normalize is Flink's ChangelogNormalize for an upsert source: the last
// row per key in state (binary row format), upserts and deletes turned into
// +I, -U/+U and -D.
type normalize struct {
	schema *row.Schema
	last   interface {
		Get([]byte) ([]byte, bool, error)
		Put(k, v []byte) error
		Delete([]byte) error
	}
	prev, cur row.Row
	buf       []byte
}

func (n *normalize) Open(ctx *stream.Context) error {
	n.last = ctx.Value("last")
	return nil
}

func (n *normalize) Process(rec *stream.Record, out stream.Emitter) error {
	if rec.Row == nil {
		return stream.BadInput("untyped_record", "upsert normalization needs typed rows")
	}
	raw, had, err := n.last.Get(rec.Key)
	if err != nil {
		return err
	}
	if had {
		if err := row.DecodeRow(raw, n.schema, &n.prev); err != nil {
			return fmt.Errorf("upsert state of key %q: %w", rec.Key, err)
		}
	}
	emit := func(kind row.RowKind, r *row.Row) {
		cp := *rec
		x := r.Clone()
		x.Kind = kind
		cp.Row = &x
		out.Emit(0, &cp)
	}
	if rec.Row.Kind == row.Delete {
		if !had {
			return nil // the delete of an absent key
		}
		emit(row.Delete, &n.prev)
		return n.last.Delete(rec.Key)
	}
	n.cur = rec.Row.Clone()
	n.cur.Kind = row.Insert
	if had {
		n.prev.Kind = row.Insert
		if n.prev.Equal(&n.cur) {
			return nil // the same row again: no change
		}
		emit(row.UpdateBefore, &n.prev)
		emit(row.UpdateAfter, &n.cur)
	} else {
		emit(row.Insert, &n.cur)
	}
	if n.buf, err = row.AppendRow(n.buf[:0], n.schema, &n.cur); err != nil {
		return stream.BadInput("bad_row", "%v", err)
	}
	return n.last.Put(rec.Key, n.buf)
}
