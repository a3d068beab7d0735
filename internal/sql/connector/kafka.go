package connector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'kafka' connector: a topic of the log rtdw runs on (the embedded
// log, or the Kafka cluster in kafka mode), as Flink's Kafka connector.
//
// Source: each record's value is decoded by the value format into rows
// (one for json, csv and raw; a changelog of -U/+U/-D rows for the CDC
// formats, so the source is then a retract source), its key by the key
// format into the 'key.fields' columns, and metadata columns read the
// record's topic, partition, offset, timestamp (TIMESTAMP_LTZ(3), or a
// TIMESTAMP(3) column in the session time zone), timestamp-type, headers
// and the value format's metadata ('value.ingestion-timestamp', ...). A
// record that does not decode goes to the job's dead-letter topic with the
// format's error as its reason ('<format>.ignore-parse-errors' skips it).
//
// Start position: a job resumes from its own checkpoint; the startup mode
// applies only to a job's first run (as Flink on restore), per partition:
// earliest-offset the beginning, latest-offset the end, timestamp the
// first record at or after 'scan.startup.timestamp-millis',
// specific-offsets the listed offsets, group-offsets (the default) the
// offsets committed by 'properties.group.id' in the log, else
// 'properties.auto.offset.reset' (earliest, the default, latest, or none:
// an error). Kafka workers (rtdw worker) always start from their group's
// offsets or the beginning. 'topic-pattern' is resolved when the job is
// built: topics created later are not picked up.
//
// Sink (append): each row's value columns are encoded by the value format,
// the 'key.fields' by the key format (a null key without them), the record
// timestamp is the row's event time (or its 'timestamp' metadata column)
// and the 'headers' column become headers. Update rows need a CDC value
// format (debezium-json, canal-json, maxwell-json), which writes them as
// changes. Writes are exactly-once: the records commit with the job's
// checkpoint. Records go to the partition of their key, as Kafka's
// default partitioner; 'sink.partitioner' = 'fixed' or 'round-robin' is
// accepted but does not change that (keyless records are spread by the
// log), and 'sink.delivery-guarantee' is always exactly-once.
//
// rtdw reads and writes the log it runs on: 'properties.bootstrap.servers'
// and the other 'properties.*' are accepted and not used (one info line).

var kafkaIgnored = []string{"properties.bootstrap.servers", "properties.*", "scan.topic-partition-discovery.interval", "scan.parallelism",
	"sink.parallelism", "sink.transactional-id-prefix", "sink.semantic", "sink.delivery-guarantee"}

var kafkaFactory = &Factory{
	Name: "kafka",
	Doc:  "A topic of the log rtdw runs on (embedded, or Kafka in kafka mode): source, and append sink (updates need a CDC value format).",
	Options: []OptionSpec{
		spec("topic", "", false, "Topic to read or write; a source may name several, separated by ';'. The default is the table's name. Exclusive with 'topic-pattern'."),
		spec("topic-pattern", "", false, "Source only: a regular expression (RE2, whole name) of the topics to read, resolved when the job starts."),
		spec("properties.bootstrap.servers", "", false, "Accepted for Flink compatibility: rtdw reads and writes the log it runs on."),
		spec("properties.group.id", "", false, "Consumer group whose committed offsets 'group-offsets' starts from. The job's own position lives in its checkpoint."),
		spec("properties.auto.offset.reset", "earliest", false, "'group-offsets' without committed offsets: earliest, latest or none (an error)."),
		spec("properties.*", "", false, "Other Kafka client properties: accepted and not used."),
		spec("format", "", false, "Value format (json, csv, raw, debezium-json, canal-json, maxwell-json); this or 'value.format' is required."),
		spec("value.format", "", false, "Value format; same as 'format'."),
		spec("key.format", "", false, "Key format (json, csv, raw) of the 'key.fields'."),
		spec("key.fields", "", false, "Columns of the record key, separated by ';'."),
		spec("key.fields-prefix", "", false, "Prefix of the key columns' names, stripped in the key format; requires 'value.fields-include' = 'EXCEPT_KEY'."),
		spec("value.fields-include", "ALL", false, "ALL: the value holds every physical column; EXCEPT_KEY: the key columns are not in the value."),
		spec("scan.startup.mode", "group-offsets", false, "First run of a job: earliest-offset, latest-offset, group-offsets, timestamp or specific-offsets."),
		spec("scan.startup.specific-offsets", "", false, "'partition:0,offset:42;partition:1,offset:300' for specific-offsets; other partitions as group-offsets."),
		spec("scan.startup.timestamp-millis", "", false, "Epoch milliseconds for 'timestamp': the first record at or after it."),
		spec("scan.bounded.mode", "unbounded", false, "Only 'unbounded': for a bounded read run the job with --drain."),
		spec("scan.topic-partition-discovery.interval", "", false, "Accepted and not used."),
		spec("scan.parallelism", "", false, "Accepted and not used: a job runs one task per partition."),
		spec("sink.partitioner", "default", false, "default (by key, as Kafka's partitioner); fixed and round-robin are accepted and partition by key too."),
		spec("sink.delivery-guarantee", "exactly-once", false, "none, at-least-once or exactly-once: rtdw's sinks are always exactly-once."),
		spec("sink.semantic", "", false, "Deprecated form of 'sink.delivery-guarantee': accepted."),
		spec("sink.transactional-id-prefix", "", false, "Accepted and not used: rtdw's transactions are its checkpoints."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
	},
}

// kafkaSource and kafkaSink are a kafka or upsert-kafka table read or
// written.
type (
	kafkaSource struct{ *kafkaTable }
	kafkaSink   struct{ *kafkaTable }
)

// byName are the value formats that find a column by its name, so a
// source may decode only some columns.
var byName = map[string]bool{"json": true, "maxwell-json": true, "debezium-json": true, "canal-json": true}

func init() {
	kafkaFactory.Projectable = func(t *Table) bool {
		value := opt(t, "value.format", opt(t, "format", ""))
		// 'key.fields' names its columns: a table pruned of one of them
		// would not configure, so a keyed table is read whole.
		_, keyFields := t.Options["key.fields"]
		return byName[value] && !keyFields && len(t.PrimaryKey) == 0
	}
	kafkaFactory.NewSource = func(ctx *Context, t *Table) (Source, error) {
		k, err := newKafka(ctx, t, kafkaFactory, true)
		if err != nil {
			return nil, err
		}
		return kafkaSource{k}, nil
	}
	kafkaFactory.NewSink = func(ctx *Context, t *Table) (Sink, error) {
		k, err := newKafka(ctx, t, kafkaFactory, false)
		if err != nil {
			return nil, err
		}
		return kafkaSink{k}, nil
	}
	Register(kafkaFactory)
}

// Kafka's readable metadata, with Flink's types.
var kafkaMeta = map[string]row.Type{
	"topic":          row.StringType.WithNotNull(true),
	"partition":      row.IntType.WithNotNull(true),
	"headers":        row.MapOf(row.StringType.WithNotNull(true), row.BytesType).WithNotNull(true),
	"leader-epoch":   row.IntType,
	"offset":         row.BigIntType.WithNotNull(true),
	"timestamp":      row.TimestampLTZOf(3).WithNotNull(true),
	"timestamp-type": row.StringType.WithNotNull(true),
}

// Writable metadata of a Kafka sink.
var kafkaWritable = []string{"headers", "timestamp"}

// kafkaTable is a configured kafka or upsert-kafka table.
type kafkaTable struct {
	ctx    *Context
	f      *Factory
	t      *Table
	l      *layout
	upsert bool

	topics  []string
	pattern *regexp.Regexp

	value     *format.Format // over valueCols
	valueCols []int
	key       *format.Format // over keyCols; nil without key fields
	keyCols   []int

	meta      []MetadataColumn // in schema order
	valueMeta []string         // the value format's metadata keys the table reads

	start stream.StartOffset
}

func newKafka(ctx *Context, t *Table, f *Factory, source bool) (*kafkaTable, error) {
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	k := &kafkaTable{ctx: ctx, f: f, t: t, l: l, upsert: f == upsertKafkaFactory}

	// Formats first: their option prefixes are part of what is valid.
	valueName := opt(t, "value.format", opt(t, "format", ""))
	var prefixes []string
	if _, ok := t.Options["format"]; ok {
		prefixes = append(prefixes, valueName+".")
	} else if valueName != "" {
		prefixes = append(prefixes, "value."+valueName+".")
	}
	keyName := opt(t, "key.format", "")
	if keyName != "" {
		prefixes = append(prefixes, "key."+keyName+".")
	}
	ignore := kafkaIgnored
	if k.upsert {
		ignore = upsertKafkaIgnored
	}
	if err := checkOptions(ctx, f, t, ignore, prefixes...); err != nil {
		return nil, err
	}
	if err := k.topicsFrom(source); err != nil {
		return nil, err
	}
	if err := k.columns(keyName); err != nil {
		return nil, err
	}
	vs, err := l.subSchema(k.valueCols, "")
	if err != nil {
		return nil, err
	}
	if k.value, err = format.FromOptions(vs, t.Options, "value"); err != nil {
		return nil, fmt.Errorf("%s: %w", where(f, t), err)
	}
	k.value = withLoc(ctx, t, k.value)
	if len(k.keyCols) > 0 {
		ks, err := l.subSchema(k.keyCols, opt(t, "key.fields-prefix", ""))
		if err != nil {
			return nil, err
		}
		if k.key, err = format.FromOptions(ks, t.Options, "key"); err != nil {
			return nil, fmt.Errorf("%s: %w", where(f, t), err)
		}
		k.key = withLoc(ctx, t, k.key)
		if k.key.Changelog() != format.InsertOnly {
			return nil, fmt.Errorf("%s: key format '%s' is a changelog format; the key needs an insert-only format (json, csv, raw)", where(f, t), k.key.Name())
		}
	}
	if k.upsert && k.value.Changelog() != format.InsertOnly {
		return nil, fmt.Errorf("%s: 'upsert-kafka' does not support '%s' as value format, because it is not insert-only (as Flink)", where(f, t), k.value.Name())
	}
	if !k.upsert && len(t.PrimaryKey) > 0 && k.value.Changelog() == format.InsertOnly {
		return nil, fmt.Errorf("%s: the 'kafka' connector with format '%s' cannot have a PRIMARY KEY, because it cannot guarantee its semantics (as Flink); use 'upsert-kafka' or a changelog format", where(f, t), k.value.Name())
	}
	if err := k.metadata(source); err != nil {
		return nil, err
	}
	if source {
		if err := k.startup(); err != nil {
			return nil, err
		}
		if _, err := enumOpt(f, t, "scan.bounded.mode", "unbounded", "unbounded"); err != nil {
			return nil, fmt.Errorf("%w (bounded reads are not supported yet: run the job with --drain)", err)
		}
	} else {
		if _, err := enumOpt(f, t, "sink.partitioner", "default", "default", "fixed", "round-robin"); err != nil {
			return nil, fmt.Errorf("%w (custom partitioner classes are not supported)", err)
		}
		if _, ok := t.Options["sink.delivery-guarantee"]; ok {
			if _, err := enumOpt(f, t, "sink.delivery-guarantee", "", "none", "at-least-once", "exactly-once"); err != nil {
				return nil, err
			}
		}
	}
	return k, nil
}

// topicsFrom reads 'topic' and 'topic-pattern'.
func (k *kafkaTable) topicsFrom(source bool) error {
	topic, hasTopic := k.t.Options["topic"]
	pattern, hasPattern := k.t.Options["topic-pattern"]
	switch {
	case hasTopic && hasPattern:
		return fmt.Errorf("%s: 'topic' and 'topic-pattern' cannot both be set", where(k.f, k.t))
	case hasPattern:
		if !source {
			return fmt.Errorf("%s: a sink needs one 'topic', not 'topic-pattern'", where(k.f, k.t))
		}
		re, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err != nil {
			return fmt.Errorf("%s: 'topic-pattern' = '%s': %v", where(k.f, k.t), pattern, err)
		}
		k.pattern = re
		return nil
	case !hasTopic:
		topic = k.t.ObjectName
	}
	for _, tp := range strings.Split(topic, ";") {
		tp = strings.TrimSpace(tp)
		if tp == "" {
			continue
		}
		if err := rlog.ValidTopicName(tp); err != nil {
			return fmt.Errorf("%s: 'topic': %v", where(k.f, k.t), err)
		}
		k.topics = append(k.topics, tp)
	}
	if len(k.topics) == 0 {
		return fmt.Errorf("%s: option 'topic' is required", where(k.f, k.t))
	}
	if !source && len(k.topics) > 1 {
		return fmt.Errorf("%s: a sink writes one topic, not '%s'", where(k.f, k.t), topic)
	}
	return nil
}

// columns works out the key and value columns.
func (k *kafkaTable) columns(keyName string) error {
	f, t := k.f, k.t
	include, err := enumOpt(f, t, "value.fields-include", "all", "all", "except_key")
	if err != nil {
		return err
	}
	prefix := opt(t, "key.fields-prefix", "")
	if k.upsert {
		if len(t.PrimaryKey) == 0 {
			return fmt.Errorf("%s: 'upsert-kafka' tables require a PRIMARY KEY (...) NOT ENFORCED: the record key is the primary key (as Flink)", where(f, t))
		}
		if keyName == "" {
			return fmt.Errorf("%s: option 'key.format' is required", where(f, t))
		}
		k.keyCols = slices.Clone(t.PrimaryKey)
		for _, c := range k.keyCols {
			if _, isMeta := k.l.meta[c]; isMeta {
				return fmt.Errorf("%s: primary key column %s is a metadata column", where(f, t), t.Schema.Column(c).Name)
			}
		}
	} else if fields, ok := t.Options["key.fields"]; ok {
		if k.keyCols, err = indexes(f, t, "'key.fields'", strings.Split(fields, ";")); err != nil {
			return err
		}
		for _, c := range k.keyCols {
			if _, isMeta := k.l.meta[c]; isMeta {
				return fmt.Errorf("%s: 'key.fields': %s is a metadata column", where(f, t), t.Schema.Column(c).Name)
			}
		}
		if keyName == "" {
			return fmt.Errorf("%s: 'key.fields' needs 'key.format'", where(f, t))
		}
	} else if keyName != "" {
		return fmt.Errorf("%s: 'key.format' needs the key columns in 'key.fields'", where(f, t))
	}
	if prefix != "" && include != "except_key" {
		return fmt.Errorf("%s: 'key.fields-prefix' requires 'value.fields-include' = 'EXCEPT_KEY' (as Flink)", where(f, t))
	}
	for _, c := range k.l.physical {
		if include == "except_key" && slices.Contains(k.keyCols, c) {
			continue
		}
		k.valueCols = append(k.valueCols, c)
	}
	if len(k.valueCols) == 0 {
		return fmt.Errorf("%s: no columns are left for the value with 'value.fields-include' = 'EXCEPT_KEY'", where(f, t))
	}
	if prefix != "" {
		for _, c := range k.keyCols {
			if !strings.HasPrefix(t.Schema.Column(c).Name, prefix) {
				return fmt.Errorf("%s: key column %s does not start with 'key.fields-prefix' '%s'", where(f, t), t.Schema.Column(c).Name, prefix)
			}
		}
	}
	return nil
}

// metadata checks the metadata columns: known keys of the right types,
// and for a sink only writable ones (or VIRTUAL).
func (k *kafkaTable) metadata(source bool) error {
	f, t := k.f, k.t
	readable := map[string]row.Type{}
	for key, typ := range kafkaMeta {
		readable[key] = typ
	}
	for _, mk := range k.value.ReadableMetadata() {
		readable["value."+mk.Key] = mk.Type
	}
	for _, m := range t.Metadata {
		col := t.Schema.Column(m.Index)
		key := k.l.metaKey(m)
		typ, ok := readable[key]
		if !ok {
			keys := make([]string, 0, len(readable))
			for key := range readable {
				keys = append(keys, key)
			}
			slices.Sort(keys)
			return fmt.Errorf("%s: column %s: unknown metadata key '%s' (available: %s)", where(f, t), col.Name, key, strings.Join(keys, ", "))
		}
		if !metaCastable(typ, col.Type) {
			return fmt.Errorf("%s: column %s: metadata '%s' is %s and cannot be read as %s", where(f, t), col.Name, key, typ, col.Type)
		}
		if !source && !m.Virtual {
			if !slices.Contains(kafkaWritable, key) {
				return fmt.Errorf("%s: column %s: metadata '%s' cannot be written (writable: %s); declare the column VIRTUAL", where(f, t), col.Name, key, strings.Join(kafkaWritable, ", "))
			}
			// A TIMESTAMP 'timestamp' is written as its instant in the
			// session zone, as it is read (Flink's cast both ways).
			if col.Type.Kind != typ.Kind && !(key == "timestamp" && col.Type.Kind == row.KindTimestamp) {
				return fmt.Errorf("%s: column %s: metadata '%s' is written as %s, not %s", where(f, t), col.Name, key, typ, col.Type)
			}
		}
		if v, ok := strings.CutPrefix(key, "value."); ok {
			k.valueMeta = append(k.valueMeta, v)
		}
		k.meta = append(k.meta, m)
	}
	return nil
}

// headersMap is a record's headers as the 'headers' metadata: a MAP, so
// of a key repeated the last value wins (as Flink's HashMap of them).
// Records carry a few headers: a scan finds a repeat without a map.
func headersMap(hs []rlog.Header) row.Value {
	kv := make([]row.Value, 0, 2*len(hs))
next:
	for _, h := range hs {
		for i := 0; i < len(kv); i += 2 {
			if kv[i].Str() == h.Key {
				kv[i+1] = row.Bytes(h.Value)
				continue next
			}
		}
		kv = append(kv, row.String(h.Key), row.Bytes(h.Value))
	}
	return row.MapEntries(kv)
}

// startup reads scan.startup.*.
func (k *kafkaTable) startup() error {
	f, t := k.f, k.t
	mode, err := enumOpt(f, t, "scan.startup.mode", "group-offsets", "earliest-offset", "latest-offset", "group-offsets", "timestamp", "specific-offsets")
	if err != nil {
		return err
	}
	// As Flink: a mode's own option is required; another mode's is
	// ignored (a table switched between modes keeps both).
	if _, ok := t.Options["scan.startup.timestamp-millis"]; !ok && mode == "timestamp" {
		return fmt.Errorf("%s: 'scan.startup.timestamp-millis' is required in 'timestamp' startup mode but missing", where(f, t))
	}
	if _, ok := t.Options["scan.startup.specific-offsets"]; !ok && mode == "specific-offsets" {
		return fmt.Errorf("%s: 'scan.startup.specific-offsets' is required in 'specific-offsets' startup mode but missing", where(f, t))
	}
	group := opt(t, "properties.group.id", "")
	reset, err := enumOpt(f, t, "properties.auto.offset.reset", "earliest", "earliest", "latest", "none")
	if err != nil {
		return err
	}
	groupOffset := func(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, start, end int64) (int64, error) {
		if group != "" {
			off, ok, err := l.CommittedOffset(ctx, group, tp)
			if err != nil {
				return 0, err
			}
			if ok {
				return off, nil
			}
		}
		switch reset {
		case "latest":
			return end, nil
		case "none":
			return 0, fmt.Errorf("table %s: group %q has no committed offset for %s and 'properties.auto.offset.reset' is 'none'", t.Name, group, tp)
		}
		return start, nil
	}
	switch mode {
	case "earliest-offset":
		k.start = func(_ context.Context, _ rlog.Log, _ rlog.TopicPartition, start, _ int64) (int64, error) {
			return start, nil
		}
	case "latest-offset":
		k.start = func(_ context.Context, _ rlog.Log, _ rlog.TopicPartition, _, end int64) (int64, error) {
			return end, nil
		}
	case "group-offsets":
		k.start = groupOffset
	case "timestamp":
		ts, err := intOpt(f, t, "scan.startup.timestamp-millis", 0)
		if err != nil {
			return err
		}
		k.start = func(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, _, _ int64) (int64, error) {
			return rlog.OffsetForTime(ctx, l, tp, ts) // Kafka's offsetsForTimes; the end when none
		}
	case "specific-offsets":
		offs, err := parseSpecificOffsets(opt(t, "scan.startup.specific-offsets", ""))
		if err != nil {
			return fmt.Errorf("%s: 'scan.startup.specific-offsets': %v", where(f, t), err)
		}
		k.start = func(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, start, end int64) (int64, error) {
			if off, ok := offs[tp.Partition]; ok {
				return off, nil
			}
			return groupOffset(ctx, l, tp, start, end)
		}
	}
	return nil
}

// parseSpecificOffsets reads 'partition:0,offset:42;partition:1,offset:300'.
func parseSpecificOffsets(s string) (map[int32]int64, error) {
	out := map[int32]int64{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, o, ok := strings.Cut(part, ",")
		pv, ok1 := strings.CutPrefix(strings.TrimSpace(p), "partition:")
		ov, ok2 := strings.CutPrefix(strings.TrimSpace(o), "offset:")
		pn, err1 := strconv.ParseInt(strings.TrimSpace(pv), 10, 32)
		on, err2 := strconv.ParseInt(strings.TrimSpace(ov), 10, 64)
		if !ok || !ok1 || !ok2 || err1 != nil || err2 != nil || pn < 0 || on < 0 {
			return nil, fmt.Errorf("%q is not 'partition:N,offset:M'", part)
		}
		out[int32(pn)] = on
	}
	if len(out) == 0 {
		return nil, errors.New("no offsets given")
	}
	return out, nil
}

// Mode: a CDC value format makes a retract source; upsert-kafka normalizes
// its upserts into a retract changelog.
func (k kafkaSource) Mode() ChangelogMode { return k.mode() }

func (k *kafkaTable) mode() ChangelogMode {
	if k.upsert || k.value.Changelog() == format.AllKinds {
		return Retract
	}
	return InsertOnly
}

// Accepts: InsertOnly for the insert-only formats, Retract for the CDC
// formats and for upsert-kafka (a -U not followed by its key's +U is a
// tombstone).
func (k kafkaSink) Accepts() ChangelogMode { return k.mode() }

// resolveTopics returns the topics to read.
func (k *kafkaTable) resolveTopics() ([]string, error) {
	if k.pattern == nil {
		return k.topics, nil
	}
	if k.ctx == nil || k.ctx.Log == nil {
		return nil, fmt.Errorf("%s: 'topic-pattern' needs the log to list topics", where(k.f, k.t))
	}
	infos, err := k.ctx.Log.ListTopics(context.Background())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ti := range infos {
		if k.pattern.MatchString(ti.Name) {
			out = append(out, ti.Name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no topic matches 'topic-pattern' = '%s'", where(k.f, k.t), k.t.Options["topic-pattern"])
	}
	return out, nil
}

// Attach reads the topics into typed rows of the table's schema.
func (k kafkaSource) Attach(j *stream.Job, opts ...stream.SourceOption) (stream.Stream, error) {
	if _, err := k.value.NewDecoder(k.valueMeta...); err != nil {
		return stream.Stream{}, err
	}
	if k.key != nil {
		if _, err := k.key.NewDecoder(); err != nil { // its decode options (key.json.*)
			return stream.Stream{}, err
		}
	}
	topics, err := k.resolveTopics()
	if err != nil {
		return stream.Stream{}, err
	}
	all := append(slices.Clone(opts), stream.DecodedRecords(k.newDecode), stream.StartAt(k.start))
	var ins []stream.Stream
	for _, tp := range topics {
		ins = append(ins, j.Source(tp, all...))
	}
	s := ins[0]
	if len(ins) > 1 {
		s = stream.Union(nodeName("topics", k.t), ins...)
	}
	if k.upsert {
		s = normalizeUpserts(k.kafkaTable, s)
	}
	return s, nil
}

// newDecode makes one task's record decoder.
func (k *kafkaTable) newDecode() stream.RecordDecode {
	vdec, err := k.value.NewDecoder(k.valueMeta...)
	if err != nil {
		panic(err) // checked in Attach
	}
	var kdec format.Decoder
	if k.key != nil {
		if kdec, err = k.key.NewDecoder(); err != nil {
			panic(err) // checked in Attach
		}
	}
	n := k.t.Schema.Len()
	var vb, kb format.Batch
	var out row.Row
	return func(rec *stream.Record, emit func(*row.Row)) error {
		var keyRow *row.Row
		if kdec != nil {
			if err := kdec.Decode(rec.Key, &kb); err != nil {
				return badRecord("key", err)
			}
			if kb.Skipped != nil {
				return nil
			}
			if len(kb.Rows) > 0 {
				keyRow = &kb.Rows[0]
			}
		}
		if k.upsert && rec.Value == nil {
			// A tombstone (a null value, not an empty one, as Flink):
			// the deletion of the key.
			if keyRow == nil {
				return stream.BadInput("bad_key", "a tombstone without a key")
			}
			out.Reset(row.Delete, n)
			for i, c := range k.keyCols {
				out.Values[c] = keyRow.Values[i]
			}
			k.fillMeta(&out, rec, &vb)
			emit(&out)
			return nil
		}
		if err := vdec.Decode(rec.Value, &vb); err != nil {
			return badRecord("", err)
		}
		for i := range vb.Rows {
			vr := &vb.Rows[i]
			kind := vr.Kind
			if k.upsert {
				kind = row.UpdateAfter // a value is an upsert of its key
			}
			out.Reset(kind, n)
			// Key columns first, then the value's: with 'value.fields-include'
			// = 'ALL' the value's copy of a key column wins, as in Flink.
			if keyRow != nil {
				for i, c := range k.keyCols {
					out.Values[c] = keyRow.Values[i]
				}
			}
			for i, c := range k.valueCols {
				out.Values[c] = vr.Values[i]
			}
			k.fillMeta(&out, rec, &vb)
			emit(&out)
		}
		return nil
	}
}

// fillMeta sets the metadata columns of out from the record.
func (k *kafkaTable) fillMeta(out *row.Row, rec *stream.Record, vb *format.Batch) {
	for _, m := range k.meta {
		key := k.l.metaKey(m)
		var v row.Value
		typ := kafkaMeta[key]
		switch key {
		case "topic":
			v = row.String(rec.Source.Topic)
		case "partition":
			v = row.Int(rec.Source.Partition)
		case "offset":
			v = row.BigInt(rec.Offset)
		case "timestamp":
			v = row.TimestampLTZ(rec.Time, 0)
		case "timestamp-type":
			v = row.String("CreateTime")
		case "leader-epoch":
		case "headers":
			v = headersMap(rec.Headers)
		default:
			fk := strings.TrimPrefix(key, "value.")
			v, _ = vb.Meta.Get(fk)
			for _, mk := range k.value.ReadableMetadata() {
				if mk.Key == fk {
					typ = mk.Type
				}
			}
		}
		out.Values[m.Index] = castMeta(v, typ, k.t.Schema.Column(m.Index).Type, k.ctx)
	}
}

// Attach writes the rows to the topic: an encoding operator makes each
// record (key, value, timestamp, headers), the topic sink writes it.
func (k kafkaSink) Attach(s stream.Stream) error {
	if _, err := k.value.NewEncoder(); err != nil {
		return err // the planner names the table
	}
	role := "kafka_encode"
	if k.upsert {
		role = "upsert_kafka_encode"
	}
	s.Process(nodeName(role, k.t), func() stream.Operator { return newKafkaEncode(k.kafkaTable) }).Main().To(k.topics[0])
	return nil
}

// kafkaEncode turns a typed row into the record the sink writes.
//
// An upsert sink holds back a -U: when the next row is the +U (or +I) of
// the same key, the value overwrites the key and the -U writes nothing;
// otherwise (a filter dropped the +U, or a change of key) the -U is the
// key's deletion and is written as a tombstone first, as Flink's
// upsert-kafka serializer does. A held -U is written before the
// watermark moves, at a checkpoint and at the end of input, so none is
// lost across a restart.
type kafkaEncode struct {
	k           *kafkaTable
	venc, kenc  format.Encoder
	full, sub   row.Row
	vbuf, kbuf  []byte
	tsCol, hCol int
	tsLocal     bool // the timestamp column is a TIMESTAMP: a wall-clock time in the session zone

	held    bool // a -U waits for its +U
	heldRec stream.Record
	heldKey []byte
}

func newKafkaEncode(k *kafkaTable) *kafkaEncode {
	e := &kafkaEncode{k: k, tsCol: -1, hCol: -1}
	e.venc, _ = k.value.NewEncoder() // checked in Attach
	if k.key != nil {
		e.kenc, _ = k.key.NewEncoder()
	}
	for _, m := range k.meta {
		if m.Virtual {
			continue
		}
		switch k.l.metaKey(m) {
		case "timestamp":
			e.tsCol = m.Index
			e.tsLocal = k.t.Schema.Column(m.Index).Type.Kind == row.KindTimestamp
		case "headers":
			e.hCol = m.Index
		}
	}
	return e
}

func (e *kafkaEncode) Open(*stream.Context) error { return nil }

func (e *kafkaEncode) Process(rec *stream.Record, out stream.Emitter) error {
	if rec.Row == nil {
		return stream.BadInput("untyped_record", "the %s sink needs typed rows", e.k.f.Name)
	}
	k := e.k
	r := k.l.full(rec.Row, &e.full)
	cp := *rec
	cp.Row, cp.Headers, cp.Key = nil, nil, nil
	if e.kenc != nil {
		kr := project(&e.sub, r, k.keyCols)
		kr.Kind = row.Insert
		kb, null, err := e.kenc.Append(e.kbuf[:0], kr)
		if err != nil {
			e.flushHeld(out)
			return stream.BadInput("encode_failed", "key: %v", err)
		}
		e.kbuf = kb
		if !null {
			cp.Key = kb
		}
	}
	if k.upsert {
		if e.held && (r.Kind == row.UpdateAfter || r.Kind == row.Insert) && bytes.Equal(e.heldKey, cp.Key) {
			e.held = false // the value that follows overwrites the key
		}
		e.flushHeld(out)
		if r.Kind == row.UpdateBefore {
			e.held = true
			e.heldRec = cp
			e.heldRec.Value = nil
			e.heldKey = append(e.heldKey[:0], cp.Key...)
			e.heldRec.Key = e.heldKey
			return nil
		}
	}
	if k.upsert && r.Kind == row.Delete {
		cp.Value = nil // a tombstone
	} else {
		vr := project(&e.sub, r, k.valueCols)
		if k.upsert {
			vr.Kind = row.Insert
		}
		vb, null, err := e.venc.Append(e.vbuf[:0], vr)
		if err != nil {
			return stream.BadInput("encode_failed", "%v", err)
		}
		e.vbuf = vb
		cp.Value = vb
		if null {
			cp.Value = nil
		}
	}
	if e.tsCol >= 0 && !r.Values[e.tsCol].IsNull() {
		cp.Time = r.Values[e.tsCol].Millis()
		if e.tsLocal {
			var loc *time.Location
			if k.ctx != nil {
				loc = k.ctx.Loc
			}
			cp.Time = row.LocalToInstant(cp.Time, loc)
		}
	}
	if e.hCol >= 0 && !r.Values[e.hCol].IsNull() {
		h := r.Values[e.hCol]
		for i := range h.Len() {
			if h.MapKey(i).IsNull() {
				continue
			}
			cp.Headers = append(cp.Headers, rlog.Header{Key: h.MapKey(i).Str(), Value: []byte(h.MapValue(i).Str())})
		}
	}
	out.Emit(0, &cp)
	return nil
}

// flushHeld writes the held -U as its key's tombstone.
func (e *kafkaEncode) flushHeld(out stream.Emitter) {
	if !e.held {
		return
	}
	e.held = false
	out.Emit(0, &e.heldRec)
}

func (e *kafkaEncode) FlushBeforeWatermark(out stream.Emitter) error {
	e.flushHeld(out)
	return nil
}

func (e *kafkaEncode) PrepareCheckpoint(out stream.Emitter) error {
	e.flushHeld(out)
	return nil
}

func (e *kafkaEncode) EndOfInput(out stream.Emitter) error {
	e.flushHeld(out)
	return nil
}
