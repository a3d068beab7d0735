package dwd

import (
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// MaxLogLine is the largest topic_log record dwd_base_log accepts.
const MaxLogLine = 1 << 20

// logTime is the source's event time: the log's "ts" (epoch ms). Records
// without one keep their log timestamp; etl dead-letters them.
func logTime(r *stream.Record) (int64, bool) {
	if len(r.Value) > MaxLogLine {
		return 0, false
	}
	v, err := r.JSON()
	if err != nil {
		return 0, false
	}
	ts := v.Get("ts")
	if ts == nil || ts.Type() != fastjson.TypeNumber {
		return 0, false
	}
	n, err := ts.Int64()
	return n, err == nil && n > 0
}

// validateLog passes well-formed app logs and dead-letters the rest with a
// reason. It leaves the parsed JSON on the record for the next operators.
func validateLog() stream.Operator { return etl{} }

type etl struct{}

func (etl) Open(*stream.Context) error { return nil }

func (etl) Process(r *stream.Record, out stream.Emitter) error {
	if len(r.Value) > MaxLogLine {
		return stream.BadInput("too_large", "%d bytes (max %d)", len(r.Value), MaxLogLine)
	}
	if !utf8.Valid(r.Value) {
		return stream.BadInput("invalid_utf8", "line is not valid UTF-8")
	}
	v, err := r.JSON()
	if err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	// The parser is lenient (raw control characters in strings, "." as a
	// number); what it forgives is still not JSON.
	if err := jsonw.Valid(r.Value); err != nil {
		return stream.BadInput("malformed_json", "%v", err)
	}
	if v.Type() != fastjson.TypeObject {
		return stream.BadInput("not_an_object", "top-level JSON is %s", v.Type())
	}
	common := v.Get("common")
	if common == nil {
		return stream.BadInput("missing_common", "no \"common\" block")
	}
	if common.Type() != fastjson.TypeObject {
		return stream.BadInput("bad_field_type", "common is %s, want object", common.Type())
	}
	mid := common.Get("mid")
	if mid == nil || mid.Type() == fastjson.TypeNull {
		return stream.BadInput("missing_mid", "no common.mid")
	}
	if mid.Type() != fastjson.TypeString {
		return stream.BadInput("bad_field_type", "common.mid is %s, want string", mid.Type())
	}
	if len(mid.GetStringBytes()) == 0 {
		return stream.BadInput("missing_mid", "common.mid is empty")
	}
	if isNew := common.Get("is_new"); isNew != nil {
		if s := isNew.GetStringBytes(); isNew.Type() != fastjson.TypeString || (string(s) != "0" && string(s) != "1") {
			return stream.BadInput("bad_field_type", "common.is_new is %s, want \"0\" or \"1\"", isNew)
		}
	}
	ts := v.Get("ts")
	if ts == nil {
		return stream.BadInput("missing_ts", "no ts")
	}
	n, err := ts.Int64()
	if ts.Type() != fastjson.TypeNumber || err != nil || n <= 0 {
		return stream.BadInput("bad_field_type", "ts is %s, want epoch milliseconds", ts)
	}
	for _, f := range [...]string{"start", "page", "err"} {
		if b := v.Get(f); b != nil && b.Type() != fastjson.TypeObject {
			return stream.BadInput("bad_field_type", "%s is %s, want object", f, b.Type())
		}
	}
	if page := v.Get("page"); page != nil {
		if _, err := ods.PageDuration(page.Get("during_time")); err != nil {
			return err
		}
	}
	for _, f := range [...]string{"displays", "actions"} {
		b := v.Get(f)
		if b == nil {
			continue
		}
		arr, err := b.Array()
		if err != nil {
			return stream.BadInput("bad_field_type", "%s is %s, want array", f, b.Type())
		}
		for i, e := range arr {
			if e.Type() != fastjson.TypeObject {
				return stream.BadInput("bad_field_type", "%s[%d] is %s, want object", f, i, e.Type())
			}
			if at := e.Get("ts"); f == "actions" && at != nil {
				if n, err := at.Int64(); at.Type() != fastjson.TypeNumber || err != nil || n <= 0 {
					return stream.BadInput("bad_field_type", "actions[%d].ts is %s, want epoch milliseconds", i, at)
				}
			}
		}
	}
	if v.Get("start") == nil && v.Get("page") == nil && v.Get("err") == nil {
		return stream.BadInput("no_content", "neither start, page nor err")
	}
	r.Time = n
	out.Emit(0, r)
	return nil
}

// midKey keys a validated log by common.mid.
func midKey(r *stream.Record) ([]byte, error) {
	v, err := r.JSON()
	if err != nil {
		return nil, stream.BadInput("malformed_json", "%v", err)
	}
	mid := v.GetStringBytes("common", "mid")
	if len(mid) == 0 {
		return nil, stream.BadInput("missing_mid", "no common.mid")
	}
	return mid, nil
}
