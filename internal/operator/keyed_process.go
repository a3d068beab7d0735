package operator

import (
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// KeyedFuncs is a keyed process function, Flink's KeyedProcessFunction in
// function form: per-key state and timers through the Context passed to
// Open. It must follow a KeyBy so that all records of a key reach it.
type KeyedFuncs struct {
	Ports   []string // default ["out"]
	Open    func(ctx *stream.Context) error
	Process func(rec *stream.Record, out stream.Emitter) error
	OnTimer func(domain state.TimeDomain, ts int64, key []byte, out stream.Emitter) error
}

// KeyedProcess makes one KeyedFuncs per task with mk (so closures may hold
// per-task state handles).
func KeyedProcess(mk func() *KeyedFuncs) stream.Factory {
	return func() stream.Operator { return &keyedProcess{f: mk()} }
}

type keyedProcess struct{ f *KeyedFuncs }

func (k *keyedProcess) Ports() []string {
	if len(k.f.Ports) == 0 {
		return []string{"out"}
	}
	return k.f.Ports
}

func (k *keyedProcess) Open(ctx *stream.Context) error {
	if k.f.Open == nil {
		return nil
	}
	return k.f.Open(ctx)
}

func (k *keyedProcess) Process(rec *stream.Record, out stream.Emitter) error {
	return k.f.Process(rec, out)
}

func (k *keyedProcess) OnTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	if k.f.OnTimer == nil {
		return nil
	}
	return k.f.OnTimer(d, ts, key, out)
}
