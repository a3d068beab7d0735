package failstop

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestIsDiskFull(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{syscall.ENOSPC, true},
		{syscall.EDQUOT, true},
		{&fs.PathError{Op: "write", Path: "/d/000012.sst", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("commit: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), true},
		// Pebble's Fatalf and DuckDB format the error into a string.
		{errors.New("pebble: fatal commit error: write /d/000004.log: no space left on device"), true},
		{errors.New("IO Error: Could not write file \"x.duckdb\": No space left on device"), true},
		{syscall.EIO, false},
		{errors.New("pebble: corruption"), false},
	} {
		if got := IsDiskFull(c.err); got != c.want {
			t.Errorf("IsDiskFull(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Dir: "/data/log", Op: "write", Path: "/data/log/000012.sst", Err: syscall.ENOSPC}
	if got, want := e.Error(), "/data/log: no space left on device (write /data/log/000012.sst)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(e, syscall.ENOSPC) {
		t.Error("Error does not unwrap to ENOSPC")
	}
	e = &Error{Dir: "/data/log", Op: "pebble", Err: errors.New("MANIFEST sync failed: input/output error")}
	if got := e.Error(); !strings.Contains(got, "/data/log: pebble: MANIFEST sync failed") {
		t.Errorf("got %q", got)
	}
}

func TestStop(t *testing.T) {
	// Without a handler Stop returns and runs no cleanup.
	ran := false
	Stop(syscall.ENOSPC, func() { ran = true })
	if ran || Installed() {
		t.Fatal("Stop without a handler ran the cleanup")
	}

	// With one, the cleanup runs first, then the handler.
	var order []string
	var got error
	restore := SetHandler(func(err error) { order = append(order, "handler"); got = err })
	Stop(syscall.ENOSPC, func() { order = append(order, "cleanup") })
	restore()
	if strings.Join(order, ",") != "cleanup,handler" || !errors.Is(got, syscall.ENOSPC) {
		t.Fatalf("order %v, err %v", order, got)
	}
	if Installed() {
		t.Fatal("restore left the handler installed")
	}
}
