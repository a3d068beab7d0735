// Package fence numbers a task's writes to an external store so the store
// can refuse a zombie's late ones (docs/decisions/2026-12-06-fencing-sink-writes.md).
//
// A write's sequence is epoch<<PosBits | its position among the epoch's
// writes of the same key. The epoch lives in the task's state and commits
// with its checkpoints: a task's first epoch is the milliseconds since
// 2020-01-01 when it first ran, and each checkpoint that numbered a write
// starts the next. A worker that takes a partition over restores the last
// committed epoch and reads the same input from the same offsets, so it
// numbers the same rows alike and every later row higher; a zombie's
// uncommitted epoch can never carry a sequence above what the new owner
// wrote for the same key. Positions count per key, not per task, because
// a replay may interleave different keys' writes differently (records
// released on a processing-time timer) but keeps each key's order.
package fence

import (
	"encoding/binary"
	"log/slog"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// PosBits is the number of low sequence bits holding a write's position
// in its epoch (as the SQL external sinks).
const PosBits = 22

const maxPos = 1<<PosBits - 1

// Base: a new task's first epoch is the milliseconds since then.
var Base = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

var epochKey = []byte("epoch")

// Seq numbers one task's writes.
type Seq struct {
	st        *state.ValueState
	epoch     uint64
	pos       map[string]uint64 // key -> its writes in this epoch
	saturated bool              // logged that a position passed PosBits this epoch
	logger    *slog.Logger
	what      string // for the log: whose writes
}

// Open loads the task's epoch from its value state name (key "epoch"), or
// starts one from the clock. what names the writer in log lines.
func Open(ctx *stream.Context, name, what string) (*Seq, error) {
	s := &Seq{st: ctx.Value(name), pos: map[string]uint64{}, logger: ctx.Logger, what: what}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	raw, ok, err := s.st.Get(epochKey)
	if err != nil {
		return nil, err
	}
	if ok && len(raw) == 8 {
		s.epoch = binary.BigEndian.Uint64(raw)
	} else {
		s.epoch = uint64(max(1, ctx.Now().Sub(Base).Milliseconds()))
	}
	return s, nil
}

// Next counts a write of key and returns its sequence. Past 2^22 - 1
// writes of one key in one epoch the position saturates (logged once per
// epoch): those writes share a sequence and are no longer ordered.
func (s *Seq) Next(key string) uint64 {
	p := s.pos[key] + 1
	s.pos[key] = p
	if p > maxPos && !s.saturated {
		s.saturated = true
		s.logger.Warn(s.what+": more than 2^22 writes of one key in one checkpoint interval; their sequences saturate and no longer order them",
			"epoch", s.epoch, "key", key)
	}
	return s.epoch<<PosBits | min(p, maxPos)
}

// Advance starts the next epoch, in the state the checkpoint commits, if
// this one numbered a write; call it after the checkpoint's writes.
func (s *Seq) Advance() error {
	if len(s.pos) == 0 {
		return nil // an empty epoch keeps its number
	}
	s.epoch++
	s.saturated = false
	clear(s.pos)
	return s.st.Put(epochKey, binary.BigEndian.AppendUint64(nil, s.epoch))
}
