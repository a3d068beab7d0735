package httpguard

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limits bound request bodies. A zero or negative field is no limit.
type Limits struct {
	// MaxInFlight caps requests with a body inside the handler at once.
	MaxInFlight int
	// MaxBody caps one body: a larger Content-Length is refused at once
	// (413), a chunked body fails to read past it (http.MaxBytesError).
	MaxBody int64
	// RetryAfter is the Retry-After of a 503, rounded up to seconds.
	RetryAfter time.Duration
	// MinRate (bytes/s) is the slowest average a body may arrive at once
	// Grace has passed since the handler started; ReadTimeout bounds it
	// as a whole, from the same start (it replaces the server's deadline,
	// which counts from the request's first byte). A client breaking
	// either gets ErrSlowBody from its body.
	MinRate     int64
	Grace       time.Duration
	ReadTimeout time.Duration
}

// LimitBodies bounds the memory and connections clients can tie up by
// sending bodies: at most l.MaxInFlight requests with a body are served at
// once, each of at most l.MaxBody bytes. A request beyond the cap gets 503
// with Retry-After at once, before any of its body is read (a client that
// sends "Expect: 100-continue" never sends it), and its connection is
// closed. Requests without a body (GET) are not counted. A body must keep
// arriving at l.MinRate, so a dribbling client holds its slot for about
// l.Grace, not for the whole ReadTimeout.
func LimitBodies(h http.Handler, l Limits) http.Handler {
	var slots chan struct{}
	if l.MaxInFlight > 0 {
		slots = make(chan struct{}, l.MaxInFlight)
	}
	retry := strconv.Itoa(max(1, int((l.RetryAfter+time.Second-1)/time.Second)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 { // no body (chunked bodies are -1)
			h.ServeHTTP(w, r)
			return
		}
		if l.MaxBody > 0 && r.ContentLength > l.MaxBody {
			w.Header().Set("Connection", "close")
			http.Error(w, fmt.Sprintf("request body is larger than %d bytes: send smaller requests", l.MaxBody), http.StatusRequestEntityTooLarge)
			return
		}
		if slots != nil {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			default:
				w.Header().Set("Retry-After", retry)
				w.Header().Set("Connection", "close")
				http.Error(w, fmt.Sprintf("%d requests with a body are in flight, the most this server takes: retry later", l.MaxInFlight), http.StatusServiceUnavailable)
				return
			}
		}
		r.Body = newRateBody(w, r, l.MinRate, l.Grace, l.ReadTimeout)
		if l.MaxBody > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, l.MaxBody)
		}
		h.ServeHTTP(w, r)
	})
}
