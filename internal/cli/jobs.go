package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/warehouse"
)

func newJobsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "jobs",
		Short: "List the warehouse's jobs (names for 'rtdw run --jobs') and the SQL jobs run on this data dir",
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "JOB\tWHAT IT DOES")
			for _, j := range warehouse.Jobs() {
				fmt.Fprintf(w, "%s\t%s\n", j.Name, j.Summary)
			}
			// SQL jobs that ran on this data dir (rtdw sql -f, run --sql).
			reg, err := openSQLJobRegistry(g.dataDir)
			if err != nil {
				return err
			}
			names := make([]string, 0, len(reg.Jobs))
			for n := range reg.Jobs {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				e := reg.Jobs[n]
				stmt := strings.Join(strings.Fields(e.Statement), " ")
				if len(stmt) > 100 {
					stmt = stmt[:97] + "..."
				}
				fmt.Fprintf(w, "%s\tSQL (generation %d): %s\n", n, e.Generation, stmt)
			}
			return w.Flush()
		},
	}
}
