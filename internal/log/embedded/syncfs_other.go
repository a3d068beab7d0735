//go:build !linux

package embedded

import "os"

// fsSyncer is Linux's syncfs(2) (syncfs_linux.go); elsewhere every
// segment file is synced on its own.
type fsSyncer struct{}

func newFSSyncer(string) (*fsSyncer, error) { return nil, nil }

func (*fsSyncer) covers(*os.File) bool { return false }
func (*fsSyncer) sync() error          { return nil }
func (*fsSyncer) close() error         { return nil }
