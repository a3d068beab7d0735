package cli

import "github.com/spf13/cobra"

func newTopicCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "topic",
		Short: "List, create, describe, alter, delete, produce to and tail topics (kafka-topics, console tools, kcat)",
		Long: `Topic commands work on the data dir's embedded log, through the running rtdw
holding it (run, demo, sql, ingest with an --http-addr), or on Kafka with
mode: kafka in the --config file.`,
	}
	c.AddCommand(newTopicListCmd(g), newTopicCreateCmd(g), newTopicDescribeCmd(g), newTopicAlterCmd(g), newTopicDeleteCmd(g),
		newTopicProduceCmd(g), newTopicTailCmd(g))
	return c
}
