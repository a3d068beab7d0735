package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
)

func newDimCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "dim",
		Short: "Inspect dimension tables (the store dim_app writes and lookups read)",
		Long: `Inspect the dimension store configured by rtdw.yaml's dim: block
(kind embedded: the data dir's store; kind redis: a Redis server).`,
	}
	c.AddCommand(newDimListCmd(g), newDimGetCmd(g))
	return c
}

// openDimStore opens the configured store for a command that only reads it
// (no cache: each command reads once). done releases it and the log.
func (g *globals) openDimStore(cfg Config) (s dim.Store, done func(), err error) {
	var l rlog.Log
	if cfg.Dim.Kind != "redis" {
		if cfg.Mode == "kafka" {
			return nil, nil, errors.New("dim.kind: embedded has no store in mode: kafka (workers keep none): use dim.kind: redis")
		}
		// Embedded dimensions live in the data dir's store, which a running
		// rtdw holds locked: say so rather than fail obscurely.
		if err := g.requireLog(cfg); err != nil {
			return nil, nil, err // a read: a mistyped --data-dir is not created
		}
		if l, err = g.openLog(cfg); err != nil {
			// Held by a running rtdw: read its store through it.
			if p, ok := g.processClient(); ok {
				return remoteDims{p}, func() {}, nil
			}
			return nil, nil, err
		}
	}
	s, c, err := openDims(cfg, l)
	if err != nil {
		if l != nil {
			l.Close()
		}
		return nil, nil, err
	}
	return s, func() {
		c.Close()
		s.Close()
		if l != nil {
			l.Close()
		}
	}, nil
}
