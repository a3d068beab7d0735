package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/olap"
)

type queryOptions struct {
	format string
}

func newQueryCmd(g *globals) *cobra.Command {
	o := &queryOptions{}
	c := &cobra.Command{
		Use:   `query [--format table|csv|json] "SQL"`,
		Short: "Run SQL against the OLAP database holding the DWS tables",
		Long: `Runs one read-only SQL statement against the configured OLAP backend
(olap: in rtdw.yaml; by default the DuckDB file <data dir>/olap/gmall_realtime.duckdb)
and prints the rows to stdout. The SQL is the backend's dialect. SQL "-" reads
the statement from stdin.

With the default DuckDB backend the file can be read while no rtdw process is
writing it (DuckDB allows one writing process).`,
		Example: `  rtdw query "SELECT province_name, SUM(order_amount) AS gmv
              FROM dws_trade_province_order_window
              WHERE cur_date = '2024-06-01' GROUP BY province_name ORDER BY gmv DESC LIMIT 5"
  rtdw query --format json "SELECT * FROM dws_trade_order_window" | jq .order_unique_user_count
  rtdw query --format csv "SELECT * FROM dws_user_user_login_window" > login.csv
  echo "SELECT 1" | rtdw query -`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			switch o.format {
			case "table", "csv", "json":
			default:
				return usagef("--format %q: want table, csv or json", o.format)
			}
			sql := a[0]
			if sql == "-" {
				b, err := io.ReadAll(g.stdin)
				if err != nil {
					return fmt.Errorf("reading SQL from stdin: %w", err)
				}
				sql = string(b)
			}
			if strings.TrimSpace(sql) == "" {
				return usagef("query: the SQL is empty")
			}
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return runQuery(cmd, g, cfg, o, sql)
		},
	}
	c.Flags().StringVar(&o.format, "format", "table", "table (aligned columns), csv (with a header), or json (one object per row)")
	return c
}

func runQuery(cmd *cobra.Command, g *globals, cfg Config, o *queryOptions, sql string) error {
	ctx := cmd.Context()
	db, err := g.openOLAP(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.OLAP.Timeout > 0 {
		var cancel func()
		ctx, cancel = context.WithTimeout(ctx, cfg.OLAP.Timeout)
		defer cancel()
	}
	res, err := db.Query(ctx, sql)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(g.stdout)
	switch o.format {
	case "csv":
		err = writeCSV(w, res)
	case "json":
		err = writeJSONRows(w, res)
	default:
		err = writeTable(w, res)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

func typeOf(res *olap.Result, i int) olap.Type {
	if i < len(res.Types) {
		return res.Types[i]
	}
	return ""
}

func writeTable(w io.Writer, res *olap.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = "NULL"
			if v != nil {
				// Tabs and newlines would break the columns.
				cells[i] = strings.NewReplacer("\t", `\t`, "\n", `\n`).Replace(olap.FormatValue(v, typeOf(res, i)))
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func writeCSV(w io.Writer, res *olap.Result) error {
	cw := csv.NewWriter(w)
	cw.Write(res.Columns)
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = olap.FormatValue(v, typeOf(res, i)) // NULL is empty
		}
		cw.Write(cells)
	}
	cw.Flush()
	return cw.Error()
}

// writeJSONRows prints one object per row, keys in column order.
func writeJSONRows(w io.Writer, res *olap.Result) error {
	var b []byte
	for _, r := range res.Rows {
		b = append(b[:0], '{')
		for i, v := range r {
			if i > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(res.Columns[i])
			b = append(append(b, k...), ':')
			switch x := v.(type) {
			case nil:
				b = append(b, "null"...)
			case int64:
				b = strconv.AppendInt(b, x, 10)
			case float64:
				if math.IsNaN(x) || math.IsInf(x, 0) { // not JSON numbers
					b = strconv.AppendQuote(b, strconv.FormatFloat(x, 'f', -1, 64))
					break
				}
				b = strconv.AppendFloat(b, x, 'f', -1, 64)
			default:
				s, _ := json.Marshal(olap.FormatValue(x, typeOf(res, i)))
				b = append(b, s...)
			}
		}
		b = append(b, '}', '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
