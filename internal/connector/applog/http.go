package applog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// HTTPOptions limit what one request may carry.
type HTTPOptions struct {
	// MaxBody caps a request body, compressed and decompressed (default 16 MiB).
	MaxBody int64
	// MaxLine caps one line; longer lines are dead-lettered (default 1 MiB).
	MaxLine int
}

// RequestIDHeader, when a client sets it, makes a retried request
// idempotent (exactly-once collectors only): a batch whose id was already
// committed is acknowledged without being written again.
const RequestIDHeader = "X-Request-Id"

// Response is the JSON body of a 200 answer to POST /applog.
type Response struct {
	Lines     int  `json:"lines"`               // lines committed (good + bad)
	Bad       int  `json:"bad"`                 // of which dead-lettered
	Duplicate bool `json:"duplicate,omitempty"` // X-Request-Id seen before: nothing written
}

// Handler serves POST /applog: the body is newline-separated JSON lines
// (Content-Encoding: gzip accepted); empty lines are ignored. It answers
// 200 with a Response once every line is committed, 400/405/413/415 for a
// request it cannot take (nothing is written; 408 for a body arriving too
// slowly behind httpguard), 503 when the log fails
// (nothing acknowledged: retry). The body is read as a stream, a line at a
// time: a request holds its batch (about 1.5 times the body for ordinary
// lines; a body of tiny lines past 4 times MaxBody is refused with 413)
// plus one line. Serve it behind httpguard, which caps the requests in
// flight and the time a client may take to send.
func (c *Collector) Handler(o HTTPOptions) http.Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = 16 << 20
	}
	if o.MaxLine <= 0 {
		o.MaxLine = 1 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, resp, msg := c.serve(w, r, o)
		c.m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
		if code != http.StatusOK {
			http.Error(w, msg, code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
}

func (c *Collector) serve(w http.ResponseWriter, r *http.Request, o HTTPOptions) (int, Response, string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, Response{}, "use POST with newline-separated JSON app-log lines"
	}
	reqID := r.Header.Get(RequestIDHeader)
	if len(reqID) > 256 {
		return http.StatusBadRequest, Response{}, RequestIDHeader + " is longer than 256 bytes"
	}
	raw := &readErr{r: http.MaxBytesReader(w, r.Body, o.MaxBody)}
	var body io.Reader = raw
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return bodyError(err, raw.err, o)
		}
		defer zr.Close()
		body = &capReader{r: zr, left: o.MaxBody}
	default:
		return http.StatusUnsupportedMediaType, Response{}, fmt.Sprintf("Content-Encoding %q is not supported (use gzip or none)", enc)
	}
	// The body is read a line at a time: what is held is the batch being
	// built (bounded by batchBudget), one line (up to MaxLine+1 bytes) and
	// the read buffer, never the whole body as well.
	b := c.newBatch()
	source := "http:" + r.RemoteAddr
	lr := lineReader{r: bufio.NewReaderSize(body, 64<<10), max: o.MaxLine}
	budget := batchBudget(o.MaxBody)
	for {
		line, over, blank, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bodyError(err, raw.err, o)
		}
		if blank {
			continue
		}
		if over || len(line) > o.MaxLine {
			b.add(line[:o.MaxLine], source, -1, true)
		} else {
			b.add(line, source, -1, false)
		}
		if b.mem() > budget {
			return http.StatusRequestEntityTooLarge, Response{}, fmt.Sprintf("the batch has too many lines for its size (more than %d bytes in memory): send smaller batches", budget)
		}
	}
	if b.lines == 0 {
		return http.StatusBadRequest, Response{}, "the body has no lines: send newline-separated JSON objects"
	}
	dup, err := c.commit(r.Context(), "http", b, reqID, nil)
	if err != nil {
		c.o.Logger.Error("applog: cannot commit an HTTP batch", "err", err, "lines", b.lines)
		return http.StatusServiceUnavailable, Response{}, "the batch was not stored, retry: " + err.Error()
	}
	if dup {
		return http.StatusOK, Response{Duplicate: true}, ""
	}
	bad := 0
	for _, n := range b.bad {
		bad += n
	}
	return http.StatusOK, Response{Lines: b.lines, Bad: bad}, ""
}

// batchBudget is the memory one request's batch may take: its lines and
// their records (batch.mem). App-log lines of a few hundred bytes take
// about 1.5 times their size; a body of tiny lines, each a record of its
// own (a dead letter with headers for a bad one), would take up to a
// hundred times its size and is refused beyond 4 times.
func batchBudget(maxBody int64) int { return int(min(4*maxBody, 1<<40)) + 1<<20 }

// errDecompressedTooLarge: a gzip body inflates beyond MaxBody.
var errDecompressedTooLarge = errors.New("decompressed body too large")

// capReader fails once more than left bytes were read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errDecompressedTooLarge
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errDecompressedTooLarge
	}
	return n, err
}

// lineReader yields the lines of a stream, without their newline (and
// '\r' before it), keeping at most max+1 bytes of a line.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// next returns the next line; over reports that bytes past max+1 were
// dropped (the line is too long), blank that the whole line, dropped bytes
// included, is white space. It returns io.EOF after the last line (which
// may lack its newline).
func (l *lineReader) next() (line []byte, over, blank bool, err error) {
	l.buf = l.buf[:0]
	droppedBlank := true
	for done := false; !done; {
		frag, err := l.r.ReadSlice('\n')
		switch {
		case err == nil:
			frag, done = frag[:len(frag)-1], true
		case err == bufio.ErrBufferFull:
		case err == io.EOF:
			if len(l.buf) == 0 && len(frag) == 0 {
				return nil, false, false, io.EOF
			}
			done = true // the last line, without its newline
		default:
			return nil, false, false, err
		}
		keep := min(len(frag), l.max+1-len(l.buf))
		l.buf = append(l.buf, frag[:keep]...)
		if keep < len(frag) {
			over = true
			droppedBlank = droppedBlank && len(bytes.TrimSpace(frag[keep:])) == 0
		}
	}
	line = l.buf
	if !over {
		line = bytes.TrimSuffix(line, []byte{'\r'})
	}
	return line, over, droppedBlank && len(bytes.TrimSpace(line)) == 0, nil
}

// readErr remembers the error of the request body itself, to tell it
// from the gzip stream's.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// bodyError answers a failed read: err is what the reader returned,
// rawErr what the request body itself did (nil: the gzip stream failed).
func bodyError(err, rawErr error, o HTTPOptions) (int, Response, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.As(rawErr, &tooBig):
		return http.StatusRequestEntityTooLarge, Response{}, fmt.Sprintf("body is larger than %d bytes: send smaller batches", o.MaxBody)
	case errors.Is(err, errDecompressedTooLarge):
		return http.StatusRequestEntityTooLarge, Response{}, fmt.Sprintf("decompressed body is larger than %d bytes: send smaller batches", o.MaxBody)
	case errors.Is(rawErr, os.ErrDeadlineExceeded): // httpguard: too slow, or past ReadTimeout
		return http.StatusRequestTimeout, Response{}, "cannot read the body in time: " + rawErr.Error()
	case rawErr != nil:
		return http.StatusBadRequest, Response{}, "cannot read the body: " + rawErr.Error()
	}
	return http.StatusBadRequest, Response{}, "invalid gzip body: " + err.Error()
}
