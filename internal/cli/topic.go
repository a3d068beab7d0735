package cli

import "github.com/spf13/cobra"

func newTopicCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "topic",
		Short: "List, create, produce to and tail topics (rtdw's kafka-topics / console tools)",
	}
	c.AddCommand(newTopicListCmd(g), newTopicCreateCmd(g), newTopicProduceCmd(g), newTopicTailCmd(g))
	return c
}
