package cli

import (
	"bufio"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/sql/connector"
)

type mockNexmarkOptions struct {
	events   int64
	seed     int64
	rate     int64
	baseTime string
	first    int64
}

// newMockNexmarkCmd: the Nexmark events of the nexmark connector as JSON
// lines, to feed kafka tables or to check results elsewhere.
func newMockNexmarkCmd(g *globals) *cobra.Command {
	o := &mockNexmarkOptions{}
	c := &cobra.Command{
		Use:   "nexmark",
		Short: "Write Nexmark events (person, auction, bid) as JSON lines, deterministic per seed",
		Long: `Write the Nexmark events the 'nexmark' connector generates as JSON lines on
stdout: one object per event with event_type (0 person, 1 auction, 2 bid) and
the person, auction and bid objects of Flink's nexmark DDL (two of them null),
timestamps as "yyyy-MM-dd HH:mm:ss.SSS". The same --seed, --rate and
--base-time give the same events as a nexmark table with 'seed',
'first-event.rate' and 'base-time' (default proportions and sizes), so the
events can be fed through a kafka table (bench/nexmark/ddl_kafka.sql) or
checked by another engine.`,
		Example: `  rtdw mock nexmark --events 5
  rtdw mock nexmark --events 1000000 --seed 0 --rate 10000000 | rtdw topic produce nexmark`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.events < 0 || o.first < 0 {
				return usagef("--events and --from must be >= 0")
			}
			c := connector.NexmarkDefaults()
			c.Seed, c.Rate = uint64(o.seed), o.rate
			if o.baseTime != "" {
				ms, err := connector.ParseNexmarkBaseTime(o.baseTime)
				if err != nil {
					return usagef("--base-time %q: %v", o.baseTime, err)
				}
				c.BaseTime = ms
			}
			gen, err := connector.NewNexmarkGenerator(c)
			if err != nil {
				return usagef("%v", err)
			}
			w := bufio.NewWriterSize(g.stdout, 1<<20)
			var ev connector.NexmarkEvent
			buf := make([]byte, 0, 4096)
			for i := o.first; i < o.first+o.events; i++ {
				gen.Event(i, &ev)
				buf = append(ev.AppendJSON(buf[:0]), '\n')
				if _, err := w.Write(buf); err != nil {
					return err
				}
			}
			return w.Flush()
		},
	}
	f := c.Flags()
	f.Int64Var(&o.events, "events", 1000, "events to write")
	f.Int64Var(&o.seed, "seed", 0, "random seed (the nexmark table's 'seed')")
	f.Int64Var(&o.rate, "rate", 10000, "events per second of event time (the table's 'first-event.rate')")
	f.StringVar(&o.baseTime, "base-time", "", "time of event 0, 'yyyy-MM-dd HH:mm:ss' or epoch ms (default 2024-01-01 00:00:00, the table's 'base-time')")
	f.Int64Var(&o.first, "from", 0, "number of the first event to write")
	return c
}
