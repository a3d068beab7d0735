package expr

import (
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// LIKE matches the whole string: % is any sequence of characters, _ one
// character (a code point), case-sensitive. There is no escape character
// unless ESCAPE gives one (standard SQL and Flink's current behaviour);
// the escape character may precede %, _ or itself, anything else is an
// error ("Invalid escape sequence"). SIMILAR TO is LIKE with regular
// expression operators (| * + ? {m,n} ( ) [...]), as Calcite translates
// it to a regular expression.
//
// A constant pattern compiles once; a pattern from the row is compiled
// when it differs from the previous row's (one cached pattern per call
// site).

// matchFn reports whether a string matches a compiled pattern.
type matchFn = func(string) bool

func (c *compiler) like(n *ast.Like) (*Compiled, error) {
	op := "LIKE"
	if n.Similar {
		op = "SIMILAR TO"
	}
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	pat, err := c.expr(n.Pattern)
	if err != nil {
		return nil, err
	}
	ops := []*Compiled{x, pat}
	var esc *Compiled
	if n.Escape != nil {
		if esc, err = c.expr(n.Escape); err != nil {
			return nil, err
		}
		ops = append(ops, esc)
	}
	anyNull := false
	for _, o := range ops {
		switch k := o.Type.Kind; {
		case k == row.KindNull:
			anyNull = true
		case !isStrKind(k):
			ts := []row.Type{x.Type, pat.Type}
			if esc != nil {
				ts = append(ts, esc.Type)
			}
			return nil, cannotApply(n, op, ts...)
		}
	}
	if anyNull {
		return c.constant(row.BooleanType, row.Value{}), nil
	}
	ts := []row.Type{x.Type, pat.Type}
	if esc != nil {
		ts = append(ts, esc.Type)
	}
	t := row.BooleanType.WithNotNull(!nullable(ts...))
	compile := compileLike
	if n.Similar {
		compile = compileSimilar
	}
	not := n.Not

	pv, pok := constValue(pat)
	ev, eok := row.Value{}, true
	if esc != nil {
		ev, eok = constValue(esc)
	}
	if pok && eok {
		if pv.IsNull() || esc != nil && ev.IsNull() {
			return c.constant(row.BooleanType, row.Value{}), nil
		}
		m, err := compile(pv.Str(), ev.Str(), esc != nil)
		if err != nil {
			return nil, errAt(n.Pattern, "%v", err)
		}
		return c.node(t, unEval(x, func(v row.Value) (row.Value, error) {
			return boolVal(m(v.Str()) != not), nil
		}), x), nil
	}

	type cached struct {
		pat, esc string
		m        matchFn
		err      error
	}
	var last atomic.Pointer[cached]
	xf, pf := x.Eval, pat.Eval
	var ef Func
	if esc != nil {
		ef = esc.Eval
	}
	f := func(rw *row.Row) (row.Value, error) {
		v, err := xf(rw)
		if err != nil || v.IsNull() {
			return row.Value{}, err
		}
		p, err := pf(rw)
		if err != nil || p.IsNull() {
			return row.Value{}, err
		}
		e := row.Value{}
		if ef != nil {
			if e, err = ef(rw); err != nil || e.IsNull() {
				return row.Value{}, err
			}
		}
		cc := last.Load()
		if cc == nil || cc.pat != p.Str() || cc.esc != e.Str() {
			m, err := compile(p.Str(), e.Str(), ef != nil)
			cc = &cached{pat: p.Str(), esc: e.Str(), m: m, err: err}
			last.Store(cc)
		}
		if cc.err != nil {
			return row.Value{}, cc.err
		}
		return boolVal(cc.m(v.Str()) != not), nil
	}
	return c.node(t, f, ops...), nil
}

// escapeRune validates an ESCAPE string: exactly one character.
func escapeRune(esc string) (rune, error) {
	if utf8.RuneCountInString(esc) != 1 {
		return 0, fmt.Errorf("Invalid escape character '%s'", esc)
	}
	r, _ := utf8.DecodeRuneInString(esc)
	return r, nil
}

// likeAtom is a literal run or, when any, one '_'.
type likeAtom struct {
	lit string
	any bool
}

type likeSeg struct {
	atoms []likeAtom
	runes int // characters the segment matches
}

// compileLike compiles a LIKE pattern.
func compileLike(pattern, esc string, hasEsc bool) (matchFn, error) {
	var er rune
	if hasEsc {
		var err error
		if er, err = escapeRune(esc); err != nil {
			return nil, err
		}
	}
	var segs []likeSeg
	var cur likeSeg
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			s := lit.String()
			cur.atoms = append(cur.atoms, likeAtom{lit: s})
			cur.runes += utf8.RuneCountInString(s)
			lit.Reset()
		}
	}
	underscores := false
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch {
		case hasEsc && r == er:
			if i+size >= len(pattern) {
				return nil, fmt.Errorf("Invalid escape sequence '%s', %d", pattern, i)
			}
			next, nsize := utf8.DecodeRuneInString(pattern[i+size:])
			if next != '%' && next != '_' && next != er {
				return nil, fmt.Errorf("Invalid escape sequence '%s', %d", pattern, i)
			}
			lit.WriteRune(next)
			size += nsize
		case r == '%':
			flush()
			segs = append(segs, cur)
			cur = likeSeg{}
		case r == '_':
			flush()
			cur.atoms = append(cur.atoms, likeAtom{any: true})
			cur.runes++
			underscores = true
		default:
			lit.WriteString(pattern[i : i+size])
		}
		i += size
	}
	flush()
	segs = append(segs, cur)
	// Drop empty segments between two %'s: %% is %.
	if len(segs) > 2 {
		mid := segs[1 : len(segs)-1]
		kept := []likeSeg{segs[0]}
		for _, s := range mid {
			if len(s.atoms) > 0 {
				kept = append(kept, s)
			}
		}
		segs = append(kept, segs[len(segs)-1])
	}
	litOf := func(s likeSeg) string {
		if len(s.atoms) == 0 {
			return ""
		}
		return s.atoms[0].lit
	}
	if !underscores {
		// Flink's quick paths: equality, prefix, suffix, containment.
		switch {
		case len(segs) == 1:
			l := litOf(segs[0])
			return func(s string) bool { return s == l }, nil
		case len(segs) == 2 && len(segs[1].atoms) == 0:
			l := litOf(segs[0])
			return func(s string) bool { return strings.HasPrefix(s, l) }, nil
		case len(segs) == 2 && len(segs[0].atoms) == 0:
			l := litOf(segs[1])
			return func(s string) bool { return strings.HasSuffix(s, l) }, nil
		case len(segs) == 3 && len(segs[0].atoms) == 0 && len(segs[2].atoms) == 0:
			l := litOf(segs[1])
			return func(s string) bool { return strings.Contains(s, l) }, nil
		}
	}
	return func(s string) bool { return likeMatch(segs, s) }, nil
}

// segAt matches seg at s[i:], returning the end.
func segAt(seg likeSeg, s string, i int) (int, bool) {
	for _, a := range seg.atoms {
		if a.any {
			if i >= len(s) {
				return 0, false
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		if !strings.HasPrefix(s[i:], a.lit) {
			return 0, false
		}
		i += len(a.lit)
	}
	return i, true
}

// likeMatch matches segments separated by %: the first anchored at the
// start, the last at the end, the middle ones leftmost (which is optimal:
// each has a fixed length in characters).
func likeMatch(segs []likeSeg, s string) bool {
	pos, ok := segAt(segs[0], s, 0)
	if !ok {
		return false
	}
	if len(segs) == 1 {
		return pos == len(s)
	}
	for _, seg := range segs[1 : len(segs)-1] {
		found := false
		for start := pos; start <= len(s); {
			if end, ok := segAt(seg, s, start); ok {
				pos, found = end, true
				break
			}
			if start == len(s) {
				break
			}
			_, size := utf8.DecodeRuneInString(s[start:])
			start += size
		}
		if !found {
			return false
		}
	}
	last := segs[len(segs)-1]
	p := len(s)
	for i := 0; i < last.runes; i++ {
		if p <= pos {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:p])
		p -= size
	}
	if p < pos {
		return false
	}
	end, ok := segAt(last, s, p)
	return ok && end == len(s)
}

// compileSimilar compiles a SIMILAR TO pattern into a regular expression
// matching the whole string.
func compileSimilar(pattern, esc string, hasEsc bool) (matchFn, error) {
	var er rune
	if hasEsc {
		var err error
		if er, err = escapeRune(esc); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch {
		case hasEsc && r == er:
			if i+size >= len(pattern) {
				return nil, fmt.Errorf("Invalid escape sequence '%s', %d", pattern, i)
			}
			next, nsize := utf8.DecodeRuneInString(pattern[i+size:])
			b.WriteString(regexp.QuoteMeta(string(next)))
			size += nsize
		case inClass:
			switch r {
			case ']':
				inClass = false
				b.WriteByte(']')
			case '\\', '[':
				b.WriteByte('\\')
				b.WriteRune(r)
			default:
				b.WriteRune(r)
			}
		case r == '[':
			inClass = true
			b.WriteByte('[')
			if i+size < len(pattern) && pattern[i+size] == '^' {
				b.WriteByte('^')
				size++
			}
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteByte('.')
		case strings.ContainsRune("|*+?(){}", r):
			b.WriteRune(r)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		i += size
	}
	if inClass {
		return nil, fmt.Errorf("Invalid regular expression '%s': unclosed [", pattern)
	}
	re, err := regexp.Compile(`^(?s:` + b.String() + `)$`)
	if err != nil {
		return nil, fmt.Errorf("Invalid regular expression '%s': %v", pattern, err)
	}
	return re.MatchString, nil
}
