package function

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestStringFunctions(t *testing.T) {
	runCases(t, utcEnv, []tcase{
		// Flink docs: CONCAT('AA', 'BB', 'CC') returns "AABBCC".
		c("CONCAT", s("AABBCC"), s("AA"), s("BB"), s("CC")),
		c("CONCAT", nl, s("AA"), nl),
		// Flink docs: concat_ws('~', 'AA', Null(STRING), 'BB', '', 'CC') returns "AA~BB~~CC".
		c("CONCAT_WS", s("AA~BB~~CC"), s("~"), s("AA"), nl, s("BB"), s(""), s("CC")),
		c("CONCAT_WS", nl, nl, s("AA")),
		c("CONCAT_WS", s(""), s(","), nl),

		c("SUBSTRING", s("world"), s("hello world"), i(7)),
		c("SUBSTRING", s("ell"), s("hello"), i(2), i(3)),
		c("SUBSTRING", s("llo"), s("hello"), i(-3)),
		c("SUBSTRING", s("ll"), s("hello"), i(-3), i(2)),
		c("SUBSTRING", s("he"), s("hello"), i(0), i(2)),
		c("SUBSTRING", s(""), s("hello"), i(10)),
		c("SUBSTRING", s(""), s("hello"), i(-10), i(2)),
		c("SUBSTRING", s("hello"), s("hello"), i(1), i(100)),
		c("SUBSTRING", nl, s("hello"), i(2), i(-1)), // a negative length is NULL
		c("SUBSTRING", s("文字"), s("中文字符"), i(2), i(2)),
		c("SUBSTRING", nl, nl, i(1)),
		c("SUBSTR", s("ell"), s("hello"), bi(2), row.SmallInt(3)), // any integer type

		// Flink docs: 'hello world'.replace('world', 'flink') returns 'hello flink';
		// 'ababab'.replace('abab', 'z') returns 'zab'.
		c("REPLACE", s("hello flink"), s("hello world"), s("world"), s("flink")),
		c("REPLACE", s("zab"), s("ababab"), s("abab"), s("z")),
		c("REPLACE", nl, s("a"), nl, s("b")),

		// Alibaba's SPLIT_INDEX examples: ('Jack,John,Mary', ',', 2) is Mary, 3 is NULL.
		c("SPLIT_INDEX", s("Mary"), s("Jack,John,Mary"), s(","), i(2)),
		c("SPLIT_INDEX", nl, s("Jack,John,Mary"), s(","), i(3)),
		c("SPLIT_INDEX", nl, s("Jack,John,Mary"), s(","), i(-1)),
		c("SPLIT_INDEX", s(""), s("a,,b"), s(","), i(1)),
		c("SPLIT_INDEX", s("b"), s("a::b"), s("::"), i(1)),
		c("SPLIT_INDEX", nl, s(""), s(","), i(0)),
		c("SPLIT_INDEX", s("b"), s("a b"), s(""), i(1)), // an empty separator splits at whitespace
		c("SPLIT_INDEX", s("b"), s("a;b"), i(59), i(1)), // a character code
		c("SPLIT_INDEX", nl, s("a;b"), i(300), i(1)),

		// FLINK-32706: SPLIT('abcdefg', 'c') is ['ab', 'defg'].
		c("SPLIT", arr(s("ab"), s("defg")), s("abcdefg"), s("c")),
		c("SPLIT", arr(s(""), s("a"), s("")), s(",a,"), s(",")),
		c("SPLIT", arr(s("a"), s("b"), s("c")), s("abc"), s("")),
		c("SPLIT", arr(s("abc")), s("abc"), s(",")),

		c("REGEXP", b(true), s("abc123"), s(`\d+`)),
		c("REGEXP", b(false), s("abc"), s(`^b`)),
		c("REGEXP", b(false), s("abc"), s("")),
		c("REGEXP", nl, nl, s("a")),
		// Flink docs: REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 2) returns "bar".
		c("REGEXP_EXTRACT", s("bar"), s("foothebar"), s("foo(.*?)(bar)"), i(2)),
		c("REGEXP_EXTRACT", s("the"), s("foothebar"), s("foo(.*?)(bar)"), i(1)),
		c("REGEXP_EXTRACT", s("foothebar"), s("foothebar"), s("foo(.*?)(bar)")), // no index: the whole match
		c("REGEXP_EXTRACT", nl, s("foothebar"), s("foo(.*?)(bar)"), i(3)),
		c("REGEXP_EXTRACT", nl, s("xyz"), s("foo(.*?)(bar)"), i(1)),
		c("REGEXP_EXTRACT", nl, s("ac"), s("a(b)?c"), i(1)), // the group did not participate
		// FLINK-35931: REGEXP_EXTRACT_ALL('100-200, 300-400', '(\d+)-(\d+)', 1) is [100, 300].
		c("REGEXP_EXTRACT_ALL", arr(s("100"), s("300")), s("100-200, 300-400"), s(`(\d+)-(\d+)`), i(1)),
		// Without an index Flink extracts group 1 (docs: "starts from 1, also the default
		// value if not specified"; RegexpExtractAllFunction.eval(str, regex) is eval(str, regex, 1)),
		// so a pattern without a group gives NULL; group 0 is the whole match.
		c("REGEXP_EXTRACT_ALL", arr(s("100"), s("300")), s("100-200, 300-400"), s(`(\d+)-(\d+)`)),
		c("REGEXP_EXTRACT_ALL", nl, s("abcdeabde"), s("abcdeabde")),
		c("REGEXP_EXTRACT_ALL", arr(s("100-200"), s("300-400")), s("100-200, 300-400"), s(`(\d+)-(\d+)`), i(0)),
		// Flink docs: 'foobar'.regexpReplace('oo|ar', '') returns "fb".
		c("REGEXP_REPLACE", s("fb"), s("foobar"), s("oo|ar"), s("")),
		c("REGEXP_REPLACE", s("a$1c"), s("abc"), s("(b)"), s("$1")), // the replacement is literal

		c("UPPER", s("ABC1"), s("aBc1")),
		c("LOWER", s("abc1"), s("aBc1")),
		c("UPPER", row.Char("AB"), row.Char("ab")), // CHAR stays CHAR
		c("INITCAP", s("Hello World-Foo Bar2baz"), s("hello wORLD-foo bar2baz")),
		// Flink calls Calcite's SqlFunctions.initcap: only [A-Za-z0-9] make words, any other
		// character (non-ASCII letters too) is kept as it is and ends a word.
		c("INITCAP", s("Iphone手机Pro"), s("iphone手机pro")),
		c("INITCAP", s("éLan"), s("élan")),
		c("INITCAP", s("AÉB"), s("AÉB")),
		// Java's toUpperCase/toLowerCase map with SpecialCasing: ß is SS, a final sigma is ς.
		c("UPPER", s("STRASSE 中"), s("straße 中")),
		c("LOWER", s("οδος"), s("ΟΔΟΣ")),
		c("UPPER", s("ABC"), s("abc")),

		c("TRIM", s("hi"), s("BOTH"), s(" "), s("  hi  ")),
		c("TRIM", s("hixx"), s("LEADING"), s("x"), s("xxhixx")),
		c("TRIM", s("hi"), s("TRAILING"), s("xy"), s("hixyyx")), // the characters are a set
		c("TRIM", nl, s("BOTH"), nl, s("hi")),
		// Flink docs: ' This is a test String.'.ltrim() returns "This is a test String.".
		c("LTRIM", s("This is a test String."), s(" This is a test String.")),
		c("RTRIM", s("This is a test String."), s("This is a test String. ")),
		c("LTRIM", s("\tx"), s("  \tx")), // spaces only, as Flink
		c("RTRIM", s("ab"), s("abxyx"), s("xy")),
		c("BTRIM", s("b"), s("aba"), s("a")),

		// Flink docs: LPAD('hi', 4, '??') returns "??hi"; LPAD('hi', 1, '??') returns "h";
		// RPAD('hi', 4, '??') returns "hi??", RPAD('hi', 1, '??') returns "h".
		c("LPAD", s("??hi"), s("hi"), i(4), s("??")),
		c("LPAD", s("h"), s("hi"), i(1), s("??")),
		c("RPAD", s("hi??"), s("hi"), i(4), s("??")),
		c("RPAD", s("h"), s("hi"), i(1), s("??")),
		c("LPAD", s("abahi"), s("hi"), i(5), s("ab")),
		c("RPAD", s("中文中"), s("中"), i(3), s("文中")),
		c("LPAD", nl, s("hi"), i(-1), s("x")),
		c("LPAD", nl, s("hi"), i(5), s("")),
		c("LPAD", s(""), s("hi"), i(0), s("x")),

		c("CHAR_LENGTH", i(5), s("中文abc")),
		c("CHARACTER_LENGTH", i(0), s("")),
		c("POSITION", i(2), s("b"), s("abc")),
		c("POSITION", i(0), s("d"), s("abc")),
		c("POSITION", i(3), s("字"), s("中文字符")),
		c("POSITION", i(1), s(""), s("abc")),
		c("LOCATE", i(4), s("b"), s("abcb"), i(3)),
		c("LOCATE", i(2), s("b"), s("abcb")),
		c("LOCATE", i(0), s("b"), s("abcb"), i(5)),
		c("INSTR", i(2), s("abcabc"), s("bc")),
		c("INSTR", i(5), s("abcabc"), s("bc"), i(1), i(2)),
		c("INSTR", i(5), s("abcabc"), s("bc"), i(-1), i(1)),
		c("INSTR", i(2), s("abcabc"), s("bc"), i(-1), i(2)),
		c("INSTR", i(0), s("abcabc"), s("x")),

		c("REVERSE", s("cba"), s("abc")),
		c("REVERSE", s("文中"), s("中文")),
		// Flink docs: REPEAT('This is a test String.', 2).
		c("REPEAT", s("This is a test String.This is a test String."), s("This is a test String."), i(2)),
		c("REPEAT", s(""), s("ab"), i(-1)),
		// Flink docs: ascii('abc') returns 97; chr(97) returns a, chr(353) returns a.
		c("ASCII", i(97), s("abc")),
		c("ASCII", i(0), s("")),
		c("CHR", s("a"), i(97)),
		c("CHR", s("a"), i(353)),
		c("CHR", s(""), i(-1)),
		c("LEFT", s("he"), s("hello"), i(2)),
		c("LEFT", s(""), s("hello"), i(-1)),
		c("LEFT", s("hello"), s("hello"), i(10)),
		c("RIGHT", s("llo"), s("hello"), i(3)),
		c("RIGHT", s("文字"), s("中文字"), i(2)),

		// Flink docs: TO_BASE64('hello world') returns "aGVsbG8gd29ybGQ=", FROM_BASE64 the reverse.
		c("TO_BASE64", s("aGVsbG8gd29ybGQ="), s("hello world")),
		c("FROM_BASE64", s("hello world"), s("aGVsbG8gd29ybGQ=")),
		c("FROM_BASE64", s("hello world"), s("aGVsbG8gd29ybGQ")), // padding optional, as Java's decoder

		// Flink docs: 'xxxxxtest'.overlay('xxxx', 6) returns "xxxxxxxxx";
		// 'xxxxxtest'.overlay('xxxx', 6, 2) returns "xxxxxxxxxst".
		c("OVERLAY", s("xxxxxxxxx"), s("xxxxxtest"), s("xxxx"), i(6)),
		c("OVERLAY", s("xxxxxxxxxst"), s("xxxxxtest"), s("xxxx"), i(6), i(2)),

		c("IS_ALPHA", b(true), s("abc")),
		c("IS_ALPHA", b(false), s("ab1")),
		c("IS_ALPHA", b(false), nl),
		c("IS_DIGIT", b(true), s("123")),
		c("IS_DIGIT", b(false), s("")),
		c("IS_DECIMAL", b(true), s("1.5e3")),
		c("IS_DECIMAL", b(true), s("-12")),
		c("IS_DECIMAL", b(true), s(" 3.5 ")),
		c("IS_DECIMAL", b(false), s("abc")),
		c("IS_DECIMAL", b(false), s("inf")),

		// Flink docs: parse_url('http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1', 'HOST')
		// returns 'facebook.com'; with 'QUERY', 'k1' returns 'v1'.
		c("PARSE_URL", s("facebook.com"), s("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1"), s("HOST")),
		c("PARSE_URL", s("v1"), s("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1"), s("QUERY"), s("k1")),
		c("PARSE_URL", s("/path1/p.php"), s("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1"), s("PATH")),
		c("PARSE_URL", s("k1=v1&k2=v2"), s("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1"), s("QUERY")),
		c("PARSE_URL", s("Ref1"), s("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1"), s("REF")),
		c("PARSE_URL", s("/path1/p.php?k1=v1&k2=v2"), s("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1"), s("FILE")),
		c("PARSE_URL", s("http"), s("http://facebook.com/path1/p.php?k1=v1&k2=v2#Ref1"), s("PROTOCOL")),
		c("PARSE_URL", s("u:p@h:8080"), s("https://u:p@h:8080/x"), s("AUTHORITY")),
		c("PARSE_URL", s("h"), s("https://u:p@h:8080/x"), s("HOST")),
		c("PARSE_URL", nl, s("http://h/x"), s("QUERY"), s("k")),
		c("PARSE_URL", nl, s("not a url"), s("HOST")),
	})
}

func TestStrToMap(t *testing.T) {
	m := func(kv ...row.Value) row.Value { return row.MapEntries(kv) }
	runCases(t, utcEnv, []tcase{
		// Flink docs: the defaults are ',' between pairs and '=' between key and value.
		c("STR_TO_MAP", m(s("a"), s("1"), s("b"), s("2")), s("a=1,b=2")),
		c("STR_TO_MAP", m(s("a"), s("1"), s("b"), nl), s("a:1;b"), s(";"), s(":")),
		c("STR_TO_MAP", m(), s("")),
		c("STR_TO_MAP", m(s("a"), s("2")), s("a=1,a=2")),                                  // the last duplicate wins
		c("STR_TO_MAP", m(s("k"), s("v=w")), s("k=v=w")),                                  // split into two at most
		c("STR_TO_MAP", m(s("a"), s("1")), s("a=1,,")),                                    // trailing empty pairs dropped (String.split)
		c("STR_TO_MAP", m(s("a"), s("1"), s("b"), s("2")), s("a=1|b=2"), s(`\|`), s("=")), // delimiters are regexes
		c("STR_TO_MAP", m(s("a"), s("1"), s("b"), s("2")), s("a -> 1 ; b -> 2"), s(`\s*;\s*`), s(`\s*->\s*`)),
		c("STR_TO_MAP", nl, nl),
	})
	bd := bind(t, utcEnv, "STR_TO_MAP", Arg{Type: row.StringType})
	if got := bd.Type.String(); got != "MAP<STRING, STRING>" {
		t.Errorf("STR_TO_MAP type %s", got)
	}
}

func TestStringTypes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []Arg
		want string
	}{
		{"CONCAT", []Arg{{Type: row.VarCharOf(3).WithNotNull(true)}, {Type: row.CharOf(2).WithNotNull(true)}}, "VARCHAR(5) NOT NULL"},
		{"CONCAT", []Arg{{Type: row.StringType}, {Type: row.CharOf(2)}}, "STRING"},
		{"CONCAT_WS", []Arg{{Type: row.StringType.WithNotNull(true)}, {Type: row.StringType}}, "STRING NOT NULL"},
		{"SUBSTRING", []Arg{{Type: row.VarCharOf(10).WithNotNull(true)}, {Type: row.IntType.WithNotNull(true)}}, "VARCHAR(10)"},
		{"UPPER", []Arg{{Type: row.CharOf(3).WithNotNull(true)}}, "CHAR(3) NOT NULL"},
		{"CHAR_LENGTH", []Arg{{Type: row.StringType}}, "INT"},
		{"REGEXP_EXTRACT", []Arg{{Type: row.StringType.WithNotNull(true)}, {Type: row.StringType.WithNotNull(true)}}, "STRING"},
		{"MD5", []Arg{{Type: row.StringType.WithNotNull(true)}}, "CHAR(32) NOT NULL"},
		{"IS_DIGIT", []Arg{{Type: row.StringType}}, "BOOLEAN NOT NULL"},
		{"SPLIT", []Arg{{Type: row.StringType}, {Type: row.StringType}}, "ARRAY<STRING>"},
	} {
		if got := bind(t, utcEnv, tc.name, tc.args...).Type.String(); got != tc.want {
			t.Errorf("%s%s: type %s, want %s", tc.name, argList(tc.args), got, tc.want)
		}
	}
}

func TestStringErrors(t *testing.T) {
	str, in := Arg{Type: row.StringType}, Arg{Type: row.IntType}
	errContains(t, bindErr(t, "SUBSTRING", in), "SUBSTRING expects (STRING, INT[, INT]), got (INT)")
	errContains(t, bindErr(t, "SUBSTRING", str, str), "got (STRING, STRING)")
	errContains(t, bindErr(t, "CONCAT", in, str), "CONCAT expects (STRING, STRING, ...), got (INT, STRING)")
	errContains(t, bindErr(t, "UPPER", str, str), "UPPER expects (STRING), got (STRING, STRING)")
	errContains(t, bindErr(t, "LPAD", str, str, str), "LPAD expects (STRING, INT, STRING)")
	bad := s(`(?<=a)b`)
	errContains(t, bindErr(t, "REGEXP_EXTRACT", str, Arg{Type: row.StringType, Const: &bad}), "no lookaround")
	both := s("MIDDLE")
	errContains(t, bindErr(t, "TRIM", Arg{Type: row.StringType, Const: &both}, str, str), "BOTH, LEADING or TRAILING")
	// FROM_BASE64 of text that is not base64 fails the record, as Java's decoder throws.
	_, err := callEnvErr(t, utcEnv, "FROM_BASE64", s("!!!"))
	errContains(t, err, "illegal base64")
	_, err = callEnvErr(t, utcEnv, "INSTR", s("abc"), s("b"), i(1), i(0))
	errContains(t, err, "must be positive")
}

// A pattern that differs from row to row is compiled once per distinct
// value (the last one is cached), and gives the same answers.
func TestRegexPerRowPattern(t *testing.T) {
	bd := bind(t, utcEnv, "REGEXP_EXTRACT", Arg{Type: row.StringType}, Arg{Type: row.StringType}, Arg{Type: row.IntType})
	for _, tc := range []struct{ str, re, want string }{
		{"a1b22", `(\d+)`, "1"}, {"a1b22", `b(\d+)`, "22"}, {"a1b22", `b(\d+)`, "22"}, {"x", `(`, ""},
	} {
		got, _ := bd.Eval([]row.Value{s(tc.str), s(tc.re), i(1)})
		if tc.want == "" && !got.IsNull() || tc.want != "" && got.Str() != tc.want {
			t.Errorf("REGEXP_EXTRACT(%q, %q, 1) = %v, want %q", tc.str, tc.re, got, tc.want)
		}
	}
}
