package httpguard

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 30 clients upload 1 MiB at once to a server taking 4 bodies of at most
// 1 MiB: 4 are served, 26 get 503 + Retry-After without sending their
// body, and the bytes of body held at once (counted by the handler, which
// holds every body until released) never exceed 4 × 1 MiB.
func TestConcurrentUploadsBeyondTheCap(t *testing.T) {
	const clients, slots, size = 30, 4, 1 << 20
	var inside, maxInside, held, maxHeld atomic.Int64
	raise := func(m *atomic.Int64, v int64) {
		for o := m.Load(); v > o && !m.CompareAndSwap(o, v); o = m.Load() {
		}
	}
	release := make(chan struct{})
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raise(&maxInside, inside.Add(1))
		defer inside.Add(-1)
		buf := make([]byte, 32<<10)
		var n int64
		defer func() { held.Add(-n) }()
		for {
			k, err := r.Body.Read(buf)
			n += int64(k)
			raise(&maxHeld, held.Add(int64(k)))
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
		}
		<-release
		fmt.Fprintf(w, "%d", n)
	}), Options{MaxInFlight: slots, MaxBody: size, RetryAfter: 2 * time.Second})

	// "Expect: 100-continue": a refused client learns it before sending.
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 10 * time.Second, MaxConnsPerHost: 0}}
	body := bytes.Repeat([]byte("x"), size)
	type result struct {
		code  int
		retry string
		body  string
		err   error
	}
	results := make(chan result, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/upload", bytes.NewReader(body))
			req.Header.Set("Expect", "100-continue")
			resp, err := client.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results <- result{code: resp.StatusCode, retry: resp.Header.Get("Retry-After"), body: string(b)}
		}()
	}
	// The refused ones answer while the served ones are held.
	for range clients - slots {
		r := <-results
		if r.err != nil || r.code != http.StatusServiceUnavailable || r.retry != "2" {
			t.Fatalf("beyond the cap: %d Retry-After %q %q %v, want 503 Retry-After 2", r.code, r.retry, r.body, r.err)
		}
	}
	// The served ones are let go once all are in the handler: one may hold
	// its slot a moment before it gets there, and letting the others go
	// first would make it the only one inside (CI failed once so).
	for deadline := time.Now().Add(10 * time.Second); inside.Load() < slots && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(results)
	for r := range results {
		if r.err != nil || r.code != http.StatusOK || r.body != fmt.Sprint(size) {
			t.Fatalf("within the cap: %d %q %v", r.code, r.body, r.err)
		}
	}
	if maxInside.Load() != slots {
		t.Fatalf("%d bodies were served at once, want %d", maxInside.Load(), slots)
	}
	if maxHeld.Load() > slots*size {
		t.Fatalf("%d body bytes were held at once, more than %d × %d", maxHeld.Load(), slots, size)
	}
	client.CloseIdleConnections()
}

// Bodies over MaxBody: a declared one is refused before it is read, a
// chunked one fails to read past the limit. GETs take no slot.
func TestBodySize(t *testing.T) {
	var gets atomic.Int64
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
			w.Write([]byte("get"))
			return
		}
		if r.URL.Path == "/block" {
			entered <- struct{}{}
			<-block
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		fmt.Fprintf(w, "%d", len(b))
	}), Options{MaxInFlight: 1, MaxBody: 1000})
	post := func(path string, body io.Reader) (int, string) {
		resp, err := http.Post("http://"+addr+path, "text/plain", body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("/", strings.NewReader(strings.Repeat("x", 1000))); code != 200 || body != "1000" {
		t.Fatalf("at the limit: %d %q", code, body)
	}
	if code, body := post("/", strings.NewReader(strings.Repeat("x", 1001))); code != 413 || !strings.Contains(body, "larger than 1000 bytes") {
		t.Fatalf("declared over the limit: %d %q", code, body)
	}
	// io.MultiReader hides the length: the body is chunked.
	if code, body := post("/", io.MultiReader(strings.NewReader(strings.Repeat("x", 5000)))); code != 413 || !strings.Contains(body, "too large") {
		t.Fatalf("chunked over the limit: %d %q", code, body)
	}
	// With the only slot taken, a POST gets 503 but a GET goes through.
	// (The blocking POST retries a 503 of its own: the previous request
	// may still hold the slot when it arrives.)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			resp, err := http.Post("http://"+addr+"/block", "text/plain", strings.NewReader("x"))
			if err != nil {
				return // the test fails below, waiting for entered
			}
			resp.Body.Close()
			if resp.StatusCode != 503 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the blocking POST never reached the handler")
	}
	if code, body := post("/", strings.NewReader("y")); code != 503 {
		t.Fatalf("a second POST while the slot is taken: %d %q, want 503", code, body)
	}
	if resp, err := http.Get("http://" + addr + "/"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET while the slot is taken: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	close(block)
	<-done
}
