package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

func TestConformance(t *testing.T) {
	logtest.Run(t, func(t *testing.T) rlog.Log {
		l, err := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

var ctx = context.Background()

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	l.CreateTopic(ctx, "a", rlog.TopicConfig{Partitions: 2, Retention: time.Hour})
	l.CreateTopic(ctx, "b", rlog.TopicConfig{Partitions: 1})
	for i := range 5 {
		l.Produce(ctx, rlog.Record{Topic: "a", Partition: 1, Value: fmt.Appendf(nil, "%d", i)})
	}
	l.CommitOffsets(ctx, "g", map[rlog.TopicPartition]int64{{Topic: "a", Partition: 1}: 3})
	l.Close()

	l, err = Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	info, _ := l.DescribeTopic(ctx, "a")
	if info.Partitions != 2 || info.Retention != time.Hour {
		t.Fatalf("topic a after reopen: %+v", info)
	}
	start, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: "a", Partition: 1})
	if start != 0 || end != 5 {
		t.Fatalf("offsets after reopen %d %d", start, end)
	}
	if off, ok, _ := l.CommittedOffset(ctx, "g", rlog.TopicPartition{Topic: "a", Partition: 1}); !ok || off != 3 {
		t.Fatalf("group offset after reopen %d %v", off, ok)
	}
	// New topics get fresh ids: b's data must not alias a new topic's.
	l.CreateTopic(ctx, "c", rlog.TopicConfig{Partitions: 1})
	if _, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: "c"}); end != 0 {
		t.Fatalf("new topic c starts at %d", end)
	}
	l.Produce(ctx, rlog.Record{Topic: "a", Partition: 1, Value: []byte("5")})
	recs, _ := l.Fetch(ctx, rlog.TopicPartition{Topic: "a", Partition: 1}, 5, 10, 0)
	if len(recs) != 1 || recs[0].Offset != 5 || string(recs[0].Value) != "5" {
		t.Fatalf("append after reopen: %+v", recs)
	}
}

func TestRetentionByTime(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	// One record per segment, so retention's segment granularity is the record.
	l, err := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1, SegmentBytes: 1, Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.CreateTopic(ctx, "r", rlog.TopicConfig{Partitions: 1, Retention: time.Hour})
	l.CreateTopic(ctx, "forever", rlog.TopicConfig{Partitions: 1})
	for i := range 10 { // one record a minute apart... then 10 more two hours later
		l.Produce(ctx, rlog.Record{Topic: "r", Partition: 0, Value: []byte("old")}, rlog.Record{Topic: "forever", Partition: 0, Value: []byte("x")})
		now.Add(int64(time.Minute / time.Millisecond))
		_ = i
	}
	now.Add(int64(2 * time.Hour / time.Millisecond))
	for range 10 {
		l.Produce(ctx, rlog.Record{Topic: "r", Partition: 0, Value: []byte("new")})
	}
	n, err := l.EnforceRetention()
	if err != nil || n != 10 {
		t.Fatalf("retention deleted %d (%v), want 10", n, err)
	}
	tp := rlog.TopicPartition{Topic: "r"}
	start, end, _ := l.Offsets(ctx, tp)
	if start != 10 || end != 20 {
		t.Fatalf("offsets after retention %d %d, want 10 20", start, end)
	}
	if _, err := l.Fetch(ctx, tp, 5, 10, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("fetch below log start: %v", err)
	}
	recs, _ := l.Fetch(ctx, tp, 10, 100, 0)
	for _, r := range recs {
		if string(r.Value) != "new" {
			t.Fatalf("retention kept %q", r.Value)
		}
	}
	if s, _, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: "forever"}); s != 0 {
		t.Fatal("retention touched a topic without retention")
	}
}

func TestRetentionByBytes(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, NoSync: true, RetentionInterval: -1, SegmentBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	l.CreateTopic(ctx, "r", rlog.TopicConfig{Partitions: 1, RetentionBytes: 1000})
	for range 50 {
		l.Produce(ctx, rlog.Record{Topic: "r", Partition: 0, Value: make([]byte, 100)})
	}
	if _, err := l.EnforceRetention(); err != nil {
		t.Fatal(err)
	}
	start, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: "r"})
	// Each record is a segment of `frame` bytes: the oldest go while the rest
	// still hold >= 1000 bytes.
	frame := l.topics["r"].parts[0].segs.snapshot()[0].size
	keep := (1000 + frame - 1) / frame
	if end != 50 || end-start != keep {
		t.Fatalf("after size retention [%d,%d), want the last %d records of %d bytes", start, end, keep, frame)
	}
	recs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "r"}, start, 100, 0)
	if err != nil || int64(len(recs)) != keep || recs[0].Offset != start {
		t.Fatalf("fetch after retention: %d records, %v", len(recs), err)
	}
	l.Close()
	// The log start survives a restart.
	l, _ = Open(Options{Dir: dir, NoSync: true, RetentionInterval: -1})
	defer l.Close()
	if s, e, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: "r"}); s != start || e != 50 {
		t.Fatalf("after reopen [%d,%d)", s, e)
	}
}

// A commit that wrote segment bytes but crashed before its Pebble batch
// committed leaves garbage after the committed end, maybe a new segment
// file too; Open must cut both, and appends continue at the committed end.
func TestTornCommitIsTruncated(t *testing.T) {
	dir := t.TempDir()
	l, _ := Open(Options{Dir: dir, RetentionInterval: -1})
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	for i := range 3 {
		l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: fmt.Appendf(nil, "v%d", i)})
	}
	segDir := l.segmentDir(0, 0)
	l.Close()

	files, _ := os.ReadDir(segDir)
	if len(files) != 1 {
		t.Fatalf("%d segment files, want 1", len(files))
	}
	f, _ := os.OpenFile(filepath.Join(segDir, files[0].Name()), os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte("half a frame from a commit that never finished"))
	f.Close()
	os.WriteFile(filepath.Join(segDir, segmentName(3)), []byte("an uncommitted rollover"), 0o644)

	l, err := Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := os.Stat(filepath.Join(segDir, segmentName(3))); !os.IsNotExist(err) {
		t.Fatal("uncommitted segment file survived Open")
	}
	l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("v3")})
	recs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, 0, 10, 0)
	if err != nil || len(recs) != 4 {
		t.Fatalf("fetch = %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if string(r.Value) != fmt.Sprintf("v%d", i) || r.Offset != int64(i) {
			t.Fatalf("record %d = %q@%d", i, r.Value, r.Offset)
		}
	}
}

// Many commits across several segment rollovers read back in order from
// any offset.
func TestSegmentsRollAndIndex(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1, SegmentBytes: 4096})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	var batch []rlog.Record
	for i := range 3000 {
		batch = append(batch, rlog.Record{Topic: "t", Partition: 0, Value: fmt.Appendf(nil, "%d-%s", i, make([]byte, i%200))})
		if len(batch) == 1+i%97 {
			l.Produce(ctx, batch...)
			batch = nil
		}
	}
	l.Produce(ctx, batch...)
	if n := len(l.topics["t"].parts[0].segs.snapshot()); n < 20 {
		t.Fatalf("only %d segments: rollover did not happen", n)
	}
	for _, from := range []int64{0, 1, 57, 1000, 2999} {
		recs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, from, 50, 0)
		if err != nil || len(recs) == 0 {
			t.Fatalf("fetch from %d: %d records, %v", from, len(recs), err)
		}
		for k, r := range recs {
			want := from + int64(k)
			if r.Offset != want || !bytes.HasPrefix(r.Value, fmt.Appendf(nil, "%d-", want)) {
				t.Fatalf("fetch from %d: record %d is offset %d value %.10q", from, k, r.Offset, r.Value)
			}
		}
	}
}

// One commit larger than several write chunks (frameChunk) and segments
// reads back whole from any offset, also after a reopen.
func TestLargeCommitAcrossChunksAndSegments(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, NoSync: true, RetentionInterval: -1, SegmentBytes: 3 * frameChunk / 2}
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	const n = 4000
	var recs []rlog.Record
	for i := range n {
		v := append(fmt.Appendf(nil, "%d-", i), bytes.Repeat([]byte{byte('a' + i%26)}, 100+i%700)...)
		recs = append(recs, rlog.Record{Topic: "t", Partition: 0, Key: fmt.Appendf(nil, "k%d", i), Value: v})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	check := func(l *Log) {
		t.Helper()
		if s := len(l.topics["t"].parts[0].segs.snapshot()); s < 3 {
			t.Fatalf("%d segments: the commit did not roll", s)
		}
		for _, from := range []int64{0, 1, 333, 1999, 2500, n - 1} {
			got, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, from, 100, 0)
			if err != nil || len(got) == 0 {
				t.Fatalf("fetch from %d: %d records, %v", from, len(got), err)
			}
			for k, r := range got {
				want := recs[from+int64(k)]
				if r.Offset != from+int64(k) || !bytes.Equal(r.Value, want.Value) || !bytes.Equal(r.Key, want.Key) {
					t.Fatalf("fetch from %d: record %d is offset %d value %.12q", from, k, r.Offset, r.Value)
				}
			}
		}
	}
	check(l)
	l.Close()
	if l, err = Open(opts); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	check(l)
}

func TestRecordTooLarge(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1, MaxRecordBytes: 100})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	if err := l.Produce(ctx, rlog.Record{Topic: "t", Value: make([]byte, 101)}); !errors.Is(err, rlog.ErrRecordTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if _, err := Open(Options{}); err == nil {
		t.Fatal("Open without Dir succeeded")
	}
	if _, err := Open(Options{Dir: t.TempDir(), MaxRecordBytes: -1}); err == nil {
		t.Fatal("negative MaxRecordBytes accepted")
	}
}

func BenchmarkProduceBatch(b *testing.B) {
	l, _ := Open(Options{Dir: b.TempDir(), NoSync: true, RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 4})
	val := make([]byte, 400)
	recs := make([]rlog.Record, 1000)
	for i := range recs {
		recs[i] = rlog.Record{Topic: "t", Partition: rlog.AutoPartition, Key: fmt.Appendf(nil, "mid_%d", i), Value: val}
	}
	b.SetBytes(int64(len(val) * len(recs)))
	for b.Loop() {
		if err := l.Produce(ctx, recs...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetchOneRecordAtRandom reads single 600-byte records at random
// offsets of a partition written in commits of 1,000: what an operator
// reading back a record it held by position would pay per record (see
// docs/decisions/2026-12-06-write-once-state.md), against a state point
// read (state.BenchmarkValueGetCold).
func BenchmarkFetchOneRecordAtRandom(b *testing.B) {
	l, _ := Open(Options{Dir: b.TempDir(), NoSync: true, RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	val := make([]byte, 600)
	const n = 100_000
	recs := make([]rlog.Record, 1000)
	for i := 0; i < n; i += len(recs) {
		for j := range recs {
			recs[j] = rlog.Record{Topic: "t", Partition: 0, Key: fmt.Appendf(nil, "k%d", i+j), Value: val}
		}
		if err := l.Produce(ctx, recs...); err != nil {
			b.Fatal(err)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	tp := rlog.TopicPartition{Topic: "t"}
	for b.Loop() {
		off := rnd.Int64N(n)
		got, err := l.Fetch(ctx, tp, off, 1, 0)
		if err != nil || len(got) != 1 || got[0].Offset != off {
			b.Fatalf("fetch %d: %d records, %v", off, len(got), err)
		}
	}
}

func TestReadsAfterCloseFailCleanly(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("x")})
	l.Close()
	if _, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, 0, 10, 0); !errors.Is(err, rlog.ErrClosed) {
		t.Fatalf("fetch after close: %v", err)
	}
	if _, _, err := l.CommittedOffset(ctx, "g", rlog.TopicPartition{Topic: "t"}); !errors.Is(err, rlog.ErrClosed) {
		t.Fatalf("committed offset after close: %v", err)
	}
}

// Records kept by the caller own right-sized bytes: keeping many small
// fetches must not keep their 1 MiB read chunks alive (found in review: the
// crash test's reader pinned 8.9 GB).
func TestFetchedRecordsDoNotPinReadChunks(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	var recs []rlog.Record
	for i := range 50_000 {
		recs = append(recs, rlog.Record{Topic: "t", Partition: 0, Value: fmt.Appendf(nil, "value-%012d", i)})
	}
	l.Produce(ctx, recs...)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	var kept [][]rlog.Record
	for off := int64(0); off < 50_000; off += 50 {
		got, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, off, 50, 0)
		if err != nil || len(got) != 50 {
			t.Fatalf("fetch at %d: %d records, %v", off, len(got), err)
		}
		kept = append(kept, got)
	}
	// 1000 fetches x 1 MiB would be ~1 GB; the records themselves are ~5 MB.
	if grown := heap() - before; grown > 64<<20 {
		t.Fatalf("keeping 50,000 small records grew the heap by %d MB", grown>>20)
	}
	if string(kept[999][49].Value) != "value-000000049999" {
		t.Fatalf("last record %q", kept[999][49].Value)
	}
}

// Records fetched together share one backing array of headers: each
// keeps exactly its own, and appending to one (an operator adding a
// header) leaves its neighbours' alone.
func TestFetchedHeadersAreEachRecords(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	hs := func(kv ...string) []rlog.Header {
		var out []rlog.Header
		for i := 0; i < len(kv); i += 2 {
			out = append(out, rlog.Header{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return out
	}
	want := [][]rlog.Header{
		hs("rtdw.table", "order_info"),
		nil,
		hs("rtdw.table", "user_info", "rtdw.reason", "late"),
		hs("rtdw.table", "sku_info"),
		hs("", ""),
	}
	for i := range 20 { // enough for the shared array to have room past a record's window
		want = append(want, hs("rtdw.table", fmt.Sprint("t", i)))
	}
	var recs []rlog.Record
	for i, h := range want {
		recs = append(recs, rlog.Record{Topic: "t", Partition: 0, Value: fmt.Appendf(nil, "%d", i), Headers: h})
	}
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	got, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, 0, 100, 0)
	if err != nil || len(got) != len(want) {
		t.Fatalf("fetch: %d records, %v", len(got), err)
	}
	check := func() {
		t.Helper()
		for i, r := range got {
			if fmt.Sprintf("%q", r.Headers) != fmt.Sprintf("%q", want[i]) {
				t.Fatalf("record %d: headers %q, want %q", i, r.Headers, want[i])
			}
		}
	}
	check()
	for i := range got {
		n := len(got[i].Headers)
		got[i].Headers = append(got[i].Headers, rlog.Header{Key: "added", Value: []byte("x")})
		got[i].Headers = got[i].Headers[:n]
	}
	check()
}

func TestFetchStopsAtAByteCap(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	big := make([]byte, 1<<20)
	for range 10 {
		l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: big})
	}
	got, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, 0, 1000, 0)
	if err != nil || len(got) == 0 || len(got) >= 10 {
		t.Fatalf("fetch of ten 1 MiB records returned %d (%v); want a byte-capped prefix", len(got), err)
	}
}

// DeleteRecords moves a partition's start to any offset, frees the whole
// segments below it (not the one holding the new start), and the start
// survives a restart; reads at and after it are untouched.
func TestDeleteRecords(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, NoSync: true, RetentionInterval: -1, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2})
	tp, other := rlog.TopicPartition{Topic: "t"}, rlog.TopicPartition{Topic: "t", Partition: 1}
	for i := range 1000 {
		l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: fmt.Appendf(nil, "%d-%s", i, make([]byte, 100))},
			rlog.Record{Topic: "t", Partition: 1, Value: []byte("x")})
	}
	segs := func() []*segment { return l.topics["t"].parts[0].segs.snapshot() }
	files := func() int {
		es, err := os.ReadDir(l.segmentDir(l.topics["t"].id, 0))
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	before := len(segs())
	if before < 10 || files() != before {
		t.Fatalf("%d segments, %d files", before, files())
	}
	// 500 is inside a segment: that segment stays.
	if err := l.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 500, other: 0}); err != nil {
		t.Fatal(err)
	}
	list := segs()
	if list[0].base > 500 || len(list) > 1 && list[1].base <= 500 || len(list) >= before || files() != len(list) {
		t.Fatalf("after deleting below 500: %d of %d segments left, first at %d, %d files", len(list), before, list[0].base, files())
	}
	check := func() {
		t.Helper()
		if s, e, _ := l.Offsets(ctx, tp); s != 500 || e != 1000 {
			t.Fatalf("offsets [%d,%d), want [500,1000)", s, e)
		}
		if s, e, _ := l.Offsets(ctx, other); s != 0 || e != 1000 {
			t.Fatalf("other partition [%d,%d)", s, e)
		}
		if _, err := l.Fetch(ctx, tp, 499, 1, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
			t.Fatalf("fetch below the start: %v", err)
		}
		for _, from := range []int64{500, 501, 999} {
			recs, err := l.Fetch(ctx, tp, from, 10, 0)
			if err != nil || len(recs) == 0 || recs[0].Offset != from || !bytes.HasPrefix(recs[0].Value, fmt.Appendf(nil, "%d-", from)) {
				t.Fatalf("fetch from %d: %d records, %v", from, len(recs), err)
			}
		}
	}
	check()
	// Below the start: nothing; above the end: an error.
	if err := l.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 10}); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 1001}); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("delete past the end: %v", err)
	}
	if err := l.DeleteRecords(ctx, map[rlog.TopicPartition]int64{{Topic: "nope"}: 1}); !errors.Is(err, rlog.ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
	check()
	l.Close()
	l, err = Open(Options{Dir: dir, NoSync: true, RetentionInterval: -1, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	check()
	// Appends continue; deleting up to the end empties the partition but
	// keeps its active segment.
	l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("1000-")})
	if err := l.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 1001}); err != nil {
		t.Fatal(err)
	}
	if s, e, _ := l.Offsets(ctx, tp); s != 1001 || e != 1001 || len(segs()) != 1 || files() != 1 {
		t.Fatalf("after deleting everything: [%d,%d), %d segments, %d files", s, e, len(segs()), files())
	}
	l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("1001-")})
	if recs, err := l.Fetch(ctx, tp, 1001, 10, 0); err != nil || len(recs) != 1 || string(recs[0].Value) != "1001-" {
		t.Fatalf("fetch after emptying: %v, %v", recs, err)
	}
}

func TestConformanceRecordDeleter(t *testing.T) {
	logtest.RunRecordDeleter(t, func(t *testing.T) rlog.Log {
		l, err := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

// Changed's channel closes at the next commit that appends to its
// partition, not at one to another partition.
func TestChangedClosesOnAppend(t *testing.T) {
	l, err := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	ch, err := l.Changed(rlog.TopicPartition{Topic: "t", Partition: 0})
	if err != nil {
		t.Fatal(err)
	}
	closed := func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if err := l.Produce(ctx, rlog.Record{Topic: "t", Partition: 1, Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if closed() {
		t.Fatal("closed by an append to another partition")
	}
	if err := l.Commit(ctx, &rlog.Txn{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("y")}}}); err != nil {
		t.Fatal(err)
	}
	if !closed() {
		t.Fatal("not closed by a commit appending to the partition")
	}
	if _, err := l.Changed(rlog.TopicPartition{Topic: "nope", Partition: 0}); err == nil {
		t.Fatal("no error for an unknown topic")
	}
}

// Readers fetching a few records at a time resume where they stopped (the
// partition's cursors) across segment rolls, interleaved with each other
// and with appends, and a cursor into a segment retention deleted falls
// back to the index: out of range, as without it.
func TestFetchCursors(t *testing.T) {
	l, err := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1, SegmentBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.CreateTopic(ctx, "c", rlog.TopicConfig{Partitions: 1})
	tp := rlog.TopicPartition{Topic: "c"}
	produced := 0
	produce := func(n int) {
		for range n {
			if err := l.Produce(ctx, rlog.Record{Topic: "c", Value: fmt.Appendf(nil, "v%03d", produced)}); err != nil {
				t.Fatal(err)
			}
			produced++
		}
	}
	produce(50)
	next := [3]int64{} // three readers, fetching 1, 3 and 7 records at a time
	for round := 0; round < 200; round++ {
		for r, step := range []int{1, 3, 7} {
			recs, err := l.Fetch(ctx, tp, next[r], step, 0)
			if err != nil {
				t.Fatalf("reader %d at %d: %v", r, next[r], err)
			}
			for _, rec := range recs {
				if rec.Offset != next[r] || string(rec.Value) != fmt.Sprintf("v%03d", next[r]) {
					t.Fatalf("reader %d: got offset %d %q, want %d", r, rec.Offset, rec.Value, next[r])
				}
				next[r]++
			}
		}
		if round%10 == 0 {
			produce(5) // the active segment grows and rolls under the readers
		}
	}
	for r, n := range next {
		if n != int64(produced) {
			t.Fatalf("reader %d read %d of %d records", r, n, produced)
		}
	}
	if _, p, _ := l.part(tp); len(p.segs.snapshot()) < 5 {
		t.Fatalf("%d segments: the test did not roll", len(p.segs.snapshot()))
	}

	// A cursor left at offset 10, then everything before 60 deleted.
	if _, err := l.Fetch(ctx, tp, 5, 5, 0); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteRecords(ctx, map[rlog.TopicPartition]int64{tp: 60}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Fetch(ctx, tp, 10, 5, 0); !errors.Is(err, rlog.ErrOffsetOutOfRange) {
		t.Fatalf("fetch at a deleted cursor: %v", err)
	}
	start, _, _ := l.Offsets(ctx, tp)
	recs, err := l.Fetch(ctx, tp, start, 3, 0)
	if err != nil || len(recs) != 3 || recs[0].Offset != start {
		t.Fatalf("fetch at the new start %d: %v %v", start, recs, err)
	}
}

// A partition's cursors: every reader at an offset finds it (readers
// caught up with the end share one), and the oldest go first.
func TestCursorsKeepTheNewest(t *testing.T) {
	var c cursors
	c.put(cursor{}) // nothing read: nothing kept
	if len(c.m) != 0 {
		t.Fatalf("an empty read left a cursor: %v", c.m)
	}
	for off := int64(1); off <= maxCursors+6; off++ {
		c.put(cursor{off: off, base: 7, pos: off * 10})
		c.put(cursor{off: off, base: 7, pos: off * 10}) // a second reader at the same place
	}
	for off := int64(1); off <= maxCursors+6; off++ {
		cur, ok := c.get(off)
		if want := off > 6; ok != want || (ok && cur.pos != off*10) {
			t.Fatalf("cursor %d: %v %v, want kept %v", off, cur, ok, want)
		}
		if _, again := c.get(off); again != ok {
			t.Fatalf("cursor %d: a get took it away", off)
		}
	}
}
