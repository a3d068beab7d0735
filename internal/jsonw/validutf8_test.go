package jsonw

import (
	"strings"
	"testing"
)

// ValidUTF8 replaces exactly what AppendString replaces: each byte that is
// not part of a valid sequence becomes U+FFFD; valid input is returned as
// it is.
func TestValidUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"plain":               "plain",
		"北京 \uFFFD":           "北京 \uFFFD",
		"a\xffb":              "a\uFFFDb",
		"\xe5\xbc":            "\uFFFD\uFFFD", // a truncated 3-byte sequence: two bytes
		"\xed\xa0\x80":        "\uFFFD\uFFFD\uFFFD",
		`{"k":"v` + "\xfe\"}": `{"k":"v` + "\uFFFD\"}",
	} {
		if got := string(ValidUTF8([]byte(in))); got != want {
			t.Errorf("ValidUTF8(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(in, `"\`) {
			continue // AppendString escapes these too
		}
		if q := string(AppendString(nil, []byte(in))); q != `"`+want+`"` {
			t.Errorf("AppendString(%q) = %s, want %q quoted", in, q, want)
		}
	}
}
