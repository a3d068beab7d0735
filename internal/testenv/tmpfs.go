package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Tmpfs mounts a tmpfs of size bytes on a new temporary directory and
// returns it: a small disk that fills up for real (ENOSPC) under a test.
// It is unmounted when the test ends. Mounting needs root (CAP_SYS_ADMIN):
// as CI runs the tests, or through sudo without a password (a developer's
// `make test`); without either the test fails and says so. The tmpfs
// belongs to the user the test runs as.
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	MountTmpfs(t, dir, size)
	return dir
}

// MountTmpfs mounts a tmpfs of size bytes on dir, an existing directory
// (another filesystem under a test's directory), until the test ends.
func MountTmpfs(t testing.TB, dir string, size int64) {
	t.Helper()
	mountTmpfs(t, dir, size)
	t.Cleanup(func() {
		if out, err := asRoot("umount", dir).CombinedOutput(); err != nil {
			// Busy (a process the test started still has a file open):
			// detach it now, the kernel frees it when the last file closes.
			if out2, err2 := asRoot("umount", "-l", dir).CombinedOutput(); err2 != nil {
				t.Errorf("umount %s: %v: %s; umount -l: %v: %s", dir, err, out, err2, out2)
			}
		}
	})
}

// ResizeTmpfs changes the size of a tmpfs Tmpfs mounted (a larger disk, or
// a smaller one than what it holds: then no new block can be allocated).
func ResizeTmpfs(t testing.TB, dir string, size int64) {
	t.Helper()
	if out, err := asRoot("mount", "-o", fmt.Sprintf("remount,size=%d", size), dir).CombinedOutput(); err != nil {
		t.Fatalf("resize tmpfs %s to %d bytes: %v: %s", dir, size, err, strings.TrimSpace(string(out)))
	}
}

func mountTmpfs(t testing.TB, dir string, size int64) {
	t.Helper()
	opts := fmt.Sprintf("size=%d,mode=0755,uid=%d,gid=%d", size, os.Geteuid(), os.Getegid())
	out, err := asRoot("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s: %v: %s\n(disk-full tests mount a small tmpfs: run them as root, as `make test` in CI does, or as a user with passwordless sudo)",
			size, dir, err, strings.TrimSpace(string(out)))
	}
}

// asRoot is the command as root: itself when the test runs as root, else
// through sudo -n (never a password prompt: it fails instead).
func asRoot(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command(name, args...)
	}
	return exec.Command("sudo", append([]string{"-n", name}, args...)...)
}
