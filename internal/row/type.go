package row

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the root of a logical type (Flink's LogicalTypeRoot). The zero
// Kind is KindNull, so the zero Value is NULL and the zero Type is the NULL
// type. A Value carries the Kind of the type it was made for.
type Kind uint8

const (
	KindNull Kind = iota // the NULL type; also the Kind of every NULL value
	KindBoolean
	KindTinyInt
	KindSmallInt
	KindInt
	KindBigInt
	KindFloat
	KindDouble
	KindDecimal
	KindChar
	KindVarChar // VARCHAR(n); STRING is VARCHAR(MaxLength)
	KindBinary
	KindVarBinary // VARBINARY(n); BYTES is VARBINARY(MaxLength)
	KindDate
	KindTime
	KindTimestamp
	KindTimestampLTZ
	KindIntervalYearMonth
	KindIntervalDayTime
	KindArray
	KindMap
	KindMultiset
	KindRow
	kindCount
)

var kindNames = [kindCount]string{
	KindNull: "NULL", KindBoolean: "BOOLEAN", KindTinyInt: "TINYINT", KindSmallInt: "SMALLINT",
	KindInt: "INT", KindBigInt: "BIGINT", KindFloat: "FLOAT", KindDouble: "DOUBLE",
	KindDecimal: "DECIMAL", KindChar: "CHAR", KindVarChar: "VARCHAR", KindBinary: "BINARY",
	KindVarBinary: "VARBINARY", KindDate: "DATE", KindTime: "TIME", KindTimestamp: "TIMESTAMP",
	KindTimestampLTZ: "TIMESTAMP_LTZ", KindIntervalYearMonth: "INTERVAL YEAR TO MONTH",
	KindIntervalDayTime: "INTERVAL DAY TO SECOND", KindArray: "ARRAY", KindMap: "MAP",
	KindMultiset: "MULTISET", KindRow: "ROW",
}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Limits of type parameters, as Flink.
const (
	MaxLength             = 2147483647 // CHAR/VARCHAR/BINARY/VARBINARY length; STRING and BYTES use it
	MaxDecimalPrecision   = 38
	MaxTimePrecision      = 9
	DefaultDecimalPrec    = 10
	DefaultTimestampPrec  = 6
	DefaultTimePrec       = 0
	DefaultIntervalPrec   = 2 // leading field (YEAR or DAY) precision
	DefaultIntervalFrac   = 6 // fractional-second precision of day-time intervals
	maxIntervalLeadingPre = 6
)

// IntervalRes is the resolution of an INTERVAL type: which fields it spells.
// Year-month resolutions belong to KindIntervalYearMonth (values in
// months), the others to KindIntervalDayTime (values in milliseconds).
type IntervalRes uint8

const (
	ResDefault IntervalRes = iota // DAY TO SECOND or YEAR TO MONTH, by Kind
	ResYear
	ResYearToMonth
	ResMonth
	ResDay
	ResDayToHour
	ResDayToMinute
	ResDayToSecond
	ResHour
	ResHourToMinute
	ResHourToSecond
	ResMinute
	ResMinuteToSecond
	ResSecond
)

// Type is a logical SQL type. Types are values; the pointers and slices
// inside (Elem, Key, Fields) are shared and must not be modified once the
// type is built.
type Type struct {
	Kind    Kind
	NotNull bool        // NOT NULL; the zero value is nullable, as SQL
	Res     IntervalRes // INTERVAL resolution
	// Precision: DECIMAL precision; fractional-second precision of TIME,
	// TIMESTAMP and TIMESTAMP_LTZ; length of CHAR, VARCHAR, BINARY and
	// VARBINARY; leading-field precision (YEAR or DAY) of an INTERVAL.
	Precision int
	// Scale: DECIMAL scale; fractional-second precision of a day-time INTERVAL.
	Scale  int
	Elem   *Type   // ARRAY and MULTISET element type; MAP value type
	Key    *Type   // MAP key type
	Fields []Field // ROW fields
}

// Field is a named field of a ROW type.
type Field struct {
	Name        string
	Type        Type
	Description string
}

// Constructors. Parameterless kinds are spelled Type{Kind: k}.
var (
	BooleanType  = Type{Kind: KindBoolean}
	TinyIntType  = Type{Kind: KindTinyInt}
	SmallIntType = Type{Kind: KindSmallInt}
	IntType      = Type{Kind: KindInt}
	BigIntType   = Type{Kind: KindBigInt}
	FloatType    = Type{Kind: KindFloat}
	DoubleType   = Type{Kind: KindDouble}
	StringType   = Type{Kind: KindVarChar, Precision: MaxLength}
	BytesType    = Type{Kind: KindVarBinary, Precision: MaxLength}
	DateType     = Type{Kind: KindDate}
	NullType     = Type{Kind: KindNull}
)

func DecimalOf(p, s int) Type    { return Type{Kind: KindDecimal, Precision: p, Scale: s} }
func CharOf(n int) Type          { return Type{Kind: KindChar, Precision: n} }
func VarCharOf(n int) Type       { return Type{Kind: KindVarChar, Precision: n} }
func BinaryOf(n int) Type        { return Type{Kind: KindBinary, Precision: n} }
func VarBinaryOf(n int) Type     { return Type{Kind: KindVarBinary, Precision: n} }
func TimeOf(p int) Type          { return Type{Kind: KindTime, Precision: p} }
func TimestampOf(p int) Type     { return Type{Kind: KindTimestamp, Precision: p} }
func TimestampLTZOf(p int) Type  { return Type{Kind: KindTimestampLTZ, Precision: p} }
func ArrayOf(elem Type) Type     { return Type{Kind: KindArray, Elem: &elem} }
func MultisetOf(elem Type) Type  { return Type{Kind: KindMultiset, Elem: &elem} }
func MapOf(key, value Type) Type { return Type{Kind: KindMap, Key: &key, Elem: &value} }
func RowOf(fields ...Field) Type { return Type{Kind: KindRow, Fields: fields} }

// IntervalOf returns an INTERVAL type of resolution res with leading
// precision p (YEAR or DAY digits) and fractional-second precision f.
func IntervalOf(res IntervalRes, p, f int) Type {
	switch res {
	case ResYear, ResYearToMonth, ResMonth:
		return Type{Kind: KindIntervalYearMonth, Res: res, Precision: p}
	case ResDefault:
		res = ResDayToSecond
	}
	return Type{Kind: KindIntervalDayTime, Res: res, Precision: p, Scale: f}
}

// WithNotNull returns t with its NOT NULL constraint set to notNull.
func (t Type) WithNotNull(notNull bool) Type { t.NotNull = notNull; return t }

// Nullable reports whether t admits NULL.
func (t Type) Nullable() bool { return !t.NotNull }

// IsString reports CHAR, VARCHAR and STRING.
func (t Type) IsString() bool { return t.Kind == KindChar || t.Kind == KindVarChar }

// IsBinary reports BINARY, VARBINARY and BYTES.
func (t Type) IsBinary() bool { return t.Kind == KindBinary || t.Kind == KindVarBinary }

// IsInteger reports TINYINT, SMALLINT, INT and BIGINT.
func (t Type) IsInteger() bool { return t.Kind >= KindTinyInt && t.Kind <= KindBigInt }

// IsNumeric reports the integer kinds, FLOAT, DOUBLE and DECIMAL.
func (t Type) IsNumeric() bool { return t.Kind >= KindTinyInt && t.Kind <= KindDecimal }

// Equal reports whether t and u are the same type, nullability and field
// names included (field names compare exactly; descriptions are ignored).
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind || t.NotNull != u.NotNull || t.Precision != u.Precision || t.Scale != u.Scale ||
		t.res() != u.res() || len(t.Fields) != len(u.Fields) {
		return false
	}
	if (t.Elem == nil) != (u.Elem == nil) || (t.Key == nil) != (u.Key == nil) {
		return false
	}
	if t.Elem != nil && !t.Elem.Equal(*u.Elem) || t.Key != nil && !t.Key.Equal(*u.Key) {
		return false
	}
	for i := range t.Fields {
		if t.Fields[i].Name != u.Fields[i].Name || !t.Fields[i].Type.Equal(u.Fields[i].Type) {
			return false
		}
	}
	return true
}

func (t Type) res() IntervalRes {
	if t.Res != ResDefault {
		return t.Res
	}
	switch t.Kind {
	case KindIntervalYearMonth:
		return ResYearToMonth
	case KindIntervalDayTime:
		return ResDayToSecond
	}
	return ResDefault
}

// Validate checks the type's parameters against Flink's limits. A
// length of 0 is valid: Flink types the empty string and binary literals as CHAR(0)
// and BINARY(0) (CharType.ofEmptyLiteral), which a plan carries in its
// rows; a declared type may not have it (ValidateDeclared).
func (t Type) Validate() error { return t.validate(false) }

// ValidateDeclared is Validate for a type written in DDL or a CAST:
// lengths start at 1.
func (t Type) ValidateDeclared() error { return t.validate(true) }

func (t Type) validate(declared bool) error {
	switch t.Kind {
	case KindDecimal:
		if t.Precision < 1 || t.Precision > MaxDecimalPrecision {
			return fmt.Errorf("DECIMAL precision must be between 1 and %d (both inclusive), got %d", MaxDecimalPrecision, t.Precision)
		}
		if t.Scale < 0 || t.Scale > t.Precision {
			return fmt.Errorf("DECIMAL scale must be between 0 and the precision %d (both inclusive), got %d", t.Precision, t.Scale)
		}
	case KindChar, KindVarChar, KindBinary, KindVarBinary:
		if t.Precision == 0 && !declared {
			break
		}
		if t.Precision < 1 || t.Precision > MaxLength {
			return fmt.Errorf("%s length must be between 1 and %d (both inclusive), got %d", t.Kind, MaxLength, t.Precision)
		}
	case KindTime, KindTimestamp, KindTimestampLTZ:
		if t.Precision < 0 || t.Precision > MaxTimePrecision {
			return fmt.Errorf("%s precision must be between 0 and %d (both inclusive), got %d", t.Kind, MaxTimePrecision, t.Precision)
		}
	case KindIntervalYearMonth, KindIntervalDayTime:
		if t.Precision < 1 || t.Precision > maxIntervalLeadingPre {
			return fmt.Errorf("INTERVAL leading precision must be between 1 and %d, got %d", maxIntervalLeadingPre, t.Precision)
		}
		if t.Kind == KindIntervalDayTime && (t.Scale < 0 || t.Scale > MaxTimePrecision) {
			return fmt.Errorf("INTERVAL fractional precision must be between 0 and %d, got %d", MaxTimePrecision, t.Scale)
		}
		r := t.res()
		ym := r == ResYear || r == ResYearToMonth || r == ResMonth
		if ym != (t.Kind == KindIntervalYearMonth) {
			return fmt.Errorf("INTERVAL resolution does not match its kind %s", t.Kind)
		}
	case KindArray, KindMultiset:
		if t.Elem == nil {
			return fmt.Errorf("%s without an element type", t.Kind)
		}
		return t.Elem.validate(declared)
	case KindMap:
		if t.Key == nil || t.Elem == nil {
			return fmt.Errorf("MAP without key or value type")
		}
		if err := t.Key.validate(declared); err != nil {
			return err
		}
		return t.Elem.validate(declared)
	case KindRow:
		seen := make(map[string]bool, len(t.Fields))
		for _, f := range t.Fields {
			if f.Name == "" {
				return fmt.Errorf("ROW field without a name")
			}
			l := strings.ToLower(f.Name)
			if seen[l] {
				return fmt.Errorf("ROW field name %q is used twice (names are case-insensitive)", f.Name)
			}
			seen[l] = true
			if err := f.Type.validate(declared); err != nil {
				return err
			}
		}
	case KindNull, KindBoolean, KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindFloat, KindDouble, KindDate:
	default:
		return fmt.Errorf("unknown type kind %d", t.Kind)
	}
	return nil
}

// String prints t as Flink prints it (LogicalType.asSummaryString):
// DECIMAL(10, 2), TIMESTAMP(3), TIMESTAMP_LTZ(3), STRING, BYTES,
// ROW<`a` INT, `b` STRING>, MAP<STRING, STRING>, INT NOT NULL.
func (t Type) String() string { return string(t.Append(nil)) }

// Append appends t.String() to dst.
func (t Type) Append(dst []byte) []byte {
	num := func(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }
	switch t.Kind {
	case KindDecimal:
		dst = append(dst, "DECIMAL("...)
		dst = num(dst, t.Precision)
		dst = append(dst, ", "...)
		dst = num(dst, t.Scale)
		dst = append(dst, ')')
	case KindChar, KindBinary:
		dst = append(dst, t.Kind.String()...)
		dst = append(dst, '(')
		dst = num(dst, t.Precision)
		dst = append(dst, ')')
	case KindVarChar, KindVarBinary:
		switch {
		case t.Precision == MaxLength && t.Kind == KindVarChar:
			dst = append(dst, "STRING"...)
		case t.Precision == MaxLength:
			dst = append(dst, "BYTES"...)
		default:
			dst = append(dst, t.Kind.String()...)
			dst = append(dst, '(')
			dst = num(dst, t.Precision)
			dst = append(dst, ')')
		}
	case KindTime, KindTimestamp, KindTimestampLTZ:
		dst = append(dst, t.Kind.String()...)
		dst = append(dst, '(')
		dst = num(dst, t.Precision)
		dst = append(dst, ')')
	case KindIntervalYearMonth, KindIntervalDayTime:
		dst = t.appendInterval(dst)
	case KindArray, KindMultiset:
		dst = append(dst, t.Kind.String()...)
		dst = append(dst, '<')
		dst = t.Elem.Append(dst)
		dst = append(dst, '>')
	case KindMap:
		dst = append(dst, "MAP<"...)
		dst = t.Key.Append(dst)
		dst = append(dst, ", "...)
		dst = t.Elem.Append(dst)
		dst = append(dst, '>')
	case KindRow:
		dst = append(dst, "ROW<"...)
		for i, f := range t.Fields {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendIdent(dst, f.Name)
			dst = append(dst, ' ')
			dst = f.Type.Append(dst)
			if f.Description != "" {
				dst = append(dst, " '"...)
				dst = append(dst, strings.ReplaceAll(f.Description, "'", "''")...)
				dst = append(dst, '\'')
			}
		}
		dst = append(dst, '>')
	default:
		dst = append(dst, t.Kind.String()...)
	}
	if t.NotNull {
		dst = append(dst, " NOT NULL"...)
	}
	return dst
}

// AppendIdent appends name quoted with backticks, a backtick doubled.
func AppendIdent(dst []byte, name string) []byte {
	dst = append(dst, '`')
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			dst = append(dst, '`')
		}
		dst = append(dst, name[i])
	}
	return append(dst, '`')
}

func (t Type) appendInterval(dst []byte) []byte {
	p := func(dst []byte, n int) []byte {
		dst = append(dst, '(')
		dst = strconv.AppendInt(dst, int64(n), 10)
		return append(dst, ')')
	}
	dst = append(dst, "INTERVAL "...)
	switch t.res() {
	case ResYear:
		dst = p(append(dst, "YEAR"...), t.Precision)
	case ResYearToMonth:
		dst = append(p(append(dst, "YEAR"...), t.Precision), " TO MONTH"...)
	case ResMonth:
		dst = append(dst, "MONTH"...)
	case ResDay:
		dst = p(append(dst, "DAY"...), t.Precision)
	case ResDayToHour:
		dst = append(p(append(dst, "DAY"...), t.Precision), " TO HOUR"...)
	case ResDayToMinute:
		dst = append(p(append(dst, "DAY"...), t.Precision), " TO MINUTE"...)
	case ResDayToSecond:
		dst = p(append(p(append(dst, "DAY"...), t.Precision), " TO SECOND"...), t.Scale)
	case ResHour:
		dst = append(dst, "HOUR"...)
	case ResHourToMinute:
		dst = append(dst, "HOUR TO MINUTE"...)
	case ResHourToSecond:
		dst = p(append(dst, "HOUR TO SECOND"...), t.Scale)
	case ResMinute:
		dst = append(dst, "MINUTE"...)
	case ResMinuteToSecond:
		dst = p(append(dst, "MINUTE TO SECOND"...), t.Scale)
	case ResSecond:
		dst = p(append(dst, "SECOND"...), t.Scale)
	}
	return dst
}

// ParseType parses a type as Flink SQL spells it, case-insensitively:
// the spellings String prints, plus INTEGER, DEC/NUMERIC, REAL (FLOAT),
// DOUBLE PRECISION, CHARACTER, TIMESTAMP WITHOUT TIME ZONE,
// TIMESTAMP WITH LOCAL TIME ZONE, TIME WITHOUT TIME ZONE, ROW(a INT, ...),
// the suffix forms `INT ARRAY` and `INT MULTISET`, and NULL / NOT NULL.
// Defaults are Flink SQL's: DECIMAL is DECIMAL(10, 0), TIMESTAMP and
// TIMESTAMP_LTZ are precision 6, TIME is 0, CHAR and BINARY length 1, and
// VARCHAR / VARBINARY without a length are STRING / BYTES (as Flink's
// FlinkTypeSystem; the Table API's VARCHAR would be VARCHAR(1)).
func ParseType(s string) (Type, error) {
	p := &typeParser{src: s}
	p.next()
	t, err := p.parseType()
	if err != nil {
		return Type{}, fmt.Errorf("type %q: %w", s, err)
	}
	if p.tok.kind != tokEOF {
		return Type{}, fmt.Errorf("type %q: unexpected %s at offset %d", s, p.tok.desc(), p.tok.pos)
	}
	if err := t.ValidateDeclared(); err != nil {
		return Type{}, fmt.Errorf("type %q: %w", s, err)
	}
	return t, nil
}

// MustParseType is ParseType for literals in code and tests; it panics on error.
func MustParseType(s string) Type {
	t, err := ParseType(s)
	if err != nil {
		panic(err)
	}
	return t
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuoted // `backtick identifier`
	tokNumber
	tokString // 'literal'
	tokPunct
	tokError
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func (t token) desc() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokError:
		return t.text
	}
	return strconv.Quote(t.text)
}

type typeParser struct {
	src string
	pos int
	tok token
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func (p *typeParser) next() {
	s := p.src
	for p.pos < len(s) && (s[p.pos] == ' ' || s[p.pos] == '\t' || s[p.pos] == '\n' || s[p.pos] == '\r') {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(s) {
		p.tok = token{kind: tokEOF, pos: start}
		return
	}
	c := s[p.pos]
	switch {
	case c >= '0' && c <= '9':
		for p.pos < len(s) && s[p.pos] >= '0' && s[p.pos] <= '9' {
			p.pos++
		}
		p.tok = token{kind: tokNumber, text: s[start:p.pos], pos: start}
	case isIdentByte(c):
		for p.pos < len(s) && isIdentByte(s[p.pos]) {
			p.pos++
		}
		p.tok = token{kind: tokIdent, text: s[start:p.pos], pos: start}
	case c == '`' || c == '\'':
		var b strings.Builder
		p.pos++
		for {
			if p.pos >= len(s) {
				p.tok = token{kind: tokError, text: "unterminated " + string(c), pos: start}
				return
			}
			if s[p.pos] == c {
				if p.pos+1 < len(s) && s[p.pos+1] == c {
					b.WriteByte(c)
					p.pos += 2
					continue
				}
				p.pos++
				break
			}
			b.WriteByte(s[p.pos])
			p.pos++
		}
		kind := tokQuoted
		if c == '\'' {
			kind = tokString
		}
		p.tok = token{kind: kind, text: b.String(), pos: start}
	default:
		p.pos++
		p.tok = token{kind: tokPunct, text: s[start:p.pos], pos: start}
	}
}

func (p *typeParser) isKeyword(kw string) bool {
	return p.tok.kind == tokIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *typeParser) acceptKeyword(kw string) bool {
	if p.isKeyword(kw) {
		p.next()
		return true
	}
	return false
}

func (p *typeParser) isPunct(c string) bool { return p.tok.kind == tokPunct && p.tok.text == c }

func (p *typeParser) acceptPunct(c string) bool {
	if p.isPunct(c) {
		p.next()
		return true
	}
	return false
}

func (p *typeParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.tok.pos, fmt.Sprintf(format, args...))
}

func (p *typeParser) expectPunct(c string) error {
	if !p.acceptPunct(c) {
		return p.errorf("expected %q, found %s", c, p.tok.desc())
	}
	return nil
}

func (p *typeParser) expectKeyword(kw string) error {
	if !p.acceptKeyword(kw) {
		return p.errorf("expected %s, found %s", kw, p.tok.desc())
	}
	return nil
}

func (p *typeParser) number() (int, error) {
	if p.tok.kind != tokNumber {
		return 0, p.errorf("expected a number, found %s", p.tok.desc())
	}
	n, err := strconv.Atoi(p.tok.text)
	if err != nil || n > MaxLength {
		return 0, p.errorf("number %s out of range", p.tok.text)
	}
	p.next()
	return n, nil
}

// optParams parses an optional "(n)" or "(n, m)"; missing values are -1.
func (p *typeParser) optParams(max int) (a, b int, err error) {
	a, b = -1, -1
	if !p.acceptPunct("(") {
		return a, b, nil
	}
	if a, err = p.number(); err != nil {
		return
	}
	if max > 1 && p.acceptPunct(",") {
		if b, err = p.number(); err != nil {
			return
		}
	}
	err = p.expectPunct(")")
	return
}

func orDefault(v, d int) int {
	if v < 0 {
		return d
	}
	return v
}

func (p *typeParser) parseType() (Type, error) {
	t, err := p.parseBase()
	if err != nil {
		return t, err
	}
	for {
		switch {
		case p.acceptKeyword("ARRAY"):
			t = ArrayOf(t)
			continue
		case p.acceptKeyword("MULTISET"):
			t = MultisetOf(t)
			continue
		}
		break
	}
	if p.acceptKeyword("NOT") {
		if err := p.expectKeyword("NULL"); err != nil {
			return t, err
		}
		t.NotNull = true
	} else if p.acceptKeyword("NULL") {
		t.NotNull = false
	}
	return t, nil
}

func (p *typeParser) parseBase() (Type, error) {
	if p.tok.kind != tokIdent {
		return Type{}, p.errorf("expected a type, found %s", p.tok.desc())
	}
	name := strings.ToUpper(p.tok.text)
	p.next()
	switch name {
	case "BOOLEAN":
		return BooleanType, nil
	case "TINYINT":
		return TinyIntType, nil
	case "SMALLINT":
		return SmallIntType, nil
	case "INT", "INTEGER":
		return IntType, nil
	case "BIGINT":
		return BigIntType, nil
	case "FLOAT", "REAL":
		return FloatType, nil
	case "DOUBLE":
		p.acceptKeyword("PRECISION")
		return DoubleType, nil
	case "DECIMAL", "DEC", "NUMERIC":
		a, b, err := p.optParams(2)
		if err != nil {
			return Type{}, err
		}
		return DecimalOf(orDefault(a, DefaultDecimalPrec), orDefault(b, 0)), nil
	case "CHAR", "CHARACTER":
		if p.acceptKeyword("VARYING") {
			a, _, err := p.optParams(1)
			return VarCharOf(orDefault(a, MaxLength)), err
		}
		a, _, err := p.optParams(1)
		return CharOf(orDefault(a, 1)), err
	case "VARCHAR":
		a, _, err := p.optParams(1)
		return VarCharOf(orDefault(a, MaxLength)), err
	case "STRING":
		return StringType, nil
	case "BINARY":
		a, _, err := p.optParams(1)
		return BinaryOf(orDefault(a, 1)), err
	case "VARBINARY":
		a, _, err := p.optParams(1)
		return VarBinaryOf(orDefault(a, MaxLength)), err
	case "BYTES":
		return BytesType, nil
	case "DATE":
		return DateType, nil
	case "TIME":
		a, _, err := p.optParams(1)
		if err != nil {
			return Type{}, err
		}
		if p.acceptKeyword("WITHOUT") {
			if err := p.timeZoneWords(); err != nil {
				return Type{}, err
			}
		}
		return TimeOf(orDefault(a, DefaultTimePrec)), nil
	case "TIMESTAMP":
		a, _, err := p.optParams(1)
		if err != nil {
			return Type{}, err
		}
		prec := orDefault(a, DefaultTimestampPrec)
		if p.acceptKeyword("WITHOUT") {
			return TimestampOf(prec), p.timeZoneWords()
		}
		if p.acceptKeyword("WITH") {
			if !p.acceptKeyword("LOCAL") {
				return Type{}, p.errorf("TIMESTAMP WITH TIME ZONE is not supported (as in Flink SQL): use TIMESTAMP_LTZ")
			}
			return TimestampLTZOf(prec), p.timeZoneWords()
		}
		return TimestampOf(prec), nil
	case "TIMESTAMP_LTZ":
		a, _, err := p.optParams(1)
		return TimestampLTZOf(orDefault(a, DefaultTimestampPrec)), err
	case "INTERVAL":
		return p.parseInterval()
	case "ARRAY", "MULTISET":
		if err := p.expectPunct("<"); err != nil {
			return Type{}, err
		}
		elem, err := p.parseType()
		if err != nil {
			return Type{}, err
		}
		if err := p.expectPunct(">"); err != nil {
			return Type{}, err
		}
		if name == "ARRAY" {
			return ArrayOf(elem), nil
		}
		return MultisetOf(elem), nil
	case "MAP":
		if err := p.expectPunct("<"); err != nil {
			return Type{}, err
		}
		k, err := p.parseType()
		if err != nil {
			return Type{}, err
		}
		if err := p.expectPunct(","); err != nil {
			return Type{}, err
		}
		v, err := p.parseType()
		if err != nil {
			return Type{}, err
		}
		if err := p.expectPunct(">"); err != nil {
			return Type{}, err
		}
		return MapOf(k, v), nil
	case "ROW":
		fields, err := p.parseFields()
		return RowOf(fields...), err
	case "NULL":
		return NullType, nil
	}
	return Type{}, fmt.Errorf("unknown type %s", name)
}

func (p *typeParser) timeZoneWords() error {
	if err := p.expectKeyword("TIME"); err != nil {
		return err
	}
	return p.expectKeyword("ZONE")
}

// parseFields parses ROW<name type ['description'], ...> or ROW(...).
func (p *typeParser) parseFields() ([]Field, error) {
	closer := ">"
	if p.acceptPunct("(") {
		closer = ")"
	} else if err := p.expectPunct("<"); err != nil {
		return nil, err
	}
	var fields []Field
	if p.acceptPunct(closer) {
		return fields, nil
	}
	for {
		if p.tok.kind != tokIdent && p.tok.kind != tokQuoted {
			return nil, p.errorf("expected a field name, found %s", p.tok.desc())
		}
		f := Field{Name: p.tok.text}
		p.next()
		t, err := p.parseType()
		if err != nil {
			return nil, err
		}
		f.Type = t
		if p.tok.kind == tokString {
			f.Description = p.tok.text
			p.next()
		}
		fields = append(fields, f)
		if p.acceptPunct(closer) {
			return fields, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

func (p *typeParser) parseInterval() (Type, error) {
	unit := func() (string, error) {
		if p.tok.kind != tokIdent {
			return "", p.errorf("expected an interval unit, found %s", p.tok.desc())
		}
		u := strings.ToUpper(p.tok.text)
		switch u {
		case "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND":
			p.next()
			return u, nil
		}
		return "", p.errorf("unknown interval unit %s", p.tok.text)
	}
	from, err := unit()
	if err != nil {
		return Type{}, err
	}
	a, b, err := p.optParams(2)
	if err != nil {
		return Type{}, err
	}
	to, c := "", -1
	if p.acceptKeyword("TO") {
		if to, err = unit(); err != nil {
			return Type{}, err
		}
		if c, _, err = p.optParams(1); err != nil {
			return Type{}, err
		}
	}
	lead, frac := orDefault(a, DefaultIntervalPrec), DefaultIntervalFrac
	if c >= 0 {
		frac = c
	}
	var res IntervalRes
	switch from + " " + to {
	case "YEAR ":
		res = ResYear
	case "YEAR MONTH":
		res = ResYearToMonth
	case "MONTH ":
		res = ResMonth
	case "DAY ":
		res = ResDay
	case "DAY HOUR":
		res = ResDayToHour
	case "DAY MINUTE":
		res = ResDayToMinute
	case "DAY SECOND":
		res = ResDayToSecond
	case "HOUR ":
		res = ResHour
	case "HOUR MINUTE":
		res = ResHourToMinute
	case "HOUR SECOND":
		res = ResHourToSecond
	case "MINUTE ":
		res = ResMinute
	case "MINUTE SECOND":
		res = ResMinuteToSecond
	case "SECOND ":
		// SECOND(p) and SECOND(p, f): a lone parameter is the fraction, as Flink prints it.
		res = ResSecond
		if b >= 0 {
			frac = b
		} else if a >= 0 {
			lead, frac = DefaultIntervalPrec, a
		}
	default:
		return Type{}, p.errorf("unsupported interval %s TO %s", from, to)
	}
	// Flink prints no leading precision unless the leading field is YEAR or
	// DAY, and no fraction unless the last field is SECOND: keep the
	// defaults there so that String and ParseType round-trip.
	switch res {
	case ResHour, ResHourToMinute, ResHourToSecond, ResMinute, ResMinuteToSecond, ResSecond, ResMonth:
		lead = DefaultIntervalPrec
	}
	switch res {
	case ResDay, ResDayToHour, ResDayToMinute, ResHour, ResHourToMinute, ResMinute:
		frac = DefaultIntervalFrac
	}
	return IntervalOf(res, lead, frac), nil
}
