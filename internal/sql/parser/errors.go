package parser

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// Error is a syntax error, or any error a later stage (planner,
// expression compiler) reports at a position of the source: the
// command line prints it as
//
//	file:line:column: message
//	<the offending line>
//	<spaces>^
//
// the way Flink's SQL client points at a parse error.
type Error struct {
	File     string
	Pos      ast.Pos
	Msg      string
	LineText string // the source line of Pos, without its line break
	Err      error  // the error located, if any (Unwrap)
}

// Unwrap returns the error the position was found for.
func (e *Error) Unwrap() error { return e.Err }

// Error returns the message with its location, the offending line and a
// caret under the column.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Short())
	if e.Pos.Line > 0 {
		line := strings.TrimRight(e.LineText, "\r\n")
		b.WriteByte('\n')
		b.WriteString(line)
		b.WriteByte('\n')
		b.WriteString(caretPad(line, e.Pos.Col))
		b.WriteByte('^')
	}
	return b.String()
}

// Short returns the first line of Error: file:line:column: message.
func (e *Error) Short() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Pos.Line > 0 {
		b.WriteString(strconv.Itoa(e.Pos.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Pos.Col))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// caretPad returns what goes before the caret so that it lands under
// column col (counted in runes) of line in a terminal: tabs are kept as
// tabs (a tab stop lands where the line's own tab did) and East Asian
// wide characters take two cells.
func caretPad(line string, col int) string {
	var b strings.Builder
	n := 1
	for _, r := range line {
		if n >= col {
			break
		}
		switch {
		case r == '\t':
			b.WriteByte('\t')
		case isWide(r):
			b.WriteString("  ")
		default:
			b.WriteByte(' ')
		}
		n++
	}
	for ; n < col; n++ {
		b.WriteByte(' ')
	}
	return b.String()
}

// isWide reports East Asian wide and full-width characters (CJK
// ideographs, kana, Hangul, full-width forms), which terminals draw in
// two cells.
func isWide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, // Hangul Jamo
		r >= 0x2E80 && r <= 0x303E, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33FF, // kana, CJK symbols
		r >= 0x3400 && r <= 0x4DBF, // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF, // Yi
		r >= 0xAC00 && r <= 0xD7A3, // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF, // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F, // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60, // full-width forms
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1F64F, // pictographs, emoticons
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions B and later
		return true
	}
	return false
}

// lineText returns the source line holding byte offset off, without its
// line break.
func lineText(src string, off int) string {
	if off > len(src) {
		off = len(src)
	}
	start := strings.LastIndexByte(src[:off], '\n') + 1
	end := strings.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += off
	}
	return strings.TrimRight(src[start:end], "\r")
}

// describe names a token in an error message the way Flink's parser
// does: the text as written, in double quotes.
func describe(src string, t token) string {
	switch t.kind {
	case tEOF:
		if t.val == "*/" {
			return `"*/"` // the end of a hint
		}
		return "end of input"
	case tError:
		return t.val
	}
	text := src[t.pos.Offset:t.end]
	if utf8.RuneCountInString(text) > 40 {
		r := []rune(text)
		text = string(r[:37]) + "..."
	}
	return strconv.Quote(text)
}

// bailout carries an *Error up the recursive descent: the parser panics
// with it and Parse recovers it (any other panic is a bug and goes on).
type bailout struct{ err *Error }

// nearMiss returns the keyword of candidates that word is one typo away
// from (one letter wrong, missing, extra, or two letters swapped), so
// that "SELECT a FORM t" can say it expected FROM. Short words are left
// alone: every two-letter word is one typo from another.
func nearMiss(word string, candidates ...string) string {
	if len(word) < 4 {
		return ""
	}
	w := strings.ToUpper(word)
	for _, c := range candidates {
		if c != w && oneEdit(w, c) {
			return c
		}
	}
	return ""
}

func oneEdit(a, b string) bool {
	if len(a) == len(b) {
		diff := -1
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] {
				if diff >= 0 {
					// a second difference: only a swap of neighbours passes
					return diff == i-1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:]
				}
				diff = i
			}
		}
		return true
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a) != len(b)+1 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if a[i] != b[i] {
			return a[i+1:] == b[i:]
		}
	}
	return true
}
