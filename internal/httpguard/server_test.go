package httpguard

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// serve runs NewServer(h, o) on a free loopback port until the test ends.
func serve(t *testing.T, h http.Handler, o Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ln.Addr().String(), h, o)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// waitGoroutines waits until at most n goroutines run.
func waitGoroutines(t *testing.T, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%s: %d goroutines, baseline %d\n%s", what, runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Slowloris: 100 clients dribble their headers, 200 send headers and then
// their body a byte at a time. Each is cut off by the read timeouts (the
// server closes the connection), and the server's goroutines go back to
// the baseline although the clients never stop on their own.
func TestSlowClientsAreCutOff(t *testing.T) {
	const slowHeaders, slowBodies = 100, 200
	read := 300 * time.Millisecond
	var inHandler sync.WaitGroup
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler.Add(1)
		defer inHandler.Done()
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write([]byte("done\n"))
	}), Options{ReadHeaderTimeout: read, ReadTimeout: read, WriteTimeout: time.Second, MaxInFlight: 1000})
	baseline := runtime.NumGoroutine()

	type client struct {
		c    net.Conn
		head bool // still sending headers
	}
	var clients []*client
	for i := 0; i < slowHeaders+slowBodies; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cl := &client{c: c, head: i < slowHeaders}
		if cl.head {
			fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\n")
		} else {
			fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
		}
		clients = append(clients, cl)
	}
	// One goroutine dribbles for every client until the test ends.
	stop := make(chan struct{})
	dribbled := make(chan struct{})
	go func() {
		defer close(dribbled)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			for _, cl := range clients {
				if cl.head {
					cl.c.Write([]byte("X-Slow: 1\r\n"))
				} else {
					cl.c.Write([]byte("x"))
				}
			}
		}
	}()
	defer func() { close(stop); <-dribbled }()

	// Every connection is closed by the server: a read ends (after an
	// error answer, if any) well before the client's own deadline.
	var wg sync.WaitGroup
	errs := make(chan string, len(clients))
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
			rd := bufio.NewReader(cl.c)
			status, _ := rd.ReadString('\n')
			_, err := io.Copy(io.Discard, rd)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				errs <- fmt.Sprintf("client %d (slow headers %v) still connected after 10 s; got %q", i, cl.head, status)
				return
			}
			if status != "" && !strings.Contains(status, " 400 ") && !strings.Contains(status, " 408 ") {
				errs <- fmt.Sprintf("client %d: answer %q, want 400/408 or none", i, status)
			}
		}()
	}
	wg.Wait()
	close(errs)
	var failed []string
	for e := range errs {
		failed = append(failed, e)
	}
	if len(failed) > 0 { // the deferred Close ends the handlers still reading
		t.Fatalf("%d of %d slow clients:\n%s", len(failed), len(clients), strings.Join(failed[:min(len(failed), 5)], "\n"))
	}
	inHandler.Wait()
	waitGoroutines(t, baseline+2, "after 300 slow clients were cut off")
}

// NewServer sets every timeout; negative turns one off.
func TestNewServerTimeouts(t *testing.T) {
	s := NewServer("127.0.0.1:0", http.NotFoundHandler(), Options{})
	if s.ReadHeaderTimeout != DefaultReadHeaderTimeout || s.ReadTimeout != DefaultReadTimeout || s.WriteTimeout != DefaultWriteTimeout ||
		s.IdleTimeout != DefaultIdleTimeout || s.MaxHeaderBytes != DefaultMaxHeaderBytes {
		t.Fatalf("defaults: %+v", s)
	}
	s = NewServer("127.0.0.1:0", http.NotFoundHandler(), Options{WriteTimeout: -1, IdleTimeout: -1, ReadTimeout: 5 * time.Second})
	if s.WriteTimeout != 0 || s.IdleTimeout >= 0 || s.ReadTimeout != 5*time.Second {
		t.Fatalf("streaming: %+v", s)
	}
}

// An idle keep-alive connection is closed after IdleTimeout.
func TestIdleConnectionsAreClosed(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }),
		Options{IdleTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: read %v, want EOF (closed by the server)", err)
	}
}
