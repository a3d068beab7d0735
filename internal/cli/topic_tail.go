package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
)

type topicTailOptions struct {
	fromBeginning bool
	max           int64
	exitAtEnd     bool
	partition     int32
	printKey      bool
	printPart     bool
	printOffset   bool
	printHeaders  bool
}

func newTopicTailCmd(g *globals) *cobra.Command {
	o := &topicTailOptions{}
	c := &cobra.Command{
		Use:   "tail TOPIC",
		Short: "Print a topic's records as JSON lines (kafka-console-consumer)",
		Long: `Print each record's value on one line (a null value prints null). Without
--from-beginning, tail starts at the end and waits for new records, like
kafka-console-consumer; --exit-at-end stops at the end offsets seen at start.
Options prefix each line with the key, partition, offset or headers,
tab-separated, in that order.`,
		Example: `  rtdw topic tail dwd_traffic_page --from-beginning --max 10
  rtdw topic tail dirty_data --from-beginning --exit-at-end --print-headers`,
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
	f.Int64Var(&o.max, "max", 0, "stop after this many records (0 = no limit)")
	f.BoolVar(&o.exitAtEnd, "exit-at-end", false, "stop at the end offsets seen at start")
	f.Int32Var(&o.partition, "partition", -1, "read only this partition")
	f.BoolVar(&o.printKey, "print-key", false, "prefix the key")
	f.BoolVar(&o.printPart, "print-partition", false, "prefix the partition")
	f.BoolVar(&o.printOffset, "print-offset", false, "prefix the offset")
	f.BoolVar(&o.printHeaders, "print-headers", false, "prefix headers as k=v,k=v")
	return c
}

func runTopicTail(cmd *cobra.Command, g *globals, cfg Config, topic string, o *topicTailOptions) error {
	if o.max < 0 {
		return usagef("--max must be >= 0")
	}
	l, err := g.openTopics(cfg)
	if err != nil {
		return err
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
		start, end, err := l.Offsets(ctx, tp)
		if err != nil {
			return err
		}
		c := &cursor{tp: tp, off: end, end: end}
		if o.fromBeginning {
			c.off = start
		}
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return usagef("topic %s has no partition %d", topic, o.partition)
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
				start, _, _ := l.Offsets(ctx, c.tp)
				c.off = start // retention deleted what we were about to read
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			for i := range recs {
				writeRecord(w, &recs[i], o)
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
		for i, h := range r.Headers {
			if i > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "%s=%s", h.Key, h.Value)
		}
		w.WriteByte('\t')
	}
	if r.Value == nil {
		w.WriteString("null")
	} else {
		w.Write(r.Value)
	}
	w.WriteByte('\n')
}
