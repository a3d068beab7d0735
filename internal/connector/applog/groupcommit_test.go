package applog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kfake"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
)

// Requests that arrive while a commit is in flight share the next one:
// their lines, request ids and duplicates are decided in queue order, one
// log commit for the group; a group that fails fails every request in it,
// a duplicate of a request earlier in the group included (nothing of
// either was stored), while a duplicate of a committed request stays a
// duplicate.
func TestHTTPGroupCommit(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		l := openLog(t, t.TempDir())
		defer l.Close()
		testGroupCommit(t, l)
	})
	t.Run("kafka", func(t *testing.T) {
		broker, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			t.Fatal(err)
		}
		defer broker.Close()
		l, err := kafka.Open(kafka.Options{Brokers: broker.ListenAddrs()})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		testGroupCommit(t, l)
	})
}

func testGroupCommit(t *testing.T, base rlog.Log) {
	// Every group's transaction waits for the test: a value on gate lets
	// it go (true: fail it).
	var commits atomic.Int32
	gate := make(chan bool)
	defer func(f func() error) { beforeCommit = f }(beforeCommit)
	beforeCommit = func() error {
		commits.Add(1)
		if <-gate {
			return errors.New("disk on fire")
		}
		return nil
	}
	reg := prometheus.NewRegistry()
	c := newCollector(t, base, reg)
	defer c.Close()
	srv := httptest.NewServer(c.Handler(HTTPOptions{}))
	defer srv.Close()

	type answer struct {
		name string
		code int
		body string
	}
	answers := make(chan answer, 16)
	send := func(name, reqID, mid string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/applog", bytes.NewReader([]byte(logLine(mid, 1)+"\n")))
		if reqID != "" {
			req.Header.Set(RequestIDHeader, reqID)
		}
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{name, 0, err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers <- answer{name, resp.StatusCode, string(bytes.TrimSpace(b))}
		}()
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	queued := func(n int) func() bool {
		return func() bool {
			c.qmu.Lock()
			defer c.qmu.Unlock()
			return len(c.queue) == n
		}
	}
	collect := func(n int) map[string]string {
		t.Helper()
		got := map[string]string{}
		for range n {
			select {
			case a := <-answers:
				got[a.name] = fmt.Sprintf("%d %s", a.code, a.body)
			case <-time.After(10 * time.Second):
				t.Fatalf("answers so far: %v", got)
			}
		}
		return got
	}
	check := func(got map[string]string, name, want string) {
		t.Helper()
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}

	// a leads and waits in the log; b..e queue behind it.
	send("a", "id-a", "mid_a")
	waitFor("a's commit", func() bool { return commits.Load() == 1 })
	send("b", "id-b", "mid_b")
	waitFor("b queued", queued(1))
	send("c", "id-b", "mid_c") // b's id, earlier in the same group
	waitFor("c queued", queued(2))
	send("d", "id-a", "mid_d") // a's id: committed by the time d's group runs
	waitFor("d queued", queued(3))
	send("e", "", "mid_e")
	waitFor("e queued", queued(4))
	gate <- false // a
	waitFor("the group's commit", func() bool { return commits.Load() == 2 })
	gate <- false // b, c, d, e together
	got := collect(5)
	check(got, "a", `200 {"lines":1,"bad":0}`)
	check(got, "b", `200 {"lines":1,"bad":0}`)
	check(got, "c", `200 {"lines":0,"bad":0,"duplicate":true}`)
	check(got, "d", `200 {"lines":0,"bad":0,"duplicate":true}`)
	check(got, "e", `200 {"lines":1,"bad":0}`)
	if n := commits.Load(); n != 2 {
		t.Fatalf("%d log commits for two groups", n)
	}
	mids := func() []string {
		var out []string
		for _, v := range values(t, base, "topic_log") {
			out = append(out, v[:5])
		}
		sort.Strings(out)
		return out
	}
	if got := fmt.Sprint(mids()); got != "[mid_a mid_b mid_e]" {
		t.Fatalf("topic_log keys %s, want a's, b's and e's", got)
	}
	if got := testutil.ToFloat64(c.m.duplicates); got != 2 {
		t.Fatalf("duplicates counter = %v, want 2", got)
	}
	if got := testutil.ToFloat64(c.m.lines.WithLabelValues("http")); got != 3 {
		t.Fatalf("lines counter = %v, want 3", got)
	}

	// A failed group: f leads and fails; g and h (g's id again, in the
	// same group) fail with their group and store nothing.
	send("f", "id-f", "mid_f")
	waitFor("f's commit", func() bool { return commits.Load() == 3 })
	send("g", "id-g", "mid_g")
	waitFor("g queued", queued(1))
	send("h", "id-g", "mid_h")
	waitFor("h queued", queued(2))
	send("i", "id-a", "mid_i") // a duplicate of a committed request
	waitFor("i queued", queued(3))
	gate <- true // f
	waitFor("the group's commit", func() bool { return commits.Load() == 4 })
	gate <- true // g, h, i
	got = collect(4)
	for _, name := range []string{"f", "g", "h"} {
		if got[name][:4] != "503 " {
			t.Errorf("%s: %q, want 503", name, got[name])
		}
	}
	check(got, "i", `200 {"lines":0,"bad":0,"duplicate":true}`)
	if got := fmt.Sprint(mids()); got != "[mid_a mid_b mid_e]" {
		t.Fatalf("topic_log keys %s after failed commits", got)
	}
	// g's id was never stored: a retry writes.
	send("h2", "id-g", "mid_h")
	gate <- false
	check(collect(1), "h2", `200 {"lines":1,"bad":0}`)
	if got := fmt.Sprint(mids()); got != "[mid_a mid_b mid_e mid_h]" {
		t.Fatalf("topic_log keys %s after the retry", got)
	}
}
