package applog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
)

var ctx = context.Background()

func openLog(t *testing.T, dir string) rlog.Log {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: dir, NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newCollector(t *testing.T, l rlog.Log, reg prometheus.Registerer) *Collector {
	t.Helper()
	c, err := New(ctx, Options{Log: l, Partitions: 3, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// values returns a topic's values as "key|value" (dirty: "reason-code|value").
func values(t *testing.T, l rlog.Log, topic string) []string {
	var out []string
	for _, r := range logtest.ReadAll(t, l, topic) {
		if topic == "dirty_data" {
			code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
			out = append(out, code+"|"+string(r.Value))
			continue
		}
		out = append(out, string(r.Key)+"|"+string(r.Value))
	}
	slices.Sort(out)
	return out
}

func logLine(mid string, n int) string {
	return fmt.Sprintf(`{"common":{"mid":%q},"page":{"page_id":"home"},"ts":%d}`, mid, 1700000000000+n)
}

func sorted(s ...string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestCheck(t *testing.T) {
	var p fastjson.Parser
	for _, tc := range []struct{ line, mid, code string }{
		{`{"common":{"mid":"mid_1"},"ts":1}`, "mid_1", ""},
		{`{"common":{"mid":"mid_1"}`, "", ReasonInvalidJSON},
		{`{"common":{"mid":"mid_1"},"ts":NaN}`, "", ReasonInvalidJSON}, // fastjson alone takes these
		{`{"common":{"mid":"mid_1"},"ts":01}`, "", ReasonInvalidJSON},
		{"{\"common\":{\"mid\":\"mid_1\"},\"p\":\"a\x01\"}", "", ReasonInvalidJSON},
		{`[1,2]`, "", ReasonNotObject},
		{`"x"`, "", ReasonNotObject},
		{`{"common":{"mid":7}}`, "", ReasonMissingMid},
		{`{"common":{"mid":""}}`, "", ReasonMissingMid},
		{`{"ts":1}`, "", ReasonMissingMid},
		{"{\"common\":{\"mid\":\"m\xff\"}}", "", ReasonInvalidUTF8},
	} {
		mid, code, _ := Check(&p, []byte(tc.line))
		if string(mid) != tc.mid || code != tc.code {
			t.Errorf("Check(%q) = %q, %q; want %q, %q", tc.line, mid, code, tc.mid, tc.code)
		}
	}
}

func post(t *testing.T, url string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestHTTPBatches(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)
	reg := prometheus.NewRegistry()
	c := newCollector(t, l, reg)
	srv := httptest.NewServer(c.Handler(HTTPOptions{MaxBody: 4096, MaxLine: 200}))
	defer srv.Close()

	// A plain batch: good lines, CRLF, empty lines and one of each bad kind.
	long := `{"common":{"mid":"mid_9"},"x":"` + strings.Repeat("a", 300) + `"}`
	plain := strings.Join([]string{
		logLine("mid_1", 1), logLine("mid_2", 2) + "\r", "", "  ",
		`{"common":{"mid":"mid_3"}`, `[1]`, `{"common":{"mid":3}}`, "{\"common\":{\"mid\":\"\xff\"}}", long,
		logLine("mid_1", 3),
	}, "\n") + "\n"
	code, body := post(t, srv.URL, []byte(plain), map[string]string{"Content-Type": "application/json"})
	var r Response
	if code != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Lines != 8 || r.Bad != 5 {
		t.Fatalf("plain batch: %d %s", code, body)
	}
	// A gzip batch, no trailing newline.
	code, body = post(t, srv.URL, gz(logLine("mid_4", 4)+"\n"+logLine("mid_5", 5)+"\nnot json"), map[string]string{"Content-Encoding": "gzip"})
	if code != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Lines != 3 || r.Bad != 1 {
		t.Fatalf("gzip batch: %d %s", code, body)
	}
	// Requests refused as a whole write nothing.
	for _, tc := range []struct {
		name string
		body []byte
		hdr  map[string]string
		code int
		msg  string
	}{
		{"too large", bytes.Repeat([]byte(logLine("mid_1", 1)+"\n"), 100), nil, 413, "larger than 4096 bytes"},
		{"gzip bomb", gz(strings.Repeat(logLine("mid_1", 1)+"\n", 100)), map[string]string{"Content-Encoding": "gzip"}, 413, "decompressed body is larger"},
		{"bad gzip", []byte("not gzip"), map[string]string{"Content-Encoding": "gzip"}, 400, "invalid gzip"},
		{"empty", []byte("\n\n"), nil, 400, "no lines"},
		{"encoding", []byte("x"), map[string]string{"Content-Encoding": "br"}, 415, "not supported"},
	} {
		code, body := post(t, srv.URL, tc.body, tc.hdr)
		if code != tc.code || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, body, tc.code, tc.msg)
		}
	}
	if resp, err := http.Get(srv.URL); err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET: %v %v", resp, err)
	}

	equal(t, "topic_log", values(t, l, "topic_log"), sorted(
		"mid_1|"+logLine("mid_1", 1), "mid_2|"+logLine("mid_2", 2), "mid_1|"+logLine("mid_1", 3),
		"mid_4|"+logLine("mid_4", 4), "mid_5|"+logLine("mid_5", 5)))
	equal(t, "dirty_data", values(t, l, "dirty_data"), sorted(
		"invalid_json|"+`{"common":{"mid":"mid_3"}`, "not_object|[1]", "missing_mid|"+`{"common":{"mid":3}}`,
		"invalid_utf8|{\"common\":{\"mid\":\"\xff\"}}", "line_too_long|"+long[:200], "invalid_json|not json"))
	dl := logtest.ReadAll(t, l, "dirty_data")[0]
	if string(dl.Header(stream.HeaderJob)) != JobName || !strings.HasPrefix(string(dl.Header(stream.HeaderSource)), "http:127.0.0.1:") {
		t.Fatalf("dead-letter headers: %v", dl.Headers)
	}
	if got := testutil.ToFloat64(c.m.lines.WithLabelValues("http")); got != 11 {
		t.Fatalf("lines counter = %v, want 11", got)
	}
	if got := testutil.ToFloat64(c.m.bad.WithLabelValues("http", ReasonInvalidJSON)); got != 2 {
		t.Fatalf("bad invalid_json counter = %v, want 2", got)
	}
	if got := testutil.ToFloat64(c.m.bytes.WithLabelValues("http")); got <= 0 {
		t.Fatalf("bytes counter = %v", got)
	}
}

func TestHTTPRequestIDSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)
	c := newCollector(t, l, nil)
	srv := httptest.NewServer(c.Handler(HTTPOptions{}))
	hdr := map[string]string{RequestIDHeader: "req-1"}
	batch := []byte(logLine("mid_1", 1) + "\n" + logLine("mid_2", 2) + "\n")
	if code, body := post(t, srv.URL, batch, hdr); code != 200 || strings.Contains(body, "duplicate") {
		t.Fatalf("first: %d %s", code, body)
	}
	if code, body := post(t, srv.URL, batch, hdr); code != 200 || !strings.Contains(body, `"duplicate":true`) {
		t.Fatalf("retry: %d %s", code, body)
	}
	srv.Close()
	c.Close()
	l.Close()

	l = openLog(t, dir)
	defer l.Close()
	c = newCollector(t, l, nil)
	srv = httptest.NewServer(c.Handler(HTTPOptions{}))
	defer srv.Close()
	if code, body := post(t, srv.URL, batch, hdr); code != 200 || !strings.Contains(body, `"duplicate":true`) {
		t.Fatalf("retry after restart: %d %s", code, body)
	}
	if code, _ := post(t, srv.URL, batch, map[string]string{RequestIDHeader: "req-2"}); code != 200 {
		t.Fatal(code)
	}
	if got := len(values(t, l, "topic_log")); got != 4 {
		t.Fatalf("topic_log has %d records, want 4 (two batches)", got)
	}
}

func TestHTTPRequestIDExpires(t *testing.T) {
	l := openLog(t, t.TempDir())
	defer l.Close()
	now := time.Unix(1_800_000_000, 0)
	c, err := New(ctx, Options{Log: l, RequestIDTTL: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler(HTTPOptions{}))
	defer srv.Close()
	batch := []byte(logLine("mid_1", 1) + "\n")
	for i, want := range []string{`"lines":1`, `"duplicate":true`, "+2h", `"lines":1`, `"duplicate":true`} {
		if want == "+2h" {
			now = now.Add(2 * time.Hour)
			continue
		}
		if code, body := post(t, srv.URL, batch, map[string]string{RequestIDHeader: "r"}); code != 200 || !strings.Contains(body, want) {
			t.Fatalf("post %d: %d %s, want %s", i, code, body, want)
		}
	}
	if got := len(values(t, l, "topic_log")); got != 2 {
		t.Fatalf("topic_log has %d records, want 2 (the id expired once)", got)
	}
}

// appendFile appends s to path (creating it).
func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// ordered returns topic_log's values of partition order for one key.
func ordered(t *testing.T, l rlog.Log, key string) []string {
	var out []string
	for _, r := range logtest.ReadAll(t, l, "topic_log") {
		if string(r.Key) == key {
			out = append(out, string(r.Value))
		}
	}
	return out
}

func lines(mid string, from, to int) (string, []string) {
	var b strings.Builder
	var ls []string
	for i := from; i < to; i++ {
		ls = append(ls, logLine(mid, i))
		b.WriteString(logLine(mid, i) + "\n")
	}
	return b.String(), ls
}

func TestTailRotation(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	app := filepath.Join(logs, "app.log")
	l := openLog(t, filepath.Join(dir, "log"))
	defer l.Close()
	c := newCollector(t, l, nil)
	tl, err := c.NewTailer(TailOptions{Globs: []string{app}, MaxLine: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	poll := func() {
		t.Helper()
		if err := tl.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	s, ls := lines("m", 0, 5)
	appendFile(t, app, s)
	want = append(want, ls...)
	// A partial last line waits for its newline.
	appendFile(t, app, `{"common":{"mid":"m"},`)
	poll()
	equal(t, "first lines", ordered(t, l, "m"), want)
	appendFile(t, app, `"ts":5}`+"\n")
	want = append(want, `{"common":{"mid":"m"},"ts":5}`)
	poll()
	poll() // nothing new: nothing written twice
	equal(t, "completed partial line", ordered(t, l, "m"), want)

	// Rotation by rename: the writer finishes the old file after the
	// rename, the new file appears; old lines come first.
	if err := os.Rename(app, app+".1"); err != nil {
		t.Fatal(err)
	}
	s, ls = lines("m", 10, 13)
	appendFile(t, app+".1", s+`{"common":{"mid":"m"},"ts":13}`) // last line without newline
	want = append(append(want, ls...), `{"common":{"mid":"m"},"ts":13}`)
	poll() // no file at the path yet: the old one may still grow
	s, ls = lines("m", 20, 23)
	appendFile(t, app, s)
	want = append(want, ls...)
	poll()
	equal(t, "after rename rotation", ordered(t, l, "m"), want)
	if n := len(c.Positions()); n != 1 {
		t.Fatalf("positions %v, want only the new file's", c.Positions())
	}

	// Rotation by copytruncate: the file shrinks below our position.
	if err := os.Truncate(app, 0); err != nil {
		t.Fatal(err)
	}
	s, ls = lines("m", 30, 31)
	appendFile(t, app, s)
	want = append(want, ls...)
	poll()
	equal(t, "after copytruncate", ordered(t, l, "m"), want)

	// A line longer than MaxLine is dead-lettered, the tail goes on.
	appendFile(t, app, `{"common":{"mid":"m"},"x":"`+strings.Repeat("b", 1500)+"\"}\n"+logLine("m", 40)+"\n")
	want = append(want, logLine("m", 40))
	poll()
	equal(t, "after a long line", ordered(t, l, "m"), want)
	var codes []string
	for _, r := range logtest.ReadAll(t, l, "dirty_data") {
		code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
		codes = append(codes, code)
		if !strings.HasPrefix(string(r.Header(stream.HeaderSource)), "file:"+app+"@") {
			t.Fatalf("source header %q", r.Header(stream.HeaderSource))
		}
	}
	slices.Sort(codes)
	equal(t, "dead letters", codes, []string{"invalid_json", "line_too_long"})
}

// TestTailRestart: positions commit with the lines, so a new collector on
// the reopened log goes on exactly where the last commit left off, even
// when the file was rotated away (to a name the pattern does not match)
// while it was down.
func TestTailRestart(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	ldir := filepath.Join(dir, "log")
	s, want := lines("m", 0, 100)
	appendFile(t, app, s)
	start := func() (rlog.Log, *Collector, *Tailer) {
		l := openLog(t, ldir)
		c := newCollector(t, l, nil)
		tl, err := c.NewTailer(TailOptions{Globs: []string{filepath.Join(dir, "*.log")}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tl.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		return l, c, tl
	}
	stop := func(l rlog.Log, c *Collector, tl *Tailer) { tl.Close(); c.Close(); l.Close() }
	stop(start())

	s, ls := lines("m", 100, 150)
	appendFile(t, app, s)
	want = append(want, ls...)
	stop(start())

	// Down while the file grows and is rotated by rename.
	s, ls = lines("m", 150, 160)
	appendFile(t, app, s)
	want = append(want, ls...)
	os.Rename(app, filepath.Join(dir, "app.log-20261121"))
	s, ls = lines("m", 160, 170)
	appendFile(t, app, s)
	want = append(want, ls...)
	l, c, tl := start()
	equal(t, "after restarts", ordered(t, l, "m"), want)
	if len(c.Positions()) != 1 {
		t.Fatalf("positions %v, want only the new file's", c.Positions())
	}
	stop(l, c, tl)
}

// noState is a log without a state store, as Kafka or a remote rtdw.
type noState struct{ rlog.Log }

func (noState) StateStore() *pebble.DB { return nil }

// TestTailPositionFile: without a state store, positions go to the
// position file after each write, and a restart goes on from there.
func TestTailPositionFile(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	l := openLog(t, filepath.Join(dir, "log"))
	defer l.Close()
	pf := filepath.Join(dir, "positions.json")
	if _, err := New(ctx, Options{Log: noState{l}}); err != nil {
		t.Fatal(err)
	}
	c0, _ := New(ctx, Options{Log: noState{l}})
	if _, err := c0.NewTailer(TailOptions{Globs: []string{app}}); err == nil {
		t.Fatal("tailing without a state store or a position file must be refused")
	}
	var want []string
	for round := range 3 {
		s, ls := lines("m", round*10, round*10+10)
		appendFile(t, app, s)
		want = append(want, ls...)
		c, err := New(ctx, Options{Log: noState{l}, PositionFile: pf})
		if err != nil {
			t.Fatal(err)
		}
		if c.Exactly() {
			t.Fatal("Exactly() on a log without a state store")
		}
		tl, err := c.NewTailer(TailOptions{Globs: []string{app}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tl.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		tl.Close()
	}
	equal(t, "topic_log", ordered(t, l, "m"), want)
	raw, err := os.ReadFile(pf)
	if err != nil || !strings.Contains(string(raw), `"offset":`) {
		t.Fatalf("position file: %s %v", raw, err)
	}
}

// A poll whose glob ran before a rename to another matching path
// (app.log -> app.log.1 under app.log*) does not take the open file for
// rotated away: it would finish it, drop its position, and read it again
// from the start when the next poll finds it at its new name (the
// duplicates TestIngestApplogFilesKill9OnKafka saw once in CI).
func TestTailRenameToMatchingPathRace(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	l := openLog(t, filepath.Join(dir, "log"))
	defer l.Close()
	c := newCollector(t, l, nil)
	tl, err := c.NewTailer(TailOptions{Globs: []string{app + "*"}, MaxLine: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	s, want := lines("m", 0, 5)
	appendFile(t, app, s)
	if err := tl.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(app, app+".1"); err != nil {
		t.Fatal(err)
	}
	s, ls := lines("m", 10, 12)
	appendFile(t, app, s)
	want = append(want, ls...)
	// The race: the poll listed the old path before the rename, so the
	// open file is at no path it saw, and a new file is at its old path.
	for _, tf := range tl.open {
		if err := tl.finishIfRotated(ctx, tf); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := tl.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "lines after the rename", ordered(t, l, "m"), want)
}
