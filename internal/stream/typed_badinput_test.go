package stream_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// Every way a typed stream can meet bad input dead-letters the record with
// its reason, and the good records still come out:
//   - a record without a row reaching KeyByColumns: untyped_record;
//   - a row with the wrong number of columns: bad_row;
//   - bytes in the repartition topic that are not a binary row: bad_row;
//   - a sink format that cannot encode a row: encode_failed.
//
// A dead letter of a record read from a typed source carries that input's
// bytes (what the user can fix and replay), not the decoded row.
func TestTypedBadInputIsDeadLettered(t *testing.T) {
	l := openLog(t)
	schema := row.MustParseSchema("k STRING, v BIGINT")
	for _, topic := range []string{"rows", "bytes"} {
		if err := l.CreateTopic(bg, topic, rlog.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// "k,v" values become rows; "short" becomes a one-column row.
	decode := func() stream.RowDecode {
		return func(value []byte, emit func(*row.Row)) error {
			k, v, ok := strings.Cut(string(value), ",")
			if !ok {
				r := row.NewRow(row.Insert, row.String(k))
				emit(&r)
				return nil
			}
			r := row.NewRow(row.Insert, row.String(k), row.BigInt(int64(len(v))))
			emit(&r)
			return nil
		}
	}
	encode := func() stream.RowEncode {
		return func(dst []byte, r *row.Row) ([]byte, error) {
			if r.Str(0) == "unencodable" {
				return nil, errors.New("no way to write this row")
			}
			return append(dst, r.String()...), nil
		}
	}
	j := stream.NewJob("typed_bad")
	typed := j.Source("rows", stream.Decoded(decode))
	untyped := j.Source("bytes")
	stream.Union("both", typed, untyped).
		KeyByColumns("by_k", schema, 0).
		ToRows("out", encode)
	if err := l.Produce(bg,
		rlog.Record{Topic: "rows", Value: []byte("a,xx")},
		rlog.Record{Topic: "rows", Value: []byte("short")},
		rlog.Record{Topic: "rows", Value: []byte("unencodable,x")},
		rlog.Record{Topic: "bytes", Value: []byte("not a row")},
	); err != nil {
		t.Fatal(err)
	}
	o := stream.Options{Log: l, Drain: true, Partitions: 1, Interval: 10 * time.Millisecond}
	if err := stream.Run(bg, o, j); err != nil {
		t.Fatal(err)
	}
	// Garbage where the next stage expects binary rows.
	if err := l.Produce(bg, rlog.Record{Topic: "_rtdw-typed_bad-by_k-repartition", Partition: 0, Value: []byte{0xff, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Produce(bg, rlog.Record{Topic: "rows", Value: []byte("b,yyy")}); err != nil {
		t.Fatal(err)
	}
	if err := stream.Run(bg, o, j); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range logtest.ReadAll(t, l, "out") {
		out = append(out, string(r.Value))
	}
	if strings.Join(out, "; ") != "+I[a, 2]; +I[b, 3]" {
		t.Fatalf("out = %q", out)
	}
	reasons := map[string]string{}
	for _, r := range logtest.ReadAll(t, l, "dirty_data") {
		code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
		reasons[code] += string(r.Value) + "|"
	}
	want := map[string]string{
		"untyped_record": "not a row|",
		"bad_row":        "short|\xff\x01\x02|", // a decoded record keeps its input's bytes
		"encode_failed":  "unencodable,x|",
	}
	for code, vals := range want {
		if reasons[code] != vals {
			t.Errorf("dead letters %s: %q, want %q (all: %q)", code, reasons[code], vals, reasons)
		}
	}
	if len(reasons) != len(want) {
		t.Errorf("dead-letter reasons %q, want %q", reasons, want)
	}
}

// A typed record that crossed a repartition topic is dead-lettered as its
// row's text, not the topic's internal binary encoding: the same record
// on two partitions fails in the stage after the KeyBy, once arriving in
// process (its input's bytes) and once through the topic.
func TestTypedDeadLetterFromARepartitionTopicIsReadable(t *testing.T) {
	l := openLog(t)
	if err := l.CreateTopic(bg, "rows", rlog.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	schema := row.MustParseSchema("k STRING, v BIGINT")
	decode := func() stream.RowDecode {
		return func(value []byte, emit func(*row.Row)) error {
			k, v, _ := strings.Cut(string(value), ",")
			r := row.NewRow(row.Insert, row.String(k), row.BigInt(int64(len(v))))
			emit(&r)
			return nil
		}
	}
	refuse := func() stream.RowEncode {
		return func(dst []byte, r *row.Row) ([]byte, error) { return nil, errors.New("no way to write this row") }
	}
	j := stream.NewJob("typed_dl")
	j.Source("rows", stream.Decoded(decode)).KeyByColumns("by_k", schema, 0).ToRows("out", refuse)
	if err := l.Produce(bg, rlog.Record{Topic: "rows", Partition: 0, Value: []byte("k,x")},
		rlog.Record{Topic: "rows", Partition: 1, Value: []byte("k,x")}); err != nil {
		t.Fatal(err)
	}
	if err := stream.Run(bg, stream.Options{Log: l, Drain: true, Partitions: 2}, j); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range logtest.ReadAll(t, l, "dirty_data") {
		got = append(got, string(r.Value))
	}
	slices.Sort(got)
	if strings.Join(got, "|") != "+I[k, 1]|k,x" {
		t.Fatalf("dead letters %q, want the row's text (through the topic) and the input's bytes (in process)", got)
	}
}
