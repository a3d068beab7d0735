package applog

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
// request it cannot take (nothing is written), 503 when the log fails
// (nothing acknowledged: retry).
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
	var body io.Reader = http.MaxBytesReader(w, r.Body, o.MaxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return bodyError(err, o, "gzip")
		}
		defer zr.Close()
		body = io.LimitReader(zr, o.MaxBody+1)
	default:
		return http.StatusUnsupportedMediaType, Response{}, fmt.Sprintf("Content-Encoding %q is not supported (use gzip or none)", enc)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return bodyError(err, o, "body")
	}
	if int64(len(data)) > o.MaxBody {
		return http.StatusRequestEntityTooLarge, Response{}, fmt.Sprintf("decompressed body is larger than %d bytes: send smaller batches", o.MaxBody)
	}
	b := c.newBatch()
	source := "http:" + r.RemoteAddr
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if len(line) > o.MaxLine {
			b.add(line[:o.MaxLine], source, -1, true)
			continue
		}
		b.add(line, source, -1, false)
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

func bodyError(err error, o HTTPOptions, what string) (int, Response, string) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, Response{}, fmt.Sprintf("body is larger than %d bytes: send smaller batches", o.MaxBody)
	}
	if what == "gzip" || errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
		return http.StatusBadRequest, Response{}, "invalid gzip body: " + err.Error()
	}
	return http.StatusBadRequest, Response{}, "cannot read the body: " + err.Error()
}
