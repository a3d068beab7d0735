package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/state"
)

type jobResetOptions struct {
	earliest bool
	latest   bool
	at       string
	dryRun   bool
}

func newJobResetCmd(g *globals) *cobra.Command {
	o := &jobResetOptions{}
	c := &cobra.Command{
		Use:   "reset JOB (--to-earliest | --to-timestamp T | --to-latest)",
		Short: "Move a stopped job's offsets and clear its state, so it reprocesses (kafka-consumer-groups --reset-offsets)",
		Long: `Reset a job so that its next run reprocesses its input from new offsets with
fresh state, as a Flink job started again without its savepoint, from
chosen Kafka offsets (scan.startup.mode earliest-offset or timestamp):

  --to-earliest      each input partition's first record still held
  --to-timestamp T   the first record at or after T (epoch ms, RFC 3339, or
                     'yyyy-MM-dd[ HH:mm:ss]' in the config's timezone)
  --to-latest        the end: skip what is there, process only what comes

What reset does, in one atomic commit on the embedded log:
  - the committed offsets of the job's inputs (its consumer group) move there;
  - its repartition topics' offsets move to their end: records shuffled by
    the old run are dropped, the new run shuffles its own;
  - its state is cleared: windows, aggregates, deduplication, joins and
    watermarks start empty (on Kafka: its changelog topics are deleted).
It prints the plan; --dry-run prints it and changes nothing.

The job must be stopped: reset refuses while a running rtdw holds the data
dir (on Kafka, while the job's consumer group has workers). Run it again
('rtdw run --jobs JOB', 'rtdw worker', 'rtdw sql -f ...') to reprocess.

What it writes is written again: its output topics (and OLAP tables, dimension
store) get the results of the reprocessed input appended, so downstream jobs
and readers see them a second time, as after any Flink reprocessing. Upserts
(DWS tables, the dimension store) end up the same. With --to-timestamp, a
window that began before T is computed from the records after T only.

An SQL job changed in a way its state cannot follow is restarted with
'--reset-job NAME' of run / sql instead (a new generation); job reset keeps
its plan and moves its offsets.`,
		Example: `  rtdw job reset dwd_base_log --to-earliest
  rtdw job reset dws_trade_order_window --to-timestamp '2026-11-21 00:00:00' --dry-run
  rtdw --config rtdw.yaml job reset dwd_base_log --to-earliest     # mode: kafka, workers stopped`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, err := g.setup(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			n := 0
			for _, b := range []bool{o.earliest, o.latest, o.at != ""} {
				if b {
					n++
				}
			}
			if n != 1 {
				return usagef("job reset: give one of --to-earliest, --to-timestamp T and --to-latest")
			}
			var ts int64
			if o.at != "" {
				if ts, err = parseTimestamp(o.at, cfg.location()); err != nil {
					return usagef("--to-timestamp: %v", err)
				}
			}
			e, err := g.openJobEnv(cfg, true)
			if err != nil {
				return fmt.Errorf("job reset %s: %w", a[0], err)
			}
			defer e.close()
			return resetJob(cmd.Context(), g, e, a[0], o, ts)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.earliest, "to-earliest", false, "reprocess everything the inputs still hold")
	f.StringVar(&o.at, "to-timestamp", "", "reprocess from the first record at or after this time: epoch ms, RFC 3339, or 'yyyy-MM-dd[ HH:mm:ss]' in the config timezone")
	f.BoolVar(&o.latest, "to-latest", false, "skip to the end of the inputs")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan, change nothing")
	return c
}

func resetJob(ctx context.Context, g *globals, e *jobEnv, job string, o *jobResetOptions, ts int64) error {
	jobs, err := e.jobs(ctx)
	if err != nil {
		return err
	}
	offs, err := e.offsets(ctx, job)
	if err != nil {
		return err
	}
	if len(offs) == 0 {
		return noOffsetsError(job, jobs)
	}
	if e.kafka != nil {
		if st, members, err := e.kafka.GroupState(ctx, e.group(job)); err != nil {
			return err
		} else if len(members) > 0 {
			return fmt.Errorf("job reset %s: its consumer group %s is %s with %d worker(s) (%s): stop them first",
				job, e.group(job), st, len(members), strings.Join(members, ", "))
		}
	}
	plan := map[rlog.TopicPartition]int64{}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TOPIC\tPARTITION\tCOMMITTED\tNEW")
	for _, off := range offs {
		to, err := e.resetOffset(ctx, off, o, ts)
		if err != nil {
			return err
		}
		plan[off.tp] = to
		name := off.tp.Topic
		if off.internal {
			name += " (repartition: to its end)"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\n", name, off.tp.Partition, off.committed, to)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	stateMsg, changelogs, err := e.stateSummary(ctx, job, jobs)
	if err != nil {
		return err
	}
	if o.dryRun {
		fmt.Fprintf(g.stderr, "dry run: job %s would get these offsets and its state (%s) cleared; nothing changed\n", job, stateMsg)
		return nil
	}
	if err := e.applyReset(ctx, job, plan, changelogs); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "reset job %s: %d input partition(s) moved, state (%s) cleared; its next run reprocesses from these offsets\n", job, len(plan), stateMsg)
	return nil
}

// resetOffset is where a reset moves one input partition of a job: its
// start (--to-earliest), its end (--to-latest, and always for a
// repartition topic) or its first record at or after ts.
func (e *jobEnv) resetOffset(ctx context.Context, off jobOffset, o *jobResetOptions, ts int64) (int64, error) {
	to := off.end
	switch {
	case off.internal, o.latest:
	case o.earliest:
		to = off.start
	default:
		var err error
		if to, err = rlog.OffsetForTime(ctx, e.l, off.tp, ts); err != nil {
			return 0, fmt.Errorf("%s: %w", off.tp, err)
		}
		to = min(max(to, off.start), off.end)
	}
	return to, nil
}

// applyReset commits a stopped job's new offsets (plan) and clears its
// state: its changelogs on Kafka, its entries in the data dir's store
// otherwise (in the same commit as the offsets).
func (e *jobEnv) applyReset(ctx context.Context, job string, plan map[rlog.TopicPartition]int64, changelogs []string) error {
	if e.kafka != nil {
		// Changelogs first: if the offsets then fail to commit, running
		// the reset again finishes it (it is idempotent).
		for _, t := range changelogs {
			if err := e.kafka.DeleteTopic(ctx, t); err != nil && !errors.Is(err, rlog.ErrUnknownTopic) {
				return fmt.Errorf("job reset %s: delete changelog %s: %w (run the reset again)", job, t, err)
			}
		}
		if err := e.kafka.CommitOffsets(ctx, e.group(job), plan); err != nil {
			return fmt.Errorf("job reset %s: commit offsets: %w (its changelogs are deleted: run the reset again)", job, err)
		}
		return nil
	}
	db := e.l.StateStore()
	b := db.NewBatch()
	defer b.Close()
	for _, sp := range state.JobSpans(job) {
		if err := b.DeleteRange(sp[0], sp[1], nil); err != nil {
			return err
		}
	}
	// Offsets and state in one commit: a crash leaves the job as it
	// was or reset, never half.
	if err := e.l.Commit(ctx, &rlog.Txn{Group: e.group(job), Offsets: plan, State: b}); err != nil {
		return fmt.Errorf("job reset %s: %w", job, err)
	}
	return nil
}
