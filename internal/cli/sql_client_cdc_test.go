package cli_test

import (
	"database/sql"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/rtdw/rtdw/internal/cli"
	"github.com/rtdw/rtdw/internal/testenv"
)

// An INSERT from a mysql-cdc table, submitted in the interactive client,
// keeps streaming the binlog while it runs (its capture runs next to the
// job, as in `rtdw sql -f` and `rtdw run --sql`): a row inserted after the
// job started reaches the sink (it used to stop at the position the job
// started from).
func TestSQLClientStreamsMySQLCDC(t *testing.T) {
	dsn := testenv.MariaDB(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS cli_cdc", "CREATE DATABASE cli_cdc",
		"CREATE TABLE cli_cdc.t (id BIGINT PRIMARY KEY, name VARCHAR(20))", "INSERT INTO cli_cdc.t VALUES (1, 'before')"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf(`CREATE TABLE src (id BIGINT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH (
  'connector' = 'mysql-cdc', 'hostname' = '%s', 'port' = '%s', 'username' = '%s', 'password' = '%s',
  'database-name' = 'cli_cdc', 'table-name' = 't', 'server-id' = '5501');
CREATE TABLE out (id BIGINT, name STRING) WITH ('connector' = 'print');
INSERT INTO out SELECT id, name FROM src;
`, host, port, cfg.User, cfg.Passwd)

	stdin, feed := io.Pipe()
	var stdout, stderr syncBuffer
	done := make(chan int)
	dir := t.TempDir()
	go func() {
		done <- cli.Main([]string{"--data-dir", dir, "--log-level", "warn", "sql"}, stdin, &stdout, &stderr)
	}()
	go feed.Write([]byte(script))
	wait := func(what, want string) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !strings.Contains(stdout.String(), want); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 60s for %s (%q)\nstdout:\n%s\nstderr:\n%s", what, want, stdout.String(), stderr.String())
			}
		}
	}
	wait("the snapshot row", "+I[1, before]")
	if _, err := admin.Exec("INSERT INTO cli_cdc.t VALUES (2, 'after')"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("UPDATE cli_cdc.t SET name = 'changed' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	wait("a row inserted while the job runs", "+I[2, after]")
	wait("an update made while the job runs", "+U[1, changed]")
	feed.Write([]byte("QUIT;\n"))
	feed.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("rtdw sql: exit %d\n%s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("rtdw sql did not end after QUIT")
	}
}
