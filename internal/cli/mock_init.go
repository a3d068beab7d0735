package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/mock"
)

type mockInitOptions struct {
	to    string
	dsn   string
	users int
}

func newMockInitCmd(g *globals) *cobra.Command {
	o := &mockInitOptions{}
	c := &cobra.Command{
		Use:   "init",
		Short: "Create the shop's databases (gmall, gmall_config) in MySQL/MariaDB with their seed rows",
		Long: `Create the databases gmall (the business tables, with the catalogue's dimension
rows and --users registered users) and gmall_config (table_process_dim and
table_process_dwd with their rows) on a MySQL or MariaDB server. Databases of
those names are dropped first. Then 'rtdw mock --to mysql' runs the shop on them.`,
		Example: `  rtdw mock init --to mysql --dsn 'root:secret@tcp(127.0.0.1:3306)/'
  rtdw mock init --to mysql --dsn 'rtdw:rtdw@tcp(127.0.0.1:33306)/' --users 5000
  rtdw mock --to mysql --dsn 'rtdw:rtdw@tcp(127.0.0.1:33306)/' --users 5000 --sessions 2000`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			if o.to != "mysql" {
				return usagef("mock init: --to must be mysql (other targets need no setup), got %q", o.to)
			}
			if o.dsn == "" {
				return usagef("mock init: --dsn is required, e.g. 'user:password@tcp(127.0.0.1:3306)/'")
			}
			if o.users < 1 {
				return usagef("mock init: --users must be >= 1")
			}
			loc, err := time.LoadLocation(cfg.Timezone)
			if err != nil {
				return fmt.Errorf("timezone %q: %w", cfg.Timezone, err)
			}
			db, err := mock.OpenMySQL(cmd.Context(), o.dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			start := time.Now()
			if err := mock.InitMySQL(cmd.Context(), db, o.users, time.Now().UnixMilli(), loc); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "mock init: databases %s and %s created, seed rows and %d users loaded in %s\n",
				mock.BusinessDB, mock.ConfigDB, o.users, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.to, "to", "mysql", "target: mysql")
	f.StringVar(&o.dsn, "dsn", "", "server to initialise, as user:password@tcp(host:port)/")
	f.IntVar(&o.users, "users", 1000, "users registered before the shop opens (ids 1..N); give the runs the same --users")
	return c
}
