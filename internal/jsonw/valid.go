package jsonw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unsafe"
)

// Valid reports whether b is JSON (RFC 8259; UTF-8 is not checked, as
// neither encoding/json nor fastjson checks it), with the first error
// found. It replaces fastjson.ValidateBytes, which misses a raw control
// character in a string that also has an escape (and is ~20 % slower).
// Strings, most of a record's bytes, are skipped 8 bytes at a time
// (SWAR); the tokens between them go through one table lookup each.
func Valid(b []byte) error { return valid(b, false) }

// ValidControls is Valid, except that a raw control character (below
// U+0020) in a string is taken as itself: Flink's JSON formats read
// records so (Jackson's ALLOW_UNESCAPED_CONTROL_CHARS), and a tab pasted
// into a value is common in real data.
func ValidControls(b []byte) error { return valid(b, true) }

func valid(b []byte, controls bool) error {
	var stackBuf [32]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	want := wantValue
	for i := 0; i < len(b); {
		c := b[i]
		switch class[c] {
		case cSpace:
			i++
			continue
		case cQuote:
			j, err := skipString(b, i+1, controls)
			if err != nil {
				return err
			}
			i = j
			switch want {
			case wantValue, wantValueOrEnd:
				want = wantComma
			case wantKey, wantKeyOrEnd:
				want = wantColon
			default:
				return syntaxError(b, i-1, "unexpected string")
			}
			continue
		case cLetter, cNumber:
			if want != wantValue && want != wantValueOrEnd {
				return syntaxError(b, i, "unexpected value")
			}
			j := i + 1
			if class[c] == cLetter {
				for j < len(b) && (class[b[j]] == cLetter || b[j] == 'e' || b[j] == 'E') {
					j++
				}
				if w := string(b[i:j]); w != "true" && w != "false" && w != "null" {
					return syntaxError(b, i, "not a value")
				}
			} else {
				for j < len(b) && class[b[j]] == cNumber {
					j++
				}
				if !jsonNumber(b[i:j]) {
					return syntaxError(b, i, "invalid number")
				}
			}
			i, want = j, wantComma
			continue
		}
		switch {
		case (c == '{' || c == '[') && (want == wantValue || want == wantValueOrEnd):
			stack = append(stack, c)
			want = wantValueOrEnd
			if c == '{' {
				want = wantKeyOrEnd
			}
		case (c == '}' && (want == wantKeyOrEnd || want == wantComma) || c == ']' && (want == wantValueOrEnd || want == wantComma)) &&
			len(stack) > 0 && stack[len(stack)-1] == c-2: // '{'+2 == '}', '['+2 == ']'
			stack = stack[:len(stack)-1]
			want = wantComma
		case c == ',' && want == wantComma && len(stack) > 0:
			want = wantValue
			if stack[len(stack)-1] == '{' {
				want = wantKey
			}
		case c == ':' && want == wantColon:
			want = wantValue
		default:
			return syntaxError(b, i, "unexpected character")
		}
		i++
	}
	if want != wantComma || len(stack) > 0 {
		return syntaxError(b, len(b), "unexpected end")
	}
	return nil
}

// ValidString is Valid of a string's bytes, without copying them.
func ValidString(s string) error {
	return Valid(unsafe.Slice(unsafe.StringData(s), len(s))) // Valid only reads
}

// What Valid expects next.
const (
	wantValue      = iota // at the start, after ':' or an array's ','
	wantValueOrEnd        // after '['
	wantKey               // after an object's ','
	wantKeyOrEnd          // after '{'
	wantColon             // after a key
	wantComma             // after a value: ',', the container's end, or the end
)

// Byte classes outside strings.
const (
	cOther  = iota
	cSpace  // space, tab, newline, return
	cQuote  // a string starts
	cLetter // of true, false, null
	cNumber // of a number, e and E included
)

var class = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			t[c] = cSpace
		case c == '"':
			t[c] = cQuote
		case c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E':
			t[c] = cNumber
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			t[c] = cLetter
		}
	}
	return t
}()

// skipString returns the index after the string whose text starts at i;
// controls: raw control characters are taken.
func skipString(b []byte, i int, controls bool) (int, error) {
	for {
		i = stringStop(b, i)
		switch {
		case i < 0:
			return 0, syntaxError(b, len(b), "unterminated string")
		case b[i] == '"':
			return i + 1, nil
		case b[i] < 0x20:
			if !controls {
				return 0, syntaxError(b, i, "control character in string")
			}
			i++
			continue
		}
		// A backslash.
		if i+1 >= len(b) {
			return 0, syntaxError(b, i, "unterminated string")
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(b) || !hex4(b[i+2:i+6]) {
				return 0, syntaxError(b, i, "invalid \\u escape")
			}
			i += 6
		default:
			return 0, syntaxError(b, i, "invalid escape")
		}
	}
}

func hex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// stringStop is the index of the first quote, backslash or control
// character at or after i, or -1.
func stringStop(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// A quote, a backslash or a control character; the lowest flag is
		// a true one (zeros, controls).
		if z := zeros(x^(ones*'"')) | zeros(x^(ones*'\\')) | controls(x); z != 0 {
			return i + bits.TrailingZeros64(z)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return -1
}

// jsonNumber: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

var errInvalid = errors.New("invalid JSON")

func syntaxError(b []byte, at int, what string) error {
	return fmt.Errorf("%w: %s at byte %d of %d", errInvalid, what, at, len(b))
}
