package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newDimListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List dimension tables with their columns, row key and row count",
		Example: `  rtdw dim list
  rtdw dim list --config rtdw.yaml     # dim.kind: redis reads Redis`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runDimList(cmd, g, cfg)
		},
	}
}

func runDimList(cmd *cobra.Command, g *globals, cfg Config) error {
	s, done, err := g.openDimStore(cfg)
	if err != nil {
		return err
	}
	defer done()
	ts, err := s.Tables(cmd.Context())
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TABLE\tROW_KEY\tROWS\tCOLUMNS")
	for _, t := range ts {
		cols := strings.Join(t.Columns, ",")
		if cols == "" {
			cols = "(all)"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", t.Name, t.RowKey, t.Rows, cols)
	}
	return w.Flush()
}
