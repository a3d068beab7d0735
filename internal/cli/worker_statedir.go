package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// A worker without --state-dir keeps its state in a temporary directory and
// removes it on exit. A SIGKILLed worker cannot, so each worker's directory
// holds an owner file the worker keeps flock'ed while it runs (the kernel
// drops the lock when the process dies, however it dies), and a starting
// worker removes every other worker directory whose owner file it can lock:
// their workers are gone. Directories without an owner file (made by an
// older rtdw, or by a worker that is just starting) are left alone.
const (
	workerDirPattern = "rtdw-worker-*"
	workerOwnerFile  = "owner.lock"
)

// workerTempDir makes a worker's temporary state directory, locked for this
// process, after sweeping the ones killed workers left behind; release
// removes it.
func workerTempDir(logger *slog.Logger) (dir string, release func(), err error) {
	dir, err = os.MkdirTemp("", workerDirPattern)
	if err != nil {
		return "", nil, fmt.Errorf("state dir: %w", err)
	}
	// Lock under a temporary name, then rename: a sweeping worker never sees
	// this directory's owner file unlocked.
	tmp := filepath.Join(dir, workerOwnerFile+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			err = os.Rename(tmp, filepath.Join(dir, workerOwnerFile))
		}
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("state dir %s: %w", dir, err)
	}
	sweepWorkerDirs(logger, dir)
	return dir, func() {
		os.RemoveAll(dir)
		f.Close()
	}, nil
}

// sweepWorkerDirs removes the temporary worker directories, other than own,
// whose owner lock no process holds.
func sweepWorkerDirs(logger *slog.Logger, own string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), workerDirPattern))
	for _, d := range dirs {
		if d == own {
			continue
		}
		stale, err := ownerGone(d)
		if err != nil {
			logger.Debug("leaving a worker state directory", "dir", d, "reason", err)
			continue
		}
		if !stale {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			logger.Warn("could not remove the state directory of a stopped worker", "dir", d, "err", err)
			continue
		}
		logger.Info("removed the state directory a killed worker left behind", "dir", d)
	}
}

// ownerGone reports whether d's owner file exists and no process holds its
// lock. The lock it takes to find out goes when the file is closed; the
// directory is then removed, and no new owner can appear in it.
func ownerGone(d string) (bool, error) {
	f, err := os.Open(filepath.Join(d, workerOwnerFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return false, nil
	default:
		return false, err
	}
}
