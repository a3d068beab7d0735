package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Tmpfs mounts a tmpfs of size bytes on a new temporary directory and
// returns it: a small disk that fills up for real (ENOSPC) under a test.
// It is unmounted when the test ends. Mounting needs root (CAP_SYS_ADMIN),
// as tests and CI run; without it the test fails and says so.
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	mountTmpfs(t, dir, size)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			// Busy (a process the test started still has a file open):
			// detach it now, the kernel frees it when the last file closes.
			if out2, err2 := exec.Command("umount", "-l", dir).CombinedOutput(); err2 != nil {
				t.Errorf("umount %s: %v: %s; umount -l: %v: %s", dir, err, out, err2, out2)
			}
		}
	})
	return dir
}

// ResizeTmpfs changes the size of a tmpfs Tmpfs mounted (a larger disk, or
// a smaller one than what it holds: then no new block can be allocated).
func ResizeTmpfs(t testing.TB, dir string, size int64) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", fmt.Sprintf("remount,size=%d", size), dir).CombinedOutput(); err != nil {
		t.Fatalf("resize tmpfs %s to %d bytes: %v: %s", dir, size, err, strings.TrimSpace(string(out)))
	}
}

func mountTmpfs(t testing.TB, dir string, size int64) {
	t.Helper()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s: %v: %s\n(disk-full tests mount a small tmpfs: run them as root, as `make test` in CI does)",
			size, dir, err, strings.TrimSpace(string(out)))
	}
}
