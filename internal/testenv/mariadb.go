package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	mariaOnce sync.Once
	mariaDSN  string
	mariaErr  error
)

// MariaDB returns the DSN (user:password@tcp(127.0.0.1:port)/, all
// privileges, binlog in ROW format) of a MariaDB started for this test
// binary by scripts/mariadb-test.sh on a free port and a temporary data dir.
// The server stops, and its dir is removed, when the test binary exits.
func MariaDB(t testing.TB) string {
	t.Helper()
	mariaOnce.Do(func() { mariaDSN, mariaErr = startMariaDB() })
	if mariaErr != nil {
		t.Fatalf("MariaDB for tests: %v\n(install it with scripts/setup-test-deps.sh; `make test` runs it)", mariaErr)
	}
	return mariaDSN
}

// MariaDBWith starts a private MariaDB for this test only, with extra
// mariadbd options that override the defaults (e.g. "--skip-log-bin"); it
// stops when the test ends.
func MariaDBWith(t testing.TB, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	dsn, err := startMariaDBIn(dir, strings.Join(args, " "))
	if err != nil {
		t.Fatalf("MariaDB for tests: %v\n(install it with scripts/setup-test-deps.sh; `make test` runs it)", err)
	}
	t.Cleanup(func() {
		if root, err := repoRoot(); err == nil {
			exec.Command(filepath.Join(root, "scripts", "mariadb-test.sh"), "stop", dir).Run()
		}
	})
	return dsn
}

func startMariaDB() (string, error) {
	dir, err := os.MkdirTemp("", "rtdw-mariadb-")
	if err != nil {
		return "", err
	}
	dsn, err := startMariaDBIn(dir, "")
	if err != nil {
		os.RemoveAll(dir)
	}
	return dsn, err
}

func startMariaDBIn(dir, extra string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(filepath.Join(root, "scripts", "mariadb-test.sh"), "start", dir, strconv.Itoa(port), strconv.Itoa(os.Getpid()), "rm")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "MARIADB_EXTRA_ARGS="+extra)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/mariadb-test.sh start: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// repoRoot walks up from the working directory to the directory of go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
