package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/warehouse"
)

func newJobsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "jobs",
		Short: "List the warehouse's jobs (names for 'rtdw run --jobs')",
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "JOB\tWHAT IT DOES")
			for _, j := range warehouse.Jobs() {
				fmt.Fprintf(w, "%s\t%s\n", j.Name, j.Summary)
			}
			return w.Flush()
		},
	}
}
