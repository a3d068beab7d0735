//go:build linux

package embedded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/rtdw/rtdw/internal/failstop"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/testenv"
)

func TestSyncfsReportsErrorsFromLinux58(t *testing.T) {
	for release, want := range map[string]bool{
		"6.1.0-18-amd64":    true,
		"6.18.44-fc-v1272":  true,
		"5.8.0":             true,
		"5.10.0-28-cloud":   true,
		"5.8-rc1":           true,
		"5.7.19":            false,
		"4.19.0-26-amd64":   false,
		"3.10.0-1160.el7":   false,
		"":                  false,
		"garbage":           false,
		"10.0.0-generation": true,
	} {
		if got := syncfsReportsErrors(release); got != want {
			t.Errorf("syncfsReportsErrors(%q) = %v, want %v", release, got, want)
		}
	}
}

// syncCounts counts a log's syncfs calls and file fsyncs (the real ones
// still run), and injects errors into them.
type syncCounts struct {
	fs, files      atomic.Int64
	fsErr, fileErr error
}

func countSyncs(t *testing.T, l *Log) *syncCounts {
	t.Helper()
	if l.fs == nil {
		t.Fatal("no syncfs on this Linux kernel (5.8 or later needed)")
	}
	c := &syncCounts{}
	l.syncfs = func() error {
		c.fs.Add(1)
		if err := l.fs.sync(); err != nil {
			return err
		}
		return c.fsErr
	}
	l.syncFile = func(f *os.File) error {
		c.files.Add(1)
		if err := f.Sync(); err != nil {
			return err
		}
		return c.fileErr
	}
	return c
}

func (c *syncCounts) take() (fs, files int64) { return c.fs.Swap(0), c.files.Swap(0) }

// recsTo is a record for each of n partitions of topic.
func recsTo(topic string, n int32, v string) []rlog.Record {
	var recs []rlog.Record
	for p := range n {
		recs = append(recs, rlog.Record{Topic: topic, Partition: p, Value: []byte(v)})
	}
	return recs
}

// produceSyncs produces recs and checks how l made them durable.
func produceSyncs(t *testing.T, l *Log, c *syncCounts, what string, wantFS, wantFiles int64, recs ...rlog.Record) {
	t.Helper()
	if err := l.Produce(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	if fs, files := c.take(); fs != wantFS || files != wantFiles {
		t.Fatalf("%s: %d syncfs and %d file syncs, want %d and %d", what, fs, files, wantFS, wantFiles)
	}
}

// openWithTopic opens a log on dir with a topic "t" of n partitions.
func openWithTopic(t *testing.T, dir string, n int32) *Log {
	t.Helper()
	l, err := Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: n}); err != nil && !errors.Is(err, rlog.ErrTopicExists) {
		t.Fatal(err)
	}
	return l
}

// A commit writing several segment files syncs their filesystem once; one
// writing a single file syncs that file.
func TestGroupCommitSyncsTheFilesystemOnce(t *testing.T) {
	l := openWithTopic(t, t.TempDir(), 4)
	c := countSyncs(t, l)
	produceSyncs(t, l, c, "four new segments", 1, 0, recsTo("t", 4, "a")...)
	produceSyncs(t, l, c, "one segment written", 0, 1, rlog.Record{Topic: "t", Partition: 2, Value: []byte("b")})
	if got := values(fetchPart(t, l, rlog.TopicPartition{Topic: "t", Partition: 2})); strings.Join(got, ",") != "a,b" {
		t.Fatalf("partition 2 holds %v", got)
	}
}

// syncfs reports writeback errors of the whole filesystem: the log then
// syncs each of its files, and fails the commit only when one of them
// fails (a disk-full one stops the process, as a failed write does).
func TestSyncfsErrorIsCheckedFileByFile(t *testing.T) {
	dir := t.TempDir()
	var stops []error
	t.Cleanup(failstop.SetHandler(func(err error) { stops = append(stops, err) }))
	l := openWithTopic(t, dir, 3)
	c := countSyncs(t, l)
	enospc := &os.PathError{Op: "syncfs", Path: dir, Err: syscall.ENOSPC}

	// Another file's error: the log's own files sync, the commit stands.
	c.fsErr = enospc
	// (their new directories are synced too, uncounted)
	produceSyncs(t, l, c, "a writeback error elsewhere on the filesystem", 1, 3, recsTo("t", 3, "kept")...)
	if len(stops) != 0 {
		t.Fatalf("stopped for another file's error: %v", stops)
	}

	// One of the log's files fails too: the commit fails, and a full disk
	// stops the process.
	c.fileErr = &os.PathError{Op: "sync", Path: filepath.Join(dir, "segments/1/0/x.log"), Err: syscall.ENOSPC}
	err := l.Produce(ctx, recsTo("t", 3, "lost")...)
	if !failstop.IsDiskFull(err) {
		t.Fatalf("commit whose file failed to sync: %v", err)
	}
	if len(stops) != 1 {
		t.Fatalf("failstop got %v", stops)
	}

	c.fsErr, c.fileErr = nil, nil
	if err := l.Produce(ctx, recsTo("t", 3, "after")...); err != nil {
		t.Fatal(err)
	}
	for p := range int32(3) {
		if got := values(fetchPart(t, l, rlog.TopicPartition{Topic: "t", Partition: p})); strings.Join(got, ",") != "kept,after" {
			t.Fatalf("partition %d holds %v", p, got)
		}
	}
}

// Segments on another filesystem than the data dir (a mount under it) are
// not covered by the data dir's syncfs: they are synced file by file.
func TestSegmentsOnAnotherFilesystemAreSyncedOnTheirOwn(t *testing.T) {
	dir := t.TempDir()
	segs := filepath.Join(dir, "segments")
	if err := os.Mkdir(segs, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.MountTmpfs(t, segs, 16<<20)
	l := openWithTopic(t, dir, 4)
	produceSyncs(t, l, countSyncs(t, l), "four segments on another filesystem", 0, 4, recsTo("t", 4, "a")...)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, the segments are still known to be elsewhere.
	l = openWithTopic(t, dir, 4)
	produceSyncs(t, l, countSyncs(t, l), "after a reopen", 0, 4, recsTo("t", 4, "b")...)
}
