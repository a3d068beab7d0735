package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newTopicDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete TOPIC...",
		Short: "Delete topics: their records and every group's offsets on them (kafka-topics --delete)",
		Long: `Delete each topic: its records, and the committed offsets of every consumer
group (job) on it. A job that reads it fails until it exists again (jobs
and produce create topics they need); a job reading it anew starts as on a
new topic. Internal topics (_rtdw-...) belong to jobs: delete them only
with their job stopped and reset ('rtdw job reset').`,
		Example: `  rtdw topic delete scratch_topic
  rtdw topic delete a b c`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			l, err := g.openTopicLog(cmd, "delete", a[0])
			if err != nil {
				return err
			}
			defer l.Close()
			ta, err := topicAdmin(l, "delete", a[0])
			if err != nil {
				return err
			}
			for _, t := range a {
				if err := ta.DeleteTopic(cmd.Context(), t); err != nil {
					return err
				}
				fmt.Fprintf(g.stderr, "deleted topic %s\n", t)
			}
			return nil
		},
	}
}
