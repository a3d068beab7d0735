package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rtdw/rtdw/internal/failstop"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// allocated is the space path takes on disk.
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

// TestCloseLeavesOneSmallWAL: a log that rotated its memtables (and WAL
// files) many times leaves, once closed, one WAL with nothing to replay:
// Close flushes and removes the WAL files the flush made obsolete
// (recycled ones included), and no file is preallocated. Before, a small
// store kept five or six WAL files of 72 MB each on disk.
func TestCloseLeavesOneSmallWAL(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, RetentionInterval: -1, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	// 3 memtables' worth of state, rewritten keys (as checkpoints do), in
	// 1 MiB batches.
	val := make([]byte, 1<<10)
	for i := range 3 * MemTableBytes / (1 << 20) {
		st := l.StateStore().NewBatch()
		for k := range 1 << 10 {
			st.Set(fmt.Appendf(nil, "\x20key-%d", k), val, nil)
		}
		err := l.Commit(ctx, &rlog.Txn{Records: []rlog.Record{{Topic: "t", Value: []byte("x")}}, State: st})
		st.Close()
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if n := len(walFiles(dir)); n < 2 {
		t.Fatalf("%d WAL files before Close: the test no longer rotates memtables", n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wals := walFiles(dir)
	if len(wals) != 1 {
		t.Fatalf("WAL files after Close: %v, want only the current one", wals)
	}
	fi, err := os.Stat(wals[0])
	if err != nil {
		t.Fatal(err)
	}
	// A reused (recycled) file keeps its old bytes: at most a memtable's.
	if fi.Size() > MemTableBytes || allocated(t, wals[0]) > fi.Size()+64<<10 {
		t.Fatalf("the WAL left is %d bytes, %d on disk", fi.Size(), allocated(t, wals[0]))
	}

	l, err = Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	v, c, err := l.StateStore().Get([]byte("\x20key-7"))
	if err != nil || len(v) != len(val) {
		t.Fatalf("state after reopen: %d bytes, %v", len(v), err)
	}
	c.Close()
	if _, end, _ := l.Offsets(ctx, rlog.TopicPartition{Topic: "t"}); end != int64(3*MemTableBytes/(1<<20)) {
		t.Fatalf("topic end after reopen: %d", end)
	}
}

// TestOpenRemovesOrphanFiles: table and blob files no MANIFEST references
// (left by a flush that failed or was killed; an older rtdw retrying a
// flush on a full disk left 22,873 of them) are deleted by Open (in the background, done by Close).
func TestOpenRemovesOrphanFiles(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var orphans []string
	for n := 900000; n < 900200; n++ {
		ext := [2]string{"sst", "blob"}[n%2] // file numbers are unique across kinds
		p := filepath.Join(dir, fmt.Sprintf("%06d.%s", n, ext))
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		orphans = append(orphans, p)
	}
	l, err = Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.DescribeTopic(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	// Pebble deletes them in the background; Close waits for that.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, p := range orphans {
		if _, err := os.Stat(p); err == nil {
			left++
		}
	}
	if left > 0 {
		t.Fatalf("%d of %d orphan files left after Open", left, len(orphans))
	}
}

// TestCommitOnFullDiskStops: a commit that finds the disk full (here the
// segment files' sync, through the test hook after it) reports it to
// failstop, which stops the process in the CLI, with the log's directory,
// and returns the error; when that returns (tests), the log goes on from
// its last commit.
func TestCommitOnFullDiskStops(t *testing.T) {
	dir := t.TempDir()
	var stops []error
	t.Cleanup(failstop.SetHandler(func(err error) { stops = append(stops, err) }))
	l, err := Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.Produce(ctx, rlog.Record{Topic: "t", Value: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	if len(stops) != 0 {
		t.Fatalf("stopped with space left: %v", stops)
	}
	l.beforeBatchCommit = func(int) error {
		return &os.PathError{Op: "write", Path: filepath.Join(dir, "segments/1/0/x.log"), Err: syscall.ENOSPC}
	}
	err = l.Produce(ctx, rlog.Record{Topic: "t", Value: []byte("lost")})
	if !failstop.IsDiskFull(err) {
		t.Fatalf("commit on a full disk: %v", err)
	}
	var fe *failstop.Error
	if len(stops) != 1 || !errors.As(stops[0], &fe) || fe.Dir != dir || !strings.Contains(fe.Error(), "no space left on device") {
		t.Fatalf("failstop got %v", stops)
	}
	l.beforeBatchCommit = nil
	if err := l.Produce(ctx, rlog.Record{Topic: "t", Value: []byte("after")}); err != nil {
		t.Fatalf("commit after space was freed: %v", err)
	}
	recs, err := l.Fetch(ctx, rlog.TopicPartition{Topic: "t"}, 0, 10, 0)
	if err != nil || len(recs) != 2 || string(recs[0].Value) != "before" || string(recs[1].Value) != "after" {
		t.Fatalf("records after the failed commit: %v %v", recs, err)
	}
}
