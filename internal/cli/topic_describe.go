package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
)

func newTopicDescribeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "describe TOPIC",
		Short: "Show a topic's config, each partition's offsets and the jobs reading it (kafka-topics --describe)",
		Long: `Print a topic's partitions and retention, each partition's first offset, end
offset and record count, and every consumer group (a job: see 'rtdw job
list') with committed offsets on it and how far behind the end it is.`,
		Example: `  rtdw topic describe topic_log`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			l, err := g.openTopicLog(cmd, "describe", a[0])
			if err != nil {
				return err
			}
			defer l.Close()
			return describeTopic(cmd, g, l, a[0])
		},
	}
}

func describeTopic(cmd *cobra.Command, g *globals, l rlog.Log, topic string) error {
	ctx := cmd.Context()
	info, err := l.DescribeTopic(ctx, topic)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Topic: %s\tPartitions: %d\tRetention: %s\tRetentionBytes: %s\tCompact: %t\n",
		info.Name, info.Partitions, formatRetention(info.Retention), formatBytes(info.RetentionBytes), info.Compact)
	w.Flush()
	w = tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PARTITION\tSTART\tEND\tRECORDS")
	ends := map[int32]int64{}
	var total int64
	for p := int32(0); p < info.Partitions; p++ {
		start, end, err := l.Offsets(ctx, rlog.TopicPartition{Topic: topic, Partition: p})
		if err != nil {
			return err
		}
		ends[p] = end
		total += end - start
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\n", p, start, end, end-start)
	}
	fmt.Fprintf(w, "total\t\t\t%d\n", total)
	if err := w.Flush(); err != nil {
		return err
	}
	gl, ok := l.(rlog.GroupLister)
	if !ok {
		return nil
	}
	groups, err := gl.ListGroups(ctx)
	if err != nil {
		return err
	}
	type reader struct {
		group string
		parts []int
		lag   int64
	}
	var readers []reader
	for _, grp := range groups {
		offs, err := gl.GroupOffsets(ctx, grp)
		if err != nil {
			return err
		}
		r := reader{group: grp}
		for tp, off := range offs {
			if tp.Topic != topic {
				continue
			}
			r.parts = append(r.parts, int(tp.Partition))
			r.lag += max(ends[tp.Partition]-off, 0)
		}
		if len(r.parts) > 0 {
			sort.Ints(r.parts)
			readers = append(readers, r)
		}
	}
	if len(readers) == 0 {
		fmt.Fprintln(g.stdout, "No consumer group (job) has committed offsets on it.")
		return nil
	}
	fmt.Fprintln(g.stdout)
	w = tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP (JOB)\tPARTITIONS\tLAG")
	for _, r := range readers {
		fmt.Fprintf(w, "%s\t%s\t%d\n", r.group, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(r.parts)), ","), "[]"), r.lag)
	}
	return w.Flush()
}
