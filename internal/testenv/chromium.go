package testenv

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Browser is a headless Chromium (Debian's chromium package) for page
// tests: each call starts a fresh browser with its own profile directory
// and drives it over the DevTools protocol (see load).
type Browser struct {
	Path string
	// Width and Height of the page's viewport, in CSS pixels; default
	// 1440 × 1800. The page lays out at exactly Width (a window of
	// headless Chromium is never narrower than 500 px, so the size is
	// emulated); below 600 px it is a phone's: a mobile viewport, which
	// honours <meta name="viewport">.
	Width, Height int
	t             testing.TB
	layout        Layout
}

// Layout is what the last page loaded measured when its time was up, in
// CSS pixels.
type Layout struct {
	// InnerWidth is window.innerWidth: the width of the viewport the
	// page shows, wider than ClientWidth when a phone zooms out to fit
	// content that overflows.
	InnerWidth int `json:"innerWidth"`
	// ClientWidth is document.documentElement.clientWidth: the width the
	// page lays out in.
	ClientWidth int `json:"clientWidth"`
	// ScrollWidth is document.documentElement.scrollWidth: the width of
	// the content, more than ClientWidth when it overflows sideways.
	ScrollWidth int `json:"scrollWidth"`
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
	return b.load(url, "", budget)
}

// Screenshot loads url like DOM does, saves a PNG of the viewport to path
// and returns the serialized DOM: one browser start for both.
func (b *Browser) Screenshot(url, path string, budget time.Duration) string {
	b.t.Helper()
	return b.load(url, path, budget)
}

// Layout returns the widths the page of the last DOM or Screenshot
// measured.
func (b *Browser) Layout() Layout { return b.layout }

// hungBrowser is how long a load may take before the browser is deemed
// hung and killed: a deadline, not a speed assertion.
const hungBrowser = 3 * time.Minute

// load starts the browser, loads url in a page of Width × Height, waits
// for its load event and then for budget of virtual time, and returns its
// DOM; with shot, it saves a PNG of the viewport there too.
func (b *Browser) load(url, shot string, budget time.Duration) string {
	b.t.Helper()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + b.t.TempDir(),
		// Commands come on fd 3, answers leave on fd 4.
		"--remote-debugging-pipe",
		"--window-size=" + strconv.Itoa(b.Width) + "," + strconv.Itoa(b.Height),
		"--hide-scrollbars", "--force-device-scale-factor=1",
		// Raster every change before a frame is drawn, so a screenshot
		// shows the page as it is when the budget ends.
		"--run-all-compositor-stages-before-draw",
		// Tests talk to loopback only: no background services, and no
		// host name resolves (servers under test are addressed by IP).
		"--no-first-run", "--no-default-browser-check", "--no-pings",
		"--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-default-apps", "--disable-extensions",
		"--disable-domain-reliability", "--disable-client-side-phishing-detection",
		"--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--lang=en-US",
		"about:blank",
	}
	deadline := time.Now().Add(hungBrowser)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	cmdR, ourW, err := os.Pipe() // Chromium's fd 3
	if err != nil {
		b.t.Fatal(err)
	}
	ourR, cmdW, err := os.Pipe() // Chromium's fd 4
	if err != nil {
		b.t.Fatal(err)
	}
	defer ourW.Close()
	defer ourR.Close()
	cmd := exec.CommandContext(ctx, b.Path, args...)
	cmd.ExtraFiles = []*os.File{cmdR, cmdW}
	// Its own process group, so that the browser's helpers (zygote,
	// renderers, GPU and network services) die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	stderr := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	err = cmd.Start()
	cmdR.Close()
	cmdW.Close()
	if err != nil {
		b.t.Fatalf("%s: %v", b.Path, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	// Done or not, the whole process group goes (no need for a clean
	// exit: the profile is thrown away), and the browser is gone before
	// t.TempDir removes its profile.
	stop := sync.OnceFunc(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	defer stop()

	c := newCDP(ourW, ourR, deadline)
	dom, shotPNG, layout, err := b.drive(c, url, shot != "", budget)
	if err != nil {
		stop() // and its log is complete
		b.t.Fatalf("%s %s: %v\n%s", b.Path, url, err, tail(stderr.String(), 4000))
	}
	b.layout = layout
	if shot != "" {
		if err := os.WriteFile(shot, shotPNG, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	return dom
}

// drive runs the protocol session of one load: a page target, its
// viewport, the navigation, the page's time, then what to bring back.
func (b *Browser) drive(c *cdp, url string, withShot bool, budget time.Duration) (dom string, png []byte, layout Layout, err error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err = c.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err = c.call("", "Target.attachToTarget", map[string]any{
		"targetId": target.TargetID, "flatten": true,
	}, &attached); err != nil {
		return
	}
	s := attached.SessionID
	for _, m := range []string{"Inspector.enable", "Page.enable"} {
		if err = c.call(s, m, nil, nil); err != nil {
			return
		}
	}
	if err = c.call(s, "Page.setLifecycleEventsEnabled", map[string]any{"enabled": true}, nil); err != nil {
		return
	}
	// The viewport: a window is at least 500 px wide in headless
	// Chromium, so the width is emulated; a phone's below 600 px.
	if err = c.call(s, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": b.Width, "height": b.Height, "deviceScaleFactor": 1,
		"mobile":      b.Width < 600,
		"screenWidth": b.Width, "screenHeight": b.Height,
	}, nil); err != nil {
		return
	}
	if b.Width < 600 { // a phone has a touch screen: (pointer: coarse)
		if err = c.call(s, "Emulation.setTouchEmulationEnabled", map[string]any{
			"enabled": true, "maxTouchPoints": 5,
		}, nil); err != nil {
			return
		}
	}

	// As --virtual-time-budget does: load the page in real time, then
	// give it budget of virtual time, which stands still while network
	// fetches are pending and jumps to the next timer when idle.
	var nav struct {
		FrameID   string `json:"frameId"`
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err = c.call(s, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return
	}
	if nav.ErrorText != "" {
		err = fmt.Errorf("navigating: %s", nav.ErrorText)
		return
	}
	if _, err = c.wait(s, "Page.lifecycleEvent", func(p json.RawMessage) bool {
		var e struct{ FrameID, LoaderID, Name string }
		return json.Unmarshal(p, &e) == nil && e.Name == "load" && e.FrameID == nav.FrameID &&
			(nav.LoaderID == "" || e.LoaderID == nav.LoaderID)
	}); err != nil {
		return
	}
	if err = c.call(s, "Emulation.setVirtualTimePolicy", map[string]any{
		"policy": "pauseIfNetworkFetchesPending", "budget": budget.Milliseconds(),
		"maxVirtualTimeTaskStarvationCount": 9999,
	}, nil); err != nil {
		return
	}
	if _, err = c.wait(s, "Emulation.virtualTimeBudgetExpired", nil); err != nil {
		return
	}

	var measured struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	if err = c.call(s, "Runtime.evaluate", map[string]any{
		"expression": `(() => { const e = document.documentElement; return {
			innerWidth: window.innerWidth, clientWidth: e.clientWidth, scrollWidth: e.scrollWidth,
			dom: (document.doctype ? new XMLSerializer().serializeToString(document.doctype) + '\n' : '') + e.outerHTML,
		}; })()`,
		"returnByValue": true,
	}, &measured); err != nil {
		return
	}
	if measured.ExceptionDetails != nil {
		err = fmt.Errorf("reading the DOM: %s", measured.ExceptionDetails)
		return
	}
	var page struct {
		Layout
		DOM string `json:"dom"`
	}
	if err = json.Unmarshal(measured.Result.Value, &page); err != nil {
		err = fmt.Errorf("reading the DOM: %w", err)
		return
	}
	dom, layout = page.DOM, page.Layout

	if withShot {
		var shot struct {
			Data string `json:"data"`
		}
		if err = c.call(s, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
			return
		}
		if png, err = base64.StdEncoding.DecodeString(shot.Data); err != nil {
			err = fmt.Errorf("the screenshot: %w", err)
			return
		}
		if len(png) == 0 {
			err = fmt.Errorf("an empty screenshot")
			return
		}
	}
	return
}

// tailBuffer keeps the last max bytes written to it (the browser's log).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if len(w.b) > 2*w.max {
		w.b = append(w.b[:0], w.b[len(w.b)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("…%s", s[len(s)-n:])
}
