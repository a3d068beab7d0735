package cli_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/testenv"
)

// diskDemoArgs is the drain of the disk-full tests: the issue's
// 1,500-session shop.
var diskDemoArgs = []string{"demo", "--date", "2024-06-01", "--drain", "--sessions", "1500", "--seed", "7", "--progress", "0", "--http="}

// onDisk is the space the files under dir take (allocated blocks, not
// lengths: preallocation shows), and that of the files match selects.
func onDisk(t *testing.T, dir string, match func(rel string) bool) (total, matched int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		total += st.Blocks * 512
		if rel, _ := filepath.Rel(dir, p); match != nil && match(rel) {
			matched += st.Blocks * 512
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total, matched
}

// runRtdw runs rtdw as a child process and returns its exit code and stderr.
func runRtdw(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := rtdwCmd(t, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode(), stderr.String()
	}
	t.Fatalf("rtdw %v: %v\n%s", args, err, stderr.String())
	return 0, ""
}

// expectDiskFull checks a run stopped on the full disk as it must: exit 1,
// its last line naming the data dir and the cause, no panic.
func expectDiskFull(t *testing.T, what string, code int, stderr, dir string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != 1 || !strings.HasPrefix(last, "rtdw: data dir "+dir+": no space left on device") {
		t.Fatalf("%s: exit %d, want 1 and a last line naming %s and the full disk; stderr:\n%s", what, code, dir, stderr)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("%s: a panic or stack trace:\n%s", what, stderr)
	}
	t.Logf("%s: %s", what, last)
}

// TestDiskFullStopsCleanlyAndResumes: a drain on a disk too small for its
// data stops with one line (the data dir, "no space left on device") and
// exit 1; restarted on the still full disk it stops the same way, without
// hanging or leaving files behind; on a disk with room it finishes with
// what a run that never stopped has (topics, dimension store, DWS tables).
func TestDiskFullStopsCleanlyAndResumes(t *testing.T) {
	tmp := t.TempDir()
	cfg := demoConfig(t, tmp)
	args := append([]string{"--config", cfg}, diskDemoArgs...)

	ref := filepath.Join(tmp, "reference")
	if code, stderr := runRtdw(t, ref, args...); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}
	want := snapshotDemo(t, ref, cfg)
	refBytes, _ := onDisk(t, ref, nil)
	const small = 32 << 20
	if refBytes <= small {
		t.Fatalf("the reference data dir takes %d bytes: it fits the %d-byte disk meant to be too small", refBytes, small)
	}

	disk := testenv.Tmpfs(t, small)
	dir := filepath.Join(disk, "data")
	code, stderr := runRtdw(t, dir, args...)
	expectDiskFull(t, "first run", code, stderr, dir)

	// Restarting on the full disk: the WAL replay's flush or the next
	// commit finds no room and stops. An older rtdw panicked here, or hung
	// in Pebble's open retrying its flush and leaving a file per attempt.
	code, stderr = runRtdw(t, dir, args...)
	expectDiskFull(t, "restart on the full disk", code, stderr, dir)
	tables, err := filepath.Glob(filepath.Join(dir, "log", "*.sst"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, _ := filepath.Glob(filepath.Join(dir, "log", "*.blob"))
	// The store's live tables and blob files are a few dozen at most; a
	// leak adds one per failed flush, thousands a second.
	if n := len(tables) + len(blobs); n > 100 {
		t.Fatalf("%d table and blob files in the store after two stops", n)
	}

	// With room (the run's peak, WAL and DuckDB's included, stays well
	// under twice what its data takes at rest) it finishes where it stopped.
	testenv.ResizeTmpfs(t, disk, 2*refBytes)
	if code, stderr := runRtdw(t, dir, args...); code != 0 {
		t.Fatalf("run with room: exit %d\n%s", code, stderr)
	}
	compareDemo(t, want, snapshotDemo(t, dir, cfg))
}

// TestDrainLeavesDataDirItsSize: after the 1,500-session drain the
// data dir takes the space of its data. Before, it took 392 MB: five
// Pebble WAL files preallocated to 72 MB each (110% of 64 MiB memtables)
// holding 30 MB of never-flushed WAL, which the next open replayed.
func TestDrainLeavesDataDirItsSize(t *testing.T) {
	dir := t.TempDir()
	if code, stderr := runRtdw(t, dir, diskDemoArgs...); code != 0 {
		t.Fatalf("drain: exit %d\n%s", code, stderr)
	}
	isWAL := func(rel string) bool {
		d, f := filepath.Split(rel)
		n, ok := strings.CutSuffix(f, ".log")
		return ok && d == "log/" && strings.Trim(n, "0123456789") == ""
	}
	isData := func(rel string) bool {
		return strings.HasPrefix(rel, "log/segments/") || strings.HasPrefix(rel, "olap/") ||
			strings.HasSuffix(rel, ".sst") || strings.HasSuffix(rel, ".blob")
	}
	total, wal := onDisk(t, dir, isWAL)
	_, data := onDisk(t, dir, isData)
	t.Logf("data dir: %.1f MB on disk, %.1f MB of it data (topics, DuckDB, Pebble tables), %.1f MB WAL",
		float64(total)/1e6, float64(data)/1e6, float64(wal)/1e6)
	// Close flushed the memtables and removed the WAL files that made
	// obsolete: one WAL is left, holding at most a memtable's bytes (a
	// recycled file keeps its old ones), and nothing is preallocated.
	if wal > embedded.MemTableBytes {
		t.Errorf("the Pebble WAL files take %d bytes, more than one memtable (%d)", wal, embedded.MemTableBytes)
	}
	// Besides the data and that WAL: Pebble's MANIFEST and OPTIONS, a few
	// small files.
	if extra := total - data - wal; extra > 1<<20 {
		t.Errorf("%d bytes on disk are neither data nor the WAL", extra)
	}
	// The data is about 48 MB (34 MB of topics, 7 MB of DuckDB, 7 MB of
	// tables): the whole dir stays under 64 MB.
	if total > 64<<20 {
		t.Errorf("the data dir takes %d bytes after a 1,500-session drain", total)
	}
	if fi, err := os.Stat(filepath.Join(dir, "log", "segments")); err != nil || !fi.IsDir() {
		t.Fatalf("no segments in the data dir: %v", err)
	}
}

// TestSignalDuringOpen: SIGTERM while Pebble opens the store (replaying
// its WAL: here a FIFO named as a WAL file, whose read blocks as a stuck
// disk's would) stops rtdw at once with exit 1 and a line saying so; an
// older rtdw ignored SIGTERM there. The store opens normally afterwards.
func TestSignalDuringOpen(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, "", "--data-dir", dir, "topic", "create", "kept", "--partitions", "1"); code != 0 {
		t.Fatalf("topic create: exit %d: %s", code, stderr)
	}
	fifo := filepath.Join(dir, "log", "999999.log")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := rtdwCmd(t, dir, "topic", "list")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Opening the FIFO's write end returns once rtdw opened its read end:
	// then it is inside Pebble's open, replaying.
	opened := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
		}
		opened <- w
	}()
	var w *os.File
	select {
	case w = <-opened:
	case err := <-exited:
		t.Fatalf("rtdw ended before it read the WAL: %v\n%s", err, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	w.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("rtdw after SIGTERM while opening: %v, want exit 1\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "terminated signal received: stopped while Pebble was opening the store") {
		t.Fatalf("stderr after SIGTERM while opening:\n%s", stderr.String())
	}
	os.Remove(fifo)
	code, out, errOut := run(t, "", "--data-dir", dir, "topic", "list")
	if code != 0 || !strings.Contains(out, "kept") {
		t.Fatalf("topic list after the interrupted open: exit %d\n%s%s", code, out, errOut)
	}
}
