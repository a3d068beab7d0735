package dwd

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/stream"
)

// bypass runs inner on some records and forwards the others untouched.
// A stage has one input, so rows a later stage joins (order_info after the
// detail-level join, payments after the order-level join) travel through
// the earlier stages next to the rows those stages join. inner must be a
// plain operator (one output, no timers or checkpoint hooks) so that the
// wrapper has nothing else to forward.
func bypass(pass func(table string, r *stream.Record) bool, inner stream.Factory) stream.Factory {
	probe := inner()
	switch probe.(type) {
	case stream.Ported, stream.TimerHandler, stream.WatermarkHandler, stream.EndOfInputHandler, stream.EndOfInputTimerHandler, stream.CheckpointHandler:
		panic(fmt.Sprintf("dwd: bypass wraps only plain operators, not %T", probe))
	}
	return func() stream.Operator { return &bypasser{pass: pass, inner: inner()} }
}

type bypasser struct {
	pass  func(string, *stream.Record) bool
	inner stream.Operator
}

func (b *bypasser) Open(ctx *stream.Context) error { return b.inner.Open(ctx) }

func (b *bypasser) Process(r *stream.Record, out stream.Emitter) error {
	t, err := tableOf(r)
	if err != nil {
		return err
	}
	if b.pass(t, r) {
		out.Emit(0, r)
		return nil
	}
	return b.inner.Process(r, out)
}

// passTables forwards the rows of the given tables.
func passTables(tables ...string) func(string, *stream.Record) bool {
	return func(t string, _ *stream.Record) bool {
		for _, x := range tables {
			if x == t {
				return true
			}
		}
		return false
	}
}
