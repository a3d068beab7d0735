package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
)

type topicCreateOptions struct {
	partitions     int32
	retention      time.Duration
	retentionBytes int64
}

func newTopicCreateCmd(g *globals) *cobra.Command {
	o := &topicCreateOptions{}
	c := &cobra.Command{
		Use:   "create TOPIC",
		Short: "Create a topic (topics are also created on first produce or by jobs)",
		Long: `Create a topic. --retention deletes records older than a duration (3d, 12h,
1w, 1d12h; 0 keeps forever), --retention-bytes caps each partition's size
(1GB = 10^9 bytes, 1GiB or 1G = 2^30, or a number of bytes; 0: no cap);
whole segments go, oldest first, as Kafka's retention.ms and retention.bytes.`,
		Example: `  rtdw topic create topic_log --partitions 8 --retention 7d
  rtdw topic create clicks --retention 3d --retention-bytes 1GB`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("partitions") {
				o.partitions = cfg.Partitions
			}
			l, err := g.openTopics(cfg)
			if err != nil {
				return err
			}
			defer l.Close()
			tc := rlog.TopicConfig{Partitions: o.partitions, Retention: o.retention, RetentionBytes: o.retentionBytes}
			if err := tc.Validate(); err != nil {
				return usageError{err}
			}
			if err := l.CreateTopic(cmd.Context(), a[0], tc); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "created topic %s with %d partitions\n", a[0], o.partitions)
			return nil
		},
	}
	c.Flags().Int32Var(&o.partitions, "partitions", 4, "number of partitions (default: config partitions)")
	c.Flags().Var(retentionFlag{&o.retention}, "retention", "delete records older than this: 3d, 12h, 1w (0 = keep forever)")
	c.Flags().Var(bytesFlag{&o.retentionBytes}, "retention-bytes", "cap each partition's size: 1GB, 512MiB, bytes (0 = no cap)")
	return c
}
