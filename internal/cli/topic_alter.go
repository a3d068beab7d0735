package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
)

type topicAlterOptions struct {
	partitions     int32
	retention      time.Duration
	retentionBytes int64
}

func newTopicAlterCmd(g *globals) *cobra.Command {
	o := &topicAlterOptions{}
	c := &cobra.Command{
		Use:   "alter TOPIC",
		Short: "Change a topic's retention (and, on Kafka, add partitions) (kafka-topics --alter)",
		Long: `Change what the flags given set; the rest stays. --retention and
--retention-bytes apply at the next retention pass (within a minute on the
embedded log). --partitions adds partitions on Kafka only: the embedded log
keeps a topic's partition count (jobs run one task per partition and keep
their state by it), and on Kafka too, keys then move to other partitions,
away from the state jobs keep for them: reset those jobs ('rtdw job reset').`,
		Example: `  rtdw topic alter topic_log --retention 3d
  rtdw topic alter topic_log --retention-bytes 1GB
  rtdw topic alter topic_log --retention 0          # keep forever`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var alter rlog.TopicAlter
			if cmd.Flags().Changed("partitions") {
				alter.Partitions = &o.partitions
			}
			if cmd.Flags().Changed("retention") {
				alter.Retention = &o.retention
			}
			if cmd.Flags().Changed("retention-bytes") {
				alter.RetentionBytes = &o.retentionBytes
			}
			if alter == (rlog.TopicAlter{}) {
				return usagef("topic alter: give --retention, --retention-bytes or --partitions")
			}
			l, err := g.openTopicLog(cmd, "alter", a[0])
			if err != nil {
				return err
			}
			defer l.Close()
			ta, err := topicAdmin(l, "alter", a[0])
			if err != nil {
				return err
			}
			if err := ta.AlterTopic(cmd.Context(), a[0], alter); err != nil {
				return err
			}
			return describeTopicConfig(cmd, g, l, a[0])
		},
	}
	c.Flags().Int32Var(&o.partitions, "partitions", 0, "new partition count, more than today (Kafka only)")
	c.Flags().Var(retentionFlag{&o.retention}, "retention", "delete records older than this: 3d, 12h, 1w (0 = keep forever)")
	c.Flags().Var(bytesFlag{&o.retentionBytes}, "retention-bytes", "cap each partition's size: 1GB, 512MiB, bytes (0 = no cap)")
	return c
}

// describeTopicConfig prints a topic's config line (after a change).
func describeTopicConfig(cmd *cobra.Command, g *globals, l rlog.Log, topic string) error {
	info, err := l.DescribeTopic(cmd.Context(), topic)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "topic %s: %d partitions, retention %s, retention bytes %s\n",
		info.Name, info.Partitions, formatRetention(info.Retention), formatBytes(info.RetentionBytes))
	return nil
}
