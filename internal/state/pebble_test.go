package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rtdw/rtdw/internal/failstop"
	"github.com/rtdw/rtdw/internal/testenv"
)

// fullFS fails writes with ENOSPC once full is set.
type fullFS struct {
	vfs.FS
	full atomic.Bool
}

func (fs *fullFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	if err != nil {
		return nil, err
	}
	return &fullFile{File: f, fs: fs}, nil
}

type fullFile struct {
	vfs.File
	fs *fullFS
}

func (f *fullFile) Write(p []byte) (int, error) {
	if f.fs.full.Load() {
		return 0, &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

// recordStops makes failstop.Stop record its error and return (the CLI's
// handler exits instead).
func recordStops(t *testing.T) *[]error {
	var got []error
	t.Cleanup(failstop.SetHandler(func(err error) { got = append(got, err) }))
	return &got
}

// TestDiskFullStopsAndRemovesPartialOutput: the first ENOSPC reaches
// failstop with the store's dir and the file; the table being written
// (referenced by no MANIFEST yet) is removed first and can no longer be
// completed; the WAL is left alone.
func TestDiskFullStopsAndRemovesPartialOutput(t *testing.T) {
	stops := recordStops(t)
	inner := &fullFS{FS: vfs.NewMem()}
	o := &pebble.Options{FS: inner}
	HardenPebble(o, "/db", nil)
	fs := o.FS
	if err := fs.MkdirAll("/db", 0o755); err != nil {
		t.Fatal(err)
	}
	sst, err := fs.Create("/db/000010.sst", vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	wal, err := fs.Create("/db/000011.log", vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sst.Write([]byte("table")); err != nil {
		t.Fatal(err)
	}
	if len(*stops) != 0 {
		t.Fatalf("stopped before the disk was full: %v", *stops)
	}
	inner.full.Store(true)
	if _, err := sst.Write([]byte("more")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write on a full disk: %v", err)
	}
	if len(*stops) != 1 {
		t.Fatalf("failstop got %d errors, want 1", len(*stops))
	}
	var fe *failstop.Error
	if !errors.As((*stops)[0], &fe) || fe.Dir != "/db" || fe.Path != "/db/000010.sst" || !failstop.IsDiskFull(fe) {
		t.Fatalf("failstop got %v", (*stops)[0])
	}
	if _, err := inner.Stat("/db/000010.sst"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the partial table is still there: %v", err)
	}
	if err := sst.Close(); !errors.Is(err, errStopped) {
		t.Fatalf("closing the removed table: %v, want errStopped (its flush must fail)", err)
	}
	if _, err := inner.Stat("/db/000011.log"); err != nil {
		t.Fatalf("the WAL was removed: %v", err)
	}
	wal.Close()
}

// TestHardenedPebbleDoesNotPreallocate: Pebble preallocates WAL files in
// chunks of 110% of MemTableSize (72 MB on disk for 64 MiB memtables, even
// for a few bytes of WAL); a hardened store's WAL takes what was written.
// Both on a tmpfs, which supports fallocate like ext4 and XFS.
func TestHardenedPebbleDoesNotPreallocate(t *testing.T) {
	dir := testenv.Tmpfs(t, 256<<20)
	allocated := func(harden bool) int64 {
		d := filepath.Join(dir, map[bool]string{true: "hardened", false: "plain"}[harden])
		o := &pebble.Options{MemTableSize: 64 << 20, Logger: quietLogger{}}
		if harden {
			HardenPebble(o, d, nil)
		}
		db, err := pebble.Open(d, o)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, k := range []string{"a", "b"} { // Pebble preallocates at the second write
			if err := db.Set([]byte(k), make([]byte, 5<<10), pebble.Sync); err != nil {
				t.Fatal(err)
			}
		}
		var total int64
		logs, _ := filepath.Glob(filepath.Join(d, "*.log"))
		for _, p := range logs {
			var st syscall.Stat_t
			if err := syscall.Stat(p, &st); err != nil {
				t.Fatal(err)
			}
			total += st.Blocks * 512
		}
		return total
	}
	if plain := allocated(false); plain < 64<<20 {
		t.Fatalf("plain Pebble's WAL takes %d bytes: the test no longer shows preallocation", plain)
	}
	if hardened := allocated(true); hardened > 1<<20 {
		t.Fatalf("hardened Pebble's WAL takes %d bytes on disk for 10 KiB written", hardened)
	}
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(format)
}

// TestOpenPebbleGivesUpOnCancel: an open that does not finish (here held
// in openHook) is abandoned when ctx ends, and closes the store when it
// completes, so the directory can be opened again.
func TestOpenPebbleGivesUpOnCancel(t *testing.T) {
	dir := t.TempDir()
	release := make(chan struct{})
	entered := make(chan struct{})
	openHook = func(string) {
		close(entered)
		<-release
	}
	t.Cleanup(func() { openHook = nil })
	ctx, cancel := context.WithCancel(context.Background())
	o := &pebble.Options{}
	HardenPebble(o, dir, nil)
	errc := make(chan error, 1)
	go func() {
		db, err := OpenPebble(ctx, dir, o)
		if db != nil {
			db.Close()
		}
		errc <- err
	}()
	<-entered // the open is in progress
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing is lost") {
		t.Fatalf("OpenPebble after cancel: %v", err)
	}
	openHook = nil
	close(release) // the abandoned open goes on, then closes the store

	// Pebble holds the directory's lock until the abandoned open closed
	// the store: wait for it (however long that takes).
	for {
		db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
		if err == nil {
			db.Close()
			break
		}
		if !strings.Contains(err.Error(), "lock") {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A context that already ended does not start an open.
	if _, err := OpenPebble(ctx, dir, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("OpenPebble with an ended ctx: %v", err)
	}
}
