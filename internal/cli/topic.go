package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
)

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

// openTopicLog opens the log that a command on an existing topic works on
// (the caller closes it); an error opening it names verb and topic.
func (g *globals) openTopicLog(cmd *cobra.Command, verb, topic string) (rlog.Log, error) {
	cfg, err := g.setup(cmd.Flags().Changed)
	if err != nil {
		return nil, err
	}
	l, err := g.openTopicsRead(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, topic, err)
	}
	return l, nil
}

// topicAdmin is l's topic administration, or an error naming verb and
// topic when l has none.
func topicAdmin(l rlog.Log, verb, topic string) (rlog.TopicAdmin, error) {
	ta, ok := l.(rlog.TopicAdmin)
	if !ok {
		return nil, fmt.Errorf("%s %s: this log cannot %s topics", verb, topic, verb)
	}
	return ta, nil
}
