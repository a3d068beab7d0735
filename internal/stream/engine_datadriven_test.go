package stream_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/datadriven"
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// TestEngine runs the scripts under testdata/engine: jobs built from the
// operators of testops_test.go run on a real embedded log, drained, with
// crashes and restarts, and their topics are printed. Regenerate the
// expected output with -rewrite after checking every change by hand.
//
//	job name=J            the input is the pipeline, one node per line, each
//	                      fed by the line before unless it names its inputs;
//	                      "label: node" names a node's stream for later lines:
//	                        source TOPIC [ooo=MS] [idle=DURATION] [json=COL:TYPE,...]
//	                          (json: typed rows; event time from a column t)
//	                        source TOPIC format=NAME cols=COL:TYPE,... (a table
//	                          format of internal/format, e.g. maxwell-json)
//	                        op SPEC (see testOp)
//	                        keyby key|value|cols=I,J (cols: typed, KeyByColumns)
//	                        union LABEL LABEL...
//	                        join LEFT RIGHT (an inner join on the record key)
//	                        sink TOPIC (typed streams: "KIND JSON" values)
//	produce topic=T [partitions=N] [partition=P]
//	                      input lines "key time value" (time in ms)
//	run [partitions=N] [interval=DURATION] [fetch=N] [live=DURATION]
//	                      runs every job defined so far: drained, or live
//	                      for the given wall time then stopped
//	read topic=T [sort]   prints "key value @time" (dead letters add their
//	                      reason), in partition and offset order, or sorted
func TestEngine(t *testing.T) {
	datadriven.Walk(t, "testdata/engine", func(t *testing.T, path string) {
		e := &engineScript{t: t, jobs: map[string]*stream.Job{}}
		l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		e.log = l
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := e.run(d)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}

type engineScript struct {
	t       *testing.T
	log     *embedded.Log
	jobs    map[string]*stream.Job
	order   []string
	crashes crashes
}

func arg(d *datadriven.TestData, key, def string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			if len(a.Vals) == 0 {
				return "true"
			}
			return a.Vals[0]
		}
	}
	return def
}

func (e *engineScript) run(d *datadriven.TestData) (string, error) {
	switch d.Cmd {
	case "job":
		return e.defineJob(arg(d, "name", "j"), d.Input)
	case "produce":
		return e.produce(d)
	case "run":
		return e.runJobs(d)
	case "read":
		return e.read(arg(d, "topic", "out"), arg(d, "sort", "") != "")
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}

func (e *engineScript) defineJob(name, pipeline string) (string, error) {
	j := stream.NewJob(name)
	var cur stream.Stream
	var schema *row.Schema // of cur, when typed
	started := false
	labels := map[string]stream.Stream{}
	streams := func(names string) ([]stream.Stream, error) {
		var out []stream.Stream
		for _, l := range strings.Fields(names) {
			st, ok := labels[l]
			if !ok {
				return nil, fmt.Errorf("no stream labelled %q", l)
			}
			out = append(out, st)
		}
		return out, nil
	}
	for i, line := range strings.Split(strings.TrimSpace(pipeline), "\n") {
		line = strings.TrimSpace(line)
		label := ""
		if l, rest, ok := strings.Cut(line, ":"); ok && !strings.Contains(l, " ") {
			label, line = l, strings.TrimSpace(rest)
		}
		kind, rest, _ := strings.Cut(line, " ")
		_, args := parseSpec("x " + rest)
		switch {
		case kind == "source":
			topic := strings.Fields(rest)[0]
			ooo, _ := strconv.Atoi(args["ooo"])
			idle := time.Hour
			if v, ok := args["idle"]; ok {
				idle, _ = time.ParseDuration(v)
			}
			opts := []stream.SourceOption{stream.OutOfOrderness(time.Duration(ooo) * time.Millisecond), stream.IdleTimeout(idle),
				stream.EventTime(func(r *stream.Record) (int64, bool) { return r.Time, true })}
			schema = nil
			if cols, ok := args["cols"]; ok {
				var err error
				if schema, err = row.ParseSchema(strings.NewReplacer(":", " ").Replace(cols)); err != nil {
					return "", err
				}
				f, err := format.Lookup(args["format"], schema, nil)
				if err != nil {
					return "", err
				}
				opts = append(opts, stream.Decoded(func() stream.RowDecode {
					dec, err := f.NewDecoder()
					if err != nil {
						panic(err) // the format was checked above
					}
					var b format.Batch
					return func(value []byte, emit func(*row.Row)) error {
						if err := dec.Decode(value, &b); err != nil {
							return stream.BadInput("bad_format", "%v", err)
						}
						for i := range b.Rows {
							emit(&b.Rows[i])
						}
						return nil
					}
				}))
			} else if cols, ok := args["json"]; ok {
				var err error
				if schema, err = row.ParseSchema(strings.NewReplacer(":", " ").Replace(cols)); err != nil {
					return "", err
				}
				opts = append(opts, typedJSON(schema)...)
			}
			cur = j.Source(topic, opts...)
			started = true
		case !started:
			return "", fmt.Errorf("line %d: a pipeline starts with source", i+1)
		case kind == "op" && strings.TrimSpace(rest) == "sum":
			cur = cur.Process(fmt.Sprintf("op%d_sum", i), func() stream.Operator { return &sumOp{} }).Main()
			schema = sumSchema
		case kind == "op":
			f, err := testOp(rest, &e.crashes)
			if err != nil {
				return "", err
			}
			cur = cur.Process(fmt.Sprintf("op%d_%s", i, strings.Fields(rest)[0][:min(4, len(strings.Fields(rest)[0]))]), f).Main()
		case kind == "keyby" && args["cols"] != "":
			var cols []int
			for _, c := range strings.Split(args["cols"], ",") {
				n, _ := strconv.Atoi(c)
				cols = append(cols, n)
			}
			cur = cur.KeyByColumns(fmt.Sprintf("by%d", i), schema, cols...)
		case kind == "keyby":
			byValue := strings.TrimSpace(rest) == "value"
			cur = cur.KeyBy(fmt.Sprintf("by%d", i), func(r *stream.Record) ([]byte, error) {
				if byValue {
					return r.Value, nil
				}
				return r.Key, nil
			})
		case kind == "union":
			ins, err := streams(rest)
			if err != nil {
				return "", err
			}
			cur = stream.Union(fmt.Sprintf("union%d", i), ins...)
		case kind == "join":
			ins, err := streams(rest)
			if err != nil || len(ins) != 2 {
				return "", fmt.Errorf("join LEFT RIGHT: %v", err)
			}
			cur = stream.Connect(fmt.Sprintf("join%d", i), func() stream.Operator { return &joinOp{} }, ins...).Main()
		case kind == "sink" && schema != nil:
			sch := schema
			if _, err := row.NewJSONEncoder(sch, row.JSONOptions{}); err != nil {
				return "", err
			}
			cur.ToRows(strings.TrimSpace(rest), func() stream.RowEncode {
				enc, _ := row.NewJSONEncoder(sch, row.JSONOptions{}) // checked above
				return func(dst []byte, r *row.Row) ([]byte, error) {
					dst = append(append(dst, r.Kind.String()...), ' ')
					return enc.Append(dst, r)
				}
			})
		case kind == "sink":
			cur.To(strings.TrimSpace(rest))
		default:
			return "", fmt.Errorf("line %d: unknown node %q", i+1, kind)
		}
		if label != "" {
			labels[label] = cur
		}
	}
	if _, ok := e.jobs[name]; !ok {
		e.order = append(e.order, name)
	}
	e.jobs[name] = j
	return "ok\n", nil
}

func (e *engineScript) produce(d *datadriven.TestData) (string, error) {
	topic := arg(d, "topic", "in")
	parts, _ := strconv.Atoi(arg(d, "partitions", "1"))
	if _, err := rlog.EnsureTopic(bg, e.log, topic, rlog.TopicConfig{Partitions: int32(parts)}); err != nil {
		return "", err
	}
	part, _ := strconv.Atoi(arg(d, "partition", "-1"))
	var recs []rlog.Record
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			return "", fmt.Errorf("want \"key time value\", got %q", line)
		}
		ts, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return "", err
		}
		p := rlog.AutoPartition
		if part >= 0 {
			p = int32(part)
		}
		recs = append(recs, rlog.Record{Topic: topic, Partition: p, Key: []byte(f[0]), Value: []byte(f[2]), Timestamp: ts})
	}
	return fmt.Sprintf("produced %d\n", len(recs)), e.log.Produce(bg, recs...)
}

func (e *engineScript) runJobs(d *datadriven.TestData) (string, error) {
	parts, _ := strconv.Atoi(arg(d, "partitions", "1"))
	interval, err := time.ParseDuration(arg(d, "interval", "1s"))
	if err != nil {
		return "", err
	}
	fetch, _ := strconv.Atoi(arg(d, "fetch", "1000"))
	o := stream.Options{Log: e.log, Partitions: int32(parts), Interval: interval, FetchMax: fetch, MaxRestarts: 1000, RestartBackoff: time.Millisecond}
	var jobs []*stream.Job
	for _, n := range e.order {
		jobs = append(jobs, e.jobs[n])
	}
	if live := arg(d, "live", ""); live != "" {
		dur, err := time.ParseDuration(live)
		if err != nil {
			return "", err
		}
		ctx, cancel := context.WithTimeout(bg, dur)
		defer cancel()
		return "ok\n", stream.Run(ctx, o, jobs...)
	}
	o.Drain = true
	return "ok\n", stream.Run(bg, o, jobs...)
}

func (e *engineScript) read(topic string, sorted bool) (string, error) {
	info, err := e.log.DescribeTopic(bg, topic)
	if err != nil {
		return "", err
	}
	var lines []string
	for p := int32(0); p < info.Partitions; p++ {
		tp := rlog.TopicPartition{Topic: topic, Partition: p}
		for off := int64(0); ; {
			recs, err := e.log.Fetch(bg, tp, off, 1000, 0)
			if err != nil {
				return "", err
			}
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				off = r.Offset + 1
				if r.Header(stream.HeaderControl) != nil {
					continue
				}
				key := string(r.Key)
				if strings.ContainsFunc(key, func(c rune) bool { return c < ' ' || c == utf8.RuneError }) {
					key = strconv.Quote(key) // a binary key (KeyByColumns)
				}
				line := fmt.Sprintf("%s %s @%d", key, r.Value, r.Timestamp)
				if reason := r.Header(stream.HeaderReason); reason != nil {
					line += fmt.Sprintf(" [%s at %s]", firstLine(string(reason)), r.Header(stream.HeaderJob))
				}
				lines = append(lines, line)
			}
		}
	}
	if sorted {
		slices.Sort(lines)
	}
	if len(lines) == 0 {
		return "(empty)\n", nil
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// firstLine keeps a reason's first line (a panic's stack is not golden).
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// typedJSON makes a source decode JSON values into rows of schema, with
// event time from its column t (epoch ms) when it has one.
func typedJSON(schema *row.Schema) []stream.SourceOption {
	if _, err := row.NewJSONDecoder(schema, row.JSONOptions{}); err != nil {
		panic(err)
	}
	tcol := schema.Index("t")
	return []stream.SourceOption{
		stream.Decoded(func() stream.RowDecode {
			dec, _ := row.NewJSONDecoder(schema, row.JSONOptions{}) // checked above
			var p fastjson.Parser
			var r row.Row
			return func(value []byte, emit func(*row.Row)) error {
				if err := dec.DecodeBytes(&p, value, &r); err != nil {
					return stream.BadInput("bad_json", "%v", err)
				}
				emit(&r)
				return nil
			}
		}),
		stream.EventTime(func(rec *stream.Record) (int64, bool) {
			if tcol < 0 || rec.Row.IsNull(tcol) {
				return rec.Time, true
			}
			return rec.Row.Int64(tcol), true
		}),
	}
}
