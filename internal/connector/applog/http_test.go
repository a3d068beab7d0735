package applog

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

// The lines of a stream, read through a 16-byte buffer so lines span
// several reads: CRLF, blank lines, lines at and over the limit (5).
func TestLineReader(t *testing.T) {
	in := "ab\r\n\n   \r\n12345\n123456\n12345\r\n123456\r\n" + strings.Repeat("x", 40) + "\n" + strings.Repeat(" ", 40) + "\n" +
		"     " + strings.Repeat(" ", 30) + "y\n" + "last"
	lr := lineReader{r: bufio.NewReaderSize(strings.NewReader(in), 16), max: 5}
	var got []string
	for {
		line, over, blank, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%q over=%v blank=%v", line, over, blank))
	}
	want := []string{
		`"ab" over=false blank=false`,
		`"" over=false blank=true`,
		`"   " over=false blank=true`,
		`"12345" over=false blank=false`,
		`"123456" over=false blank=false`, // the caller sees len > max
		`"12345" over=false blank=false`,
		`"123456" over=true blank=false`,
		`"xxxxxx" over=true blank=false`,
		`"      " over=true blank=true`,
		`"      " over=true blank=false`, // not blank further on
		`"last" over=false blank=false`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// allocated returns the bytes f allocates (every goroutine's; f runs on
// this one with nothing else going on).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// The body is read a line at a time, not as a whole: a 12 MiB line is
// held as its first MaxLine bytes only, whatever its size.
func TestHTTPBodyIsStreamed(t *testing.T) {
	l := openLog(t, t.TempDir())
	defer l.Close()
	c := newCollector(t, l, nil)
	h := c.Handler(HTTPOptions{MaxBody: 16 << 20, MaxLine: 1 << 20})
	body := bytes.Repeat([]byte("x"), 12<<20)
	var rec *httptest.ResponseRecorder
	n := allocated(func() {
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/applog", bytes.NewReader(body)))
	})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"bad":1`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if n > 10<<20 {
		t.Fatalf("a 12 MiB line allocated %d MiB; reading it whole takes 12 MiB or more", n>>20)
	}
	if dl := logtest.ReadAll(t, l, "dirty_data"); len(dl) != 1 || len(dl[0].Value) != 1<<20 {
		t.Fatalf("dead letters: %d", len(dl))
	}
}

// A body of tiny lines, each a record (a dead letter with headers, here),
// would take some hundred times its size: past the batch budget it is
// refused, and nothing is written.
func TestHTTPTinyLinesAreRefused(t *testing.T) {
	l := openLog(t, t.TempDir())
	defer l.Close()
	c := newCollector(t, l, nil)
	h := c.Handler(HTTPOptions{MaxBody: 1 << 20})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/applog", strings.NewReader(strings.Repeat("1\n", 500_000))))
	if rec.Code != 413 || !strings.Contains(rec.Body.String(), "too many lines") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if n := len(logtest.ReadAll(t, l, "dirty_data")); n != 0 {
		t.Fatalf("%d dead letters written", n)
	}
}

// heldLog holds every commit until released, so requests pile up in the
// collector.
type heldLog struct {
	rlog.Log
	release chan struct{}
}

func (h *heldLog) Commit(ctx context.Context, txn *rlog.Txn) error {
	<-h.release
	return h.Log.Commit(ctx, txn)
}

// 30 clients post 4 MiB at once to the collector behind httpguard with 4
// slots, and the log holds every commit: 26 are refused with 503 before
// they send a byte of body, and with the 4 others' bodies read and held
// in memory, the heap holds about 4 batches, not 30.
func TestHTTPConcurrentUploadsAreCapped(t *testing.T) {
	const clients, slots, size = 30, 4, 4 << 20
	base := openLog(t, t.TempDir())
	defer base.Close()
	l := &heldLog{Log: base, release: make(chan struct{})}
	c, err := New(ctx, Options{Log: l, Partitions: 3, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var read atomic.Int64
	collector := c.Handler(HTTPOptions{MaxBody: size})
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &countingBody{ReadCloser: r.Body, n: &read}
		collector.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = httpguard.NewServer("", counted, httpguard.Options{MaxInFlight: slots, MaxBody: size})
	srv.Start()
	defer srv.Close()

	var body bytes.Buffer
	for i := 0; body.Len() < size-1000; i++ {
		// App-log lines are a few hundred bytes (the mock shop's: 260-1500).
		body.WriteString(fmt.Sprintf(`{"common":{"mid":"mid_%d"},"page":{"page_id":"home","item":%q},"ts":%d}`+"\n", i%100, strings.Repeat("i", 300), i))
	}
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 10 * time.Second}}
	defer client.CloseIdleConnections()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	codes := make(chan int, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/applog", bytes.NewReader(body.Bytes()))
			req.Header.Set("Expect", "100-continue")
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				codes <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			codes <- resp.StatusCode
		}()
	}
	for range clients - slots {
		if code := <-codes; code != 503 {
			t.Fatalf("beyond the cap: %d, want 503", code)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); read.Load() < int64(slots*body.Len()); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the collector read %d bytes, want %d", read.Load(), slots*body.Len())
		}
	}
	var held runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&held)
	grew := int64(held.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap grew %d MiB holding %d batches of %d MiB", grew>>20, slots, size>>20)
	if grew > 3*slots*size {
		t.Errorf("heap grew %d MiB holding %d batches of %d MiB", grew>>20, slots, size>>20)
	}
	close(l.release)
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Fatalf("within the cap: %d", code)
		}
	}
	if n := len(logtest.ReadAll(t, base, "topic_log")); n != slots*strings.Count(body.String(), "\n") {
		t.Fatalf("%d lines in topic_log, want %d", n, slots*strings.Count(body.String(), "\n"))
	}
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Behind httpguard a client dribbling its body is answered 408 after the
// grace, and nothing is written.
func TestHTTPSlowBody(t *testing.T) {
	l := openLog(t, t.TempDir())
	defer l.Close()
	c := newCollector(t, l, nil)
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = httpguard.NewServer("", c.Handler(HTTPOptions{}), httpguard.Options{MinBodyRate: 1000, BodyGrace: 200 * time.Millisecond})
	srv.Start()
	defer srv.Close()
	pr, pw := io.Pipe()
	go func() {
		for i := 0; ; i++ { // a line, then a byte every 50 ms
			s := "x"
			if i == 0 {
				s = logLine("mid_1", 1) + "\n"
			}
			if _, err := pw.Write([]byte(s)); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	defer pw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/applog", pr)
	req.ContentLength = 1 << 20
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "too slowly") {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
	if n := len(logtest.ReadAll(t, l, "topic_log")); n != 0 {
		t.Fatalf("%d lines written", n)
	}
}
