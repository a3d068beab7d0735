package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Commands that only read a data dir (topic list/tail/describe, job
// list/describe, dim) or drain what it holds (run --drain) never create
// one: a mistyped --data-dir is an error, not a new empty store.

// requireDataDir fails when the data dir does not exist.
func (g *globals) requireDataDir() error {
	st, err := os.Stat(g.dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return usagef("--data-dir %s does not exist (mistyped? it is created by the commands that write: topic produce or create, run without --drain, demo, sql, ingest, mock)", g.dataDir)
	}
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !st.IsDir() {
		return usagef("--data-dir %s is not a directory", g.dataDir)
	}
	return nil
}

// requireLog fails when the data dir holds no embedded log (nothing was
// produced or run there yet), so a read does not create one.
func (g *globals) requireLog(c Config) error {
	if c.Mode == "kafka" {
		return nil
	}
	if err := g.requireDataDir(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(g.dataDir, "log")); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--data-dir %s holds no topics (no log/ in it: nothing was produced or run there; mistyped?)", g.dataDir)
	}
	return nil
}

// openTopicsRead is openTopics for commands that only read.
func (g *globals) openTopicsRead(c Config) (rlog.Log, error) {
	if err := g.requireLog(c); err != nil {
		return nil, err
	}
	return g.openTopics(c)
}
