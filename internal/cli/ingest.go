package cli

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
)

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

// serveMetrics serves /metrics only (Kafka mode: topic commands go to
// Kafka, not through this process), behind httpguard.
func serveMetrics(addr string, reg *prometheus.Registry, g *globals) (string, func(), error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return startServer(addr, mux, g.guard())
}
