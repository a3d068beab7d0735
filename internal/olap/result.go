package olap

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// DecimalString is a DECIMAL value written exactly, with as many
// fractional digits as its scale ("100.50", "-0.07", "12"). Queries
// return decimals as float64 unless their context asks for exact ones
// (WithExactDecimals); then DuckDB and PostgreSQL answer DecimalStrings.
type DecimalString string

// MarshalJSON writes the decimal as a JSON number, digit for digit.
func (d DecimalString) MarshalJSON() ([]byte, error) { return []byte(d), nil }

// DecimalOf writes unscaled / 10^scale exactly.
func DecimalOf(unscaled *big.Int, scale int) DecimalString {
	if unscaled == nil {
		return "0"
	}
	digits := new(big.Int).Abs(unscaled).String()
	sign := ""
	if unscaled.Sign() < 0 {
		sign = "-"
	}
	if scale <= 0 {
		return DecimalString(sign + digits + strings.Repeat("0", -scale))
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return DecimalString(sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:])
}

type exactKey struct{}

// WithExactDecimals asks the query run with ctx to return DECIMAL values
// as DecimalStrings instead of float64 (rtdw query prints them exactly).
func WithExactDecimals(ctx context.Context) context.Context {
	return context.WithValue(ctx, exactKey{}, true)
}

// ExactDecimals reports whether ctx asks for DecimalStrings.
func ExactDecimals(ctx context.Context) bool {
	b, _ := ctx.Value(exactKey{}).(bool)
	return b
}

// NormalizeValue converts a value scanned by a database driver into one
// of the Result value types: string, int64, float64, time.Time,
// DecimalString or nil.
// Types it does not know are rendered with fmt (decimals of several
// drivers are fmt.Stringers that print exactly).
func NormalizeValue(v any) any {
	switch x := v.(type) {
	case nil, string, int64, float64, time.Time, DecimalString:
		return x
	case []byte:
		return string(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return float64(x)
	case uint:
		return NormalizeValue(uint64(x))
	case float32:
		return float64(x)
	case *big.Int:
		if x == nil {
			return nil
		}
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case Cents:
		return x.Float()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// TypeOfDatabaseType maps a database's column type name (DECIMAL(38,2),
// VARCHAR, Nullable(DateTime), timestamp without time zone ...) to a
// portable Type, or "" when it is none of them.
func TypeOfDatabaseType(name string) Type {
	n := strings.ToUpper(name)
	for _, wrap := range []string{"NULLABLE(", "LOWCARDINALITY("} {
		if strings.HasPrefix(n, wrap) {
			n = strings.TrimSuffix(strings.TrimPrefix(n, wrap), ")")
		}
	}
	switch {
	case n == "DATE", n == "DATE32", n == "DATEV2":
		return Date
	case strings.HasPrefix(n, "TIMESTAMP"), strings.HasPrefix(n, "DATETIME"):
		return DateTime
	case strings.HasPrefix(n, "DECIMAL"), strings.HasPrefix(n, "NUMERIC"):
		return Decimal
	case strings.Contains(n, "INT") && !strings.Contains(n, "INTERVAL"):
		return Int64
	case strings.Contains(n, "CHAR"), n == "TEXT", n == "STRING", n == "VARCHAR":
		return String
	}
	return ""
}

// FormatValue renders a Result value as text: dates yyyy-MM-dd, datetimes
// yyyy-MM-dd HH:mm:ss, nil as "".
func FormatValue(v any, t Type) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		if t == Date || t == "" && x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(DateLayout)
		}
		if x.Nanosecond() != 0 {
			return x.Format("2006-01-02 15:04:05.999999")
		}
		return x.Format(DateTimeLayout)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case DecimalString:
		return string(x)
	}
	return fmt.Sprint(v)
}

// ScanSQL reads database/sql rows into a Result; conv (may be nil) maps
// driver-specific values of a column of type t first.
func ScanSQL(rows *sql.Rows, conv func(v any, t Type) any) (*Result, error) {
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: make([]string, len(cts)), Types: make([]Type, len(cts)), Rows: [][]any{}}
	for i, ct := range cts {
		res.Columns[i] = ct.Name()
		res.Types[i] = TypeOfDatabaseType(ct.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if conv != nil {
				v = conv(v, res.Types[i])
			}
			vals[i] = NormalizeValue(v)
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}
