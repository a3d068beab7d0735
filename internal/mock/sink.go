package mock

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// Sink receives the shop's events in order. Write returns the number of
// records it wrote for the event (log lines plus topic_db records).
type Sink interface {
	Write(ctx context.Context, ev Event) (int, error)
	// Flush makes everything written so far durable / visible.
	Flush(ctx context.Context) error
}

// Records returns the number of output records of ev: one per log line, one
// per row change.
func Records(ev Event) int {
	if ev.Txn != nil {
		return len(ev.Txn.Changes)
	}
	return 1
}

// JSONSink writes topic_db (Maxwell JSON) and topic_log lines, one JSON
// object per line, to two writers (files, buffers).
type JSONSink struct {
	db, log *bufio.Writer
	buf     []byte
}

// NewJSONSink writes to db and log (either may be nil to drop that stream).
func NewJSONSink(db, log io.Writer) *JSONSink {
	s := &JSONSink{}
	if db != nil {
		s.db = bufio.NewWriterSize(db, 256<<10)
	}
	if log != nil {
		s.log = bufio.NewWriterSize(log, 256<<10)
	}
	return s
}

// Write implements Sink.
func (s *JSONSink) Write(_ context.Context, ev Event) (int, error) {
	if ev.Txn == nil {
		if s.log == nil {
			return 0, nil
		}
		s.log.Write(ev.Log)
		return 1, s.log.WriteByte('\n')
	}
	if s.db == nil {
		return 0, nil
	}
	for i := range ev.Txn.Changes {
		s.buf = ev.Txn.AppendMaxwell(s.buf[:0], i)
		s.buf = append(s.buf, '\n')
		if _, err := s.db.Write(s.buf); err != nil {
			return i, err
		}
	}
	return len(ev.Txn.Changes), nil
}

// Flush implements Sink.
func (s *JSONSink) Flush(context.Context) error {
	if s.db != nil {
		if err := s.db.Flush(); err != nil {
			return err
		}
	}
	if s.log != nil {
		return s.log.Flush()
	}
	return nil
}

// LogSink produces topic_db records keyed by primary key (Maxwell's key)
// and topic_log records keyed by mid, into a log (embedded or Kafka), in
// batches. Record timestamps are event times. topic_db records carry the
// rtdw.table and rtdw.ts headers (Txn.Headers).
type LogSink struct {
	l                 rlog.Log
	dbTopic, logTopic string
	recs              []rlog.Record
	last              time.Time
}

// NewLogSink writes to the given topics of l (which must exist).
func NewLogSink(l rlog.Log, dbTopic, logTopic string) *LogSink {
	return &LogSink{l: l, dbTopic: dbTopic, logTopic: logTopic, last: time.Now()}
}

// Write implements Sink.
func (s *LogSink) Write(ctx context.Context, ev Event) (int, error) {
	if ev.Txn == nil {
		key := append([]byte("mid_"), strconv.Itoa(ev.Mid)...)
		s.recs = append(s.recs, rlog.Record{Topic: s.logTopic, Partition: rlog.AutoPartition, Key: key,
			Value: bytes.Clone(ev.Log), Timestamp: ev.TS})
	} else {
		for i := range ev.Txn.Changes {
			s.recs = append(s.recs, rlog.Record{Topic: s.dbTopic, Partition: rlog.AutoPartition,
				Key: ev.Txn.Changes[i].AppendKey(nil), Value: ev.Txn.AppendMaxwell(nil, i), Timestamp: ev.TS,
				Headers: ev.Txn.Headers(i)})
		}
	}
	if len(s.recs) >= 2000 || time.Since(s.last) > 200*time.Millisecond {
		return Records(ev), s.Flush(ctx)
	}
	return Records(ev), nil
}

// Flush implements Sink.
func (s *LogSink) Flush(ctx context.Context) error {
	s.last = time.Now()
	if len(s.recs) == 0 {
		return nil
	}
	if err := s.l.Produce(ctx, s.recs...); err != nil {
		return err // kept for the next flush (the embedded log wrote none of them)
	}
	clear(s.recs)
	s.recs = s.recs[:0]
	return nil
}

// HTTPSink POSTs app-log lines to a log collector, batch lines per request
// (newline-separated JSON objects; batch 1 sends one object per POST, as the
// gmall mock does). Database changes are not sent.
type HTTPSink struct {
	url    string
	token  string
	client *http.Client
	batch  int
	buf    bytes.Buffer
	n      int
}

// NewHTTPSink posts to url.
func NewHTTPSink(url string, batch int) *HTTPSink {
	if batch < 1 {
		batch = 1
	}
	return &HTTPSink{url: url, client: &http.Client{Timeout: 30 * time.Second}, batch: batch}
}

// WithToken makes s send "Authorization: Bearer token" (a collector's
// --auth-token); "" sends none.
func (s *HTTPSink) WithToken(token string) *HTTPSink {
	s.token = token
	return s
}

// Write implements Sink.
func (s *HTTPSink) Write(ctx context.Context, ev Event) (int, error) {
	if ev.Txn != nil {
		return 0, nil
	}
	if s.n > 0 {
		s.buf.WriteByte('\n')
	}
	s.buf.Write(ev.Log)
	s.n++
	if s.n >= s.batch {
		return 1, s.Flush(ctx)
	}
	return 1, nil
}

// Flush implements Sink.
func (s *HTTPSink) Flush(ctx context.Context) error {
	if s.n == 0 {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.buf.Bytes()))
	if err != nil {
		return fmt.Errorf("mock: http: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	httpguard.SetToken(req, s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("mock: http: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("mock: http: POST %s: %s", s.url, resp.Status)
	}
	s.buf.Reset()
	s.n = 0
	return nil
}
