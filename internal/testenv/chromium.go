package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Browser is a headless Chromium (Debian's chromium package) for page
// tests: each call starts a fresh browser with its own profile directory.
type Browser struct {
	Path string
	// Width and Height of the window, in CSS pixels; default 1440 × 1800.
	Width, Height int
	t             testing.TB
}

// Chromium returns the headless browser, failing the test with install
// advice when it is missing (tests never skip for a missing program).
func Chromium(t testing.TB) *Browser {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return &Browser{Path: p, Width: 1440, Height: 1800, t: t}
		}
	}
	t.Fatalf("chromium not found\n(install it with scripts/setup-test-deps.sh; `make test` runs it)")
	return nil
}

// DOM loads url, lets the page run for budget of virtual time (timers fire,
// network fetches pause the clock until they finish) and returns the
// serialized DOM.
func (b *Browser) DOM(url string, budget time.Duration) string {
	b.t.Helper()
	return b.run(budget, "--dump-dom", url)
}

// Screenshot loads url like DOM does and saves a PNG of the window to path.
func (b *Browser) Screenshot(url, path string, budget time.Duration) {
	b.t.Helper()
	b.run(budget, "--screenshot="+path, url)
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		b.t.Fatalf("chromium wrote no screenshot to %s (%v)", path, err)
	}
}

func (b *Browser) run(budget time.Duration, args ...string) string {
	b.t.Helper()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + b.t.TempDir(),
		"--window-size=" + strconv.Itoa(b.Width) + "," + strconv.Itoa(b.Height),
		"--hide-scrollbars", "--force-device-scale-factor=1",
		// Raster every change before a frame is drawn, so a screenshot
		// shows the page as it is when the budget ends.
		"--run-all-compositor-stages-before-draw",
		"--virtual-time-budget=" + strconv.FormatInt(budget.Milliseconds(), 10),
		// Tests talk to loopback only: no background services, and no
		// host name resolves (servers under test are addressed by IP).
		"--no-first-run", "--no-default-browser-check", "--no-pings",
		"--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-default-apps", "--disable-extensions",
		"--disable-domain-reliability", "--disable-client-side-phishing-detection",
		"--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--lang=en-US",
	}
	// A deadline for a hung browser, not a speed assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.Path, append(base, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.t.Fatalf("%s: %v\n%s", b.Path, err, tail(stderr.String(), 4000))
	}
	return stdout.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("…%s", s[len(s)-n:])
}
