package ods

import (
	"bytes"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	"github.com/rtdw/rtdw/internal/jsonw"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

// HeaderTime returns the event time a record's rtdw.ts header states, in
// epoch ms, when it is one a producer can have written: 1 to 18 decimal
// digits, > 0 and a whole second (the JSON's ts times 1000). Anything else
// (no header, junk) reports false: the caller then parses the record.
func HeaderTime(r *stream.Record) (int64, bool) {
	b := r.Header(topicdb.HeaderTS)
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0 && n%1000 == 0
}

// IsTopicDBHeader reports whether key is one of the headers topic_db
// producers attach (topicdb.HeaderTable, topicdb.HeaderTS).
func IsTopicDBHeader(key string) bool {
	return key == topicdb.HeaderTable || key == topicdb.HeaderTS
}

// StripHeaders returns hs without the topic_db headers. A job's first
// operator puts this on what it emits, so that its outputs (and anything
// derived from them) are the same whether its input carried the headers
// or not. It returns hs itself when there is nothing to remove, and nil
// when nothing else is left (what a record without headers has).
func StripHeaders(hs []rlog.Header) []rlog.Header {
	n := 0
	for _, h := range hs {
		if IsTopicDBHeader(h.Key) {
			n++
		}
	}
	switch n {
	case 0:
		return hs
	case len(hs):
		return nil
	}
	out := make([]rlog.Header, 0, len(hs)-n)
	for _, h := range hs {
		if !IsTopicDBHeader(h.Key) {
			out = append(out, h)
		}
	}
	return out
}

// Head is the top level of a Maxwell topic_db record as MaxwellHead reads
// it: string contents (the record has no escapes in them) and ts (seconds).
type Head struct {
	Database, Table, Type []byte
	TS                    int64
	Data                  []byte // the data object, as in the record
}

// EmptyData reports whether the data object has no member.
func (h Head) EmptyData() bool {
	if len(h.Data) == 0 {
		return false
	}
	i := skipWS(h.Data, 1)
	return i < len(h.Data) && h.Data[i] == '}'
}

// scanDepth bounds the nesting MaxwellHead follows, well within
// fastjson's parser limit (fastjson.MaxDepth), which the validator
// (jsonw.Valid) does not have.
const scanDepth = 200

// MaxwellHead reads a topic_db record's database, table, type and ts
// without building a parse tree, for a job deciding to skip a record.
//
// ok=true promises what the full path would conclude: value is strictly
// valid JSON that Record.JSON parses, and topicdb's decoder in format
// (auto or maxwell) decodes it into exactly one valid row change (insert,
// update, delete or bootstrap-*) with these fields. Anything less plain
// (another format, escapes in keys or in those strings, a ts that is not a
// plain positive integer, data that is not an object, "old" that is
// neither null nor an object, a key of another format's envelope, deep
// nesting, invalid JSON) gives false, and the caller takes the full path,
// which decides, dead-letters or drops exactly as without this shortcut.
func MaxwellHead(value []byte, format string) (Head, bool) {
	h, ok := scanHead(value, format)
	// Last, as it is the costly part: the full path dead-letters what the
	// validator rejects (the parser is lenient).
	if !ok || jsonw.Valid(value) != nil {
		return h, false
	}
	return h, true
}

// DeferredHead is MaxwellHead without the validation of the whole value,
// for a record MaxwellHead has vouched for before: one Normalize deferred
// (Deferred), whose bytes cannot have changed since.
func DeferredHead(value []byte, format string) (Head, bool) { return scanHead(value, format) }

// scanHead reads the top level for MaxwellHead.
func scanHead(value []byte, format string) (Head, bool) {
	var h Head
	if format != topicdb.Auto && format != topicdb.Maxwell {
		return h, false
	}
	b := value
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return h, false
	}
	const (
		fDatabase = 1 << iota
		fTable
		fType
		fTS
		fData
		fOld
		fAll = fDatabase | fTable | fType | fTS | fData
	)
	seen := 0
	first := func(f int) bool {
		if seen&f != 0 {
			return false // fastjson's Get returns a key's first occurrence
		}
		seen |= f
		return true
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return h, false // {}: no change
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return h, false
		}
		end := skipString(b, i)
		if end < 0 {
			return h, false
		}
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return h, false // an escaped key may mean any of the names below
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return h, false
		}
		i = skipWS(b, i+1)
		start := i
		if i = skipValue(b, i); i < 0 {
			return h, false
		}
		v := b[start:i]
		var ok bool
		switch string(key) {
		case "database":
			if first(fDatabase) {
				if h.Database, ok = plainString(v); !ok || len(h.Database) == 0 {
					return h, false
				}
			}
		case "table":
			if first(fTable) {
				if h.Table, ok = plainString(v); !ok || len(h.Table) == 0 {
					return h, false
				}
			}
		case "type":
			if first(fType) {
				if h.Type, ok = plainString(v); !ok || !rowChange(h.Type) {
					return h, false
				}
			}
		case "ts":
			if first(fTS) {
				if h.TS, ok = plainSeconds(v); !ok {
					return h, false
				}
			}
		case "data":
			if first(fData) {
				if v[0] != '{' {
					return h, false
				}
				h.Data = v
			}
		case "old":
			if first(fOld) && v[0] != '{' && string(v) != "null" {
				return h, false
			}
		case "payload", "op", "isDdl", "pkNames":
			return h, false // Debezium's or Canal's: topicdb.Detect looks at these
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return h, false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return h, false
		}
		i = skipWS(b, i+1)
	}
	if seen&fAll != fAll || skipWS(b, i+1) != len(b) {
		return h, false
	}
	return h, true
}

// rowChange: the types maxwell.DecodeValue and change.Validate accept as
// a row change.
func rowChange(t []byte) bool {
	switch string(t) {
	case "insert", "update", "delete", "bootstrap-insert", "bootstrap-start", "bootstrap-complete":
		return true
	}
	return false
}

// plainString returns the content of a JSON string token without escapes.
func plainString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	return s, true
}

// plainSeconds reads a number token of 1 to 18 digits, > 0 (fastjson's
// Int64 reads such a literal exactly; a sign, fraction or exponent is left
// to the decoder).
func plainSeconds(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string token at b[i] (a quote),
// or -1 when it does not end.
func skipString(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// delim marks the bytes a container scan stops at.
var delim = func() (t [256]bool) {
	for _, c := range []byte(`"{}[]`) {
		t[c] = true
	}
	return t
}()

// skipValue returns the index after the value at b[i], or -1. It trusts
// the input to be JSON only as far as finding the value's end goes; the
// caller validates the record before relying on what it read.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			for i < len(b) && !delim[b[i]] {
				i++
			}
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				if depth++; depth > scanDepth {
					return -1
				}
			default: // '}', ']'
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\n', '\t', '\r':
			if j == i {
				return -1
			}
			return j
		}
		j++
	}
	return -1 // a top-level object never ends in a scalar
}
