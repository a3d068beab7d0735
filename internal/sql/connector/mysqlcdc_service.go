package connector

import (
	"context"
	"sync"
)

// Service is a function a connector runs next to its job for as long as
// the job runs unbounded (Context.AddService): mysql-cdc's binlog capture,
// which keeps writing the topic its job reads. It returns nil when ctx
// ends; an error is one retrying cannot fix, and ends the run with it.
type Service func(ctx context.Context) error

// Services collects the services of the jobs a caller plans (set
// Context.AddService to Add) and runs them next to the jobs (Start). A
// drained run (--drain) starts none: what its sources read is captured by
// their Prepare steps, before the jobs start.
type Services struct {
	mu   sync.Mutex
	list []Service
}

// Add registers a service (Context.AddService).
func (s *Services) Add(f Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, f)
}

// Len is the number of services registered.
func (s *Services) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.list)
}

// Start runs the services. It returns the context to run the jobs with,
// cancelled when a service fails, and stop, which cancels the services,
// waits for them and returns the first failure. A nil *Services runs
// nothing.
func (s *Services) Start(ctx context.Context) (run context.Context, stop func() error) {
	var list []Service
	if s != nil {
		s.mu.Lock()
		list = append(list, s.list...)
		s.mu.Unlock()
	}
	if len(list) == 0 {
		return ctx, func() error { return nil }
	}
	run, cancelRun := context.WithCancel(ctx)
	svcCtx, cancelSvc := context.WithCancel(ctx)
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	for _, f := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(svcCtx); err != nil && svcCtx.Err() == nil {
				errMu.Lock()
				if first == nil {
					first = err
				}
				errMu.Unlock()
				cancelRun() // the jobs stop: their input is no longer captured
			}
		}()
	}
	return run, func() error {
		cancelSvc()
		wg.Wait()
		cancelRun()
		errMu.Lock()
		defer errMu.Unlock()
		return first
	}
}
