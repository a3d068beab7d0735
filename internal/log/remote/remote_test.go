package remote_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/remote"
)

func TestRemoteTopicsThroughARunningProcess(t *testing.T) {
	_, srv := serve(t, "secret")
	r := client(srv, "secret")
	ctx := context.Background()

	if err := r.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2, Retention: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2}); !errors.Is(err, rlog.ErrTopicExists) {
		t.Fatalf("duplicate create over the wire: %v", err)
	}
	if _, err := r.DescribeTopic(ctx, "nope"); !errors.Is(err, rlog.ErrUnknownTopic) {
		t.Fatalf("unknown topic over the wire: %v", err)
	}
	in := []rlog.Record{
		{Topic: "t", Partition: 1, Key: []byte("k"), Value: []byte(`{"a":1}`), Timestamp: 42, Headers: []rlog.Header{{Key: "h", Value: []byte("v")}}},
		{Topic: "t", Partition: 1, Key: nil, Value: nil, Timestamp: 43},
	}
	if err := r.Produce(ctx, in...); err != nil {
		t.Fatal(err)
	}
	tp := rlog.TopicPartition{Topic: "t", Partition: 1}
	got, err := r.Fetch(ctx, tp, 0, 10, 0)
	if err != nil || len(got) != 2 {
		t.Fatalf("fetch: %v %v", got, err)
	}
	if !bytes.Equal(got[0].Value, in[0].Value) || string(got[0].Header("h")) != "v" || got[0].Timestamp != 42 || got[1].Value != nil || got[1].Key != nil {
		t.Fatalf("round trip changed records: %+v", got)
	}
	if start, end, err := r.Offsets(ctx, tp); err != nil || start != 0 || end != 2 {
		t.Fatalf("offsets %d %d %v", start, end, err)
	}
	if _, err := r.Fetch(ctx, tp, 9, 10, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("out of range over the wire: %v", err)
	}
	ts, _ := r.ListTopics(ctx)
	if len(ts) != 1 || ts[0].Retention != time.Hour {
		t.Fatalf("list: %+v", ts)
	}
	if err := r.Commit(ctx, &rlog.Txn{}); !errors.Is(err, remote.ErrUnsupported) {
		t.Fatalf("commit through a running rtdw: %v", err)
	}
}

// Without the token (a stale address now served by another rtdw, a web page)
// nothing is read or written.
func TestTokenRequired(t *testing.T) {
	l, srv := serve(t, "secret")
	for _, token := range []string{"", "wrong"} {
		r := client(srv, token)
		if _, err := r.ListTopics(context.Background()); err == nil {
			t.Fatalf("token %q accepted", token)
		}
		if err := r.CreateTopic(context.Background(), "x", rlog.TopicConfig{Partitions: 1}); err == nil {
			t.Fatalf("token %q could create a topic", token)
		}
	}
	if ts, _ := l.ListTopics(context.Background()); len(ts) != 0 {
		t.Fatalf("topics created without the token: %v", ts)
	}
}

// Batches larger than one request are split (found in review: 200 x 1 MiB
// failed through a running rtdw but worked directly).
func TestLargeProduceIsSplit(t *testing.T) {
	l, srv := serve(t, "s")
	r := client(srv, "s")
	ctx := context.Background()
	r.CreateTopic(ctx, "big", rlog.TopicConfig{Partitions: 1})
	recs := make([]rlog.Record, 80) // 80 MiB: ten 8 MiB requests
	for i := range recs {
		recs[i] = rlog.Record{Topic: "big", Partition: 0, Value: bytes.Repeat([]byte{'a' + byte(i%26)}, 1<<20)}
	}
	if err := r.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	if _, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: "big"}); end != 80 {
		t.Fatalf("%d records arrived, want 80", end)
	}
}

// Behind httpguard with an --auth-token, the client sends it too; without
// it the answer says what is missing.
func TestAuthToken(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpguard.Handler(remote.Handler(l, "proc"), httpguard.Options{Token: "auth", MaxBody: remote.MaxRequestBody}))
	t.Cleanup(func() { srv.Close(); l.Close() })
	ctx := context.Background()
	if _, err := client(srv, "proc").ListTopics(ctx); err == nil || !strings.Contains(err.Error(), "--auth-token") {
		t.Fatalf("without the auth token: %v", err)
	}
	r := client(srv, "proc").WithAuthToken("auth")
	if err := r.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if _, end, err := r.Offsets(ctx, rlog.TopicPartition{Topic: "t"}); err != nil || end != 1 {
		t.Fatalf("offsets: %d %v", end, err)
	}
	// The process token is still required as well.
	if _, err := client(srv, "").WithAuthToken("auth").ListTopics(ctx); err == nil {
		t.Fatal("the auth token alone was accepted for the topic API")
	}
}

// serve opens an embedded log and serves it with token; both close with t.
func serve(t *testing.T, token string) (*embedded.Log, *httptest.Server) {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(remote.Handler(l, token))
	t.Cleanup(func() { srv.Close(); l.Close() })
	return l, srv
}

func client(srv *httptest.Server, token string) *remote.Log {
	return remote.New(strings.TrimPrefix(srv.URL, "http://"), token)
}
