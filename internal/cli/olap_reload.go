package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
)

// Reloading OLAP tables from their topics. The load job (olap_load)
// upserts each DWS topic into its table and commits its offsets with its
// checkpoints; the OLAP database itself keeps no offsets. So a database
// that loses a table (its DuckDB file deleted, the table dropped) would
// be loaded only with what arrives next. Before the job starts, each
// table is looked for; one that is missing while the job has consumed
// its topic has the job's offsets of that topic moved back to the
// topic's start, and the rows come back from the topic (as far as its
// retention keeps them: DWS topics keep every row by default).

// loadGroup is the load job's consumer group: its name, after
// kafka.group_id_prefix in cluster mode (as the workers commit it).
func loadGroup(cfg Config) string {
	if cfg.Mode == "kafka" {
		return cfg.Kafka.GroupIDPrefix + LoadJob
	}
	return LoadJob
}

// reloadLostTables resets the offsets of group (the load job's) of the
// topics whose tables the OLAP database lacks; it returns the tables it
// reloads.
func reloadLostTables(ctx context.Context, l rlog.Log, group string, q olap.Querier, tables []olap.Table, logger *slog.Logger) ([]string, error) {
	var lost []string
	for _, t := range tables {
		has, err := olap.HasTable(ctx, q, t.Name)
		if err != nil {
			return nil, err
		}
		if has {
			continue
		}
		n, err := resetLoadOffsets(ctx, l, group, t.Name)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			logger.Warn("OLAP table missing though its rows were loaded: reloading it from its topic", "table", t.Name, "records", n)
			lost = append(lost, t.Name)
		}
	}
	return lost, nil
}

// resetLoadOffsets moves group's committed offsets of topic back to the
// topic's start; it returns how many records the group had consumed past
// the start (0: nothing to reload, nothing changed).
func resetLoadOffsets(ctx context.Context, l rlog.Log, group, topic string) (int64, error) {
	info, err := l.DescribeTopic(ctx, topic)
	if errors.Is(err, rlog.ErrUnknownTopic) {
		return 0, nil // no topic: nothing was loaded from it
	}
	if err != nil {
		return 0, err
	}
	reset := map[rlog.TopicPartition]int64{}
	var consumed int64
	for p := int32(0); p < info.Partitions; p++ {
		tp := rlog.TopicPartition{Topic: topic, Partition: p}
		off, ok, err := l.CommittedOffset(ctx, group, tp)
		if err != nil {
			return 0, err
		}
		start, _, err := l.Offsets(ctx, tp)
		if err != nil {
			return 0, err
		}
		if ok && off > start {
			consumed += off - start
			reset[tp] = start
		}
	}
	if len(reset) == 0 {
		return 0, nil
	}
	return consumed, l.CommitOffsets(ctx, group, reset)
}

type olapReloadOptions struct {
	tables []string
}

func newOLAPCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "olap",
		Short: "Manage the OLAP tables the DWS topics are loaded into",
	}
	cmd.AddCommand(newOLAPReloadCmd(g))
	return cmd
}

func newOLAPReloadCmd(g *globals) *cobra.Command {
	o := &olapReloadOptions{}
	cmd := &cobra.Command{
		Use:   "reload",
		Short: "Load OLAP tables again from their DWS topics at the next run",
		Long: `Moves the load job's (olap_load) offsets of the tables' DWS topics back to
the topics' start, so the next 'rtdw run' or 'rtdw demo' loads every row of
those topics again (rows upsert by key, deletes are replayed: the tables
end as the topics say). Use it after restoring or replacing the OLAP
database. rtdw does this by itself for a table the database lacks (a
deleted DuckDB file, a dropped table) when it starts.

The data dir must not be in use by a running rtdw.`,
		Example: `  rtdw olap reload
  rtdw olap reload --tables dws_trade_province_order_window,dws_trade_sku_order_window`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runOLAPReload(cmd.Context(), g, cfg, o)
		},
	}
	cmd.Flags().StringSliceVar(&o.tables, "tables", nil, "tables to reload (default all DWS tables)")
	return cmd
}

func runOLAPReload(ctx context.Context, g *globals, cfg Config, o *olapReloadOptions) error {
	var names []string
	for _, t := range dws.Tables() {
		names = append(names, t.Name)
	}
	tables := o.tables
	if len(tables) == 0 {
		tables = names
	}
	for _, t := range tables {
		if !slices.Contains(names, t) {
			return usagef("no DWS table %q (tables: %s)", t, strings.Join(names, ", "))
		}
	}
	l, err := g.openLog(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	var total int64
	for _, t := range tables {
		n, err := resetLoadOffsets(ctx, l, loadGroup(cfg), t)
		if err != nil {
			return fmt.Errorf("olap reload %s: %w", t, err)
		}
		total += n
		fmt.Fprintf(g.stdout, "%s: %d records to load again\n", t, n)
	}
	fmt.Fprintf(g.stdout, "%d table(s), %d records: the next rtdw run or demo loads them\n", len(tables), total)
	return nil
}
