package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Redis starts a private redis-server for this test on a free port, with
// its own temporary dir and no persistence, and returns its address
// (127.0.0.1:port). The server stops when the test ends.
func Redis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("Redis for tests: redis-server not found\n(install it with scripts/setup-test-deps.sh; `make test` runs it)")
	}
	dir := t.TempDir()
	// A port picked then released can be taken by someone else before the
	// server binds it: try a few.
	var lastErr error
	for range 5 {
		addr, stop, err := startRedis(bin, dir)
		if err == nil {
			t.Cleanup(stop)
			return addr
		}
		lastErr = err
	}
	t.Fatalf("Redis for tests: %v", lastErr)
	return ""
}

func startRedis(bin, dir string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
		"--unixsocket", "", "--protected-mode", "no")
	var logs bytes.Buffer // read only after the process exited
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			return "", nil, fmt.Errorf("redis-server exited: %v: %s", err, strings.TrimSpace(logs.String()))
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			ok := ping(c)
			c.Close()
			if ok {
				return addr, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on %s did not answer PING within 30s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping sends PING in the inline protocol and checks for +PONG.
func ping(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
