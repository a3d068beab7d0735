package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newDimGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get TABLE KEY",
		Short: "Print one dimension row as JSON (exit 1 when it is missing)",
		Example: `  rtdw dim get dim_sku_info 12
  rtdw dim get dim_base_dic 1101`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runDimGet(cmd, g, cfg, a[0], a[1])
		},
	}
}

func runDimGet(cmd *cobra.Command, g *globals, cfg Config, table, key string) error {
	s, done, err := g.openDimStore(cfg)
	if err != nil {
		return err
	}
	defer done()
	ctx := cmd.Context()
	row, ok, err := s.Get(ctx, table, key)
	if err != nil {
		return err
	}
	if ok {
		_, err = fmt.Fprintf(g.stdout, "%s\n", row)
		return err
	}
	// Missing: say whether the row or the whole table is.
	ts, err := s.Tables(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range ts {
		if t.Name == table {
			return fmt.Errorf("dim %s: no row with key %q", table, key)
		}
		names = append(names, t.Name)
	}
	if len(names) == 0 {
		return fmt.Errorf("dim %s: no such table (the store has no tables yet)", table)
	}
	return fmt.Errorf("dim %s: no such table (tables: %s)", table, strings.Join(names, ", "))
}
