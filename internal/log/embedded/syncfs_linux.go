//go:build linux

package embedded

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fsSyncer makes a whole filesystem durable with one syncfs(2): the
// data dir's, held open, since syncfs reports the writeback errors of the
// filesystem since its file's last call (Linux 5.8 and later; before, it
// reported none, and newFSSyncer returns nil there).
type fsSyncer struct {
	dir *os.File
	dev uint64
}

func newFSSyncer(dir string) (*fsSyncer, error) {
	if !syncfsReportsErrors(kernelRelease()) {
		return nil, nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	dev, err := device(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fsSyncer{dir: f, dev: dev}, nil
}

// covers reports whether f is on the syncer's filesystem (a directory
// under the data dir may be another mount).
func (s *fsSyncer) covers(f *os.File) bool {
	dev, err := device(f)
	return err == nil && dev == s.dev
}

func (s *fsSyncer) sync() error {
	if err := unix.Syncfs(int(s.dir.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", s.dir.Name(), err)
	}
	return nil
}

func (s *fsSyncer) close() error { return s.dir.Close() }

func device(f *os.File) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	return uint64(st.Dev), nil
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// syncfsReportsErrors: whether a kernel release ("6.1.0-18-amd64") is
// 5.8 or later.
func syncfsReportsErrors(release string) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(leadingDigits(parts[1])) // "8-rc1"
	if err1 != nil || err2 != nil {
		return false
	}
	return major > 5 || major == 5 && minor >= 8
}

func leadingDigits(s string) string {
	for i, r := range s {
		if r < '0' || r > '9' {
			return s[:i]
		}
	}
	return s
}
