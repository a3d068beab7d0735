package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
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
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "rtdw:", err)
	var u usageError
	// cobra reports unknown commands with a plain error.
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return ExitFailure
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
		def = "./rtdw-data"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data-dir", def, "where topics, state and checkpoints live (env RTDW_DATA_DIR)")
	pf.StringVar(&g.configFile, "config", "", "rtdw.yaml with settings (see README); flags override it")
	pf.StringVar(&g.logLevel, "log-level", "info", "debug, info, warn or error")
	pf.StringVar(&g.authToken, "auth-token", "", "token every HTTP endpoint rtdw serves requires (but /healthz), and its clients (topic commands, mock --to http) send (env RTDW_AUTH_TOKEN; config auth_token)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(newTopicCmd(g), newRunCmd(g), newMockCmd(g), newJobsCmd(g), newBenchCmd(g), newDemoCmd(g), newKafkaDevCmd(g), newWorkerCmd(g), newIngestCmd(g), newQueryCmd(g), newDimCmd(g), newSQLCmd(g))
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
