package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
)

type topicTailOptions struct {
	fromBeginning bool
	offset        string
	fromTimestamp string
	max           int64
	exitAtEnd     bool
	partition     int32
	format        string
	printKey      bool
	printPart     bool
	printOffset   bool
	printHeaders  bool
}

func newTopicTailCmd(g *globals) *cobra.Command {
	o := &topicTailOptions{}
	c := &cobra.Command{
		Use:   "tail TOPIC",
		Short: "Print a topic's records as JSON lines (kafka-console-consumer, kcat -C)",
		Long: `Print each record's value on one line (a null value prints null). Without
--from-beginning, --offset or --from-timestamp, tail starts at the end and
waits for new records, like kafka-console-consumer; --exit-at-end stops at
the end offsets seen at start (on Kafka the last stable offset: records of
transactions still open are not waited for, as kcat -e).

Where to start, in each partition read:
  --from-beginning        the first record
  --offset N              offset N (clamped to what the partition holds);
                          -N: N records before the end; beginning, end
  --from-timestamp T      the first record whose timestamp is at or after T:
                          epoch milliseconds, RFC 3339, or "2006-01-02 15:04:05"
                          / "2006-01-02" in the config's timezone

The --print-* options prefix each line with the key, partition, offset or
headers, tab-separated, in that order. --format prints each record with a
kcat-style format instead: %s value, %k key, %t topic, %p partition,
%o offset, %T timestamp (epoch ms), %h headers (k=v,k=v), %S and %K the
value's and key's sizes (-1 if null), %% a percent sign; \n, \t, \r and
\\ are escapes. A null key or value prints as nothing, as in kcat; give the
newline yourself (e.g. '%k\t%s\n').`,
		Example: `  rtdw topic tail dwd_traffic_page --from-beginning --max 10
  rtdw topic tail dirty_data --from-beginning --exit-at-end --print-headers
  rtdw topic tail topic_log --partition 2 --offset 1000 --max 5
  rtdw topic tail topic_db --from-timestamp '2026-11-21 08:00:00' --exit-at-end
  rtdw topic tail topic_log --offset -3 --exit-at-end --format '%p:%o %k %h %s\n'`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runTopicTail(cmd, g, cfg, a[0], o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.fromBeginning, "from-beginning", false, "start at the first record instead of the end")
	f.StringVar(&o.offset, "offset", "", "start at this offset of each partition read: N, -N (N before the end), beginning or end")
	f.StringVar(&o.fromTimestamp, "from-timestamp", "", "start at the first record at or after this time: epoch ms, RFC 3339, or 'yyyy-MM-dd[ HH:mm:ss]' in the config timezone")
	f.Int64Var(&o.max, "max", 0, "stop after this many records (0 = no limit)")
	f.BoolVar(&o.exitAtEnd, "exit-at-end", false, "stop at the end offsets seen at start (Kafka: the last stable offsets)")
	f.Int32Var(&o.partition, "partition", -1, "read only this partition (-1: all partitions)")
	f.StringVar(&o.format, "format", "", "kcat-style output format, e.g. '%k\\t%h\\t%s\\n' (see --help)")
	f.BoolVar(&o.printKey, "print-key", false, "prefix the key")
	f.BoolVar(&o.printPart, "print-partition", false, "prefix the partition")
	f.BoolVar(&o.printOffset, "print-offset", false, "prefix the offset")
	f.BoolVar(&o.printHeaders, "print-headers", false, "prefix headers as k=v,k=v")
	return c
}

// tailStart is where tail starts in each partition.
type tailStart struct {
	kind byte  // 'e' end, 'b' beginning, 'o' offset, 'r' relative to end, 't' timestamp
	n    int64 // offset, records before the end, or epoch ms
}

func parseTailStart(g *globals, cfg Config, o *topicTailOptions) (tailStart, error) {
	set := 0
	for _, b := range []bool{o.fromBeginning, o.offset != "", o.fromTimestamp != ""} {
		if b {
			set++
		}
	}
	if set > 1 {
		return tailStart{}, usagef("give one of --from-beginning, --offset and --from-timestamp")
	}
	switch {
	case o.fromBeginning:
		return tailStart{kind: 'b'}, nil
	case o.offset != "":
		switch strings.ToLower(o.offset) {
		case "beginning", "earliest", "start":
			return tailStart{kind: 'b'}, nil
		case "end", "latest":
			return tailStart{kind: 'e'}, nil
		}
		n, err := strconv.ParseInt(o.offset, 10, 64)
		if err != nil {
			return tailStart{}, usagef("--offset %q: want a number, -N (N records before the end), beginning or end", o.offset)
		}
		if n < 0 {
			return tailStart{kind: 'r', n: -n}, nil
		}
		return tailStart{kind: 'o', n: n}, nil
	case o.fromTimestamp != "":
		ms, err := parseTimestamp(o.fromTimestamp, cfg.location())
		if err != nil {
			return tailStart{}, usagef("--from-timestamp: %v", err)
		}
		return tailStart{kind: 't', n: ms}, nil
	}
	return tailStart{kind: 'e'}, nil
}

// parseTimestamp reads epoch milliseconds, RFC 3339, or a local date and
// time (in loc) as epoch milliseconds.
func parseTimestamp(s string, loc *time.Location) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999", "2006-01-02T15:04:05.999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%q is not epoch milliseconds, RFC 3339 (2026-11-21T08:00:00+08:00) or yyyy-MM-dd[ HH:mm:ss] (in %s)", s, loc)
}

func runTopicTail(cmd *cobra.Command, g *globals, cfg Config, topic string, o *topicTailOptions) error {
	if o.max < 0 {
		return usagef("--max must be >= 0")
	}
	start, err := parseTailStart(g, cfg, o)
	if err != nil {
		return err
	}
	var format []fmtPiece
	if o.format != "" {
		if o.printKey || o.printPart || o.printOffset || o.printHeaders {
			return usagef("--format replaces the --print-* options: give one or the other")
		}
		if format, err = parseKcatFormat(o.format); err != nil {
			return usageError{err}
		}
	}
	l, err := g.openTopicsRead(cfg)
	if err != nil {
		return fmt.Errorf("tail %s: %w", topic, err)
	}
	defer l.Close()
	ctx := cmd.Context()
	info, err := l.DescribeTopic(ctx, topic)
	if err != nil {
		return err
	}
	type cursor struct {
		tp       rlog.TopicPartition
		off, end int64
	}
	var cs []*cursor
	for p := int32(0); p < info.Partitions; p++ {
		if o.partition >= 0 && p != o.partition {
			continue
		}
		tp := rlog.TopicPartition{Topic: topic, Partition: p}
		first, end, err := l.Offsets(ctx, tp)
		if err != nil {
			return err
		}
		c := &cursor{tp: tp, off: end, end: end}
		switch start.kind {
		case 'b':
			c.off = first
		case 'o':
			c.off = min(max(start.n, first), end)
		case 'r':
			c.off = max(end-start.n, first)
		case 't':
			if c.off, err = rlog.OffsetForTime(ctx, l, tp, start.n); err != nil {
				return err
			}
			c.off = min(max(c.off, first), end)
		}
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return usagef("topic %s has no partition %d (it has %d)", topic, o.partition, info.Partitions)
	}
	w := bufio.NewWriterSize(g.stdout, 64<<10)
	defer w.Flush()
	var printed int64
	for {
		idle := true
		for _, c := range cs {
			limit := 1000
			if o.exitAtEnd {
				if c.off >= c.end {
					continue
				}
				limit = int(min(int64(limit), c.end-c.off))
			}
			recs, err := l.Fetch(ctx, c.tp, c.off, limit, 0)
			if errors.Is(err, rlog.ErrOffsetOutOfRange) {
				first, _, _ := l.Offsets(ctx, c.tp)
				c.off = first // retention deleted what we were about to read
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if len(recs) == 0 && o.exitAtEnd {
				// Nothing committed is left below the end: on Kafka the
				// offsets up to it are transaction markers or aborted
				// records, which take offsets but are never returned.
				c.off = c.end
				continue
			}
			for i := range recs {
				if o.exitAtEnd && recs[i].Offset >= c.end {
					c.off = c.end
					break
				}
				if format != nil {
					writeFormatted(w, &recs[i], format)
				} else {
					writeRecord(w, &recs[i], o)
				}
				c.off = recs[i].Offset + 1
				printed++
				if o.max > 0 && printed >= o.max {
					return nil
				}
			}
			if len(recs) > 0 {
				idle = false
			}
		}
		if o.exitAtEnd {
			done := true
			for _, c := range cs {
				done = done && c.off >= c.end
			}
			if done {
				return nil
			}
		}
		if idle {
			w.Flush()
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

func writeRecord(w *bufio.Writer, r *rlog.Record, o *topicTailOptions) {
	if o.printKey {
		if r.Key == nil {
			w.WriteString("null")
		} else {
			w.Write(r.Key)
		}
		w.WriteByte('\t')
	}
	if o.printPart {
		w.WriteString(strconv.Itoa(int(r.Partition)))
		w.WriteByte('\t')
	}
	if o.printOffset {
		w.WriteString(strconv.FormatInt(r.Offset, 10))
		w.WriteByte('\t')
	}
	if o.printHeaders {
		writeHeaders(w, r.Headers)
		w.WriteByte('\t')
	}
	if r.Value == nil {
		w.WriteString("null")
	} else {
		w.Write(r.Value)
	}
	w.WriteByte('\n')
}

func writeHeaders(w *bufio.Writer, hs []rlog.Header) {
	for i, h := range hs {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(h.Key)
		w.WriteByte('=')
		w.Write(h.Value)
	}
}

// fmtPiece is a literal (verb 0) or a kcat format verb.
type fmtPiece struct {
	verb byte
	lit  string
}

// parseKcatFormat reads a kcat -f format.
func parseKcatFormat(f string) ([]fmtPiece, error) {
	var out []fmtPiece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, fmtPiece{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '\\' && i+1 < len(f):
			i++
			switch f[i] {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			case 'r':
				lit.WriteByte('\r')
			case '\\':
				lit.WriteByte('\\')
			default:
				lit.WriteByte('\\')
				lit.WriteByte(f[i])
			}
		case c == '%' && i+1 < len(f):
			i++
			switch v := f[i]; v {
			case '%':
				lit.WriteByte('%')
			case 's', 'S', 'k', 'K', 't', 'p', 'o', 'T', 'h':
				flush()
				out = append(out, fmtPiece{verb: v})
			default:
				return nil, fmt.Errorf("--format: unknown %%%c (want %%s %%k %%t %%p %%o %%T %%h %%S %%K or %%%%)", v)
			}
		case c == '%':
			return nil, fmt.Errorf("--format: a lone %% at its end (%%%% prints one)")
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out, nil
}

func writeFormatted(w *bufio.Writer, r *rlog.Record, f []fmtPiece) {
	size := func(b []byte) string {
		if b == nil {
			return "-1"
		}
		return strconv.Itoa(len(b))
	}
	for _, p := range f {
		switch p.verb {
		case 0:
			w.WriteString(p.lit)
		case 's':
			w.Write(r.Value)
		case 'S':
			w.WriteString(size(r.Value))
		case 'k':
			w.Write(r.Key)
		case 'K':
			w.WriteString(size(r.Key))
		case 't':
			w.WriteString(r.Topic)
		case 'p':
			w.WriteString(strconv.Itoa(int(r.Partition)))
		case 'o':
			w.WriteString(strconv.FormatInt(r.Offset, 10))
		case 'T':
			w.WriteString(strconv.FormatInt(r.Timestamp, 10))
		case 'h':
			writeHeaders(w, r.Headers)
		}
	}
}
