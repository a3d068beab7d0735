package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Faults stay small: an operator that fails (an error that is not bad
// input, or a panic) fails its task only. The task restarts from its last
// checkpoint; the other tasks, and in cluster mode the consumer group, are
// not disturbed. A failure blamed on one input record counts a strike
// against that record; after MaxRecordFailures strikes in a row with the
// same error the record goes to the dead-letter topic (reason
// operator_failed, with the error) instead of the chain, and the job moves
// on. Transient errors (Retryable, network errors, deadlines) never count. Failures outside a record (a timer, a
// checkpoint) just restart the task, with backoff.

// recordPos names one input record of a task.
type recordPos struct {
	tp  rlog.TopicPartition
	off int64
}

func (p recordPos) String() string { return p.tp.String() + "@" + strconv.FormatInt(p.off, 10) }

// Retryable marks an operator error as transient (an external system that
// is away, a timeout): the task restarts and retries as long as it takes,
// and the record is never blamed for it. Network errors and deadlines are
// recognized without the mark.
func Retryable(err error) error { return &retryableError{err} }

type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

func transient(err error) bool {
	var r *retryableError
	var n net.Error
	return errors.As(err, &r) || errors.As(err, &n) || errors.Is(err, context.DeadlineExceeded)
}

// FailedOn marks err as caused by rec, for an operator that finishes
// records after the call that brought them (an async lookup): the runtime
// counts the failure against rec's input position, not against the record
// the task happens to be reading.
func FailedOn(rec *Record, err error) error {
	return &recordError{pos: recordPos{rec.Source, rec.Offset}, err: err}
}

type recordError struct {
	pos recordPos
	err error
}

func (e *recordError) Error() string { return e.err.Error() }
func (e *recordError) Unwrap() error { return e.err }

// failures remembers, across restarts of the tasks it supervises, how
// often each input record failed the same way and which records to
// dead-letter.
type failures struct {
	max     int
	mu      sync.Mutex // tasks of a worker read skip concurrently
	strikes map[recordPos]strikes
	skip    map[recordPos]string // record -> the error it kept causing
	nskip   atomic.Int32         // len(skip): the per-record check takes no lock while it is 0
}

type strikes struct {
	n   int
	err string // the failure's first line: "the same way" means the same error
}

func newFailures(max int) *failures {
	return &failures{max: max, strikes: map[recordPos]strikes{}, skip: map[recordPos]string{}}
}

// strike counts a failure of the record at p; it reports whether the
// record is now quarantined (dead-lettered when next read). Transient
// errors, and a failure different from the record's last one, start over.
func (f *failures) strike(p recordPos, err error) bool {
	if transient(err) {
		return false
	}
	reason := err.Error()
	first, _, _ := strings.Cut(reason, "\n")
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.strikes[p]
	if s.err != first {
		s = strikes{err: first}
	}
	s.n++
	f.strikes[p] = s
	if s.n < f.max {
		return false
	}
	if len(reason) > 512 {
		reason = string(truncUTF8([]byte(reason), 509)) + "..."
	}
	f.skip[p] = reason
	f.nskip.Store(int32(len(f.skip)))
	delete(f.strikes, p)
	return true
}

// quarantined returns the error the record at p kept causing, if it is to
// be dead-lettered instead of processed.
func (f *failures) quarantined(p recordPos) (string, bool) {
	if f == nil || f.nskip.Load() == 0 {
		return "", false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.skip[p]
	return r, ok
}

// guard runs fn, turning a panic into the task's failure (blamed on the
// record being processed, if any), so a bug in one operator cannot take
// the process down with every other task.
func (t *task) guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: panic: %v\n%s", t, r, debug.Stack())
			t.fail(err)
		}
	}()
	if err := fn(); err != nil {
		t.fail(err) // keeps the first error and the record it blames
		return err
	}
	return nil
}

// afterFailure records a failed task's strike against the record it was
// processing, if any, and logs what happens next.
func (t *task) afterFailure(f *failures, err error) {
	if t.failAt == nil {
		return
	}
	if f.strike(*t.failAt, err) {
		t.logger.Error("input record failed repeatedly; it goes to the dead-letter topic", "record", t.failAt.String(), "failures", f.max, "err", err)
	}
}
