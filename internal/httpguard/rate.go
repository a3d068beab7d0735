package httpguard

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// ErrSlowBody is the read error of a body that arrives slower than the
// minimum rate (it wraps os.ErrDeadlineExceeded; answer 408).
var ErrSlowBody = errors.New("the request body arrives too slowly")

// rateBody cuts off a body arriving slower than rate bytes/s on average
// once grace has passed, or not complete after max: before each read it
// sets the connection's read deadline to when the bytes so far stop
// sufficing. A dribbling client thus frees its in-flight slot after about
// grace, not after the whole ReadTimeout.
type rateBody struct {
	io.ReadCloser
	rc         *http.ResponseController
	start      time.Time
	n          int64
	rate       int64
	grace, max time.Duration
	ended      bool // EOF or an error: deadlines are the server's again
}

// newRateBody wraps r's body; it returns the body as it is when the
// connection has no read deadlines to set (HTTP/2, a test recorder). The
// first deadline is set at once: it also bounds what the server discards
// of a body the handler does not read.
func newRateBody(w http.ResponseWriter, r *http.Request, rate int64, grace, max time.Duration) io.ReadCloser {
	if rate <= 0 && max <= 0 {
		return r.Body
	}
	if grace < 0 { // no grace: the rate holds from the start
		grace = 0
	}
	b := &rateBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(), rate: rate, grace: grace, max: max}
	if b.rc.SetReadDeadline(b.deadline()) != nil {
		return r.Body
	}
	return b
}

// deadline is when the bytes read so far stop sufficing.
func (b *rateBody) deadline() time.Time {
	var d time.Time
	if b.rate > 0 {
		d = b.start.Add(b.grace + time.Duration(float64(b.n)/float64(b.rate)*float64(time.Second)))
	}
	if b.max > 0 && (d.IsZero() || d.After(b.start.Add(b.max))) {
		d = b.start.Add(b.max)
	}
	return d
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.ended {
		// At its end the body started the server's read of the next
		// request, with no deadline: a deadline now would time that read
		// out and cancel the request's context.
		return b.ReadCloser.Read(p)
	}
	b.rc.SetReadDeadline(b.deadline())
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	b.ended = err != nil
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w (%d bytes in %s; at least %d bytes/s after %s, all within %s): %w",
			ErrSlowBody, b.n, time.Since(b.start).Round(time.Millisecond), b.rate, b.grace, b.max, err)
	}
	return n, err
}
