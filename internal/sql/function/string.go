package function

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/rtdw/rtdw/internal/row"
)

// String functions, with Flink's semantics (SqlFunctionUtils and
// BinaryStringDataUtil): positions are 1-based and count characters;
// regular expressions are Java's syntax as far as Go's RE2 shares it
// (no lookaround, no backreferences: a constant pattern using them is a
// plan-time error rather than Flink's silent NULL).

var (
	sStr      = sig{"(STRING)", 1, cls(isStrT), false}
	sStr2     = sig{"(STRING, STRING)", 2, cls(isStrT, isStrT), false}
	sStr3     = sig{"(STRING, STRING, STRING)", 3, cls(isStrT, isStrT, isStrT), false}
	sStrInt   = sig{"(STRING, INT)", 2, cls(isStrT, isIntT), false}
	sStrIntSt = sig{"(STRING, INT, STRING)", 3, cls(isStrT, isIntT, isStrT), false}
)

func init() {
	reg("CONCAT", bindConcat)
	reg("CONCAT_WS", bindConcatWS)
	reg("SUBSTRING", bindSubstring, "SUBSTR")
	simple("REPLACE", sStr3, fixed(row.StringType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			return row.String(strings.ReplaceAll(a[0].Str(), a[1].Str(), a[2].Str())), nil
		}, nil
	})
	reg("SPLIT_INDEX", bindSplitIndex)
	simple("SPLIT", sStr2, fixed(row.ArrayOf(row.StringType)), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			return splitArray(a[0].Str(), a[1].Str()), nil
		}, nil
	})
	reg("REGEXP", bindRegexp)
	reg("REGEXP_EXTRACT", bindRegexpExtract)
	reg("REGEXP_EXTRACT_ALL", bindRegexpExtractAll)
	reg("REGEXP_REPLACE", bindRegexpReplace)
	for _, f := range []struct {
		name string
		fn   func(string) string
	}{{"UPPER", upper}, {"LOWER", lower}, {"INITCAP", initCap}} {
		fn := f.fn
		aliases := []string{}
		if f.name == "UPPER" {
			aliases = append(aliases, "UCASE")
		} else if f.name == "LOWER" {
			aliases = append(aliases, "LCASE")
		}
		simple(f.name, sStr, func(args []Arg) row.Type {
			if args[0].Type.IsString() {
				return args[0].Type
			}
			return row.StringType
		}, func(_ *Env, args []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if a[0].IsNull() {
					return null, nil
				}
				return strOf(a[0].Kind(), fn(a[0].Str())), nil
			}, nil
		}, aliases...)
	}
	reg("TRIM", bindTrim)
	reg("LTRIM", bindSideTrim("LTRIM", true, false))
	reg("RTRIM", bindSideTrim("RTRIM", false, true))
	reg("BTRIM", bindSideTrim("BTRIM", true, true))
	simple("LPAD", sStrIntSt, forced(row.StringType), func(*Env, []Arg) (Eval, error) { return padEval(true), nil })
	simple("RPAD", sStrIntSt, forced(row.StringType), func(*Env, []Arg) (Eval, error) { return padEval(false), nil })
	simple("CHAR_LENGTH", sStr, fixed(row.IntType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			return row.Int(int32(utf8.RuneCountInString(a[0].Str()))), nil
		}, nil
	}, "CHARACTER_LENGTH")
	simple("POSITION", sStr2, fixed(row.IntType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			return row.Int(int32(position(a[0].Str(), a[1].Str(), 1))), nil
		}, nil
	})
	simple("LOCATE", sig{"(STRING, STRING[, INT])", 2, cls(isStrT, isStrT, isIntT), false}, fixed(row.IntType),
		func(_ *Env, args []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if hasNull(a) {
					return null, nil
				}
				from := int64(1)
				if len(a) == 3 {
					from = a[2].Int64()
				}
				return row.Int(int32(position(a[0].Str(), a[1].Str(), from))), nil
			}, nil
		})
	simple("INSTR", sig{"(STRING, STRING[, INT[, INT]])", 2, cls(isStrT, isStrT, isIntT, isIntT), false}, fixed(row.IntType),
		func(_ *Env, args []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if hasNull(a) {
					return null, nil
				}
				start, nth := int64(1), int64(1)
				if len(a) > 2 {
					start = a[2].Int64()
				}
				if len(a) > 3 {
					nth = a[3].Int64()
				}
				if nth <= 0 {
					return null, errors.New("INSTR: the occurrence (4th argument) must be positive")
				}
				return row.Int(int32(instr(a[0].Str(), a[1].Str(), start, nth))), nil
			}, nil
		})
	simple("REVERSE", sStr, func(args []Arg) row.Type { return withNull(strType(args[0].Type), anyNullable(args)) },
		str1(reverse))
	simple("REPEAT", sStrInt, fixed(row.StringType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			n := a[1].Int64()
			if n <= 0 || a[0].Str() == "" {
				return row.String(""), nil
			}
			if int64(len(a[0].Str()))*n > math.MaxInt32 {
				return null, errors.New("REPEAT: the result is too long")
			}
			return row.String(strings.Repeat(a[0].Str(), int(n))), nil
		}, nil
	})
	simple("ASCII", sStr, fixed(row.IntType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			s := a[0].Str()
			if s == "" {
				return row.Int(0), nil
			}
			r, _ := utf8.DecodeRuneInString(s)
			return row.Int(int32(r)), nil
		}, nil
	})
	simple("CHR", sig{"(INT)", 1, cls(isIntT), false}, fixed(row.StringType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			n := a[0].Int64()
			if n < 0 {
				return row.String(""), nil
			}
			// Flink keeps the low byte: CHR(353) = CHR(97) = 'a'.
			return row.String(string(rune(n & 0xFF))), nil
		}, nil
	})
	for _, left := range []bool{true, false} {
		name := "RIGHT"
		if left {
			name = "LEFT"
		}
		simple(name, sStrInt, func(args []Arg) row.Type { return withNull(strType(args[0].Type), anyNullable(args)) },
			func(*Env, []Arg) (Eval, error) {
				return func(a []row.Value) (row.Value, error) {
					if hasNull(a) {
						return null, nil
					}
					s, n := a[0].Str(), a[1].Int64()
					if n <= 0 {
						return row.String(""), nil
					}
					l := int64(utf8.RuneCountInString(s))
					if n >= l {
						return row.String(s), nil
					}
					if left {
						return row.String(s[:byteOffset(s, int(n))]), nil
					}
					return row.String(s[byteOffset(s, int(l-n)):]), nil
				}, nil
			})
	}
	simple("TO_BASE64", sig{"(STRING)", 1, cls(isStrBinT), false}, fixed(row.StringType), str1(func(s string) string {
		return base64.StdEncoding.EncodeToString([]byte(s))
	}))
	simple("FROM_BASE64", sig{"(STRING)", 1, cls(isStrBinT), false}, fixed(row.StringType), func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			b, err := decodeBase64(a[0].Str())
			if err != nil {
				return null, fmt.Errorf("FROM_BASE64: illegal base64 input %q", shorten(a[0].Str()))
			}
			return row.String(string(b)), nil
		}, nil
	})
	reg("STR_TO_MAP", bindStrToMap)
	simple("OVERLAY", sig{"(STRING, STRING, INT[, INT])", 3, cls(isStrT, isStrT, isIntT, isIntT), false}, fixed(row.StringType),
		func(*Env, []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if hasNull(a) {
					return null, nil
				}
				s, r := a[0].Str(), a[1].Str()
				length := int64(utf8.RuneCountInString(r))
				if len(a) == 4 {
					length = a[3].Int64()
				}
				return row.String(overlay(s, r, a[2].Int64(), length)), nil
			}, nil
		})
	for _, f := range []struct {
		name string
		fn   func(string) bool
	}{{"IS_ALPHA", isAlpha}, {"IS_DIGIT", isDigits}, {"IS_DECIMAL", isDecimalText}} {
		fn := f.fn
		name := f.name
		reg(name, func(_ *Env, args []Arg) (Bound, error) {
			if err := sStr.check(name, args); err != nil {
				return Bound{}, err
			}
			return Bound{Type: row.BooleanType.WithNotNull(true), Eval: func(a []row.Value) (row.Value, error) {
				return row.Bool(!a[0].IsNull() && fn(a[0].Str())), nil
			}}, nil
		})
	}
	simple("PARSE_URL", sig{"(STRING, STRING[, STRING])", 2, cls(isStrT, isStrT, isStrT), false}, forced(row.StringType),
		func(*Env, []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if hasNull(a) {
					return null, nil
				}
				key := ""
				if len(a) == 3 {
					key = a[2].Str()
				}
				s, ok := parseURL(a[0].Str(), a[1].Str(), len(a) == 3, key)
				if !ok {
					return null, nil
				}
				return row.String(s), nil
			}, nil
		})
}

// str1 is the evaluator of a one-string function.
func str1(fn func(string) string) func(*Env, []Arg) (Eval, error) {
	return func(*Env, []Arg) (Eval, error) {
		return func(a []row.Value) (row.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			return row.String(fn(a[0].Str())), nil
		}, nil
	}
}

// shorten cuts a value quoted in an error message.
func shorten(s string) string {
	if len(s) > 64 {
		return s[:byteOffset(s[:64], 60)] + "..."
	}
	return s
}

// byteOffset returns the byte offset of character n of s (len(s) past
// the end).
func byteOffset(s string, n int) int {
	if n <= 0 {
		return 0
	}
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// ---- CONCAT, CONCAT_WS ----

func bindConcat(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING, STRING, ...)", 1, cls(isStrT), true}
	if err := s.check("CONCAT", args); err != nil {
		return Bound{}, err
	}
	// Flink: VARCHAR of the summed lengths, STRING when that overflows.
	n := 0
	for _, a := range args {
		p := row.MaxLength
		if a.Type.IsString() {
			p = a.Type.Precision
		}
		if n += p; n > row.MaxLength || n < 0 {
			n = row.MaxLength
		}
	}
	t := row.VarCharOf(max(n, 1))
	return Bound{Type: withNull(t, anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if len(a) == 2 {
			if a[0].IsNull() || a[1].IsNull() {
				return null, nil
			}
			return row.String(a[0].Str() + a[1].Str()), nil
		}
		size := 0
		for _, v := range a {
			if v.IsNull() {
				return null, nil
			}
			size += len(v.Str())
		}
		var b strings.Builder
		b.Grow(size)
		for _, v := range a {
			b.WriteString(v.Str())
		}
		return row.String(b.String()), nil
	}}, nil
}

func bindConcatWS(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING, STRING, ...)", 1, cls(isStrT), true}
	if err := s.check("CONCAT_WS", args); err != nil {
		return Bound{}, err
	}
	// NULL only when the separator is; NULL strings are skipped.
	return Bound{Type: withNull(row.StringType, args[0].Type.Nullable()), Eval: func(a []row.Value) (row.Value, error) {
		if a[0].IsNull() {
			return null, nil
		}
		sep := a[0].Str()
		var b strings.Builder
		first := true
		for _, v := range a[1:] {
			if v.IsNull() {
				continue
			}
			if !first {
				b.WriteString(sep)
			}
			first = false
			b.WriteString(v.Str())
		}
		return row.String(b.String()), nil
	}}, nil
}

// ---- SUBSTRING ----

func bindSubstring(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING, INT[, INT])", 2, cls(isStrT, isIntT, isIntT), false}
	if err := s.check("SUBSTRING", args); err != nil {
		return Bound{}, err
	}
	// Nullable: a negative length gives NULL, as Flink.
	return Bound{Type: withNull(strType(args[0].Type), true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		length := int64(math.MaxInt32)
		if len(a) == 3 {
			length = a[2].Int64()
		}
		r, ok := substring(a[0].Str(), a[1].Int64(), length)
		if !ok {
			return null, nil
		}
		return row.String(r), nil
	}}, nil
}

// substring is Flink's SUBSTRING(s, start, length): 1-based, a negative
// start counts from the end, start 0 is 1; a negative length is NULL.
func substring(s string, start, length int64) (string, bool) {
	if length < 0 || length > math.MaxInt32 || start > math.MaxInt32 {
		return "", false
	}
	if s == "" {
		return "", true
	}
	n := int64(utf8.RuneCountInString(s))
	var sp int64
	switch {
	case start > 0:
		sp = start - 1
		if sp >= n {
			return "", true
		}
	case start < 0:
		sp = n + start
		if sp < 0 {
			return "", true
		}
	}
	end := n
	if n-sp >= length {
		end = sp + length
	}
	if n == int64(len(s)) { // ASCII
		return s[sp:end], true
	}
	b := byteOffset(s, int(sp))
	return s[b : b+byteOffset(s[b:], int(end-sp))], true
}

// ---- SPLIT_INDEX, SPLIT ----

func bindSplitIndex(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING, STRING, INT)", 3, cls(isStrT, func(t row.Type) bool { return isStrT(t) || t.IsInteger() }, isIntT), false}
	if err := s.check("SPLIT_INDEX", args); err != nil {
		return Bound{}, err
	}
	byChar := args[1].Type.IsInteger()
	return Bound{Type: withNull(row.StringType, true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		str, idx := a[0].Str(), a[2].Int64()
		var sep string
		if byChar {
			c := a[1].Int64()
			if c < 1 || c > 255 {
				return null, nil
			}
			sep = string(rune(c))
		} else {
			sep = a[1].Str()
		}
		r, ok := splitNth(str, sep, idx)
		if !ok {
			return null, nil
		}
		return row.String(r), nil
	}}, nil
}

// splitNth returns token idx (0-based) of str split by the whole
// separator sep, empty tokens kept (commons-lang's
// splitByWholeSeparatorPreserveAllTokens); an empty sep splits at every
// whitespace character; an empty str has no tokens.
func splitNth(str, sep string, idx int64) (string, bool) {
	if idx < 0 || str == "" {
		return "", false
	}
	if sep == "" {
		for i := int64(0); ; i++ {
			j := strings.IndexFunc(str, javaIsWhitespace)
			if i == idx {
				if j < 0 {
					return str, true
				}
				return str[:j], true
			}
			if j < 0 {
				return "", false
			}
			_, w := utf8.DecodeRuneInString(str[j:])
			str = str[j+w:]
		}
	}
	for i := int64(0); ; i++ {
		j := strings.Index(str, sep)
		if i == idx {
			if j < 0 {
				return str, true
			}
			return str[:j], true
		}
		if j < 0 {
			return "", false
		}
		str = str[j+len(sep):]
	}
}

// javaIsWhitespace is Java's Character.isWhitespace.
func javaIsWhitespace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f', '\u0085':
		return false
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f:
		return true
	}
	return unicode.IsSpace(r)
}

// splitArray is Flink's SPLIT: every delimiter occurrence separates
// (empty strings kept), an empty delimiter splits into characters.
func splitArray(s, delim string) row.Value {
	var parts []string
	if delim == "" {
		parts = make([]string, 0, len(s))
		for _, r := range s {
			parts = append(parts, string(r))
		}
	} else {
		parts = strings.Split(s, delim)
	}
	out := make([]row.Value, len(parts))
	for i, p := range parts {
		out[i] = row.String(p)
	}
	return row.Array(out)
}

// ---- regular expressions ----

// compileRegex compiles a (Java) regular expression with Go's RE2.
func compileRegex(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid or unsupported regular expression %q (rtdw uses RE2 syntax: no lookaround or backreferences): %v", p, err)
	}
	return re, nil
}

func bindRegexp(_ *Env, args []Arg) (Bound, error) {
	if err := sStr2.check("REGEXP", args); err != nil {
		return Bound{}, err
	}
	get, err := compiled("REGEXP", args[1], compileRegex)
	if err != nil {
		return Bound{}, err
	}
	return Bound{Type: withNull(row.BooleanType, anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		p := a[1].Str()
		if p == "" {
			return row.Bool(false), nil
		}
		re, err := get(p)
		if err != nil {
			return row.Bool(false), nil // Flink logs and answers false
		}
		return row.Bool(re.MatchString(a[0].Str())), nil
	}}, nil
}

func bindRegexpExtract(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING, STRING[, INT])", 2, cls(isStrT, isStrT, isIntT), false}
	if err := s.check("REGEXP_EXTRACT", args); err != nil {
		return Bound{}, err
	}
	get, err := compiled("REGEXP_EXTRACT", args[1], compileRegex)
	if err != nil {
		return Bound{}, err
	}
	return Bound{Type: withNull(row.StringType, true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		re, err := get(a[1].Str())
		if err != nil {
			return null, nil
		}
		// Flink: group 0 (the whole match) when no index is given; no
		// match, a group beyond the pattern's or one that did not
		// participate is NULL.
		g := int64(0)
		if len(a) == 3 {
			g = a[2].Int64()
		}
		if g < 0 || g > int64(re.NumSubexp()) {
			return null, nil
		}
		str := a[0].Str()
		m := re.FindStringSubmatchIndex(str)
		if m == nil || m[2*g] < 0 {
			return null, nil
		}
		return row.String(str[m[2*g]:m[2*g+1]]), nil
	}}, nil
}

func bindRegexpExtractAll(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING, STRING[, INT])", 2, cls(isStrT, isStrT, isIntT), false}
	if err := s.check("REGEXP_EXTRACT_ALL", args); err != nil {
		return Bound{}, err
	}
	get, err := compiled("REGEXP_EXTRACT_ALL", args[1], compileRegex)
	if err != nil {
		return Bound{}, err
	}
	return Bound{Type: withNull(row.ArrayOf(row.StringType), true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		re, err := get(a[1].Str())
		if err != nil {
			return null, nil
		}
		g := int64(1) // Flink's default here is group 1, unlike REGEXP_EXTRACT's 0
		if len(a) == 3 {
			g = a[2].Int64()
		}
		if g < 0 || g > int64(re.NumSubexp()) {
			return null, nil
		}
		str := a[0].Str()
		ms := re.FindAllStringSubmatchIndex(str, -1)
		out := make([]row.Value, len(ms))
		for i, m := range ms {
			if m[2*g] >= 0 {
				out[i] = row.String(str[m[2*g]:m[2*g+1]])
			}
		}
		return row.Array(out), nil
	}}, nil
}

func bindRegexpReplace(_ *Env, args []Arg) (Bound, error) {
	if err := sStr3.check("REGEXP_REPLACE", args); err != nil {
		return Bound{}, err
	}
	get, err := compiled("REGEXP_REPLACE", args[1], compileRegex)
	if err != nil {
		return Bound{}, err
	}
	return Bound{Type: withNull(row.StringType, true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		re, err := get(a[1].Str())
		if err != nil {
			return null, nil
		}
		// The replacement is literal (Flink quotes it).
		return row.String(re.ReplaceAllLiteralString(a[0].Str(), a[2].Str())), nil
	}}, nil
}

// ---- case, trim, pad ----

// initCap upper-cases the first letter of every word (a run of letters
// and digits) and lower-cases the rest.
// initCap is Flink's INITCAP (Calcite's): words are runs of ASCII letters
// and digits, each word's first letter is upper-cased and the rest lower-
// cased; every other character, non-ASCII letters included, is left as it
// is and separates words ('iphone手机pro' -> 'Iphone手机Pro').
func initCap(s string) string {
	b := []byte(s)
	start := true
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			start = false
		case c >= 'A' && c <= 'Z':
			if !start {
				b[i] = c + 'a' - 'A'
			}
			start = false
		case c >= 'a' && c <= 'z':
			if start {
				b[i] = c - ('a' - 'A')
			}
			start = false
		default:
			start = true
		}
	}
	return string(b)
}

// upper and lower map case as Java's String.toUpperCase and toLowerCase
// do (Flink's UPPER and LOWER): with the full mappings of Unicode's
// SpecialCasing, so 'straße' is 'STRASSE'. ASCII takes the fast path.
func upper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return cases.Upper(language.Und).String(s)
}

func lower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Lower(language.Und).String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func bindTrim(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(BOTH|LEADING|TRAILING, STRING, STRING)", 3, cls(isStrT, isStrT, isStrT), false}
	if err := s.check("TRIM", args); err != nil {
		return Bound{}, err
	}
	sym, _ := constStr(args[0])
	leading, trailing := true, true
	switch strings.ToUpper(sym) {
	case "BOTH":
	case "LEADING":
		trailing = false
	case "TRAILING":
		leading = false
	default:
		return Bound{}, fmt.Errorf("TRIM expects BOTH, LEADING or TRAILING as its first argument, got %s", argList(args[:1]))
	}
	t := withNull(strType(args[2].Type), args[1].Type.Nullable() || args[2].Type.Nullable())
	return Bound{Type: t, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if a[1].IsNull() || a[2].IsNull() {
			return null, nil
		}
		return row.String(trimSet(a[2].Str(), a[1].Str(), leading, trailing)), nil
	}}, nil
}

// bindSideTrim is LTRIM / RTRIM / BTRIM (s [, characters]): Flink trims
// spaces by default; the optional characters are a set.
func bindSideTrim(name string, leading, trailing bool) func(*Env, []Arg) (Bound, error) {
	return func(_ *Env, args []Arg) (Bound, error) {
		s := sig{"(STRING[, STRING])", 1, cls(isStrT, isStrT), false}
		if err := s.check(name, args); err != nil {
			return Bound{}, err
		}
		return Bound{Type: withNull(strType(args[0].Type), anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			set := " "
			if len(a) == 2 {
				set = a[1].Str()
			}
			return row.String(trimSet(a[0].Str(), set, leading, trailing)), nil
		}}, nil
	}
}

// trimSet removes the characters of set from the ends of s.
func trimSet(s, set string, leading, trailing bool) string {
	if set == " " {
		if leading {
			s = strings.TrimLeft(s, " ")
		}
		if trailing {
			s = strings.TrimRight(s, " ")
		}
		return s
	}
	if leading {
		s = strings.TrimLeft(s, set)
	}
	if trailing {
		s = strings.TrimRight(s, set)
	}
	return s
}

// padEval is LPAD / RPAD (s, len, pad): pads to len characters, or cuts
// s to len; a negative len or an empty pad is NULL.
func padEval(left bool) Eval {
	return func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		s, n, pad := a[0].Str(), a[1].Int64(), a[2].Str()
		if n < 0 || pad == "" {
			return null, nil
		}
		if n == 0 {
			return row.String(""), nil
		}
		if n > math.MaxInt32 {
			return null, errors.New("the padded length is too large")
		}
		l := int64(utf8.RuneCountInString(s))
		if l >= n {
			return row.String(s[:byteOffset(s, int(n))]), nil
		}
		var b strings.Builder
		b.Grow(min(len(s)+int(n-l)*2, 1<<16))
		if !left {
			b.WriteString(s)
		}
		for need := n - l; need > 0; {
			for _, r := range pad {
				if need == 0 {
					break
				}
				b.WriteRune(r)
				need--
			}
		}
		if left {
			b.WriteString(s)
		}
		return row.String(b.String()), nil
	}
}

// ---- positions ----

// position is the 1-based character position of needle in s at or after
// character from (1-based), 0 when absent.
func position(needle, s string, from int64) int64 {
	if from < 1 {
		from = 1
	}
	n := int64(utf8.RuneCountInString(s))
	if needle == "" {
		return min(from, n+1)
	}
	if from > n {
		return 0
	}
	b := byteOffset(s, int(from-1))
	i := strings.Index(s[b:], needle)
	if i < 0 {
		return 0
	}
	return from + int64(utf8.RuneCountInString(s[b:b+i]))
}

// instr is Flink's INSTR(s, sub, start, nth): a negative start searches
// backwards from the end.
func instr(s, sub string, start, nth int64) int64 {
	switch {
	case start == 0:
		return 0
	case start > 0:
		idx := int64(0)
		for i := int64(0); i < nth; i++ {
			idx = position(sub, s, start)
			if idx == 0 {
				return 0
			}
			start = idx + 1
		}
		return idx
	}
	p := instr(reverse(s), reverse(sub), -start, nth)
	if p == 0 {
		return 0
	}
	return int64(utf8.RuneCountInString(s)) + 2 - p - int64(utf8.RuneCountInString(sub))
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// overlay replaces length characters of s from position start (1-based)
// with r (Flink's OVERLAY).
func overlay(s, r string, start, length int64) string {
	n := int64(utf8.RuneCountInString(s))
	if start <= 0 || start > n {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:byteOffset(s, int(start-1))])
	b.WriteString(r)
	if start+length <= n && length > 0 {
		b.WriteString(s[byteOffset(s, int(start-1+length)):])
	}
	return b.String()
}

// ---- base64 ----

// decodeBase64 decodes as Java's basic decoder: padding optional.
func decodeBase64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// ---- STR_TO_MAP ----

func bindStrToMap(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING[, STRING, STRING])", 1, cls(isStrT, isStrT, isStrT), false}
	if err := s.check("STR_TO_MAP", args); err != nil || len(args) == 2 {
		return Bound{}, sigError("STR_TO_MAP", s.want, args)
	}
	pair, kv := func(string) (splitter, error) { return litSplitter(","), nil }, func(string) (splitter, error) { return litSplitter("="), nil }
	if len(args) == 3 {
		var err error
		if pair, err = compiled("STR_TO_MAP", args[1], compileSplitter); err != nil {
			return Bound{}, err
		}
		if kv, err = compiled("STR_TO_MAP", args[2], compileSplitter); err != nil {
			return Bound{}, err
		}
	}
	t := row.MapOf(row.StringType, row.StringType)
	return Bound{Type: withNull(t, anyNullable(args)), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		ps, ks := ",", "="
		if len(a) == 3 {
			ps, ks = a[1].Str(), a[2].Str()
		}
		p, err := pair(ps)
		if err != nil {
			return null, nil
		}
		k, err := kv(ks)
		if err != nil {
			return null, nil
		}
		return strToMap(a[0].Str(), p, k), nil
	}}, nil
}

// strToMap splits text into pairs and each pair into key and value (the
// value NULL when the pair has no delimiter), as Flink's STR_TO_MAP:
// both delimiters are Java regular expressions with String.split's
// rules; of duplicate keys the last wins.
func strToMap(text string, pair, kv splitter) row.Value {
	if text == "" {
		return row.MapEntries(nil)
	}
	pairs := pair.split(text, 0)
	entries := make([]row.Value, 0, 2*len(pairs))
	var index map[string]int
	if len(pairs) > 8 {
		index = make(map[string]int, len(pairs))
	}
	for _, p := range pairs {
		parts := kv.split(p, 2)
		key, val := row.String(parts[0]), null
		if len(parts) == 2 {
			val = row.String(parts[1])
		}
		at := -1
		if index != nil {
			if i, ok := index[parts[0]]; ok {
				at = i
			}
		} else {
			for i := 0; i < len(entries); i += 2 {
				if entries[i].Str() == parts[0] {
					at = i
					break
				}
			}
		}
		if at >= 0 {
			entries[at+1] = val
			continue
		}
		if index != nil {
			index[parts[0]] = len(entries)
		}
		entries = append(entries, key, val)
	}
	return row.MapEntries(entries)
}

// splitter is a compiled delimiter of Java's String.split: a literal
// when the regular expression is one (Java's own fast path), else a
// regexp.
type splitter struct {
	lit string
	re  *regexp.Regexp
}

func litSplitter(s string) splitter { return splitter{lit: s} }

func compileSplitter(p string) (splitter, error) {
	if p != "" && regexp.QuoteMeta(p) == p {
		return splitter{lit: p}, nil
	}
	if len(p) == 2 && p[0] == '\\' && !isAlnum(p[1]) {
		return splitter{lit: p[1:]}, nil
	}
	re, err := compileRegex(p)
	if err != nil {
		return splitter{}, err
	}
	return splitter{re: re}, nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// split is Java's String.split(regex, limit): limit 0 drops trailing
// empty strings, limit n > 0 makes at most n parts; a zero-width match at
// the start makes no leading empty string; no match gives [s].
func (sp splitter) split(s string, limit int) []string {
	var out []string
	index := 0
	if sp.re == nil {
		for {
			if limit > 0 && len(out) == limit-1 {
				break
			}
			j := strings.Index(s[index:], sp.lit)
			if j < 0 {
				break
			}
			out = append(out, s[index:index+j])
			index += j + len(sp.lit)
		}
	} else {
		n := -1
		for _, m := range sp.re.FindAllStringIndex(s, n) {
			if limit > 0 && len(out) == limit-1 {
				break
			}
			if m[0] == 0 && m[1] == 0 {
				continue
			}
			out = append(out, s[index:m[0]])
			index = m[1]
		}
	}
	if out == nil {
		return []string{s}
	}
	out = append(out, s[index:])
	if limit == 0 {
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
	}
	return out
}

// ---- IS_ALPHA, IS_DIGIT, IS_DECIMAL ----

func isAlpha(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// isDecimalText is Flink's IS_DECIMAL: the text parses as a Java int,
// long or double (Double.parseDouble trims blanks and takes NaN,
// Infinity and a d/f suffix).
func isDecimalText(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" || strings.ContainsRune(t, '_') {
		return false
	}
	core := strings.TrimLeft(t, "+-")
	if len(t)-len(core) > 1 {
		return false
	}
	switch core {
	case "NaN", "Infinity":
		return true
	}
	hex := strings.HasPrefix(core, "0x") || strings.HasPrefix(core, "0X")
	if n := len(t); n > 1 && strings.IndexByte("dDfF", t[n-1]) >= 0 && (!hex || strings.ContainsAny(core, "pP")) {
		t = t[:n-1]
	}
	if c := core[0]; c != '.' && (c < '0' || c > '9') {
		return false // Go's inf/nan spellings
	}
	_, err := strconv.ParseFloat(t, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// ---- PARSE_URL ----

// parseURL is Flink's PARSE_URL over java.net.URL: part is HOST, PATH,
// QUERY, REF, PROTOCOL, FILE, AUTHORITY or USERINFO (case-sensitive);
// with a key, the raw value of that query parameter.
func parseURL(raw, part string, withKey bool, key string) (string, bool) {
	i := strings.Index(raw, ":")
	if i <= 0 {
		return "", false
	}
	proto := strings.ToLower(raw[:i])
	switch proto {
	case "http", "https", "ftp", "file", "jar", "mailto":
	default:
		return "", false
	}
	rest := raw[i+1:]
	ref, hasRef := "", false
	if j := strings.IndexByte(rest, '#'); j >= 0 {
		ref, hasRef, rest = rest[j+1:], true, rest[:j]
	}
	authority, hasAuth := "", false
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		j := strings.IndexAny(rest, "/?")
		if j < 0 {
			j = len(rest)
		}
		authority, hasAuth, rest = rest[:j], true, rest[j:]
	}
	path, query, hasQuery := rest, "", false
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		path, query, hasQuery = rest[:j], rest[j+1:], true
	}
	if withKey {
		if part != "QUERY" || !hasQuery {
			return "", false
		}
		for _, kv := range strings.Split(query, "&") {
			if v, ok := strings.CutPrefix(kv, key+"="); ok {
				return v, true
			}
		}
		return "", false
	}
	userInfo, host := "", authority
	if j := strings.LastIndexByte(authority, '@'); j >= 0 {
		userInfo, host = authority[:j], authority[j+1:]
	}
	if strings.HasPrefix(host, "[") {
		if j := strings.IndexByte(host, ']'); j >= 0 {
			host = host[:j+1]
		}
	} else if j := strings.LastIndexByte(host, ':'); j >= 0 {
		host = host[:j]
	}
	switch part {
	case "HOST":
		return host, true
	case "PATH":
		return path, true
	case "QUERY":
		return query, hasQuery
	case "REF":
		return ref, hasRef
	case "PROTOCOL":
		return proto, true
	case "FILE":
		if hasQuery {
			return path + "?" + query, true
		}
		return path, true
	case "AUTHORITY":
		return authority, hasAuth
	case "USERINFO":
		return userInfo, userInfo != ""
	}
	return "", false
}
