package applog

import (
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

// JobName is the rtdw.job header of the collector's dead letters and the
// owner of its keyed state.
const JobName = "ingest_applog"

// Reason codes of dead-lettered lines (the part of rtdw.reason before ':').
const (
	ReasonInvalidUTF8 = "invalid_utf8"
	ReasonInvalidJSON = "invalid_json"
	ReasonNotObject   = "not_object"
	ReasonMissingMid  = "missing_mid"
	ReasonTooLong     = "line_too_long"
)

// Check validates one app-log line and returns its partition key
// (common.mid), or the reason code and detail why it is bad.
func Check(p *fastjson.Parser, line []byte) (mid []byte, code, detail string) {
	if !utf8.Valid(line) {
		return nil, ReasonInvalidUTF8, "the line is not valid UTF-8"
	}
	// Strict first: fastjson alone takes NaN, 01 or a raw control
	// character, which dwd_base_log would dead-letter later anyway.
	if err := jsonw.Valid(line); err != nil {
		return nil, ReasonInvalidJSON, err.Error()
	}
	v, err := p.ParseBytes(line)
	if err != nil {
		return nil, ReasonInvalidJSON, err.Error()
	}
	if v.Type() != fastjson.TypeObject {
		return nil, ReasonNotObject, "the line is a JSON " + v.Type().String() + ", want an object"
	}
	m := v.Get("common", "mid")
	if m == nil || m.Type() != fastjson.TypeString || len(m.GetStringBytes()) == 0 {
		return nil, ReasonMissingMid, "common.mid must be a non-empty string"
	}
	return append([]byte(nil), m.GetStringBytes()...), "", ""
}

// batch is the records one input chunk becomes.
type batch struct {
	topic   string // good lines
	dirty   string // bad lines
	recs    []rlog.Record
	lines   int
	bad     map[string]int // reason code -> lines
	bytes   int
	slices  int // bytes of the records' keys, values and headers
	checker fastjson.Parser
}

// mem estimates the memory b holds: the records' array and their slices.
func (b *batch) mem() int { return cap(b.recs)*int(unsafe.Sizeof(rlog.Record{})) + b.slices }

// headerMem is what one dead-letter header costs beyond its value.
const headerMem = int(unsafe.Sizeof(rlog.Header{}))

// add validates line (without its newline) and appends its record: to
// b.topic keyed by mid, or to b.dirty with the dead-letter headers. source
// and off name where it came from (http:ADDR, or file:PATH at offset off;
// off < 0: none); tooLong marks the first part of a line longer than the limit.
func (b *batch) add(line []byte, source string, off int64, tooLong bool) {
	b.lines++
	b.bytes += len(line) + 1
	val := append([]byte(nil), line...)
	var mid []byte
	var code, detail string
	if tooLong {
		code, detail = ReasonTooLong, "no newline within the maximum line length"
	} else {
		mid, code, detail = Check(&b.checker, line)
	}
	b.slices += len(val) + len(mid)
	if code == "" {
		b.recs = append(b.recs, rlog.Record{Topic: b.topic, Partition: rlog.AutoPartition, Key: mid, Value: val})
		return
	}
	if b.bad == nil {
		b.bad = map[string]int{}
	}
	b.bad[code]++
	reason := code + ": " + detail
	if len(reason) > 1024 { // a reason quoting a huge input is no use
		n := 1021
		for n > 0 && !utf8.RuneStart(reason[n]) {
			n--
		}
		reason = reason[:n] + "..."
	}
	src := sourceOf(source, off)
	b.slices += 3*headerMem + len(reason) + len(JobName) + len(src)
	b.recs = append(b.recs, rlog.Record{Topic: b.dirty, Partition: rlog.AutoPartition, Value: val, Headers: []rlog.Header{
		{Key: stream.HeaderReason, Value: []byte(reason)},
		{Key: stream.HeaderJob, Value: []byte(JobName)},
		{Key: stream.HeaderSource, Value: src},
	}})
}

func sourceOf(source string, off int64) []byte {
	b := []byte(source)
	if off >= 0 {
		b = strconv.AppendInt(append(b, '@'), off, 10)
	}
	return b
}
