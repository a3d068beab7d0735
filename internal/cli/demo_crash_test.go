package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
)

// demoSnapshot is everything a drained demo leaves in its data dir that
// must not depend on how often the process was killed.
type demoSnapshot struct {
	counts map[string]int64             // records per topic (internal topics excluded)
	topics map[string]map[string]int    // every non-internal topic: key|value|time -> count
	last   map[string]map[string]string // every non-internal topic: key -> its last value|time
	dims   map[string]string            // dimension store: Pebble key -> value
	tables map[string][]string          // DWS table -> its rows, sorted, as JSON
	dimLs  string                       // rtdw dim list
}

// demoArgs is the drained demo both data dirs run.
var demoArgs = []string{"demo", "--date", "2024-06-01", "--drain", "--sessions", "3000", "--seed", "7", "--progress", "0", "--http="}

// demoConfig writes a rtdw.yaml with a short checkpoint interval, so a kill
// lands between many small commits.
func demoConfig(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "rtdw.yaml")
	if err := os.WriteFile(p, []byte("checkpoint_interval: 100ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// shopRecords counts topic_db + topic_log records (0 while the topics do
// not exist yet).
func shopRecords(t *testing.T, dir string) int64 {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "log")); errors.Is(err, os.ErrNotExist) {
		return 0
	}
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var n int64
	for _, topic := range []string{"topic_db", "topic_log"} {
		info, err := l.DescribeTopic(context.Background(), topic)
		if err != nil {
			continue // not created yet
		}
		n += topicCount(t, l, info)
	}
	return n
}

func topicCount(t *testing.T, l rlog.Log, info rlog.TopicInfo) int64 {
	t.Helper()
	var n int64
	for p := int32(0); p < info.Partitions; p++ {
		_, end, err := l.Offsets(context.Background(), rlog.TopicPartition{Topic: info.Name, Partition: p})
		if err != nil {
			t.Fatal(err)
		}
		n += end
	}
	return n
}

// snapshotDemo reads a stopped demo's data dir.
func snapshotDemo(t *testing.T, dir, cfg string) demoSnapshot {
	t.Helper()
	ctx := context.Background()
	s := demoSnapshot{counts: map[string]int64{}, dims: map[string]string{},
		tables: map[string][]string{}, topics: map[string]map[string]int{}, last: map[string]map[string]string{}}
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	infos, err := l.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if strings.HasPrefix(info.Name, "_") {
			continue // repartition topics carry watermark markers, one per checkpoint: they differ by design
		}
		s.counts[info.Name] = topicCount(t, l, info)
		s.topics[info.Name], s.last[info.Name] = readTopic(t, l, info.Name)
	}
	// Embedded dimension tables live in the log's Pebble store under key
	// namespace 0x30 (internal/dim/doc.go): compare every key and value,
	// but the write sequences (0x30 'q': fencing, internal/dim/seq.go),
	// which number the writes by checkpoint epochs that start from the
	// wall clock, so a run killed and restarted numbers them differently
	// by design (a key's sequence only has to grow).
	it, err := l.StateStore().NewIter(&pebble.IterOptions{LowerBound: []byte{0x30}, UpperBound: []byte{0x31}})
	if err != nil {
		t.Fatal(err)
	}
	for it.First(); it.Valid(); it.Next() {
		if k := it.Key(); len(k) > 1 && k[1] == 'q' {
			continue
		}
		s.dims[string(it.Key())] = string(it.Value())
	}
	if err := errors.Join(it.Close(), l.Close()); err != nil {
		t.Fatal(err)
	}

	db, err := olap.Open(ctx, olap.Config{DataDir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tb := range dws.Tables() {
		r, err := db.Query(ctx, "SELECT * FROM "+tb.Name)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, row := range r.Rows {
			m := map[string]any{}
			for i, c := range r.Columns {
				m[c] = fmt.Sprint(row[i]) // values as text: a decimal 1.10 and 1.1 differ
			}
			b, _ := json.Marshal(m)
			rows = append(rows, string(b))
		}
		sort.Strings(rows)
		s.tables[tb.Name] = rows
	}

	code, out, stderr := run(t, "", "--data-dir", dir, "--config", cfg, "dim", "list")
	if code != 0 {
		t.Fatalf("dim list: exit %d: %s", code, stderr)
	}
	s.dimLs = out
	return s
}

// TestDemoCrashRecovery: a drained demo SIGKILLed at random moments (first
// while the shop is being written, then while the jobs drain) and
// restarted ends with the topics, the dimension store and the DWS tables
// of a run that never stopped.
func TestDemoCrashRecovery(t *testing.T) {
	tmp := t.TempDir()
	cfg := demoConfig(t, tmp)
	args := append([]string{"--config", cfg}, demoArgs...)

	ref := filepath.Join(tmp, "reference")
	began := time.Now()
	if out, err := rtdwCmd(t, ref, args...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	refTook := time.Since(began)
	want := snapshotDemo(t, ref, cfg)
	total := want.counts["topic_db"] + want.counts["topic_log"]
	if want.counts["topic_db"] == 0 || want.counts["topic_log"] == 0 {
		t.Fatalf("the reference shop wrote topic_db %d, topic_log %d records", want.counts["topic_db"], want.counts["topic_log"])
	}

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 8))
	t.Logf("kill delays from seed %d; the shop writes %d records", seed, total)
	crash := filepath.Join(tmp, "crash")

	// 1. Kill while the shop is being written. How long the process takes
	// to start varies with the machine's load, so the delay adapts: too
	// early (nothing written yet) waits longer, too late (all written)
	// starts over in an empty dir with a shorter delay.
	delay := time.Duration(100+rng.IntN(100)) * time.Millisecond
	midShop := 0
	for attempt := 0; midShop < 2; attempt++ {
		if attempt > 25 {
			t.Fatalf("only %d kills landed while the shop was being written, in %d attempts", midShop, attempt)
		}
		e, done := startDemo(t, crash, args...)
		select {
		case err := <-done:
			t.Fatalf("demo finished within %s (%v): the shop is too small to be killed mid-way\n%s", delay, err, e.stderr.String())
		case <-time.After(delay):
		}
		e.kill(t, done)
		n := shopRecords(t, crash)
		switch {
		case n == 0:
			delay += delay / 2
		case n >= total:
			if n > total {
				t.Fatalf("after a kill the topics hold %d shop records, more than the whole shop's %d", n, total)
			}
			t.Logf("kill after %s: the shop was already written; starting over", delay)
			if err := os.RemoveAll(crash); err != nil {
				t.Fatal(err)
			}
			midShop = 0
			delay = delay * 2 / 3
		default:
			midShop++
			t.Logf("kill after %s while the shop was being written: %d of %d records there", delay, n, total)
			delay += time.Duration(rng.IntN(60)) * time.Millisecond
		}
	}

	// 2. Kill while the jobs drain, each run after 15-45% of the time the
	// reference run took (a fixed range let a fast machine finish the
	// drain before the second kill).
	kills := 0
	finished := false
	for kills < 4 {
		e, done := startDemo(t, crash, args...)
		d := refTook * time.Duration(15+rng.IntN(31)) / 100
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("demo failed: %v\n%s", err, e.stderr.String())
			}
			if kills < 2 {
				t.Fatalf("the demo finished after only %d kills while draining; make the shop bigger", kills)
			}
			finished = true
		case <-time.After(d):
			e.kill(t, done)
			kills++
			t.Logf("kill %d while draining, after %s", kills, d)
			continue
		}
		break
	}
	if n := shopRecords(t, crash); n != total {
		t.Fatalf("after the kills the topics hold %d shop records, want %d", n, total)
	}
	if !finished {
		out, err := rtdwCmd(t, crash, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("final run: %v\n%s", err, out)
		}
	}
	got := snapshotDemo(t, crash, cfg)
	compareDemo(t, want, got)
}

// upsertTopics are written as upserts by key: a LEFT join writes a line
// as soon as its order is known and again, completed, when its activity or
// coupon row arrives (internal/warehouse/dwd/trade_order_detail.go), so
// how many versions a key gets depends on how the inputs interleave, in a
// run that never stopped too. Their contract is the last value per key.
// DWS topics likewise: a drain re-emits its open windows at the end of
// every run (internal/warehouse/dws/doc.go).
func upsertTopic(name string) bool {
	switch name {
	case "dwd_trade_order_detail", "dwd_trade_order_cancel", "dwd_trade_order_payment_success":
		return true
	}
	return strings.HasPrefix(name, "dws_")
}

func compareDemo(t *testing.T, want, got demoSnapshot) {
	t.Helper()
	for topic, n := range want.counts {
		if n == 0 && topic != "dirty_data" {
			t.Errorf("topic %s: the reference run wrote nothing; the comparison would be empty", topic)
		}
		if upsertTopic(topic) {
			compareMaps(t, "topic "+topic+" key", want.last[topic], got.last[topic])
			continue
		}
		if got.counts[topic] != n {
			t.Errorf("topic %s: %d records after crashes, %d in the reference", topic, got.counts[topic], n)
		}
		compareMaps(t, "topic "+topic+" record", want.topics[topic], got.topics[topic])
	}
	for topic := range got.counts {
		if _, ok := want.counts[topic]; !ok {
			t.Errorf("topic %s exists only after crashes", topic)
		}
	}
	if len(want.dims) == 0 {
		t.Error("the reference dimension store is empty")
	}
	compareMaps(t, "dimension key", want.dims, got.dims)
	if got.dimLs != want.dimLs {
		t.Errorf("dim list after crashes:\n%s\nreference:\n%s", got.dimLs, want.dimLs)
	}
	rows := 0
	for name, w := range want.tables {
		g := got.tables[name]
		if len(w) == 0 {
			t.Errorf("%s: the reference run loaded no rows", name)
		}
		rows += len(w)
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s: %d rows after crashes, %d in the reference; first difference: %s", name, len(g), len(w), firstDiff(w, g))
		}
	}
	t.Logf("compared %d topics, %d dimension keys, %d DWS rows", len(want.counts), len(want.dims), rows)
}

// compareMaps reports every key whose value differs (at most 10).
func compareMaps[V comparable](t *testing.T, what string, want, got map[string]V) {
	t.Helper()
	bad := 0
	report := func(format string, a ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, a...)
		}
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			report("%s %.200q: missing after crashes; reference: %.300v", what, k, w)
		} else if g != w {
			report("%s %.200q: %.300v after crashes; reference: %.300v", what, k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			report("%s %.200q: only after crashes: %.300v", what, k, g)
		}
	}
	if bad > 10 {
		t.Errorf("%s: %d differences in all", what, bad)
	}
}

func firstDiff(want, got []string) string {
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			return fmt.Sprintf("row %d: reference %.300s, after crashes %.300s", i, w, g)
		}
	}
	return "none"
}

// demoProc is a started rtdw process.
type demoProc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
}

// syncBuffer is a bytes.Buffer the process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDemo starts rtdw; the returned channel yields its Wait error.
func startDemo(t *testing.T, dir string, args ...string) (*demoProc, <-chan error) {
	t.Helper()
	p := &demoProc{cmd: rtdwCmd(t, dir, args...)}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	return p, done
}

// kill SIGKILLs the process and fails the test unless the signal is what
// ended it (it had not finished on its own).
func (p *demoProc) kill(t *testing.T, done <-chan error) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("demo ended before the kill: %v\n%s", err, p.stderr.String())
	}
}

// TestDemoLiveRestartResumesShop: a live demo (--rate) SIGKILLed and
// restarted continues its shop where it stopped: topic_db and topic_log
// hold exactly a prefix of the shop's output, no record twice.
func TestDemoLiveRestartResumesShop(t *testing.T) {
	tmp := t.TempDir()
	cfg := demoConfig(t, tmp)
	dir := filepath.Join(tmp, "live")
	args := []string{"--config", cfg, "demo", "--rate", "2000", "--http", "127.0.0.1:0", "--progress", "0", "--seed", "5", "--sessions", "20000"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 9))
	t.Logf("kill delays from seed %d", seed)
	var have int64
	for run := range 3 {
		p, done := startDemo(t, dir, args...)
		url := p.waitDashboard(t, done)
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		d := time.Duration(1500+rng.IntN(1500)) * time.Millisecond
		select {
		case err := <-done:
			t.Fatalf("live demo exited on its own: %v\n%s", err, p.stderr.String())
		case <-time.After(d): // the moment of the kill, not a wait for something
		}
		p.kill(t, done)
		n := shopRecords(t, dir)
		t.Logf("run %d killed after %s: %d shop records", run+1, d, n)
		if n <= have {
			t.Fatalf("run %d wrote nothing: the topics hold %d shop records, %d before it", run+1, n, have)
		}
		have = n
	}

	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := map[string]map[string]int{}
	for _, topic := range []string{"topic_db", "topic_log"} {
		got[topic], _ = readTopic(t, l, topic)
	}
	for k, n := range got["topic_log"] {
		if n != 1 { // log lines are unique (each has its own ts and page)
			t.Errorf("topic_log holds a record %d times: %.200s", n, k)
		}
	}
	want := shopPrefix(t, filepath.Join(dir, "demo.json"), have)
	for _, topic := range []string{"topic_db", "topic_log"} {
		compareMaps(t, topic+" record", want[topic], got[topic])
	}
}

// waitDashboard returns the dashboard URL the demo prints once it serves.
func (p *demoProc) waitDashboard(t *testing.T, done <-chan error) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if _, url, ok := strings.Cut(p.stdout.String(), "dashboard: "); ok && strings.Contains(url, "\n") {
			url, _, _ = strings.Cut(url, "\n")
			return url
		}
		select {
		case err := <-done:
			t.Fatalf("demo exited before serving: %v\n%s", err, p.stderr.String())
		case <-deadline:
			t.Fatalf("demo printed no dashboard URL in 60 s\n%s", p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readTopic reads a topic: key|value|time -> count, and key -> last
// value|time (ReadAll reads partition by partition in offset order, and a
// key has one partition).
func readTopic(t *testing.T, l rlog.Log, topic string) (map[string]int, map[string]string) {
	t.Helper()
	multi, last := map[string]int{}, map[string]string{}
	for _, r := range logtest.ReadAll(t, l, topic) {
		ts := r.Timestamp
		if topic == "dirty_data" {
			ts = 0 // a dead letter keeps its input's append time, which differs per data dir
		}
		multi[fmt.Sprintf("%s|%s|%d", r.Key, r.Value, ts)]++
		last[string(r.Key)] = fmt.Sprintf("%s|%d", r.Value, ts)
	}
	return multi, last
}

// shopPrefix regenerates the first n records of the shop pinned in
// demo.json, as the demo writes them (key, value and event time).
func shopPrefix(t *testing.T, stateFile string, n int64) map[string]map[string]int {
	t.Helper()
	b, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Seed     int64  `json:"seed"`
		Date     string `json:"date"`
		Start    int64  `json:"start"`
		Sessions int    `json:"sessions"`
		Users    int    `json:"users"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	shop, err := mock.NewShop(mock.ShopConfig{Seed: st.Seed, Date: st.Date, Location: loc, Start: st.Start,
		Sessions: st.Sessions, Users: st.Users, Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int{"topic_db": {}, "topic_log": {}}
	var have int64
	for have < n {
		ev, ok := shop.Next()
		if !ok {
			t.Fatalf("the shop ends after %d records, the topics hold %d", have, n)
		}
		if ev.Txn == nil {
			out["topic_log"][fmt.Sprintf("mid_%d|%s|%d", ev.Mid, ev.Log, ev.TS)]++
		} else {
			for i := range ev.Txn.Changes {
				out["topic_db"][fmt.Sprintf("%s|%s|%d", ev.Txn.Changes[i].AppendKey(nil), ev.Txn.AppendMaxwell(nil, i), ev.TS)]++
			}
		}
		have += int64(mock.Records(ev))
	}
	if have != n {
		t.Fatalf("the topics hold %d records, which is not a whole number of the shop's events (%d)", n, have)
	}
	return out
}

// TestBenchWarehouse runs `rtdw bench warehouse` twice on a small day and a
// short live run: every phase reports, both sides read the same ODS
// records, both runs load the same DWS rows (the bench checks), and
// windows close in the live run.
func TestBenchWarehouse(t *testing.T) {
	cmd := rtdwCmd(t, t.TempDir(), "bench", "warehouse", "--sessions", "300", "--runs", "2", "--live", "4s", "--rate", "1500", "--checkpoint-interval", "200ms")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("bench warehouse: %v\n%s\n%s", err, out, stderr)
	}
	for _, want := range []string{"medians of 2 runs", "(a) bare JSON decode+encode", "(b) dim + dwd", "(b) dws", "(b) olap load", "(b) whole warehouse", "dead letters: 0", "p50", "MB anonymous + ", "MB file-backed, during "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "DWS rows loaded: 0;") {
		t.Errorf("the warehouse loaded no DWS rows:\n%s", out)
	}
	// The DWS windows keep state between checkpoints: some must be committed.
	if m := regexp.MustCompile(`committed at checkpoints \(b\):.* dws \(11 jobs\) ([0-9.]+) MB`).FindStringSubmatch(string(out)); m == nil || m[1] == "0.0" {
		t.Errorf("output lacks the DWS layer's committed state, or it is zero:\n%s", out)
	}
}
