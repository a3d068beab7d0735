package jsonw

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw/jsonwtest"
)

// validCases: want is RFC 8259's answer (encoding/json agrees on each,
// checked below).
var validCases = []struct {
	in   string
	want bool
}{
	{`{"a":1,"b":[1.5,-0,2e10,3E-2,0.5e+1],"c":"x y","d":null,"e":true,"f":false}`, true},
	{`  {"a" : [ ] , "b" : { } }  `, true},
	{`{"a":"中文"}`, true},
	{`{"a":"\"q\"","b":"\u00e9\n\/\\"}`, true},
	{"{\"a\":1}\t\n\r ", true},
	{`-0.0e-0`, true},
	{`"a\\b"`, true},
	{`[[[[]]],[{}]]`, true},
	{"{\"a\":\"tab\there\"}", false}, // raw control character in a string
	{"{\"a\":\"x\x01\"}", false},
	{"{\"a\x1f\":1}", false},
	{"\"\x14\\b\"", false}, // fastjson.Validate accepts this one
	{"{\"a\":1}\x0b", false},
	{`{"a":"\q"}`, false},
	{`{"a":"\u12"}`, false},
	{`{"a":"\u12g4"}`, false},
	{`{"a":"x\"}`, false},
	{`{"a":01}`, false},
	{`{"a":1-2}`, false},
	{`{"a":.5}`, false},
	{`{"a":1.}`, false},
	{`{"a":+1}`, false},
	{`{"a":1e}`, false},
	{`{"a":1e+}`, false},
	{`{"a":-}`, false},
	{`{"a":NaN}`, false},
	{`{"a":-inf}`, false},
	{`{"a":tru}`, false},
	{`{"a":truex}`, false},
	{`{"a":1 2}`, false},
	{`{"a":1,}`, false},
	{`[1,]`, false},
	{`[,1]`, false},
	{`{,}`, false},
	{`{"a"}`, false},
	{`{"a":}`, false},
	{`{"a"::1}`, false},
	{`{1:2}`, false},
	{`{"a":1]`, false},
	{`[1}`, false},
	{`[1`, false},
	{`]`, false},
	{`1 2`, false},
	{`{} {}`, false},
	{``, false},
	{`   `, false},
	{`[1,[2,[3,[1.2.3]]]]`, false},
}

func TestValid(t *testing.T) {
	for _, c := range validCases {
		if json.Valid([]byte(c.in)) != c.want {
			t.Fatalf("%q: the case's want disagrees with encoding/json", c.in)
		}
		if got := Valid([]byte(c.in)) == nil; got != c.want {
			t.Errorf("Valid(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// stringStop's SWAR test agrees with a byte loop for every byte at every
// position of a word, also with a second stop (a quote) after it, which
// a borrow from the first must not move.
func TestStringStop(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 16; pos++ {
			for _, tail := range []string{"", "\"\x01"} {
				b := []byte("abcdefghijklmnop" + tail)
				b[pos] = byte(c)
				want := -1
				if c < 0x20 || c == '"' || c == '\\' {
					want = pos
				} else if tail != "" {
					want = 16
				}
				if got := stringStop(b, 0); got != want {
					t.Fatalf("byte %#x at %d, tail %q: %d, want %d", c, pos, tail, got, want)
				}
			}
		}
	}
}

// FuzzValid: Valid answers as encoding/json does.
func FuzzValid(f *testing.F) {
	for _, c := range validCases {
		f.Add(c.in)
	}
	f.Add("{\"a\":\"x\ty\x01\"}")
	f.Add("[\"\\\x01\"]")
	f.Add("{\"a\x00\":1}\x01")
	f.Fuzz(func(t *testing.T, s string) {
		if got := Valid([]byte(s)) == nil; got != json.Valid([]byte(s)) {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", s, got, !got)
		}
		if got, want := ValidControls([]byte(s)) == nil, jsonwtest.ValidControls([]byte(s)); got != want {
			t.Fatalf("ValidControls(%q) = %v, encoding/json of it with controls in strings as spaces says %v", s, got, want)
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	line := []byte(`{"common":{"ar":"110000","ba":"Xiaomi","ch":"web","is_new":"1","md":"Xiaomi 9","mid":"mid_1234","os":"Android 11.0","uid":"42","vc":"v2.1.134"},"page":{"during_time":13968,"item":"3","item_type":"sku_id","last_page_id":"good_list","page_id":"good_detail","source_type":"promotion"},"displays":[{"display_type":"query","item":"6","item_type":"sku_id","order":1,"pos_id":2},{"display_type":"promotion","item":"9","item_type":"sku_id","order":2,"pos_id":1}],"actions":[{"action_id":"favor_add","item":"3","item_type":"sku_id","ts":1717200004000}],"ts":1717200000000}`)
	b.SetBytes(int64(len(line)))
	b.Run("fastjson.ValidateBytes", func(b *testing.B) {
		for b.Loop() {
			if fastjson.ValidateBytes(line) != nil {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("encoding/json.Valid", func(b *testing.B) {
		for b.Loop() {
			if !json.Valid(line) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("Valid", func(b *testing.B) {
		for b.Loop() {
			if Valid(line) != nil {
				b.Fatal("invalid")
			}
		}
	})
}
