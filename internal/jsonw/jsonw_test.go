package jsonw

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          `"plain"`,
		"q\"b\\":         `"q\"b\\"`,
		"a\x07b\x7f\n\t": `"a\u0007b` + "\x7f" + `\n\t"`,
		"北京":             `"北京"`,
		"bad\xffutf8":    "\"bad\uFFFDutf8\"",
		"\U000e0001":     "\"\U000e0001\"",
	} {
		got := string(AppendString(nil, []byte(in)))
		if got != want || !json.Valid([]byte(got)) {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
}

// The case fastjson gets wrong: a string it has unescaped, re-marshalled.
func TestAppendValueAfterUnescape(t *testing.T) {
	in := `{"k\u0001":"v\u0007\"x","n":1.50,"a":[true,null,"\u007f"],"o":{}}`
	v := fastjson.MustParse(in)
	_ = v.GetStringBytes("k\x01") // unescapes keys and that value, as any lookup does
	v.Get("a").GetArray()[2].StringBytes()
	if bad := v.MarshalTo(nil); json.Valid(bad) {
		t.Log("fastjson now escapes correctly; jsonw could go")
	}
	got := AppendValue(nil, v)
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	json.Unmarshal([]byte(in), &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("AppendValue = %s, want the value of %s", got, in)
	}
	if want := `"n":1.50`; !strings.Contains(string(got), want) {
		t.Fatalf("number text not kept: %s", got)
	}
}

// FuzzAppendValue: for valid JSON input, AppendValue writes valid JSON with
// the same meaning, whatever fastjson has unescaped; the exact writer makes
// valid JSON of anything fastjson accepts.
func FuzzAppendValue(f *testing.F) {
	for _, s := range []string{`{"a":"\u0007"}`, `["\ud800"]`, `{"k\u0001":[1,2.5e3,"x"]}`, `"\u0000"`, `{"a":{"b":[{}]}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p fastjson.Parser
		v, err := p.Parse(s)
		if err != nil {
			return
		}
		if out := appendExact(nil, v); !json.Valid(out) {
			t.Fatalf("appendExact: invalid JSON from %q: %s", s, out)
		}
		if !json.Valid([]byte(s)) {
			return
		}
		unescapeAll(v) // what lookups do to a parsed value
		out := AppendValue(nil, v)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON from %q: %s", s, out)
		}
		// Parsers disagree on lone surrogate escapes (fastjson keeps the text,
		// encoding/json decodes U+FFFD); only validity is checked for those.
		if json.Valid([]byte(s)) && !strings.Contains(strings.ToLower(s), `\ud`) {
			var a, b any
			json.Unmarshal([]byte(s), &a)
			json.Unmarshal(out, &b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("meaning changed: %s -> %s", s, out)
			}
		}
	})
}

// needsLook never misses a byte that needs attention (false alarms are fine).
func TestNeedsLookHasNoFalseNegatives(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			if attention[c] && !needsLook(x) {
				t.Fatalf("byte %#x at %d missed", c, pos)
			}
		}
	}
}

// unescapeAll touches every key and string, as lookups do.
func unescapeAll(v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(func(_ []byte, e *fastjson.Value) { unescapeAll(e) })
	case fastjson.TypeArray:
		for _, e := range v.GetArray() {
			unescapeAll(e)
		}
	}
}
