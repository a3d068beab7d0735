package cli

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/cockroachdb/pebble/v2"
	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/warehouse"
)

// `rtdw job`: what each job has consumed (its consumer group's committed
// offsets, as kafka-consumer-groups --describe) and, with reset, where it
// starts again (kafka-consumer-groups --reset-offsets; a Flink job
// restarted without its savepoint from chosen offsets).
//
// A job's consumer group is its name (embedded) or kafka.group_id_prefix +
// its name (mode: kafka). Its state lives in the data dir's store under
// the job's name (embedded) or in its changelog topics
// _rtdw-<job>-<operator>-changelog (Kafka); its repartition topics are
// _rtdw-<job>-<name>-repartition.

func newJobCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "job",
		Short: "Jobs' committed offsets, lag and state: list, describe, reset to reprocess (kafka-consumer-groups)",
		Long: `Each job (built-in, olap_load, or SQL: see 'rtdw jobs') consumes its input
as a consumer group named after it (on Kafka kafka.group_id_prefix + name),
committing its offsets at every checkpoint with its state. 'job list' and
'job describe' show where each job is and how far behind; 'job reset' moves
a stopped job back (or forward) so that it reprocesses its input.`,
	}
	c.AddCommand(newJobListCmd(g), newJobDescribeCmd(g), newJobResetCmd(g))
	return c
}

// jobEnv is where jobs' groups live: the data dir's log (directly or
// through the running rtdw) or Kafka.
type jobEnv struct {
	l      rlog.Log
	gl     rlog.GroupLister
	kafka  *kafka.Log // mode: kafka
	prefix string     // group = prefix + job
	reg    *sqlJobRegistry
}

// openJobEnv opens the log for job commands: read-only ones may go
// through the rtdw holding the data dir; exclusive ones (reset) may not.
func (g *globals) openJobEnv(c Config, exclusive bool) (*jobEnv, error) {
	if err := g.requireLog(c); err != nil {
		return nil, err
	}
	var l rlog.Log
	var err error
	prefix := "" // the embedded log's groups are the jobs' names
	switch {
	case c.Mode == "kafka":
		l, err = c.Kafka.open()
		prefix = c.Kafka.GroupIDPrefix
	case exclusive:
		if l, err = g.openLog(c); err != nil {
			err = fmt.Errorf("%w\n  a running rtdw holds the data dir: stop it first. A job's offsets and state belong to the process running it;\n  as with Flink, stop the job, reset it, then start it again", err)
		}
	default:
		l, err = g.openTopics(c)
	}
	if err != nil {
		return nil, err
	}
	e, err := jobEnvOf(l, prefix)
	if err != nil {
		l.Close()
		return nil, err
	}
	if e.reg, err = openSQLJobRegistry(g.dataDir); err != nil {
		l.Close()
		return nil, err
	}
	return e, nil
}

func (e *jobEnv) close() { e.l.Close() }

// jobs returns the names of jobs with committed offsets.
func (e *jobEnv) jobs(ctx context.Context) ([]string, error) {
	groups, err := e.gl.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, grp := range groups {
		if name, ok := strings.CutPrefix(grp, e.prefix); ok && name != "" {
			out = append(out, name)
		}
	}
	return out, nil
}

func (e *jobEnv) group(job string) string { return e.prefix + job }

// jobOffset is one input partition of a job.
type jobOffset struct {
	tp                    rlog.TopicPartition
	committed, start, end int64
	internal              bool // a repartition topic of the job
}

func (o jobOffset) lag() int64 { return max(o.end-o.committed, 0) }

// offsets returns a job's committed offsets with each partition's bounds,
// sorted by topic and partition.
func (e *jobEnv) offsets(ctx context.Context, job string) ([]jobOffset, error) {
	offs, err := e.gl.GroupOffsets(ctx, e.group(job))
	if err != nil {
		return nil, err
	}
	out := make([]jobOffset, 0, len(offs))
	for tp, off := range offs {
		start, end, err := e.l.Offsets(ctx, tp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tp, err)
		}
		out = append(out, jobOffset{tp: tp, committed: off, start: start, end: end, internal: strings.HasPrefix(tp.Topic, "_rtdw-")})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].tp, out[j].tp
		return a.Topic < b.Topic || a.Topic == b.Topic && a.Partition < b.Partition
	})
	return out, nil
}

var generationRE = regexp.MustCompile(`^(.+)_g([0-9]+)$`)

// kind says what a job is: built-in, SQL (current generation) or an SQL
// job's generation replaced by --reset-job.
func (e *jobEnv) kind(job string) string {
	if job == LoadJob {
		return "built-in"
	}
	for _, j := range warehouse.Jobs() {
		if j.Name == job {
			return "built-in"
		}
	}
	base := job
	if m := generationRE.FindStringSubmatch(job); m != nil {
		if _, ok := e.reg.Jobs[m[1]]; ok {
			base = m[1]
		}
	}
	if _, ok := e.reg.Jobs[base]; ok {
		if e.reg.name(base) == job {
			return "SQL"
		}
		return "SQL, replaced by --reset-job"
	}
	return "-"
}

// stateSummary says what state a job keeps: entries in the data dir's
// store, or its changelog topics on Kafka ("" when unknown: through a
// running rtdw).
func (e *jobEnv) stateSummary(ctx context.Context, job string, others []string) (string, []string, error) {
	if e.kafka != nil {
		cls, err := e.changelogs(ctx, job, others)
		if err != nil {
			return "", nil, err
		}
		if len(cls) == 0 {
			return "none", nil, nil
		}
		return fmt.Sprintf("%d changelog topic(s)", len(cls)), cls, nil
	}
	db := e.l.StateStore()
	if db == nil {
		return "?", nil, nil // through a running rtdw
	}
	n, err := countJobState(db, job, 1_000_000)
	if err != nil {
		return "", nil, err
	}
	switch {
	case n == 0:
		return "none", nil, nil
	case n >= 1_000_000:
		return "1000000+ entries", nil, nil
	}
	return fmt.Sprintf("%d entries", n), nil, nil
}

// countJobState counts a job's state entries (values, map entries,
// timers), up to limit.
func countJobState(db *pebble.DB, job string, limit int) (int, error) {
	n := 0
	for _, sp := range state.JobSpans(job) {
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: sp[0], UpperBound: sp[1]})
		if err != nil {
			return 0, err
		}
		for it.First(); it.Valid() && n < limit; it.Next() {
			n++
		}
		if err := it.Close(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// changelogs lists a Kafka job's changelog topics. A job whose name
// continues ours with "-" owns topics our prefix matches too: others
// (every job's name) tells them apart.
func (e *jobEnv) changelogs(ctx context.Context, job string, others []string) ([]string, error) {
	topics, err := e.l.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
next:
	for _, t := range topics {
		if !strings.HasPrefix(t.Name, "_rtdw-"+job+"-") || !strings.HasSuffix(t.Name, "-changelog") {
			continue
		}
		for _, o := range others {
			if o != job && strings.HasPrefix(o, job+"-") && strings.HasPrefix(t.Name, "_rtdw-"+o+"-") {
				continue next
			}
		}
		out = append(out, t.Name)
	}
	return out, nil
}

// status is a job's group state on Kafka (members running it), or the
// data dir's: held by a running rtdw or not.
func (e *jobEnv) status(ctx context.Context, job string) (string, []string, error) {
	if e.kafka != nil {
		st, members, err := e.kafka.GroupState(ctx, e.group(job))
		if err != nil {
			return "", nil, err
		}
		if len(members) > 0 {
			return fmt.Sprintf("%s, %d worker(s)", st, len(members)), members, nil
		}
		return st + ", no workers", nil, nil
	}
	if e.l.StateStore() == nil {
		return "data dir held by a running rtdw", nil, nil
	}
	return "stopped", nil, nil
}

func newJobListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Jobs that consumed input here: kind, inputs, lag, state (kafka-consumer-groups --list)",
		Long: `List every job with committed offsets on this data dir (or Kafka cluster):
its kind, its input topics, its lag (records between its committed offsets
and the ends of its inputs, repartition topics included), its state and
status. Works while a running rtdw holds the data dir (state then shows ?).`,
		Example: `  rtdw job list`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			e, err := g.openJobEnv(cfg, false)
			if err != nil {
				return err
			}
			defer e.close()
			ctx := cmd.Context()
			jobs, err := e.jobs(ctx)
			if err != nil {
				return err
			}
			if len(jobs) == 0 {
				fmt.Fprintln(g.stderr, "no job has committed offsets here yet ('rtdw jobs' lists the jobs there are)")
				return nil
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "JOB\tKIND\tINPUTS\tLAG\tSTATE\tSTATUS")
			for _, job := range jobs {
				offs, err := e.offsets(ctx, job)
				if err != nil {
					return fmt.Errorf("job %s: %w", job, err)
				}
				var lag int64
				var inputs []string
				internal := map[string]bool{}
				for _, o := range offs {
					lag += o.lag()
					switch {
					case o.internal:
						internal[o.tp.Topic] = true
					case len(inputs) == 0 || inputs[len(inputs)-1] != o.tp.Topic:
						inputs = append(inputs, o.tp.Topic)
					}
				}
				in := strings.Join(inputs, ",")
				if len(internal) > 0 {
					in += fmt.Sprintf(" (+%d repartition)", len(internal))
				}
				st, _, err := e.stateSummary(ctx, job, jobs)
				if err != nil {
					return err
				}
				status, _, err := e.status(ctx, job)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", job, e.kind(job), in, lag, st, status)
			}
			return w.Flush()
		},
	}
}

func newJobDescribeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "describe JOB",
		Short: "A job's committed offset, log start, end and lag per input partition (kafka-consumer-groups --describe)",
		Example: `  rtdw job describe dwd_base_log
  rtdw --config rtdw.yaml job describe dws_trade_order_window   # mode: kafka`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			e, err := g.openJobEnv(cfg, false)
			if err != nil {
				return err
			}
			defer e.close()
			return describeJob(cmd.Context(), g, e, a[0])
		},
	}
}

func describeJob(ctx context.Context, g *globals, e *jobEnv, job string) error {
	offs, err := e.offsets(ctx, job)
	if err != nil {
		return err
	}
	jobs, err := e.jobs(ctx)
	if err != nil {
		return err
	}
	if len(offs) == 0 {
		return noOffsetsError(job, jobs)
	}
	st, changelogs, err := e.stateSummary(ctx, job, jobs)
	if err != nil {
		return err
	}
	status, members, err := e.status(ctx, job)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "Job: %s (%s)  Group: %s  State: %s  Status: %s\n", job, e.kind(job), e.group(job), st, status)
	for _, m := range members {
		fmt.Fprintf(g.stdout, "  worker %s\n", m)
	}
	for _, c := range changelogs {
		fmt.Fprintf(g.stdout, "  changelog %s\n", c)
	}
	if ent, ok := e.reg.Jobs[strings.TrimSuffix(job, generationSuffix(job))]; ok && ent.Statement != "" {
		fmt.Fprintf(g.stdout, "  SQL: %s\n", strings.Join(strings.Fields(ent.Statement), " "))
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TOPIC\tPARTITION\tCOMMITTED\tSTART\tEND\tLAG")
	var total int64
	for _, o := range offs {
		name := o.tp.Topic
		if o.internal {
			name += " (repartition)"
		}
		total += o.lag()
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\n", name, o.tp.Partition, o.committed, o.start, o.end, o.lag())
	}
	fmt.Fprintf(w, "total\t\t\t\t\t%d\n", total)
	return w.Flush()
}

func generationSuffix(job string) string {
	if m := generationRE.FindStringSubmatch(job); m != nil {
		return "_g" + m[2]
	}
	return ""
}

func noOffsetsError(job string, jobs []string) error {
	msg := fmt.Sprintf("job %s has no committed offsets here (it never ran on this data dir or cluster, or under another name)", job)
	if len(jobs) > 0 {
		msg += "; jobs that have: " + strings.Join(jobs, ", ")
	}
	return fmt.Errorf("%s", msg)
}
