package operator

import "github.com/rtdw/rtdw/internal/stream"

// Split routes each record to any of the named ports (side outputs, as
// Flink's OutputTag): fn calls emit(port, rec) with a port index into ports.
func Split(ports []string, fn func(rec *stream.Record, emit func(port int, r stream.Record)) error) stream.Factory {
	return func() stream.Operator { return &split{ports: ports, fn: fn} }
}

type split struct {
	ports []string
	fn    func(*stream.Record, func(int, stream.Record)) error
}

func (s *split) Ports() []string            { return s.ports }
func (s *split) Open(*stream.Context) error { return nil }

func (s *split) Process(rec *stream.Record, out stream.Emitter) error {
	return s.fn(rec, func(p int, r stream.Record) { out.Emit(p, &r) })
}
