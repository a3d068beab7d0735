package dwd

import (
	"github.com/valyala/fastjson"

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

type splitter struct{ buf []byte }

func (s *splitter) Ports() []string {
	return []string{portErr, portStart, portDisplay, portAction, portPage}
}

func (s *splitter) Open(*stream.Context) error { return nil }

func (s *splitter) Process(r *stream.Record, out stream.Emitter) error {
	v, err := r.JSON()
	if err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	emit := func(port int, time int64) {
		rec := r.Derive(r.Key, s.buf, time)
		out.Emit(port, &rec) // sinks copy, so s.buf is reused
	}
	common, ts := v.Get("common"), v.Get("ts")
	if v.Get("err") != nil {
		s.buf = v.MarshalTo(s.buf[:0])
		emit(0, r.Time)
		v.Del("err")
	}
	if start := v.Get("start"); start != nil {
		s.buf = append(s.open(common, "start", start), `,"ts":`...)
		s.buf = append(ts.MarshalTo(s.buf), '}')
		emit(1, r.Time)
		return nil
	}
	page := v.Get("page")
	if page == nil {
		return nil // an err-only record: fully routed above
	}
	for _, d := range v.GetArray("displays") {
		s.buf = append(s.open(common, "page", page), `,"display":`...)
		s.buf = append(d.MarshalTo(s.buf), `,"ts":`...)
		s.buf = append(ts.MarshalTo(s.buf), '}')
		emit(2, r.Time)
	}
	for _, a := range v.GetArray("actions") {
		s.buf = append(s.open(common, "page", page), `,"action":`...)
		s.buf = append(a.MarshalTo(s.buf), '}')
		at := r.Time
		if t := a.Get("ts"); t != nil {
			at, _ = t.Int64()
		}
		emit(3, at)
	}
	s.buf = append(s.open(common, "page", page), `,"ts":`...)
	s.buf = append(ts.MarshalTo(s.buf), '}')
	emit(4, r.Time)
	return nil
}

// open writes {"common":common,"<name>":val into s.buf, leaving the object
// open for the caller's remaining fields.
func (s *splitter) open(common *fastjson.Value, name string, val *fastjson.Value) []byte {
	b := append(s.buf[:0], `{"common":`...)
	b = common.MarshalTo(b)
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	return val.MarshalTo(b)
}
