package httpguard

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Reading a body past its end (as bufio does) sets no deadline any more:
// the server's own read for the next request, started at the body's end,
// must not time out and cancel the request's context while the handler
// works past the grace (found by TestIngestApplogHTTPKill9).
func TestKeepAliveAfterBodies(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReader(r.Body)
		for {
			if _, err := br.ReadSlice('\n'); err != nil {
				break
			}
		}
		br.ReadSlice('\n')         // again, after EOF
		if r.URL.Path == "/slow" { // past the grace: the deadline must be gone
			time.Sleep(300 * time.Millisecond)
		}
		if err := r.Context().Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok"))
	}), Options{BodyGrace: 100 * time.Millisecond, MaxBody: -1}) // no MaxBytesReader caching EOF
	c := &http.Client{}
	for i := range 20 {
		path := "/"
		if i%10 == 9 {
			path = "/slow"
		}
		resp, err := c.Post("http://"+addr+path, "text/plain", strings.NewReader(strings.Repeat("line\n", 20)))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
		}
	}
}
