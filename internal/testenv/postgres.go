package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var (
	pgOnce sync.Once
	pgDSN  string
	pgErr  error
)

// Postgres returns the DSN (postgres://rtdw@127.0.0.1:port/postgres,
// superuser, trust auth) of a PostgreSQL server started for this test
// binary: initdb in a temporary dir, postgres on a free loopback port. A
// watchdog stops it and removes the dir when the test binary exits. As
// root (PostgreSQL refuses to run as root) the server runs as the
// postgres user.
func Postgres(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgDSN, pgErr = startPostgres() })
	if pgErr != nil {
		t.Fatalf("PostgreSQL for tests: %v\n(install it with scripts/setup-test-deps.sh; `make test` runs it)", pgErr)
	}
	return pgDSN
}

// postgresBin finds the newest /usr/lib/postgresql/*/bin (Debian's layout).
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool { // numerically: 15 before 9 would be wrong
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[a])))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[b])))
		return va > vb
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no /usr/lib/postgresql/*/bin/postgres (Debian package postgresql)")
}

func startPostgres() (string, error) {
	bin, err := postgresBin()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "rtdw-postgres-")
	if err != nil {
		return "", err
	}
	// As root, everything runs as the postgres user, which must own the dir.
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	command := func(name string, args ...string) *exec.Cmd {
		argv := append(append(append([]string(nil), asUser...), filepath.Join(bin, name)), args...)
		return exec.Command(argv[0], argv[1:]...)
	}
	data := filepath.Join(dir, "data")
	if out, err := command("initdb", "-D", data, "-U", "rtdw", "-A", "trust", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	// Durability is not under test here: no fsync.
	start := command("pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "start",
		"-o", "-p "+port+" -k "+dir+" -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
	if out, err := start.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return "", fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	// The watchdog outlives this process and stops the server when it exits.
	stop := strings.Join(append(append([]string(nil), asUser...), filepath.Join(bin, "pg_ctl"), "-D", data, "stop", "-m", "immediate"), " ")
	watch := exec.Command("bash", "-c", fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; %s >/dev/null 2>&1; rm -rf '%s'", os.Getpid(), stop, dir))
	watch.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not killed with the test's process group
	if err := watch.Start(); err != nil {
		return "", err
	}
	go watch.Wait()
	return "postgres://rtdw@127.0.0.1:" + port + "/postgres?sslmode=disable", nil
}
