package applog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// TailOptions configure a Tailer.
type TailOptions struct {
	// Globs select the files to tail (filepath.Match syntax); required.
	Globs []string
	// MaxLine caps a line; a longer line is dead-lettered in parts (default 1 MiB).
	MaxLine int
	// Poll is the interval Run looks for new data and files (default 250ms).
	Poll time.Duration
}

// Tailer follows the files matching its globs, Flume's TAILDIR source:
// each file is identified by device + inode, its position is committed
// with its lines, rotation by rename finishes the old file before the new
// one at its path is read, rotation by copytruncate (the file shrank below
// its position) restarts at 0, and a partial last line waits for its
// newline. A Tailer is used by one goroutine.
type Tailer struct {
	c    *Collector
	o    TailOptions
	open map[string]*tailFile // by file id
	buf  []byte
}

type tailFile struct {
	id   string
	path string // where it was last seen
	f    *os.File
	off  int64
}

// NewTailer returns a tailer that commits through c.
func (c *Collector) NewTailer(o TailOptions) (*Tailer, error) {
	if len(o.Globs) == 0 {
		return nil, errors.New("applog: no file patterns")
	}
	for _, g := range o.Globs {
		if _, err := filepath.Match(g, ""); err != nil {
			return nil, fmt.Errorf("applog: pattern %q: %w", g, err)
		}
	}
	if !c.Exactly() && c.o.PositionFile == "" {
		return nil, errors.New("applog: tailing files on a log without a state store needs a position file")
	}
	if o.MaxLine <= 0 {
		o.MaxLine = 1 << 20
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	return &Tailer{c: c, o: o, open: map[string]*tailFile{}, buf: make([]byte, max(1<<20, o.MaxLine+1))}, nil
}

// Run polls until ctx is done, then returns nil (everything read was
// committed: each chunk commits before the next is read).
func (t *Tailer) Run(ctx context.Context) error {
	tick := time.NewTicker(t.o.Poll)
	defer tick.Stop()
	for {
		if err := t.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if fenced(err) {
				return err
			}
			t.c.o.Logger.Error("applog: tail", "err", err)
			// A failed commit may have happened after all (Kafka: unknown
			// outcome): reopen the files at their committed positions.
			t.Close()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Close closes the open files.
func (t *Tailer) Close() {
	for id, tf := range t.open {
		tf.f.Close()
		delete(t.open, id)
	}
}

// fileID is a file's identity: device and inode.
func fileID(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(st.Ino, 10)
}

// Poll reads and commits everything the files hold now: first what is
// left of files rotated away (or deleted), then every matching file.
func (t *Tailer) Poll(ctx context.Context) error {
	paths := map[string]string{} // id -> path
	mtime := map[string]time.Time{}
	var order []string
	dirs := map[string]bool{}
	for _, g := range t.o.Globs {
		ms, _ := filepath.Glob(g)
		for _, p := range ms {
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			id := fileID(fi)
			if _, dup := paths[id]; dup || id == "" {
				continue
			}
			paths[id] = p
			mtime[id] = fi.ModTime()
			order = append(order, id)
			dirs[filepath.Dir(p)] = true
		}
		dirs[filepath.Dir(g)] = true
	}
	// Open files no longer at a matching path: renamed away or deleted.
	for _, id := range sortedKeys(t.open) {
		tf := t.open[id]
		if p, ok := paths[id]; ok {
			tf.path = p
			continue
		}
		if err := t.finishIfRotated(ctx, tf); err != nil {
			return err
		}
	}
	// Positions of files we do not have open and that match no pattern: a
	// crash between a rename and the end of the old file. Find and finish.
	committed := t.c.Positions()
	for _, id := range sortedKeys(committed) {
		if _, ok := t.open[id]; ok {
			continue
		}
		if _, ok := paths[id]; ok {
			continue
		}
		if err := t.recoverOrphan(ctx, id, committed[id], dirs); err != nil {
			return err
		}
	}
	// Files being read first (a rotated file that still matches finishes
	// before its successor), then new ones, oldest first.
	slices.SortStableFunc(order, func(a, b string) int {
		_, oa := t.open[a]
		_, ob := t.open[b]
		switch {
		case oa != ob:
			if oa {
				return -1
			}
			return 1
		case oa:
			return 0
		}
		return mtime[a].Compare(mtime[b])
	})
	for _, id := range order {
		tf := t.open[id]
		if tf == nil {
			f, err := os.Open(paths[id])
			if err != nil {
				continue // gone since the glob
			}
			fi, err := f.Stat()
			if err != nil || fileID(fi) != id {
				f.Close()
				continue // replaced since the glob: next poll
			}
			tf = &tailFile{id: id, path: paths[id], f: f, off: committed[id].Offset}
			t.open[id] = tf
			t.c.o.Logger.Info("applog: tailing", "path", tf.path, "offset", tf.off)
		}
		if err := t.read(ctx, tf, false); err != nil {
			return err
		}
	}
	return nil
}

// finishIfRotated reads what is left of an open file whose path no longer
// leads to it. It is finished (read to its end, a partial last line
// included, its position dropped) once a new file is at its old path or
// it was deleted; until then writers may still append, so only complete
// lines are read.
func (t *Tailer) finishIfRotated(ctx context.Context, tf *tailFile) error {
	// The poll's glob may have run before the rename that moved the file
	// to another matching path (app.log -> app.log.1 under app.log*): look
	// again, or it would be finished, its position dropped, and read
	// again from the start when the next poll finds it there.
	if p, ok := t.matchingPath(tf.id); ok {
		tf.path = p
		return t.read(ctx, tf, false)
	}
	finished := false
	if fi, err := os.Stat(tf.path); err == nil && fileID(fi) != tf.id {
		finished = true
	}
	if fi, err := tf.f.Stat(); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink == 0 {
			finished = true
		}
	}
	if err := t.read(ctx, tf, finished); err != nil {
		return err
	}
	if finished {
		tf.f.Close()
		delete(t.open, tf.id)
		t.c.o.Logger.Info("applog: finished rotated file", "was", tf.path)
	}
	return nil
}

// matchingPath is the path matching a pattern where file id is now.
func (t *Tailer) matchingPath(id string) (string, bool) {
	for _, g := range t.o.Globs {
		ms, _ := filepath.Glob(g)
		for _, p := range ms {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fileID(fi) == id {
				return p, true
			}
		}
	}
	return "", false
}

// recoverOrphan finishes a file with a committed position that matches no
// pattern any more, looked up by identity in the patterns' directories;
// a file that cannot be found is forgotten.
func (t *Tailer) recoverOrphan(ctx context.Context, id string, p Position, dirs map[string]bool) error {
	for _, d := range sortedKeys(dirs) {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			path := filepath.Join(d, e.Name())
			fi, err := os.Stat(path)
			if err != nil || !fi.Mode().IsRegular() || fileID(fi) != id {
				continue
			}
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("applog: reopen rotated %s: %w", path, err)
			}
			tf := &tailFile{id: id, path: path, f: f, off: p.Offset}
			t.c.o.Logger.Info("applog: finishing a rotated file after a restart", "path", path, "offset", p.Offset)
			err = t.read(ctx, tf, true)
			f.Close()
			return err
		}
	}
	t.c.o.Logger.Info("applog: forgetting the position of a file that is gone", "path", p.Path, "id", id)
	_, err := t.c.commit(ctx, "file", t.c.newBatch(), "", map[string]*Position{id: nil})
	return err
}

// read commits tf's complete lines from its offset to its end, chunk by
// chunk, each chunk with its new position. With finish, the last partial
// line is taken too and the file's position is dropped in the last commit.
func (t *Tailer) read(ctx context.Context, tf *tailFile, finish bool) error {
	fi, err := tf.f.Stat()
	if err != nil {
		return fmt.Errorf("applog: stat %s: %w", tf.path, err)
	}
	truncated := fi.Size() < tf.off
	if truncated {
		t.c.o.Logger.Warn("applog: file shrank below its position (copytruncate): reading it from the start", "path", tf.path, "offset", tf.off, "size", fi.Size())
		tf.off = 0
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := tf.f.ReadAt(t.buf, tf.off)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("applog: read %s: %w", tf.path, err)
		}
		chunk := t.buf[:n]
		eof := n < len(t.buf)
		b := t.c.newBatch()
		src := "file:" + tf.path
		used := 0
		for used < len(chunk) {
			rest := chunk[used:]
			i := bytes.IndexByte(rest, '\n')
			var line []byte
			tooLong := false
			switch {
			case i >= 0 && i <= t.o.MaxLine:
				line = rest[:i]
			case i > t.o.MaxLine || (i < 0 && len(rest) > t.o.MaxLine):
				line, tooLong = rest[:t.o.MaxLine], true
			case eof && finish:
				line = rest // the last line of a finished file, without newline
			default:
				i = -2 // partial line: wait for its newline
			}
			if i == -2 {
				break
			}
			at := tf.off + int64(used)
			used += len(line)
			if !tooLong && used < len(chunk) && chunk[used] == '\n' {
				used++
			}
			l := bytes.TrimSuffix(line, []byte{'\r'})
			if !tooLong && len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			b.add(l, src, at, tooLong)
		}
		newOff := tf.off + int64(used)
		done := finish && eof && used == len(chunk)
		var upd *Position
		if !done {
			upd = &Position{Path: tf.path, Offset: newOff}
		}
		cur, had := t.c.Positions()[tf.id]
		changed := done && had || !done && (!had || cur != *upd)
		if b.lines > 0 || changed || truncated {
			if _, err := t.c.commit(ctx, "file", b, "", map[string]*Position{tf.id: upd}); err != nil {
				return err
			}
		}
		truncated = false
		tf.off = newOff
		if eof || used == 0 {
			return nil
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
