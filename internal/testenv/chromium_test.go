package testenv_test

import (
	"bytes"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/testenv"
)

// probePage writes what it measures into <body>'s data attributes: the
// viewport and layout widths, media queries, and what ran in its time.
const probePage = `<!doctype html>
<html><head><meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0 } #bar { height: 20px; background: #c00 }</style></head>
<body><div id="bar"></div><script>
const b = document.body, d = b.dataset;
d.inner = innerWidth;
d.client = document.documentElement.clientWidth;
d.bar = document.getElementById('bar').getBoundingClientRect().width;
d.phone = matchMedia('(max-width: 480px)').matches;
d.wide = matchMedia('(min-width: 1600px)').matches;
d.coarse = matchMedia('(pointer: coarse)').matches;
d.timer = 'waiting';
setTimeout(() => { d.timer = 'fired'; }, 1000);
setTimeout(() => { d.late = 'fired'; }, 60000);
fetch('/slow').then(r => r.text()).then(t => {
  d.fetched = t;
  setTimeout(() => { d.after = 'fired'; }, 500);
});
</script></body></html>`

var bodyRE = regexp.MustCompile(`<body ([^>]*)>`)

func bodyAttrs(t *testing.T, dom string) map[string]string {
	t.Helper()
	m := bodyRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no <body> in %.500s", dom)
	}
	out := map[string]string{}
	for _, a := range regexp.MustCompile(`data-([a-z]+)="([^"]*)"`).FindAllStringSubmatch(m[1], -1) {
		out[a[1]] = a[2]
	}
	return out
}

// The browser lays a page out at exactly the width asked, a phone's
// (390 px, under headless Chromium's 500 px window minimum) as well as a
// desktop's, and a screenshot is that size; the page's timers run on
// virtual time, which stands still while a fetch is pending (the server
// answers after 1.5 s of real time, more than the budget of 1.2 s of
// virtual time) and stops at the budget (a 60 s timer never fires).
func TestChromiumViewportAndVirtualTime(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, probePage)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(1500 * time.Millisecond)
		fmt.Fprint(w, "slow")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for _, size := range []struct {
		width, height int
		phone, wide   bool
	}{{390, 844, true, false}, {1600, 900, false, true}} {
		t.Run(fmt.Sprint(size.width), func(t *testing.T) {
			browser := testenv.Chromium(t)
			browser.Width, browser.Height = size.width, size.height
			shot := filepath.Join(t.TempDir(), "probe.png")
			dom := browser.Screenshot(srv.URL+"/", shot, 1200*time.Millisecond)
			d := bodyAttrs(t, dom)
			w := fmt.Sprint(size.width)
			want := map[string]string{
				"inner": w, "client": w, "bar": w,
				"phone": fmt.Sprint(size.phone), "coarse": fmt.Sprint(size.phone), "wide": fmt.Sprint(size.wide),
				"timer": "fired", "fetched": "slow", "after": "fired",
			}
			for k, v := range want {
				if d[k] != v {
					t.Errorf("data-%s = %q, want %q (body %v)", k, d[k], v, d)
				}
			}
			if d["late"] != "" {
				t.Errorf("a timer beyond the budget fired: %v", d)
			}
			l := browser.Layout()
			if l.InnerWidth != size.width || l.ClientWidth != size.width || l.ScrollWidth != size.width {
				t.Errorf("layout %+v, want %d wide", l, size.width)
			}
			f, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(f))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if cfg.Width != size.width || cfg.Height != size.height {
				t.Errorf("screenshot %d × %d, want %d × %d", cfg.Width, cfg.Height, size.width, size.height)
			}
			t.Logf("%s: body %v, layout %+v", w, d, l)
		})
	}

	// DOM alone.
	browser := testenv.Chromium(t)
	browser.Width, browser.Height = 390, 844
	if d := bodyAttrs(t, browser.DOM(srv.URL+"/", 1200*time.Millisecond)); d["inner"] != "390" || d["timer"] != "fired" {
		t.Errorf("DOM: body %v", d)
	}
}

// fatalTB records the failure a Browser reports instead of failing the
// test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// A page that does not load fails the test, saying why.
func TestChromiumFailsOnNavigationError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/"
	l.Close() // nothing listens there now
	tb := &fatalTB{TB: t}
	done := make(chan string)
	go func() {
		defer func() { done <- "" }()
		dom := testenv.Chromium(tb).DOM(closed, time.Second)
		done <- dom
	}()
	if dom := <-done; dom != "" {
		<-done
		t.Fatalf("loaded a page from a closed port: %.300s", dom)
	}
	if !strings.Contains(tb.msg, "ERR_CONNECTION_REFUSED") {
		t.Errorf("failure %q, want the browser's network error", tail(tb.msg))
	}
}

func tail(s string) string {
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}
