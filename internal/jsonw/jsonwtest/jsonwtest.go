// Package jsonwtest holds what tests of JSON readers share: an oracle
// for jsonw.ValidControls built on encoding/json.
package jsonwtest

import "encoding/json"

// ValidControls reports what encoding/json says of b once the raw control
// characters inside its strings are spaces: the JSON that
// jsonw.ValidControls (and Flink's JSON formats) take. A control character
// after a backslash stays (an invalid escape either way).
func ValidControls(b []byte) bool {
	b = append([]byte(nil), b...)
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case !in:
			in = c == '"'
		case c == '\\':
			i++
		case c == '"':
			in = false
		case c < 0x20:
			b[i] = ' '
		}
	}
	return json.Valid(b)
}
