package connector

import (
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

func kafkaOpts(kv ...string) map[string]string {
	m := map[string]string{"connector": "kafka", "properties.bootstrap.servers": "kafka:9092"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// A json topic read with metadata columns and written with a json key of
// key.fields (EXCEPT_KEY in the value); a record that does not decode is
// dead-lettered with the format's error.
func TestKafkaJSONKeyAndMetadata(t *testing.T) {
	e := newEnv(t)
	e.values("orders",
		`{"id":1,"item":"apple","amount":1.5}`,
		`{"id":2,"item":"pear","amount":"oops"}`,
		`{"id":3,"item":"fig","amount":2}`)
	src := tbl("orders", "id BIGINT, item STRING, amount DECIMAL(10, 2), src STRING, part INT, off BIGINT, ts TIMESTAMP_LTZ(3)",
		kafkaOpts("topic", "orders", "format", "json", "properties.group.id", "g", "scan.startup.mode", "earliest-offset",
			"scan.topic-partition-discovery.interval", "10 s"),
		"src:topic:virtual", "part:partition:virtual", "off:offset:virtual", "ts:timestamp")
	dst := tbl("out", "id BIGINT, item STRING, amount DECIMAL(10, 2), src STRING, part INT, off BIGINT, ts TIMESTAMP_LTZ(3)",
		kafkaOpts("topic", "out", "key.format", "json", "key.fields", "id", "value.format", "json", "value.fields-include", "EXCEPT_KEY",
			"sink.partitioner", "default", "sink.delivery-guarantee", "exactly-once", "sink.transactional-id-prefix", "x"))
	e.mustRun(e.pipe("j", src, dst))
	eq(t, "out", e.read("out"), []string{
		`{"id":1}|{"item":"apple","amount":1.50,"src":"orders","part":0,"off":0,"ts":"1970-01-01 00:00:01Z"} @1000`,
		`{"id":3}|{"item":"fig","amount":2.00,"src":"orders","part":0,"off":2,"ts":"1970-01-01 00:00:03Z"} @3000`,
	})
	eq(t, "dirty_data", e.read("dirty_data"), []string{
		`<null>|{"id":2,"item":"pear","amount":"oops"} @2000 [bad_format: json: field "amount": cannot decode "oops" as DECIMAL(10, 2)]`,
	})
}

// A debezium-json topic is a retract source; a debezium-json sink writes
// every row kind; the value format's metadata is readable, and a
// TIMESTAMP(3) column reads the record timestamp in the session zone.
func TestKafkaChangelogFormat(t *testing.T) {
	e := newEnv(t)
	e.values("db",
		`{"before":null,"after":{"id":1,"name":"a"},"op":"c","ts_ms":1000}`,
		`{"before":{"id":1,"name":"a"},"after":{"id":1,"name":"b"},"op":"u","ts_ms":2000}`,
		`{"before":{"id":1,"name":"b"},"after":null,"op":"d","ts_ms":3000}`)
	src := tbl("db", "id INT, name STRING, ingested TIMESTAMP_LTZ(3), ts TIMESTAMP(3)",
		kafkaOpts("topic", "db", "format", "debezium-json", "scan.startup.mode", "earliest-offset"),
		"ingested:value.ingestion-timestamp:virtual", "ts:timestamp:virtual")
	s := e.source(src)
	if s.Mode() != Retract {
		t.Fatalf("mode %v, want retract", s.Mode())
	}
	pr := tbl("p", "id INT, name STRING, ingested TIMESTAMP_LTZ(3), ts TIMESTAMP(3)", map[string]string{"connector": "print", "print-identifier": "p"})
	out := tbl("cdc_out", "id INT, name STRING", kafkaOpts("topic", "cdc_out", "format", "debezium-json"))
	if e.sink(out).Accepts() != Retract {
		t.Fatal("a debezium-json sink must accept a retract stream")
	}
	e.ctx.Loc = shanghai(t)
	j := stream.NewJob("j")
	st, err := s.Attach(j)
	if err != nil {
		t.Fatal(err)
	}
	// Re-made in the session zone (the source was made in UTC).
	j = stream.NewJob("j")
	st, err = e.source(src).Attach(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sink(pr).Attach(st); err != nil {
		t.Fatal(err)
	}
	if err := e.sink(out).Attach(st); err != nil {
		t.Fatal(err)
	}
	e.mustRun(j)
	eq(t, "print", lines(e.out.String()), []string{
		"p> +I[1, a, 1970-01-01 00:00:01Z, 1970-01-01 08:00:01]",
		"p> -U[1, a, 1970-01-01 00:00:02Z, 1970-01-01 08:00:02]",
		"p> +U[1, b, 1970-01-01 00:00:02Z, 1970-01-01 08:00:02]",
		"p> -D[1, b, 1970-01-01 00:00:03Z, 1970-01-01 08:00:03]",
	})
	eq(t, "cdc_out", e.read("cdc_out"), []string{
		`<null>|{"before":null,"after":{"id":1,"name":"a"},"op":"c"} @1000`,
		`<null>|{"before":{"id":1,"name":"a"},"after":null,"op":"d"} @2000`,
		`<null>|{"before":null,"after":{"id":1,"name":"b"},"op":"c"} @2000`,
		`<null>|{"before":{"id":1,"name":"b"},"after":null,"op":"d"} @3000`,
	})
}

// Headers and the record timestamp are written from metadata columns;
// without a timestamp column the record time is the row's event time.
func TestKafkaSinkHeadersAndTimestamp(t *testing.T) {
	e := newEnv(t)
	e.produce("in", 1,
		rlog.Record{Value: []byte(`{"id":1}`), Timestamp: 5000, Headers: []rlog.Header{{Key: "trace", Value: []byte("t1")}}},
		rlog.Record{Value: []byte(`{"id":2}`), Timestamp: 6000})
	src := tbl("in", "id INT, h MAP<STRING, BYTES>, ts TIMESTAMP_LTZ(3)", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"),
		"h:headers", "ts:timestamp")
	// Event time: id * 100 ms.
	et := stream.EventTime(func(r *stream.Record) (int64, bool) { return r.Row.Int64(0) * 100, true })
	e.mustRun(e.pipe("j", src, tbl("copy", "id INT, h MAP<STRING, BYTES>, ts TIMESTAMP_LTZ(3)", kafkaOpts("format", "json"), "h:headers", "ts:timestamp"), et))
	eq(t, "copy", e.read("copy"), []string{
		`<null>|{"id":1} @5000 trace=t1`,
		`<null>|{"id":2} @6000`,
	})
	e.mustRun(e.pipe("j2", src, tbl("evt", "id INT, h MAP<STRING, BYTES>, ts TIMESTAMP_LTZ(3)", kafkaOpts("format", "json"), "h:headers:virtual", "ts:timestamp:virtual"), et))
	eq(t, "evt", e.read("evt"), []string{`<null>|{"id":1} @100`, `<null>|{"id":2} @200`})
}

// A header key repeated in a record is one key of the 'headers' MAP, with
// its last value (Flink's HashMap: "duplicate keys are collapsed, last
// value wins").
func TestKafkaRepeatedHeaderKeys(t *testing.T) {
	e := newEnv(t)
	e.produce("in", 1, rlog.Record{Value: []byte(`{"id":1}`), Timestamp: 5000, Headers: []rlog.Header{
		{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("x")}, {Key: "a", Value: []byte("2")}}})
	src := tbl("in", "id INT, h MAP<STRING, BYTES>", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"), "h:headers")
	e.mustRun(e.pipe("j", src, tbl("copy", "id INT, h MAP<STRING, BYTES>", kafkaOpts("format", "json"), "h:headers")))
	eq(t, "copy", e.read("copy"), []string{`<null>|{"id":1} @5000 a=2 b=x`})
}

// scan.startup.mode decides where a job's first run starts; later runs
// resume from the job's checkpoint.
func TestKafkaStartupModes(t *testing.T) {
	e := newEnv(t)
	e.values("s", "a", "b", "c") // offsets 0-2, timestamps 1000-3000
	if err := e.log.CommitOffsets(bg, "g", map[rlog.TopicPartition]int64{{Topic: "s", Partition: 0}: 1}); err != nil {
		t.Fatal(err)
	}
	run := func(name string, opts ...string) []string {
		t.Helper()
		src := tbl("s", "v STRING", kafkaOpts(append([]string{"format", "raw"}, opts...)...))
		j := e.pipe(name, src, tbl(name, "v STRING", kafkaOpts("format", "raw")))
		if err := e.run(j); err != nil {
			return []string{"error: " + err.Error()}
		}
		var vals []string
		for _, r := range e.read(name) {
			vals = append(vals, strings.Split(strings.Split(r, "|")[1], " ")[0])
		}
		return vals
	}
	eq(t, "earliest-offset", run("earliest", "scan.startup.mode", "earliest-offset", "properties.group.id", "g"), []string{"a", "b", "c"})
	eq(t, "latest-offset", run("latest", "scan.startup.mode", "latest-offset"), nil)
	eq(t, "timestamp", run("ts", "scan.startup.mode", "timestamp", "scan.startup.timestamp-millis", "2000"), []string{"b", "c"})
	eq(t, "specific-offsets", run("spec", "scan.startup.mode", "specific-offsets", "scan.startup.specific-offsets", "partition:0,offset:2"), []string{"c"})
	eq(t, "group-offsets", run("group", "properties.group.id", "g"), []string{"b", "c"})
	// Another mode's option is ignored, as Flink ignores it.
	eq(t, "earliest-offset with a timestamp", run("early", "scan.startup.mode", "earliest-offset", "scan.startup.timestamp-millis", "2000"), []string{"a", "b", "c"})
	eq(t, "group-offsets, no group", run("nogroup"), []string{"a", "b", "c"})
	eq(t, "group-offsets, latest", run("glatest", "properties.group.id", "other", "properties.auto.offset.reset", "latest"), nil)
	got := run("gnone", "properties.group.id", "other", "properties.auto.offset.reset", "none")
	if len(got) != 1 || !strings.Contains(got[0], `group "other" has no committed offset for s/0`) {
		t.Errorf("auto.offset.reset none: %q", got)
	}
	// New records: the latest-offset job reads them, the others too, each
	// from where its checkpoint left it.
	e.produce("s", 1, rlog.Record{Value: []byte("d"), Timestamp: 4000})
	eq(t, "latest-offset again", run("latest", "scan.startup.mode", "latest-offset"), []string{"d"})
	eq(t, "timestamp again", run("ts", "scan.startup.mode", "timestamp", "scan.startup.timestamp-millis", "2000"), []string{"b", "c", "d"})
}

func TestKafkaTopicsAndPattern(t *testing.T) {
	e := newEnv(t)
	e.values("log_a", "a1")
	e.values("log_b", "b1")
	e.values("other", "x")
	collect := func(name string, opts ...string) []string {
		src := tbl("logs", "v STRING", kafkaOpts(append([]string{"format", "raw", "scan.startup.mode", "earliest-offset"}, opts...)...))
		e.mustRun(e.pipe(name, src, tbl(name, "v STRING", kafkaOpts("format", "raw"))))
		var vals []string
		for _, r := range e.read(name) {
			vals = append(vals, strings.Split(strings.Split(r, "|")[1], " ")[0])
		}
		return vals
	}
	got := collect("list", "topic", "log_a;log_b")
	if len(got) != 2 || !strings.Contains(strings.Join(got, ","), "a1") || !strings.Contains(strings.Join(got, ","), "b1") {
		t.Errorf("topic list: %q", got)
	}
	got = collect("pat", "topic-pattern", "log_.*")
	if len(got) != 2 {
		t.Errorf("topic-pattern: %q", got)
	}
}

func TestKafkaOptionErrors(t *testing.T) {
	e := newEnv(t)
	cols := "id INT, name STRING, off BIGINT"
	for _, c := range []struct {
		opts   map[string]string
		meta   []string
		pk     bool
		source bool
		want   string
	}{
		{kafkaOpts("format", "json", "scan.startup.mod", "x"), nil, false, true,
			"table default_catalog.default_database.t ('connector' = 'kafka'): unsupported option 'scan.startup.mod' (supported: format, json.*, key.fields, key.fields-prefix, key.format, properties.*, properties.auto.offset.reset, properties.bootstrap.servers, properties.group.id, scan.bounded.mode, scan.parallelism, scan.startup.mode, scan.startup.specific-offsets, scan.startup.timestamp-millis, scan.topic-partition-discovery.interval, sink.delivery-guarantee, sink.parallelism, sink.partitioner, sink.semantic, sink.transactional-id-prefix, topic, topic-pattern, value.fields-include, value.format)"},
		{kafkaOpts(), nil, false, true, "option 'value.format' is required"},
		{kafkaOpts("format", "json", "value.format", "json"), nil, false, true, "'format' and 'value.format' cannot both be set"},
		{kafkaOpts("format", "json", "csv.field-delimiter", ";"), nil, false, true, "unsupported option 'csv.field-delimiter'"},
		{kafkaOpts("format", "json", "json.fail-on-missing-field", "maybe"), nil, false, true, "json.fail-on-missing-field"},
		{kafkaOpts("format", "json", "topic", "a", "topic-pattern", "b"), nil, false, true, "'topic' and 'topic-pattern' cannot both be set"},
		{kafkaOpts("format", "json", "topic-pattern", "a.*"), nil, false, false, "a sink needs one 'topic'"},
		{kafkaOpts("format", "json", "topic", "a;b"), nil, false, false, "a sink writes one topic"},
		{kafkaOpts("format", "json", "topic", "bad topic"), nil, false, true, "'topic'"},
		{kafkaOpts("format", "json", "key.fields", "id"), nil, false, true, "'key.fields' needs 'key.format'"},
		{kafkaOpts("format", "json", "key.format", "json"), nil, false, true, "'key.format' needs the key columns in 'key.fields'"},
		{kafkaOpts("format", "json", "key.format", "json", "key.fields", "nope"), nil, false, true, "'key.fields': no column 'nope'"},
		{kafkaOpts("format", "json", "key.format", "debezium-json", "key.fields", "id"), nil, false, true, "key format 'debezium-json' is a changelog format"},
		{kafkaOpts("format", "json", "key.format", "json", "key.fields", "id", "key.fields-prefix", "k_"), nil, false, true, "'key.fields-prefix' requires 'value.fields-include' = 'EXCEPT_KEY'"},
		{kafkaOpts("format", "json", "key.format", "json", "key.fields", "id", "key.fields-prefix", "k_", "value.fields-include", "EXCEPT_KEY"), nil, false, true, "does not start with"},
		{kafkaOpts("format", "json", "value.fields-include", "SOME"), nil, false, true, "'value.fields-include' = 'SOME': want one of all, except_key"},
		{kafkaOpts("format", "json"), nil, true, true, "cannot have a PRIMARY KEY"},
		{kafkaOpts("format", "json", "scan.startup.mode", "now"), nil, false, true, "'scan.startup.mode' = 'now'"},
		{kafkaOpts("format", "json", "scan.startup.mode", "timestamp"), nil, false, true, "'scan.startup.timestamp-millis' is required in 'timestamp' startup mode but missing"},
		{kafkaOpts("format", "json", "scan.startup.mode", "specific-offsets"), nil, false, true, "'scan.startup.specific-offsets' is required in 'specific-offsets' startup mode but missing"},
		{kafkaOpts("format", "json", "scan.startup.mode", "specific-offsets", "scan.startup.specific-offsets", "p0:1"), nil, false, true, "is not 'partition:N,offset:M'"},
		{kafkaOpts("format", "json", "scan.bounded.mode", "latest-offset"), nil, false, true, "bounded reads are not supported yet"},
		{kafkaOpts("format", "json", "sink.partitioner", "com.example.P"), nil, false, false, "custom partitioner classes are not supported"},
		{kafkaOpts("format", "json"), []string{"off:offset"}, false, false, "metadata 'offset' cannot be written"},
		{kafkaOpts("format", "json"), []string{"name:nope"}, false, true, "unknown metadata key 'nope' (available: headers, leader-epoch, offset, partition, timestamp, timestamp-type, topic)"},
		{kafkaOpts("format", "json"), []string{"id:timestamp"}, false, true, "metadata 'timestamp' is TIMESTAMP_LTZ(3) NOT NULL and cannot be read as INT"},
		{kafkaOpts("format", "debezium-json"), []string{"name:value.nope"}, false, true, "value.ingestion-timestamp"},
	} {
		tb := tbl("t", cols, c.opts, c.meta...)
		if c.pk {
			withPK(tb, "id")
		}
		var err error
		if c.source {
			_, err = kafkaFactory.NewSource(e.ctx, tb)
		} else {
			_, err = kafkaFactory.NewSink(e.ctx, tb)
		}
		errContains(t, err, c.want)
	}
	// A CDC format may have a primary key.
	if _, err := kafkaFactory.NewSource(e.ctx, withPK(tbl("t", cols, kafkaOpts("format", "debezium-json")), "id")); err != nil {
		t.Error(err)
	}
}

// A sink's 'timestamp' metadata declared TIMESTAMP(3) is written as its
// instant in the session zone, as reading converts it (Flink's
// KafkaTableITCase#testKafkaSourceSinkWithMetadata declares it so).
func TestKafkaSinkTimestampAsLocalTime(t *testing.T) {
	e := newEnv(t)
	e.ctx.Loc = time.FixedZone("UTC+8", 8*3600)
	e.produce("in", 1, rlog.Record{Value: []byte(`{"id":1,"ts":"1970-01-01 08:00:05"}`), Timestamp: 1})
	src := tbl("in", "id INT, ts TIMESTAMP(3)", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
	e.mustRun(e.pipe("j", src, tbl("out", "id INT, ts TIMESTAMP(3)", kafkaOpts("format", "json"), "ts:timestamp")))
	// 08:00:05 in UTC+8 is 00:00:05 UTC: 5000 ms.
	eq(t, "out", e.read("out"), []string{`<null>|{"id":1} @5000`})
}
