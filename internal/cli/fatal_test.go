package cli

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/rtdw/rtdw/internal/failstop"
)

// TestFatalLine: what a fatal storage error prints (one line, the data
// dir or the store outside it, the file when known).
func TestFatalLine(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&failstop.Error{Dir: "/d/log", Op: "write", Path: "/d/log/000015.sst", Err: syscall.ENOSPC},
			"data dir /d: no space left on device (write /d/log/000015.sst); stopped without losing anything committed: free space and run again, it resumes from the last checkpoint"},
		{&failstop.Error{Dir: "/d/log", Op: "commit", Err: errors.Join(errors.New("commit t/0"), &fs.PathError{Op: "write", Path: "/d/log/segments/1/0/x.log", Err: syscall.ENOSPC})},
			"data dir /d: no space left on device (write /d/log/segments/1/0/x.log); stopped without losing anything committed: free space and run again, it resumes from the last checkpoint"},
		{&failstop.Error{Dir: "/var/tmp/rtdw-worker-1", Op: "write", Path: "/var/tmp/rtdw-worker-1/000004.log", Err: syscall.ENOSPC},
			"store /var/tmp/rtdw-worker-1: no space left on device (write /var/tmp/rtdw-worker-1/000004.log); stopped without losing anything committed: free space and run again, it resumes from the last checkpoint"},
		{&failstop.Error{Dir: "/d/log", Op: "pebble", Err: errors.New("MANIFEST sync failed:\ninput/output error")},
			"data dir /d: /d/log: pebble: MANIFEST sync failed: input/output error; stopped at once: a store cannot go on after this"},
	} {
		if got := fatalLine("/d", c.err); got != c.want {
			t.Errorf("fatalLine(%v):\n got %s\nwant %s", c.err, got, c.want)
		}
	}
}
