package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/cli"
)

// TestMain lets tests run this test binary as the rtdw command: with
// RTDW_TEST_MAIN=1 it is rtdw (so crash tests can SIGKILL a real process
// without a separate build step).
func TestMain(m *testing.M) {
	if os.Getenv("RTDW_TEST_MAIN") == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// rtdwCmd returns a subprocess running rtdw with args.
func rtdwCmd(t *testing.T, dataDir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--data-dir", dataDir, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "RTDW_TEST_MAIN=1")
	return cmd
}

// run runs rtdw in process and returns its exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}
