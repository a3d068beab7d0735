package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
)

type topicProduceOptions struct {
	keyField string
	keySep   string
	headers  []string
	batch    int
}

func newTopicProduceCmd(g *globals) *cobra.Command {
	o := &topicProduceOptions{}
	c := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Append every stdin line to a topic as-is (kafka-console-producer, kcat -P)",
		Long: `Append every line of stdin to TOPIC as one record, byte for byte (a trailing
CR of a CRLF line ending is dropped). The topic is created if missing.

The record key, if any, comes from the line in one of two ways:
  --key-field PATH      read from the JSON line (a dotted path, e.g. common.mid)
  --key-separator SEP   the line is KEY SEP VALUE, split at the first SEP
                        (kafka-console-producer's parse.key / key.separator,
                        kcat -K; \t is a tab)
A line whose key cannot be read (no such field, no separator) gets a null
key and, with --key-separator, the whole line as its value: validating
lines is the jobs' business, they dead-letter what they cannot use.

--header k=v (repeatable) adds that header to every record, as kcat -H.`,
		Example: `  rtdw mock logs --count 1000 | rtdw topic produce topic_log --key-field common.mid
  echo '{"a":1}' | rtdw topic produce my_topic
  printf 'user_1\t{"n":1}\n' | rtdw topic produce my_topic --key-separator '\t' --header source=backfill`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runTopicProduce(cmd, g, cfg, a[0], o)
		},
	}
	c.Flags().StringVar(&o.keyField, "key-field", "", "dotted JSON path of the record key, e.g. common.mid")
	c.Flags().StringVar(&o.keySep, "key-separator", "", "each line is KEY<separator>VALUE, split at the first separator ('\\t' is a tab)")
	c.Flags().StringArrayVar(&o.headers, "header", nil, "header k=v added to every record (repeatable)")
	c.Flags().IntVar(&o.batch, "batch", 1000, "lines per atomic append")
	return c
}

func runTopicProduce(cmd *cobra.Command, g *globals, cfg Config, topic string, o *topicProduceOptions) error {
	if o.batch < 1 {
		return usagef("--batch must be >= 1")
	}
	if o.keyField != "" && o.keySep != "" {
		return usagef("give --key-field or --key-separator, not both")
	}
	sep, err := unescapeSeparator(o.keySep)
	if err != nil {
		return err
	}
	var headers []rlog.Header
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok || k == "" {
			return usagef("--header %q: want key=value", h)
		}
		headers = append(headers, rlog.Header{Key: k, Value: []byte(v)})
	}
	l, err := g.openTopics(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	ctx := cmd.Context()
	info, err := rlog.EnsureTopic(ctx, l, topic, rlog.TopicConfig{Partitions: cfg.Partitions})
	if err != nil {
		return err
	}
	var path []string
	if o.keyField != "" {
		path = strings.Split(o.keyField, ".")
	}
	var p fastjson.Parser
	r := bufio.NewReaderSize(g.stdin, 1<<20)
	var recs []rlog.Record
	var produced, lineNo, noSep int64
	started, lastReport := time.Now(), time.Now()
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		if err := l.Produce(ctx, recs...); err != nil {
			return fmt.Errorf("stdin lines %d-%d: %w (lines before %d were written)", lineNo-int64(len(recs))+1, lineNo, err, lineNo-int64(len(recs))+1)
		}
		produced += int64(len(recs))
		recs = recs[:0]
		if time.Since(lastReport) >= 5*time.Second { // long loads say how far they are
			fmt.Fprintf(g.stderr, "produced %d records to %s (%.0f/s) ...\n", produced, topic, float64(produced)/time.Since(started).Seconds())
			lastReport = time.Now()
		}
		return nil
	}
	for {
		line, err := readLine(r)
		if len(line) > 0 || err == nil {
			lineNo++
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			rec := rlog.Record{Topic: topic, Partition: rlog.AutoPartition, Value: line, Headers: headers}
			switch {
			case path != nil:
				rec.Key = keyOf(&p, line, path)
			case sep != nil:
				if k, v, ok := bytes.Cut(line, sep); ok {
					rec.Key, rec.Value = k, v
				} else {
					noSep++
				}
			}
			recs = append(recs, rec)
			if len(recs) >= o.batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading stdin line %d: %w", lineNo+1, err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "produced %d records to %s (%d partitions)\n", produced, topic, info.Partitions)
	if noSep > 0 {
		fmt.Fprintf(g.stderr, "%d line(s) without the key separator %q: null key, the whole line as value\n", noSep, sep)
	}
	return nil
}

// unescapeSeparator reads a --key-separator with Go escapes (\t: a tab).
func unescapeSeparator(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if strings.Contains(s, `\`) {
		u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
		if err != nil {
			return nil, usagef("--key-separator %q: %v", s, err)
		}
		s = u
	}
	if strings.Contains(s, "\n") {
		return nil, usagef("--key-separator cannot hold a newline: lines are records")
	}
	return []byte(s), nil
}

// readLine returns the next line without its newline, however long.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		if err == nil && line == nil {
			line = []byte{} // an empty line is an empty record, not a null one
		}
		return line, err
	}
}

// keyOf reads a string or number at path; anything else is a null key.
func keyOf(p *fastjson.Parser, line []byte, path []string) []byte {
	v, err := p.ParseBytes(line)
	if err != nil {
		return nil
	}
	k := v.Get(path...)
	if k == nil {
		return nil
	}
	switch k.Type() {
	case fastjson.TypeString:
		return append([]byte(nil), k.GetStringBytes()...)
	case fastjson.TypeNumber:
		return k.MarshalTo(nil)
	}
	return nil
}
