package cli

import "github.com/spf13/cobra"

// ingestCommands are the `rtdw ingest` sources; each source's file adds
// its command here (ingest_mysql.go, ingest_applog.go).
var ingestCommands []func(*globals) *cobra.Command

func newIngestCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "ingest",
		Short: "Capture sources into the ODS topics: MySQL/MariaDB binlog into topic_db, app logs into topic_log",
	}
	for _, mk := range ingestCommands {
		c.AddCommand(mk(g))
	}
	return c
}
