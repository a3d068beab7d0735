// Package failstop stops the process when the disk under a store fails in
// a way the store cannot recover from while it runs: a full disk (ENOSPC,
// EDQUOT) or an I/O error in Pebble's commit pipeline or MANIFEST.
//
// Why stop: Pebble treats a failed WAL or MANIFEST write as fatal (its
// commit pipeline is unusable afterwards) and retries a failed flush in a
// tight loop, creating a new file each time; the stream runner retries a
// failed checkpoint forever. Neither recovers once the disk is full, and
// every committed change is already durable (the WAL, the segment files,
// the last checkpoint), so the right reaction is the one a crash gets:
// stop now, and resume from the last checkpoint after the operator freed
// space. The CLI installs a handler that prints one line and exits 1.
//
// Libraries and tests without a handler keep their old behaviour: Stop
// returns and the caller fails as it would have.
package failstop

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
)

// Error is a storage failure after which a store cannot go on.
type Error struct {
	Dir  string // the store's directory
	Op   string // what failed: "write", "sync", "create", "commit", "pebble"...
	Path string // the file, when known
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Dir)
	b.WriteString(": ")
	if IsDiskFull(e.Err) {
		b.WriteString("no space left on device")
		if e.Path != "" {
			fmt.Fprintf(&b, " (%s %s)", e.Op, e.Path)
		}
		return b.String()
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		if e.Path != "" {
			b.WriteString(" ")
			b.WriteString(e.Path)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsDiskFull reports whether err says the disk (or the user's quota) is
// full. Pebble formats some errors with %v, losing the errno, so the
// message is checked too.
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "disk quota exceeded")
}

var (
	mu      sync.Mutex // guards handler
	handler func(error)
	stopMu  sync.Mutex // one Stop at a time: the first one's handler ends the process
)

// SetHandler installs h as the reaction to a fatal storage error and
// returns a function that restores the previous one. h should not return
// (the CLI's prints a line and exits 1); fatal errors other goroutines hit
// meanwhile wait for it.
func SetHandler(h func(error)) (restore func()) {
	mu.Lock()
	prev := handler
	handler = h
	mu.Unlock()
	return func() {
		mu.Lock()
		handler = prev
		mu.Unlock()
	}
}

// Installed reports whether a handler is installed.
func Installed() bool {
	mu.Lock()
	defer mu.Unlock()
	return handler != nil
}

// Stop reports err, a storage failure after which the process must not
// go on. With a handler installed, beforeExit runs (cleanup that is only
// safe because nothing runs after it: it holds the store's writers off),
// then the handler, which ends the process. Without one, Stop returns at
// once, beforeExit does not run, and the caller fails as it would have.
func Stop(err error, beforeExit ...func()) {
	mu.Lock()
	h := handler
	mu.Unlock()
	if h == nil {
		return
	}
	stopMu.Lock()
	defer stopMu.Unlock() // reached only when a (test's) handler returns
	for _, f := range beforeExit {
		f()
	}
	h(err)
}
