package cli_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// httpGet returns a GET's status and body; auth, if set, is the bearer token.
func httpGet(t *testing.T, c *http.Client, url, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The collector with --auth-token: every endpoint but /healthz wants it;
// mock --to http and topic commands through the running process send it
// when given (flag or RTDW_AUTH_TOKEN).
func TestAuthTokenApplog(t *testing.T) {
	dir := t.TempDir()
	cmd, addr := startApplog(t, dir, "--listen", "127.0.0.1:0", "--auth-token", "s3cret")
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("ingest applog after SIGTERM: %v", err)
		}
	}()
	base := "http://" + addr
	if code, body := httpGet(t, http.DefaultClient, base+"/healthz", ""); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, _ := httpGet(t, http.DefaultClient, base+"/metrics", ""); code != 401 {
		t.Fatalf("/metrics without the token: %d", code)
	}
	if code, body := httpGet(t, http.DefaultClient, base+"/metrics", "s3cret"); code != 200 || !strings.Contains(body, "rtdw_applog") {
		t.Fatalf("/metrics with the token: %d", code)
	}
	mockArgs := []string{"mock", "--seed", "3", "--sessions", "5", "--progress", "0", "--to", "http", "--url", base + "/applog"}
	if code, _, stderr := run(t, "", mockArgs...); code == 0 || !strings.Contains(stderr, "401") {
		t.Fatalf("mock --to http without the token: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(t, "", append(mockArgs, "--auth-token", "s3cret")...); code != 0 {
		t.Fatalf("mock --to http with the token: %s", stderr)
	}
	if code, _, stderr := run(t, "", "--data-dir", dir, "topic", "list"); code == 0 || !strings.Contains(stderr, "--auth-token") {
		t.Fatalf("topic list without the token: exit %d, %s", code, stderr)
	}
	t.Setenv("RTDW_AUTH_TOKEN", "s3cret")
	if code, out, stderr := run(t, "", "--data-dir", dir, "topic", "list"); code != 0 || !strings.Contains(out, "topic_log") {
		t.Fatalf("topic list with RTDW_AUTH_TOKEN: exit %d, %s %s", code, out, stderr)
	}
}

// rtdw run with auth_token in rtdw.yaml: the status page opens from a
// ?token= link, and the browser's cookie then carries it.
func TestAuthTokenRunConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rtdw.yaml")
	if err := os.WriteFile(cfg, []byte("auth_token: from-config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startRtdw(t, dir, "--config", cfg, "run", "--jobs", "dwd_base_log", "--http-addr", "127.0.0.1:0")
	base := "http://" + advertised(t, dir)
	for _, p := range []string{"/", "/api/topics", "/metrics", "/debug/pprof/heap"} {
		if code, _ := httpGet(t, http.DefaultClient, base+p, ""); code != 401 {
			t.Fatalf("%s without the token: %d", p, code)
		}
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if code, body := httpGet(t, browser, base+"/?token=from-config", ""); code != 200 || !strings.Contains(body, "<h1>rtdw</h1>") {
		t.Fatalf("status page link: %d %q", code, body)
	}
	if code, body := httpGet(t, browser, base+"/api/topics", ""); code != 200 || !strings.Contains(body, "topic_log") {
		t.Fatalf("/api/topics with the cookie: %d %q", code, body)
	}
	// Go's profiles, behind the same token; not the command line.
	if code, body := httpGet(t, browser, base+"/debug/pprof/heap?debug=1", ""); code != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("/debug/pprof/heap with the cookie: %d %.80q", code, body)
	}
	if code, _ := httpGet(t, browser, base+"/debug/pprof/cmdline", ""); code == 200 {
		t.Fatal("/debug/pprof/cmdline is served: it may show secrets")
	}
	if code, _, errs := run(t, "", "--data-dir", dir, "--config", cfg, "topic", "list"); code != 0 {
		t.Fatalf("topic list with the config's token: %s", errs)
	}
}
