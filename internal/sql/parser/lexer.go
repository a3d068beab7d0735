package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // an unquoted identifier or keyword: up holds it upper-cased
	tQuoted         // `identifier`: val holds the name, `` unescaped
	tString         // 'string', U&'string' or N'string': val holds the value
	tBinary         // X'0aff': val holds the decoded bytes
	tNumber         // val holds the digits as written (1, 1.5, .5, 1e10)
	tOp             // punctuation and operators: val holds it ("<>", "||", "(")
	tError          // a lexical error at pos: val holds the message
)

// token is one token of the source. Tokens are produced all at once
// (lex) so the parser can look ahead freely; a lexical error becomes a
// tError token that stops the stream, and the parser reports it when it
// reaches it, so errors come out in source order.
type token struct {
	kind tokKind
	val  string
	up   string  // tWord: upper-cased, for keyword comparison
	pos  ast.Pos // first byte
	end  int     // byte offset just past the token
	// hints are the /*+ ... */ hints written right before the token.
	// Hints are legal only where the parser takes them (after SELECT,
	// after a table name, after INSERT's target); anywhere else they are
	// an error rather than silently ignored options.
	hints []hintGroup
}

// hintGroup is one /*+ ... */ comment: its position and the tokens
// inside, followed by an EOF token at the closing */.
type hintGroup struct {
	pos  ast.Pos
	toks []token
}

// lexer turns source text into tokens, tracking 1-based lines and
// columns counted in runes (what an editor shows for a CJK line).
type lexer struct {
	src    string
	off    int
	line   int
	col    int
	inHint bool
	// last is the position just past the last token, where the EOF
	// token is reported ("unexpected end of input" points right after
	// the last word written, not at a blank line below it).
	last ast.Pos
}

// lex tokenizes src. The result always ends with a tEOF or tError token.
func lex(src string) []token {
	l := &lexer{src: src, line: 1, col: 1}
	l.last = l.here()
	var toks []token
	var pending []hintGroup
	for {
		t := l.token()
		if t.kind == tOp && t.val == "/*+" {
			g, errTok := l.hint(t.pos)
			if errTok != nil {
				return append(toks, *errTok)
			}
			pending = append(pending, g)
			continue
		}
		t.hints, pending = pending, nil
		toks = append(toks, t)
		if t.kind == tEOF || t.kind == tError {
			return toks
		}
	}
}

// hint lexes the inside of a /*+ ... */ hint up to its closing */.
func (l *lexer) hint(start ast.Pos) (hintGroup, *token) {
	g := hintGroup{pos: start}
	l.inHint = true
	defer func() { l.inHint = false }()
	for {
		t := l.token()
		switch {
		case t.kind == tError:
			return g, &t
		case t.kind == tEOF:
			return g, &token{kind: tError, val: "unterminated hint: /*+ without */", pos: start, end: len(l.src)}
		case t.kind == tOp && t.val == "/*+":
			return g, &token{kind: tError, val: "a hint cannot contain another hint", pos: t.pos, end: t.end}
		case t.kind == tOp && t.val == "*/":
			g.toks = append(g.toks, token{kind: tEOF, val: "*/", pos: t.pos, end: t.pos.Offset})
			return g, nil
		}
		g.toks = append(g.toks, t)
	}
}

func (l *lexer) here() ast.Pos { return ast.Pos{Offset: l.off, Line: l.line, Col: l.col} }

// advance moves n bytes forward, counting lines and rune columns (an
// invalid UTF-8 byte counts as one column, as utf8.RuneCount does).
func (l *lexer) advance(n int) {
	end := min(l.off+n, len(l.src))
	for l.off < end {
		c := l.src[l.off]
		switch {
		case c == '\n':
			l.off++
			l.line++
			l.col = 1
		case c < utf8.RuneSelf:
			l.off++
			l.col++
		default:
			_, size := utf8.DecodeRuneInString(l.src[l.off:])
			l.off += size
			l.col++
		}
	}
}

func (l *lexer) peekByte(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

// skip passes whitespace and comments; it returns an error token for an
// unterminated /* comment.
func (l *lexer) skip() *token {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance(1)
		case c == '-' && l.peekByte(1) == '-':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		case c == '/' && l.peekByte(1) == '*' && l.peekByte(2) != '+':
			start := l.here()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				return &token{kind: tError, val: "unterminated comment: /* without */", pos: start, end: len(l.src)}
			}
			l.advance(end + 4)
		case c >= 0x80:
			// Unicode white space (a full-width space pasted from a
			// Chinese document, a no-break space) separates tokens too.
			r, n := utf8.DecodeRuneInString(l.src[l.off:])
			if !unicode.IsSpace(r) {
				return nil
			}
			l.advance(n)
		default:
			return nil
		}
	}
	return nil
}

// token returns the next token.
func (l *lexer) token() token {
	if e := l.skip(); e != nil {
		return *e
	}
	start := l.here()
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: l.last, end: l.last.Offset}
	}
	t := l.scan(start)
	if t.kind != tError {
		t.end = l.off
		l.last = l.here()
	}
	return t
}

func (l *lexer) errorf(pos ast.Pos, msg string) token {
	return token{kind: tError, val: msg, pos: pos, end: pos.Offset}
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (l *lexer) scan(start ast.Pos) token {
	c := l.src[l.off]
	switch {
	case c >= '0' && c <= '9' || c == '.' && isDigit(l.peekByte(1)):
		return l.number()
	case (c == 'X' || c == 'x') && l.peekByte(1) == '\'':
		l.advance(1)
		s, err := l.quoted('\'', start, "unterminated binary literal")
		if err != nil {
			return *err
		}
		b, ok := decodeHex(s)
		if !ok {
			return l.errorf(start, "binary literal X'...' must hold an even number of hexadecimal digits")
		}
		return token{kind: tBinary, val: b, pos: start}
	case (c == 'U' || c == 'u') && l.peekByte(1) == '&' && l.peekByte(2) == '\'':
		return l.unicodeString(start)
	case (c == 'N' || c == 'n') && l.peekByte(1) == '\'':
		l.advance(1)
		s, err := l.quoted('\'', start, "unterminated string literal")
		if err != nil {
			return *err
		}
		return token{kind: tString, val: s, pos: start}
	case c == '\'':
		s, err := l.quoted('\'', start, "unterminated string literal")
		if err != nil {
			return *err
		}
		return token{kind: tString, val: s, pos: start}
	case c == '`':
		s, err := l.quoted('`', start, "unterminated quoted identifier: ` without a closing `")
		if err != nil {
			return *err
		}
		if s == "" {
			return l.errorf(start, "empty quoted identifier ``")
		}
		return token{kind: tQuoted, val: s, pos: start}
	case c == '"':
		return l.errorf(start, `double quotes are not used in Flink SQL: write strings as 'text' and identifiers as `+"`name`")
	}
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	if isIdentStart(r) {
		b := l.off
		l.advance(n)
		for l.off < len(l.src) {
			r, n := utf8.DecodeRuneInString(l.src[l.off:])
			if !isIdentPart(r) {
				break
			}
			l.advance(n)
		}
		w := l.src[b:l.off]
		return token{kind: tWord, val: w, up: strings.ToUpper(w), pos: start}
	}
	for _, op := range [...]string{"<>", "<=", ">=", "!=", "||", "=>", "*/"} {
		if strings.HasPrefix(l.src[l.off:], op) {
			if op == "*/" && !l.inHint {
				continue
			}
			l.advance(len(op))
			return token{kind: tOp, val: op, pos: start}
		}
	}
	if strings.HasPrefix(l.src[l.off:], "/*+") {
		l.advance(3)
		return token{kind: tOp, val: "/*+", pos: start}
	}
	switch c {
	case '(', ')', '[', ']', ',', '.', ';', '+', '-', '*', '/', '%', '=', '<', '>', ':', '?':
		l.advance(1)
		return token{kind: tOp, val: string(c), pos: start}
	}
	if r == utf8.RuneError && n <= 1 {
		return l.errorf(start, "invalid UTF-8 byte in the source")
	}
	return l.errorf(start, "unexpected character "+quoteRune(r))
}

func quoteRune(r rune) string {
	if r == '\'' {
		return `"'"`
	}
	return "'" + string(r) + "'"
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number lexes 12, 1.5, .5, 1., 1e10, 1.5E-3. An exponent letter not
// followed by digits is left for the next token, as Calcite does.
func (l *lexer) number() token {
	start := l.here()
	b := l.off
	for isDigit(l.peekByte(0)) {
		l.advance(1)
	}
	if l.peekByte(0) == '.' {
		l.advance(1)
		for isDigit(l.peekByte(0)) {
			l.advance(1)
		}
	}
	if e := l.peekByte(0); e == 'e' || e == 'E' {
		i := 1
		if s := l.peekByte(1); s == '+' || s == '-' {
			i = 2
		}
		if isDigit(l.peekByte(i)) {
			l.advance(i)
			for isDigit(l.peekByte(0)) {
				l.advance(1)
			}
		}
	}
	return token{kind: tNumber, val: l.src[b:l.off], pos: start}
}

// quoted reads a q-delimited text starting at the current q, a doubled q
// standing for one.
func (l *lexer) quoted(q byte, start ast.Pos, unterminated string) (string, *token) {
	l.advance(1)
	var b strings.Builder
	for {
		i := strings.IndexByte(l.src[l.off:], q)
		if i < 0 {
			t := l.errorf(start, unterminated)
			return "", &t
		}
		b.WriteString(l.src[l.off : l.off+i])
		l.advance(i + 1)
		if l.peekByte(0) != q {
			return b.String(), nil
		}
		b.WriteByte(q)
		l.advance(1)
	}
}

func decodeHex(s string) (string, bool) {
	if len(s)%2 != 0 {
		return "", false
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := hexVal(s[i])
		lo, ok2 := hexVal(s[i+1])
		if !ok1 || !ok2 {
			return "", false
		}
		out[i/2] = hi<<4 | lo
	}
	return string(out), true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unicodeString lexes U&'...' [UESCAPE 'c']: \XXXX and \+XXXXXX are code
// points, a doubled escape character is the character itself.
func (l *lexer) unicodeString(start ast.Pos) token {
	l.advance(2)
	raw, err := l.quoted('\'', start, "unterminated string literal")
	if err != nil {
		return *err
	}
	esc := byte('\\')
	// Look past white space for UESCAPE 'c'.
	save := *l
	if e := l.skip(); e == nil && l.off+7 <= len(l.src) && strings.EqualFold(l.src[l.off:l.off+7], "UESCAPE") {
		l.advance(7)
		if e := l.skip(); e != nil {
			return *e
		}
		escPos := l.here()
		if l.peekByte(0) != '\'' {
			return l.errorf(escPos, "UESCAPE needs a one-character string")
		}
		s, err := l.quoted('\'', escPos, "unterminated string literal")
		if err != nil {
			return *err
		}
		if len(s) != 1 || isHexDigit(s[0]) || s[0] == '+' || s[0] == '\'' || s[0] == '"' || s[0] == ' ' {
			return l.errorf(escPos, "invalid UESCAPE character")
		}
		esc = s[0]
	} else {
		*l = save
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != esc {
			b.WriteByte(raw[i])
			continue
		}
		if i+1 < len(raw) && raw[i+1] == esc {
			b.WriteByte(esc)
			i++
			continue
		}
		digits := 4
		j := i + 1
		if j < len(raw) && raw[j] == '+' {
			digits = 6
			j++
		}
		if j+digits > len(raw) {
			return l.errorf(start, "invalid unicode escape in U&'...': want \\XXXX or \\+XXXXXX")
		}
		var r rune
		for k := j; k < j+digits; k++ {
			v, ok := hexVal(raw[k])
			if !ok {
				return l.errorf(start, "invalid unicode escape in U&'...': want \\XXXX or \\+XXXXXX")
			}
			r = r<<4 | rune(v)
		}
		if !utf8.ValidRune(r) {
			return l.errorf(start, "invalid unicode code point in U&'...'")
		}
		b.WriteRune(r)
		i = j + digits - 1
	}
	return token{kind: tString, val: b.String(), pos: start}
}

func isHexDigit(c byte) bool { _, ok := hexVal(c); return ok }
