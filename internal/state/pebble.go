package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/rtdw/rtdw/internal/failstop"
)

// HardenPebble makes a Pebble store in dir fail cleanly on a full or
// failing disk, whatever else o tunes (docs/reliability.md, "Disk full"):
//
//   - Its file system reports the first ENOSPC (any write, sync, create or
//     rename: WAL, MANIFEST, flush or compaction output) to failstop, which
//     in the CLI prints one line and exits 1. The flush or compaction output
//     being written then is removed first: it is referenced nowhere yet, and
//     left behind it would hold the space a restart needs. Without this,
//     Pebble panics on a WAL or MANIFEST error and retries a failed flush in
//     a loop that leaves a new file behind at every attempt.
//   - Logger.Fatalf reports to failstop too (and panics when nothing
//     stops the process, as before).
//   - Files are not preallocated. Pebble preallocates each WAL in chunks of
//     110% of MemTableSize, also while its memtables are still small: with
//     64 MiB memtables a store holding 30 MB of WAL took six 72 MB files.
//     WAL files now take the space of what was written to them.
//   - MaxManifestFileSize is capped at 8 MiB (Pebble's default is 128 MiB),
//     so the MANIFEST is rewritten before it dwarfs a small store.
//
// logger receives Pebble's messages (debug) and errors; nil: slog.Default().
func HardenPebble(o *pebble.Options, dir string, logger *slog.Logger) {
	if logger == nil {
		logger = slog.Default()
	}
	inner := o.FS
	if inner == nil {
		inner = vfs.Default
	}
	fs := &diskFS{FS: inner, dir: dir, writing: map[*diskFile]bool{}}
	o.FS = fs
	o.Logger = pebbleLogger{l: logger, dir: dir}
	if o.MaxManifestFileSize == 0 || o.MaxManifestFileSize > 8<<20 {
		o.MaxManifestFileSize = 8 << 20
	}
	prev := o.EventListener
	el := &pebble.EventListener{
		BackgroundError: func(err error) {
			if failstop.IsDiskFull(err) {
				failstop.Stop(&failstop.Error{Dir: dir, Op: "flush or compaction", Err: err}, fs.removePartial)
			}
			logger.Error("pebble background error", "dir", dir, "err", err)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			logger.Warn("pebble: slow disk", "dir", dir, "info", info.String())
		},
	}
	if prev != nil {
		t := pebble.TeeEventListener(*el, *prev)
		el = &t
	}
	o.EventListener = el
}

// OpenPebble opens the Pebble store in dir (o already hardened, see
// HardenPebble). Opening replays the write-ahead log, which can take long
// on a large or slow one: when ctx ends first (SIGINT, SIGTERM) OpenPebble
// returns ctx's error at once and abandons the open, which closes the
// store if it ever completes. A process that then exits loses nothing: the
// store is as a crash would have left it.
func OpenPebble(ctx context.Context, dir string, o *pebble.Options) (*pebble.DB, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	type result struct {
		db  *pebble.DB
		err error
	}
	done := make(chan result, 1)
	go func() {
		if openHook != nil {
			openHook(dir)
		}
		db, err := pebble.Open(dir, o)
		done <- result{db, err}
	}()
	select {
	case r := <-done:
		return r.db, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.db != nil {
				r.db.Close()
			}
		}()
		return nil, fmt.Errorf("%w: stopped while Pebble was opening the store (replaying its write-ahead log); nothing is lost, the next start opens it again", context.Cause(ctx))
	}
}

// openHook, if set (tests), runs in OpenPebble's goroutine before the open.
var openHook func(dir string)

// pebbleLogger routes Pebble's chatter to slog at debug level and its
// errors at error level; Fatalf also reports to failstop (dir names the
// store in the message).
type pebbleLogger struct {
	l   *slog.Logger
	dir string
}

func (q pebbleLogger) Infof(format string, args ...any)  { q.l.Debug(fmt.Sprintf(format, args...)) }
func (q pebbleLogger) Errorf(format string, args ...any) { q.l.Error(fmt.Sprintf(format, args...)) }
func (q pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	q.l.Error(msg)
	failstop.Stop(&failstop.Error{Dir: q.dir, Op: "pebble", Err: errors.New(msg)})
	panic(msg)
}

// diskFS is Pebble's file system with a full disk made fatal (see
// HardenPebble).
type diskFS struct {
	vfs.FS
	dir string

	mu      sync.Mutex
	writing map[*diskFile]bool // .sst and .blob files being written
	stopped bool               // removePartial ran: no output may complete
}

// errStopped fails the completion of an output after removePartial.
var errStopped = errors.New("store stopped: disk full")

func (fs *diskFS) Unwrap() vfs.FS { return fs.FS }

// check reports a full disk to failstop; it returns err (when the
// process is not stopped).
func (fs *diskFS) check(op, path string, err error) error {
	if failstop.IsDiskFull(err) {
		failstop.Stop(&failstop.Error{Dir: fs.dir, Op: op, Path: path, Err: err}, fs.removePartial)
	}
	return err
}

// removePartial deletes the flush and compaction outputs being written:
// none is referenced by the MANIFEST before it is closed, and after this
// none can be closed (Close fails), so none will be. It runs only when the
// process is about to stop.
func (fs *diskFS) removePartial() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.stopped = true
	for f := range fs.writing {
		fs.FS.Remove(f.path)
	}
}

func (fs *diskFS) wrap(f vfs.File, path string, output bool) vfs.File {
	df := &diskFile{File: f, fs: fs, path: path}
	if output {
		fs.mu.Lock()
		fs.writing[df] = true
		fs.mu.Unlock()
	}
	return df
}

func isOutput(path string) bool {
	return strings.HasSuffix(path, ".sst") || strings.HasSuffix(path, ".blob")
}

func (fs *diskFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	if err != nil {
		return nil, fs.check("create", name, err)
	}
	return fs.wrap(f, name, isOutput(name)), nil
}

func (fs *diskFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, c, opts...)
	if err != nil {
		return nil, fs.check("open", name, err)
	}
	return fs.wrap(f, name, false), nil
}

func (fs *diskFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, c)
	if err != nil {
		return nil, fs.check("reuse", newname, err)
	}
	return fs.wrap(f, newname, false), nil
}

func (fs *diskFS) Link(oldname, newname string) error {
	return fs.check("link", newname, fs.FS.Link(oldname, newname))
}

func (fs *diskFS) Rename(oldname, newname string) error {
	return fs.check("rename", newname, fs.FS.Rename(oldname, newname))
}

func (fs *diskFS) MkdirAll(dir string, perm os.FileMode) error {
	return fs.check("mkdir", dir, fs.FS.MkdirAll(dir, perm))
}

// diskFile is a file of a diskFS.
type diskFile struct {
	vfs.File
	fs   *diskFS
	path string
}

func (f *diskFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.fs.check("write", f.path, err)
}

func (f *diskFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	return n, f.fs.check("write", f.path, err)
}

func (f *diskFile) Sync() error { return f.fs.check("sync", f.path, f.File.Sync()) }

func (f *diskFile) SyncData() error { return f.fs.check("sync", f.path, f.File.SyncData()) }

func (f *diskFile) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	return full, f.fs.check("sync", f.path, err)
}

// Preallocate does nothing: see HardenPebble.
func (f *diskFile) Preallocate(offset, length int64) error { return nil }

func (f *diskFile) Close() error {
	f.fs.mu.Lock()
	stopped := f.fs.stopped && f.fs.writing[f]
	delete(f.fs.writing, f)
	f.fs.mu.Unlock()
	err := f.File.Close()
	if stopped {
		return errStopped // removed: its flush must not install it
	}
	return f.fs.check("close", f.path, err)
}
