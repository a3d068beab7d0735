package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
)

type topicListOptions struct {
	all bool
}

func newTopicListCmd(g *globals) *cobra.Command {
	o := &topicListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List topics with their partitions and record counts",
		Example: `  rtdw topic list
  rtdw topic list --all     # include internal repartition topics`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runTopicList(cmd, g, cfg, o)
		},
	}
	c.Flags().BoolVar(&o.all, "all", false, "also list internal topics (names starting with _rtdw)")
	return c
}

func runTopicList(cmd *cobra.Command, g *globals, cfg Config, o *topicListOptions) error {
	l, err := g.openTopicsRead(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	ctx := cmd.Context()
	topics, err := l.ListTopics(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TOPIC\tPARTITIONS\tRECORDS\tRETENTION")
	for _, t := range topics {
		if !o.all && strings.HasPrefix(t.Name, "_rtdw") {
			continue
		}
		var n int64
		for p := int32(0); p < t.Partitions; p++ {
			start, end, err := l.Offsets(ctx, rlog.TopicPartition{Topic: t.Name, Partition: p})
			if err != nil {
				return err
			}
			n += end - start
		}
		ret := formatRetention(t.Retention)
		if t.RetentionBytes > 0 {
			ret += ", max " + formatBytes(t.RetentionBytes) + "/partition"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", t.Name, t.Partitions, n, ret)
	}
	return w.Flush()
}
