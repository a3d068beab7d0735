package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/failstop"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError marks errors that are the caller's (bad flags or arguments).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// globals are the flags every command shares.
type globals struct {
	dataDir    string
	configFile string
	logLevel   string
	authToken  string // --auth-token, else RTDW_AUTH_TOKEN, else auth_token (setup)
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	logger     *slog.Logger
	ctx        context.Context // ends at SIGINT/SIGTERM (opening the log gives up then)
	// memoryApplied: the memory budget's Go limit is set (applyMemory).
	memoryApplied bool
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g.ctx = ctx
	go func() {
		// After the first signal the command winds down; a second one
		// kills the process (the default action), as after a crash.
		<-ctx.Done()
		stop()
	}()
	// A full or failing disk under a store stops the process at once
	// (internal/failstop): one line, exit 1, resumed from the last
	// checkpoint by the next run.
	defer failstop.SetHandler(func(err error) {
		fmt.Fprintln(os.Stderr, "rtdw:", fatalLine(g.dataDir, err))
		os.Exit(ExitFailure)
	})()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if failstop.IsDiskFull(err) {
		fmt.Fprintf(stderr, "rtdw: data dir %s: no space left on device: %s; free space and run again: it resumes from the last checkpoint\n", g.dataDir, oneLine(err))
		return ExitFailure
	}
	fmt.Fprintln(stderr, "rtdw:", err)
	var u usageError
	// cobra reports unknown commands with a plain error.
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return ExitFailure
}

// fatalLine is the one line a fatal storage error (failstop) prints.
func fatalLine(dataDir string, err error) string {
	var fe *failstop.Error
	var pe *fs.PathError
	errors.As(err, &fe)
	where := "data dir " + dataDir
	if fe != nil {
		if rel, rerr := filepath.Rel(dataDir, fe.Dir); rerr != nil || strings.HasPrefix(rel, "..") {
			where = "store " + fe.Dir // a worker's --state-dir
		}
	}
	if failstop.IsDiskFull(err) {
		what := ""
		switch {
		case fe != nil && fe.Path != "":
			what = fmt.Sprintf(" (%s %s)", fe.Op, fe.Path)
		case errors.As(err, &pe):
			what = fmt.Sprintf(" (%s %s)", pe.Op, pe.Path)
		case fe != nil:
			what = fmt.Sprintf(" (%s in %s)", fe.Op, fe.Dir)
		}
		return fmt.Sprintf("%s: no space left on device%s; stopped without losing anything committed: free space and run again, it resumes from the last checkpoint", where, what)
	}
	return fmt.Sprintf("%s: %s; stopped at once: a store cannot go on after this", where, oneLine(err))
}

// oneLine is err's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "rtdw",
		Short: "A real-time data warehouse engine: the gmall warehouse in one Go program",
		Long: `rtdw runs a layered real-time warehouse (ODS -> DIM -> DWD -> DWS -> ADS) with
exactly-once stream jobs over an embedded, durable log (or Kafka).

Start with:
  rtdw demo                                  # the warehouse on the mock shop, with a dashboard
  rtdw mock logs --count 1000 | rtdw topic produce topic_log --key-field common.mid
  rtdw run --jobs dwd_base_log --drain       # process what is there, then exit
  rtdw topic tail dwd_traffic_page --from-beginning --max 5`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(), // --version (version.go)
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
				return usagef("--log-level %q: want debug, info, warn or error", g.logLevel)
			}
			g.logger = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			slog.SetDefault(g.logger)
			return nil
		},
	}
	def := os.Getenv("RTDW_DATA_DIR")
	if def == "" {
		def = defaultDataDir
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data-dir", def, "where topics, state and checkpoints live (env RTDW_DATA_DIR)")
	pf.StringVar(&g.configFile, "config", "", "rtdw.yaml with settings (see README); flags override it")
	pf.StringVar(&g.logLevel, "log-level", "info", "debug, info, warn or error")
	pf.StringVar(&g.authToken, "auth-token", "", "token every HTTP endpoint rtdw serves requires (but /healthz), and its clients (topic commands, mock --to http) send (env RTDW_AUTH_TOKEN; config auth_token)")
	root.SetVersionTemplate("rtdw {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(newTopicCmd(g), newRunCmd(g), newMockCmd(g), newJobsCmd(g), newBenchCmd(g), newDemoCmd(g), newKafkaDevCmd(g), newWorkerCmd(g), newIngestCmd(g), newQueryCmd(g), newDimCmd(g), newSQLCmd(g), newJobCmd(g))
	root.AddCommand(newOLAPCmd(g))
	return root
}

// args wraps a cobra.PositionalArgs so its errors are usage errors.
func args(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := v(cmd, a); err != nil {
			return usageError{fmt.Errorf("%s: %w", cmd.CommandPath(), err)}
		}
		return nil
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
