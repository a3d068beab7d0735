package dwd

import (
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"

	"github.com/rtdw/rtdw/internal/stream"
)

// Ports of the split operator, in routing order.
const (
	portErr     = "err"
	portStart   = "start"
	portDisplay = "display"
	portAction  = "action"
	portPage    = "page"
)

// splitLog routes one app log (SPEC §3.1, in this order): err -> the whole
// record to err, then err is removed; start -> {common,start,ts}, done;
// each display -> {common,page,display,ts}; each action ->
// {common,page,action} at the action's time; the rest -> {common,page,ts}.
// A record with only err ends after the err output.
func splitLog() stream.Operator { return &splitter{} }

type splitter struct {
	buf  []byte
	slot stream.Record // each output in turn: receivers do not keep a *Record
}

func (s *splitter) Ports() []string {
	return []string{portErr, portStart, portDisplay, portAction, portPage}
}

func (s *splitter) Open(*stream.Context) error { return nil }

func (s *splitter) Process(r *stream.Record, out stream.Emitter) error {
	v, err := r.JSON()
	if err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	s.buf = SplitLog(v, r.Time, s.buf, func(port int, b []byte, time int64) {
		s.slot = r.Derive(r.Key, b, time)
		out.Emit(port, &s.slot) // sinks copy, so the buffer is reused
	})
	return nil
}

// SplitLog routes one parsed, validated app log to emit(port, json, time)
// with ports in Ports() order; buf is scratch space, returned for reuse.
// It removes "err" from v. The bench's bare loop calls it too, so the
// engine is measured against the same split and serialization work.
func SplitLog(v *fastjson.Value, ts int64, buf []byte, emit func(port int, b []byte, time int64)) []byte {
	if v.Get("err") != nil {
		buf = jsonw.AppendValue(buf[:0], v)
		emit(0, buf, ts)
		v.Del("err")
	}
	// Every output starts with the same {"common":...,"page":... prefix:
	// marshal it once per record, not once per display and action.
	buf = append(buf[:0], `{"common":`...)
	buf = jsonw.AppendValue(buf, v.Get("common"))
	tsText := jsonw.AppendValue(nil, v.Get("ts"))
	if start := v.Get("start"); start != nil {
		buf = append(buf, `,"start":`...)
		buf = append(jsonw.AppendValue(buf, start), `,"ts":`...)
		buf = append(append(buf, tsText...), '}')
		emit(1, buf, ts)
		return buf
	}
	page := v.Get("page")
	if page == nil {
		return buf // an err-only record: fully routed above
	}
	buf = append(buf, `,"page":`...)
	buf = jsonw.AppendValue(buf, page)
	prefix := len(buf)
	for _, d := range v.GetArray("displays") {
		buf = append(buf[:prefix], `,"display":`...)
		buf = append(jsonw.AppendValue(buf, d), `,"ts":`...)
		buf = append(append(buf, tsText...), '}')
		emit(2, buf, ts)
	}
	for _, a := range v.GetArray("actions") {
		buf = append(buf[:prefix], `,"action":`...)
		buf = append(jsonw.AppendValue(buf, a), '}')
		at := ts
		if t := a.Get("ts"); t != nil {
			at, _ = t.Int64()
		}
		emit(3, buf, at)
	}
	buf = append(buf[:prefix], `,"ts":`...)
	buf = append(append(buf, tsText...), '}')
	emit(4, buf, ts)
	return buf
}
