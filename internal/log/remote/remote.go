// Package remote reaches the log of a running rtdw process over its HTTP
// address, so `rtdw topic ...` works while `rtdw run` or `rtdw demo` holds
// the data dir (the embedded store allows one process at a time). It
// implements the topic side of log.Log and topic administration; groups'
// offsets can be read (job list) but not written: they, transactions and
// state belong to the running jobs.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// ErrUnsupported is returned for operations only the owning process does.
var ErrUnsupported = errors.New("not available through a running rtdw (stop it to use this)")

// ErrUnauthorized: the running rtdw wants an --auth-token this client
// does not send (or another one).
var ErrUnauthorized = errors.New("the running rtdw wants its --auth-token: give the same --auth-token here (or RTDW_AUTH_TOKEN, auth_token in rtdw.yaml)")

// TokenHeader carries the serving process's token: only a client that can
// read the data dir's rtdw.addr knows it, which keeps out both a stale
// address now served by another rtdw and web pages (CSRF, DNS rebinding).
const TokenHeader = "X-Rtdw-Token"

// Log is a log.Log client of a running rtdw's /api/log endpoints.
type Log struct {
	base  string
	token string
	auth  string
	c     *http.Client
}

// New returns a client of the rtdw serving at addr (host:port) with token.
func New(addr, token string) *Log {
	return &Log{base: "http://" + addr + "/api/log", token: token, c: &http.Client{}}
}

// WithAuthToken makes l send the server's --auth-token too (as
// "Authorization: Bearer"; httpguard.RequireToken); "" sends none.
func (l *Log) WithAuthToken(token string) *Log {
	l.auth = token
	return l
}

// Wire types shared with the server.
type (
	TopicJSON struct {
		Name           string `json:"name"`
		Partitions     int32  `json:"partitions"`
		RetentionMs    int64  `json:"retention_ms"`
		RetentionBytes int64  `json:"retention_bytes"`
	}
	OffsetsJSON struct {
		Start int64 `json:"start"`
		End   int64 `json:"end"`
	}
	errorJSON struct {
		Error string `json:"error"`
		Kind  string `json:"kind"`
	}
)

// Error kinds map the log's sentinel errors across the wire.
var kinds = map[string]error{
	"unknown_topic": rlog.ErrUnknownTopic, "topic_exists": rlog.ErrTopicExists,
	"out_of_range": rlog.ErrOffsetOutOfRange, "too_large": rlog.ErrRecordTooLarge,
	"invalid_config": rlog.ErrInvalidTopicConfig, "closed": rlog.ErrClosed,
}

// Kind names err's sentinel for the wire ("" if none).
func Kind(err error) string {
	for k, e := range kinds {
		if errors.Is(err, e) {
			return k
		}
	}
	return ""
}

func (l *Log) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := l.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set(TokenHeader, l.token)
	httpguard.SetToken(req, l.auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := l.c.Do(req)
	if err != nil {
		return fmt.Errorf("running rtdw at %s: %w", l.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		var e errorJSON
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(raw)) // a guard's text answer (401, 413, 503)
		}
		if s, ok := kinds[e.Kind]; ok {
			return fmt.Errorf("%w: %s", s, e.Error)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("%s: %w", l.base, ErrUnauthorized)
		}
		return fmt.Errorf("running rtdw: %s: %s", resp.Status, e.Error)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func fromJSON(t TopicJSON) rlog.TopicInfo {
	return rlog.TopicInfo{Name: t.Name, TopicConfig: rlog.TopicConfig{Partitions: t.Partitions,
		Retention: time.Duration(t.RetentionMs) * time.Millisecond, RetentionBytes: t.RetentionBytes}}
}

// ToJSON converts a topic description for the wire.
func ToJSON(t rlog.TopicInfo) TopicJSON {
	return TopicJSON{Name: t.Name, Partitions: t.Partitions, RetentionMs: t.Retention.Milliseconds(), RetentionBytes: t.RetentionBytes}
}

// CreateTopic implements log.Log.
func (l *Log) CreateTopic(ctx context.Context, name string, cfg rlog.TopicConfig) error {
	return l.do(ctx, http.MethodPost, "/topics", nil, ToJSON(rlog.TopicInfo{Name: name, TopicConfig: cfg}), nil)
}

// DescribeTopic implements log.Log.
func (l *Log) DescribeTopic(ctx context.Context, name string) (rlog.TopicInfo, error) {
	var t TopicJSON
	err := l.do(ctx, http.MethodGet, "/topics/"+url.PathEscape(name), nil, nil, &t)
	return fromJSON(t), err
}

// ListTopics implements log.Log.
func (l *Log) ListTopics(ctx context.Context) ([]rlog.TopicInfo, error) {
	var ts []TopicJSON
	if err := l.do(ctx, http.MethodGet, "/topics", nil, nil, &ts); err != nil {
		return nil, err
	}
	out := make([]rlog.TopicInfo, len(ts))
	for i, t := range ts {
		out[i] = fromJSON(t)
	}
	return out, nil
}

// maxBatchBytes bounds one produce request (JSON base64 grows bytes by
// a third; the server accepts MaxRequestBody, room for one record of the
// embedded log's largest, 16 MiB, alone).
const maxBatchBytes = 8 << 20

// MaxRequestBody is the largest request body the server reads (produce;
// the other requests are small).
const MaxRequestBody = 64 << 20

// Produce implements log.Log, in requests of at most maxBatchBytes. Like a
// Kafka producer's batches, each request is atomic, the whole call is not.
func (l *Log) Produce(ctx context.Context, recs ...rlog.Record) error {
	for len(recs) > 0 {
		n, size := 0, 0
		for n < len(recs) && (n == 0 || size+recordBytes(&recs[n]) <= maxBatchBytes) {
			size += recordBytes(&recs[n])
			n++
		}
		if err := l.do(ctx, http.MethodPost, "/produce", nil, recs[:n], nil); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

func recordBytes(r *rlog.Record) int {
	n := len(r.Key) + len(r.Value) + len(r.Topic) + 64
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value) + 16
	}
	return n
}

// Fetch implements log.Log.
func (l *Log) Fetch(ctx context.Context, tp rlog.TopicPartition, offset int64, max int, wait time.Duration) ([]rlog.Record, error) {
	q := url.Values{"partition": {strconv.Itoa(int(tp.Partition))}, "offset": {strconv.FormatInt(offset, 10)},
		"max": {strconv.Itoa(max)}, "wait_ms": {strconv.FormatInt(wait.Milliseconds(), 10)}}
	var recs []rlog.Record
	err := l.do(ctx, http.MethodGet, "/topics/"+url.PathEscape(tp.Topic)+"/fetch", q, nil, &recs)
	return recs, err
}

// Offsets implements log.Log.
func (l *Log) Offsets(ctx context.Context, tp rlog.TopicPartition) (int64, int64, error) {
	var o OffsetsJSON
	err := l.do(ctx, http.MethodGet, "/topics/"+url.PathEscape(tp.Topic)+"/offsets", url.Values{"partition": {strconv.Itoa(int(tp.Partition))}}, nil, &o)
	return o.Start, o.End, err
}

// Commit implements log.Log: refused, transactions belong to the running jobs.
func (l *Log) Commit(context.Context, *rlog.Txn) error {
	return fmt.Errorf("commit: %w", ErrUnsupported)
}

// CommittedOffset implements log.Log: refused.
func (l *Log) CommittedOffset(context.Context, string, rlog.TopicPartition) (int64, bool, error) {
	return 0, false, fmt.Errorf("committed offsets: %w", ErrUnsupported)
}

// CommitOffsets implements log.Log: refused.
func (l *Log) CommitOffsets(context.Context, string, map[rlog.TopicPartition]int64) error {
	return fmt.Errorf("commit offsets: %w", ErrUnsupported)
}

// StateStore implements log.Log: there is none here.
func (l *Log) StateStore() *pebble.DB { return nil }

// Close implements log.Log.
func (l *Log) Close() error { return nil }
