package connector

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

func TestPrint(t *testing.T) {
	e := newEnv(t)
	e.values("in",
		`{"id":1,"name":"a","ts":"2020-04-15 08:05:00","amount":1.5,"ok":true}`,
		`{"id":2,"name":null,"ts":"2020-04-15 08:05:00.25","amount":null,"ok":false}`)
	cols := "id INT, name STRING, ts TIMESTAMP(3), amount DECIMAL(10, 2), ok BOOLEAN"
	src := tbl("in", cols, kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
	e.mustRun(e.pipe("plain", src, tbl("p", cols, map[string]string{"connector": "print", "sink.parallelism": "1"})))
	e.mustRun(e.pipe("named", src, tbl("p2", cols, map[string]string{"connector": "print", "print-identifier": "orders", "standard-error": "false"})))
	eq(t, "printed", lines(e.out.String()), []string{
		"+I[1, a, 2020-04-15 08:05:00, 1.50, true]",
		"+I[2, NULL, 2020-04-15 08:05:00.25, NULL, false]",
		"orders> +I[1, a, 2020-04-15 08:05:00, 1.50, true]",
		"orders> +I[2, NULL, 2020-04-15 08:05:00.25, NULL, false]",
	})
	if m := e.sink(tbl("p", cols, map[string]string{"connector": "print"})).Accepts(); m != Retract {
		t.Errorf("print accepts %v", m)
	}
	_, err := printFactory.NewSink(e.ctx, tbl("p", cols, map[string]string{"connector": "print", "standard-error": "yes"}))
	errContains(t, err, "'standard-error' = 'yes'")
	_, err = printFactory.NewSink(e.ctx, tbl("p", cols, map[string]string{"connector": "print", "logger": "true"}))
	errContains(t, err, "unsupported option 'logger' (supported: print-identifier, sink.parallelism, standard-error)")
}

func TestBlackhole(t *testing.T) {
	e := newEnv(t)
	e.values("in", `{"id":1}`, `{"id":2}`, `{"id":3}`)
	src := tbl("in", "id INT", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
	bh := e.sink(tbl("bh", "id INT", map[string]string{"connector": "blackhole"})).(*blackhole)
	if bh.Accepts() != Retract {
		t.Error("blackhole must accept every row kind")
	}
	j3 := stream3(t, e, src, bh)
	e.mustRun(j3)
	if bh.Discarded() != 3 {
		t.Errorf("discarded %d rows, want 3", bh.Discarded())
	}
	_, err := blackholeFactory.NewSink(e.ctx, tbl("bh", "id INT", map[string]string{"connector": "blackhole", "x": "1"}))
	errContains(t, err, "unsupported option 'x' (supported: sink.parallelism)")
}

// Every connector is registered under its Flink name, documents itself and
// each of its options, and logs the Flink options it ignores once.
func TestRegistryAndIgnoredOptions(t *testing.T) {
	for _, name := range []string{"kafka", "upsert-kafka", "print", "blackhole", "datagen", "filesystem", "rtdw-olap", "duckdb", "KAFKA"} {
		f, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc == "" || len(f.Options) == 0 {
			t.Errorf("%s is not documented", name)
		}
		for _, o := range f.Options {
			if o.Doc == "" || o.Key == "" {
				t.Errorf("%s: option %q is not documented", name, o.Key)
			}
		}
	}
	_, err := Lookup("kafkaa")
	errContains(t, err, `unknown connector "kafkaa" (supported: `)

	var buf bytes.Buffer
	e := newEnv(t)
	e.ctx.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	_, err = kafkaFactory.NewSource(e.ctx, tbl("t", "v STRING", kafkaOpts("format", "raw", "properties.group.id", "g",
		"properties.security.protocol", "SASL_PLAINTEXT", "scan.topic-partition-discovery.interval", "10s")))
	if err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if strings.Count(log, "\n") != 1 || !strings.Contains(log, "options=\"properties.bootstrap.servers, properties.security.protocol, scan.topic-partition-discovery.interval\"") {
		t.Errorf("log: %s", log)
	}
}

// stream3 builds a job reading src into the given sink.
func stream3(t *testing.T, e *env, src *Table, sink Sink) *stream.Job {
	t.Helper()
	j := stream.NewJob("j3")
	s, err := e.source(src).Attach(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Attach(s); err != nil {
		t.Fatal(err)
	}
	return j
}

// A sink's input rows may leave out the VIRTUAL metadata columns: the
// sinks see them as NULL.
func TestLayoutNarrowSinkRows(t *testing.T) {
	tb := tbl("t", "a INT, off BIGINT, b STRING, ts TIMESTAMP_LTZ(3)", nil, "off:offset:virtual", "ts:timestamp")
	l, err := newLayout(tb)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(l.physical, l.sinkCols) != "[0 2] [0 2 3]" {
		t.Fatalf("physical %v, sink columns %v", l.physical, l.sinkCols)
	}
	narrow := row.NewRow(row.UpdateAfter, row.Int(1), row.String("x"), row.TimestampLTZ(5, 0))
	var scratch row.Row
	if got := l.full(&narrow, &scratch).String(); got != "+U[1, NULL, x, 1970-01-01 00:00:00.005Z]" {
		t.Errorf("full row %s", got)
	}
	wide := row.NewRow(row.Insert, row.Int(1), row.BigInt(7), row.String("x"), row.Null())
	if l.full(&wide, &scratch) != &wide {
		t.Error("a full-width row is used as it is")
	}
}
