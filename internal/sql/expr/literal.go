package expr

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// Literals have Calcite's types, NOT NULL: an integer is INT when it fits,
// else BIGINT, else DECIMAL(digits, 0); 1.5 is DECIMAL(2, 1) (precision =
// the digits written, leading zeros included, as Calcite); 1e3 is DOUBLE;
// 'abc' is CHAR(3); X'0aff' is BINARY(2); NULL has the NULL type.

func (c *compiler) literal(n *ast.Literal) (*Compiled, error) {
	switch n.Kind {
	case ast.NullLit:
		return c.constant(row.NullType, row.Value{}), nil
	case ast.BoolLit:
		return c.constant(row.BooleanType.WithNotNull(true), row.Bool(n.Bool)), nil
	case ast.IntLit:
		return c.intLiteral(n)
	case ast.DecimalLit:
		return c.decimalLiteral(n)
	case ast.FloatLit:
		f, err := strconv.ParseFloat(n.Text, 64)
		if err != nil && !isRangeErr(err) {
			return nil, errAt(n, "invalid number literal %s", n.Text)
		}
		if math.IsInf(f, 0) {
			return nil, errAt(n, "Numeric literal '%s' out of range", n.Text)
		}
		return c.constant(row.DoubleType.WithNotNull(true), row.Double(f)), nil
	case ast.StringLit:
		return c.constant(row.CharOf(utf8.RuneCountInString(n.Text)).WithNotNull(true), row.Char(n.Text)), nil
	case ast.BinaryLit:
		return c.constant(row.BinaryOf(len(n.Text)).WithNotNull(true), row.BytesOf(n.Text)), nil
	}
	return nil, errAt(n, "unknown literal kind %d", n.Kind)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (c *compiler) intLiteral(n *ast.Literal) (*Compiled, error) {
	return c.signedIntLiteral(n, false)
}

// signedIntLiteral types an integer literal, negated when neg (Calcite
// reads -2147483648 as one INT literal, not the negation of a BIGINT).
func (c *compiler) signedIntLiteral(n *ast.Literal, neg bool) (*Compiled, error) {
	digits := strings.TrimLeft(n.Text, "0")
	if digits == "" {
		digits = "0"
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, errAt(n, "invalid integer literal %s", n.Text)
		}
	}
	signed := digits
	if neg {
		signed = "-" + digits
	}
	if v, err := strconv.ParseInt(signed, 10, 64); err == nil {
		if v <= math.MaxInt32 && v >= math.MinInt32 {
			return c.constant(row.IntType.WithNotNull(true), row.Int(int32(v))), nil
		}
		return c.constant(row.BigIntType.WithNotNull(true), row.BigInt(v)), nil
	}
	if len(digits) > row.MaxDecimalPrecision {
		return nil, errAt(n, "Numeric literal '%s' out of range", n.Text)
	}
	d, err := row.ParseDecimal(signed, len(digits), 0)
	if err != nil {
		return nil, errAt(n, "invalid integer literal %s", n.Text)
	}
	return c.constant(row.DecimalOf(len(digits), 0).WithNotNull(true), row.DecimalValue(d)), nil
}

func (c *compiler) decimalLiteral(n *ast.Literal) (*Compiled, error) {
	text := n.Text
	dot := strings.IndexByte(text, '.')
	if dot < 0 {
		return c.intLiteral(n)
	}
	// Calcite: precision = the digits written, scale = the digits after
	// the point; a precision below the scale is raised to it.
	prec := len(text) - 1
	scale := len(text) - dot - 1
	if prec == 0 {
		return nil, errAt(n, "invalid number literal %s", text)
	}
	prec = max(prec, scale, 1)
	if prec > row.MaxDecimalPrecision {
		// Calcite would reject a literal this long; shed leading zeros
		// first, they carry no precision.
		trimmed := strings.TrimLeft(text[:dot], "0")
		prec = max(len(trimmed)+scale, scale, 1)
		if prec > row.MaxDecimalPrecision {
			return nil, errAt(n, "Numeric literal '%s' out of range", text)
		}
	}
	d, err := row.ParseDecimal(text, prec, scale)
	if err != nil {
		return nil, errAt(n, "invalid number literal %s", text)
	}
	return c.constant(row.DecimalOf(prec, scale).WithNotNull(true), row.DecimalValue(d)), nil
}

// fracDigits counts the fraction digits of a time or timestamp text.
func fracDigits(s string) int {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || strings.LastIndexByte(s, ':') > i {
		return 0
	}
	n := 0
	for j := i + 1; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
		n++
	}
	return min(n, row.MaxTimePrecision)
}

func (c *compiler) typedLiteral(n *ast.TypedLiteral) (*Compiled, error) {
	s := strings.TrimSpace(n.Value)
	switch strings.ToUpper(n.Type) {
	case "DATE":
		d, ok := parseDateLenient(s)
		if !ok {
			return nil, errAt(n, "Illegal DATE literal '%s': not in format 'yyyy-MM-dd'", n.Value)
		}
		return c.constant(row.DateType.WithNotNull(true), row.Date(d)), nil
	case "TIME":
		t, ok := parseTimeLenient(s)
		if !ok {
			return nil, errAt(n, "Illegal TIME literal '%s': not in format 'HH:mm:ss'", n.Value)
		}
		p := fracDigits(s)
		return c.constant(row.TimeOf(p).WithNotNull(true), row.Time(row.TruncateTime(t, p))), nil
	case "TIMESTAMP":
		ms, ns, ok := parseTimestampLenient(s)
		if !ok {
			return nil, errAt(n, "Illegal TIMESTAMP literal '%s': not in format 'yyyy-MM-dd HH:mm:ss'", n.Value)
		}
		p := fracDigits(s)
		return c.constant(row.TimestampOf(p).WithNotNull(true), row.Timestamp(ms, ns)), nil
	case "TIMESTAMP_LTZ", "TIMESTAMP WITH LOCAL TIME ZONE":
		ms, ns, err := parseLTZ(s, locOf(c.env))
		if err != nil {
			return nil, errAt(n, "Illegal TIMESTAMP_LTZ literal '%s': not in format 'yyyy-MM-dd HH:mm:ss'", n.Value)
		}
		p := fracDigits(s)
		return c.constant(row.TimestampLTZOf(p).WithNotNull(true), row.TimestampLTZ(ms, ns)), nil
	}
	return nil, errAt(n, "unsupported literal type %s", n.Type)
}

// locOf returns the session time zone of env (nil: UTC).
func locOf(env *function.Env) *time.Location {
	if env == nil || env.Loc == nil {
		return time.UTC
	}
	return env.Loc
}

// intervalLiteral: INTERVAL '10' MINUTE is 600000 ms; INTERVAL '1-2'
// YEAR TO MONTH is 14 months. Fields after the leading one are range
// checked (hours < 24, minutes and seconds < 60) as Calcite does; the
// leading field may have any number of digits (Calcite would want a
// larger leading precision, DAY(3), for INTERVAL '100' DAY; rtdw takes
// it and widens the type).
func (c *compiler) intervalLiteral(n *ast.IntervalLiteral) (*Compiled, error) {
	from, to := strings.ToUpper(n.From), strings.ToUpper(n.To)
	res, ok := intervalRes(from, to)
	if !ok {
		return nil, errAt(n, "unsupported interval qualifier %s%s", from, strings.TrimSpace(" TO "+to))
	}
	text := strings.TrimSpace(n.Value)
	neg := n.Negative
	if text != "" && (text[0] == '-' || text[0] == '+') {
		if text[0] == '-' {
			neg = !neg
		}
		text = strings.TrimSpace(text[1:])
	}
	bad := func() error {
		q := from
		if to != "" {
			q += " TO " + to
		}
		return errAt(n, "Illegal interval literal format '%s' for INTERVAL %s", n.Value, q)
	}
	// Split into numeric fields on the separators the qualifier uses.
	var fields []string
	var frac string
	cur := ""
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case ch >= '0' && ch <= '9':
			cur += string(ch)
		case ch == '-' || ch == ' ' || ch == ':':
			if cur == "" {
				return nil, bad()
			}
			fields = append(fields, cur)
			cur = ""
		case ch == '.':
			if cur == "" || frac != "" {
				return nil, bad()
			}
			fields = append(fields, cur)
			cur = ""
			frac = text[i+1:]
			for j := 0; j < len(frac); j++ {
				if frac[j] < '0' || frac[j] > '9' {
					return nil, bad()
				}
			}
			i = len(text)
		default:
			return nil, bad()
		}
	}
	if cur != "" {
		fields = append(fields, cur)
	}
	units := intervalUnits(from, to)
	if len(fields) != len(units) || frac != "" && units[len(units)-1] != "SECOND" {
		return nil, bad()
	}
	var total int64 // months or milliseconds
	leadDigits := 0
	for i, f := range fields {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v > 999_999_999 {
			return nil, bad()
		}
		if i == 0 {
			leadDigits = len(strings.TrimLeft(f, "0"))
		} else {
			limit := map[string]int64{"MONTH": 12, "HOUR": 24, "MINUTE": 60, "SECOND": 60}[units[i]]
			if v >= limit {
				return nil, bad()
			}
		}
		switch units[i] {
		case "YEAR":
			total += v * 12
		case "MONTH":
			total += v
		case "DAY":
			total += v * row.MillisPerDay
		case "HOUR":
			total += v * 3_600_000
		case "MINUTE":
			total += v * 60_000
		case "SECOND":
			total += v * 1000
		}
	}
	if frac != "" {
		ms := frac
		if len(ms) > 3 {
			ms = ms[:3] // sub-millisecond digits do not fit the value: truncated
		}
		for len(ms) < 3 {
			ms += "0"
		}
		v, _ := strconv.ParseInt(ms, 10, 64)
		total += v
	}
	if neg {
		total = -total
	}
	prec := n.Precision
	if prec == 0 {
		prec = row.DefaultIntervalPrec
	}
	prec = max(prec, min(leadDigits, 9))
	if res == row.ResYear || res == row.ResYearToMonth || res == row.ResMonth {
		if total > math.MaxInt32 || total < math.MinInt32 {
			return nil, bad()
		}
		t := row.IntervalOf(res, prec, 0).WithNotNull(true)
		return c.constant(t, row.IntervalMonths(int32(total))), nil
	}
	fp := n.FracPrecision
	if fp == 0 {
		fp = row.DefaultIntervalFrac
	}
	t := row.IntervalOf(res, prec, fp).WithNotNull(true)
	return c.constant(t, row.IntervalMillis(total)), nil
}

func intervalRes(from, to string) (row.IntervalRes, bool) {
	switch from + "/" + to {
	case "YEAR/":
		return row.ResYear, true
	case "YEAR/MONTH":
		return row.ResYearToMonth, true
	case "MONTH/":
		return row.ResMonth, true
	case "DAY/":
		return row.ResDay, true
	case "DAY/HOUR":
		return row.ResDayToHour, true
	case "DAY/MINUTE":
		return row.ResDayToMinute, true
	case "DAY/SECOND":
		return row.ResDayToSecond, true
	case "HOUR/":
		return row.ResHour, true
	case "HOUR/MINUTE":
		return row.ResHourToMinute, true
	case "HOUR/SECOND":
		return row.ResHourToSecond, true
	case "MINUTE/":
		return row.ResMinute, true
	case "MINUTE/SECOND":
		return row.ResMinuteToSecond, true
	case "SECOND/":
		return row.ResSecond, true
	}
	return 0, false
}

// intervalUnits lists the fields an interval literal of the qualifier
// spells, leading first.
func intervalUnits(from, to string) []string {
	all := []string{"YEAR", "MONTH"}
	if from != "YEAR" && from != "MONTH" {
		all = []string{"DAY", "HOUR", "MINUTE", "SECOND"}
	}
	start := 0
	for i, u := range all {
		if u == from {
			start = i
		}
	}
	end := start
	if to != "" {
		for i, u := range all {
			if u == to {
				end = i
			}
		}
	}
	return all[start : end+1]
}
