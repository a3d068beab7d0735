package mysqlcdc

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/jsonw"
)

// Column is one captured column, as information_schema describes it.
type Column struct {
	Name string `json:"name"`
	// Type is information_schema's DATA_TYPE (lower case: bigint, decimal, varchar, ...).
	Type     string `json:"type"`
	Unsigned bool   `json:"unsigned,omitempty"`
	// Elems are an ENUM's or SET's members in order: a binlog row image
	// holds an ENUM's index (from 1) and a SET's bit set.
	Elems []string `json:"elems,omitempty"`
	// Charset is a character column's character set when its bytes are
	// not UTF-8 (latin1, gbk, ...): a binlog row image holds them as
	// stored, the snapshot's text protocol converts them.
	Charset string `json:"charset,omitempty"`
	// Length is a BINARY(n) column's n: a binlog row image drops the
	// value's trailing zero bytes, which the column pads back.
	Length int `json:"length,omitempty"`
}

// newColumn describes a column from information_schema.COLUMNS:
// DATA_TYPE, COLUMN_TYPE (enum('a','b'), binary(4), int unsigned) and
// CHARACTER_SET_NAME ("" when none).
func newColumn(name, dataType, colType, charset string) Column {
	c := Column{Name: name, Type: strings.ToLower(dataType), Unsigned: strings.Contains(strings.ToLower(colType), "unsigned")}
	switch c.Type {
	case "enum", "set":
		c.Elems = parseElems(colType)
	case "binary":
		if i := strings.IndexByte(colType, '('); i >= 0 {
			c.Length, _ = strconv.Atoi(strings.TrimSuffix(colType[i+1:], ")"))
		}
	}
	c.Charset = foreignCharset(charset)
	return c
}

// parseElems reads the members of enum('a','b') / set(...) as
// information_schema prints them (quotes doubled inside a member).
func parseElems(colType string) []string {
	i := strings.IndexByte(colType, '(')
	if i < 0 {
		return nil
	}
	s := colType[i+1:]
	var out []string
	for len(s) > 0 && s[0] == '\'' {
		var b strings.Builder
		j := 1
		for j < len(s) {
			if s[j] == '\'' {
				if j+1 < len(s) && s[j+1] == '\'' {
					b.WriteByte('\'')
					j += 2
					continue
				}
				break
			}
			b.WriteByte(s[j])
			j++
		}
		out = append(out, b.String())
		if j+1 >= len(s) {
			break
		}
		s = s[j+1:] // past the closing quote: "," or ")"
		if s[0] != ',' {
			break
		}
		s = s[1:]
	}
	return out
}

// foreignCharset is the charset a binlog string must be decoded from, ""
// when its bytes are UTF-8 already (or the column has no charset).
func foreignCharset(cs string) string {
	switch cs = strings.ToLower(cs); cs {
	case "", "utf8", "utf8mb3", "utf8mb4", "ascii", "binary":
		return ""
	}
	return cs
}

// Table is a captured table's layout: columns in DDL order (the order of
// binlog row images) and the primary key's column indexes.
type Table struct {
	DB   string   `json:"db"`
	Name string   `json:"name"`
	Cols []Column `json:"cols"`
	PK   []int    `json:"pk"`
}

// schemas maps "db.table" to its layout.
type schemas map[string]*Table

func tableKey(db, table string) string { return db + "." + table }

func (s schemas) encode() []byte {
	b, _ := json.Marshal(s) // plain structs: cannot fail
	return b
}

func decodeSchemas(b []byte) (schemas, error) {
	s := schemas{}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("mysqlcdc: stored schema: %w", err)
	}
	return s, nil
}

// filter says which tables are captured: every base table of the listed
// databases, or only the listed tables (db.table, or table in any listed db).
type filter struct {
	dbs    map[string]bool
	tables map[string]bool // empty: all
	// route, when set, replaces tables: a table is captured when it
	// routes to some topic (Config.Route).
	route func(db, table string) []string
}

func newFilter(dbs, tables []string) filter {
	f := filter{dbs: map[string]bool{}, tables: map[string]bool{}}
	for _, d := range dbs {
		f.dbs[d] = true
	}
	for _, t := range tables {
		f.tables[t] = true
	}
	return f
}

func (f filter) captured(db, table string) bool {
	if !f.dbs[db] {
		return false
	}
	if f.route != nil {
		return len(f.route(db, table)) > 0
	}
	return len(f.tables) == 0 || f.tables[table] || f.tables[db+"."+table]
}

// queryer is a *sql.DB, *sql.Conn or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// loadSchemas reads the layout of every captured base table.
func loadSchemas(ctx context.Context, q queryer, f filter) (schemas, error) {
	var dbs []string
	for d := range f.dbs {
		dbs = append(dbs, d)
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(dbs)), ",")
	args := make([]any, len(dbs))
	for i, d := range dbs {
		args[i] = d
	}
	out := schemas{}
	rows, err := q.QueryContext(ctx, "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, COALESCE(c.CHARACTER_SET_NAME, '') "+
		"FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "+
		"ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "+
		"WHERE t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_SCHEMA IN ("+in+") "+
		"ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION", args...)
	if err != nil {
		return nil, fmt.Errorf("mysqlcdc: read table columns: %w", err)
	}
	for rows.Next() {
		var db, table, col, typ, colType, charset string
		if err := rows.Scan(&db, &table, &col, &typ, &colType, &charset); err != nil {
			rows.Close()
			return nil, fmt.Errorf("mysqlcdc: read table columns: %w", err)
		}
		if !f.captured(db, table) {
			continue
		}
		k := tableKey(db, table)
		t := out[k]
		if t == nil {
			t = &Table{DB: db, Name: table}
			out[k] = t
		}
		t.Cols = append(t.Cols, newColumn(col, typ, colType, charset))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysqlcdc: read table columns: %w", err)
	}
	rows, err = q.QueryContext(ctx, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS "+
		"WHERE INDEX_NAME = 'PRIMARY' AND TABLE_SCHEMA IN ("+in+") ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX", args...)
	if err != nil {
		return nil, fmt.Errorf("mysqlcdc: read primary keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var db, table, col string
		if err := rows.Scan(&db, &table, &col); err != nil {
			return nil, fmt.Errorf("mysqlcdc: read primary keys: %w", err)
		}
		t := out[tableKey(db, table)]
		if t == nil {
			continue
		}
		for i := range t.Cols {
			if t.Cols[i].Name == col {
				t.PK = append(t.PK, i)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysqlcdc: read primary keys: %w", err)
	}
	return out, nil
}

// kind is how Maxwell writes a column's values in JSON.
type kind uint8

const (
	kString kind = iota // JSON string (text, dates and times in MySQL's text form)
	kNumber             // JSON number (integers, DECIMAL exact with its scale, floats)
	kBinary             // base64 JSON string (BLOB, BINARY, VARBINARY), as Maxwell
	kBit                // JSON number from the bit field's big-endian bytes
)

func (c *Column) kind() kind {
	switch c.Type {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double", "real", "year":
		return kNumber
	case "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary":
		return kBinary
	case "bit":
		return kBit
	}
	return kString
}

// appendText appends a value read by the text protocol (the snapshot):
// nil is NULL; numbers arrive as their exact decimal text.
func appendText(dst []byte, c *Column, v []byte) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch c.kind() {
	case kNumber:
		return append(dst, unzerofill(v)...)
	case kBinary:
		return appendBase64(dst, v)
	case kBit:
		var n uint64
		for _, b := range v {
			n = n<<8 | uint64(b)
		}
		return strconv.AppendUint(dst, n, 10)
	}
	return jsonw.AppendString(dst, v)
}

// appendTimestamp appends a TIMESTAMP value the snapshot read as text in
// UTC, rendered in loc with as many fractional digits as it had (the text
// the binlog's values get: go-mysql's TimestampStringLocation). NULL is
// null; the zero value (0000-00-00 00:00:00) and any text that is no
// timestamp go as read.
func appendTimestamp(dst []byte, v []byte, loc *time.Location) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	layout := time.DateTime
	if i := bytes.IndexByte(v, '.'); i >= 0 {
		layout += "." + strings.Repeat("0", len(v)-i-1)
	}
	t, err := time.ParseInLocation(layout, string(v), time.UTC)
	if err != nil {
		return jsonw.AppendString(dst, v)
	}
	return jsonw.AppendString(dst, t.In(loc).AppendFormat(nil, layout))
}

// appendBinlog appends a value decoded from a binlog row image (go-mysql
// with ParseTime and UseDecimal off: DECIMAL comes as its exact text with
// the column's scale, DATE/DATETIME/TIMESTAMP as formatted strings).
func appendBinlog(dst []byte, c *Column, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case int8:
		if c.Unsigned {
			return strconv.AppendUint(dst, uint64(uint8(x)), 10)
		}
		return strconv.AppendInt(dst, int64(x), 10)
	case int16:
		if c.Unsigned {
			return strconv.AppendUint(dst, uint64(uint16(x)), 10)
		}
		return strconv.AppendInt(dst, int64(x), 10)
	case int32:
		if c.Unsigned {
			if c.Type == "mediumint" {
				return strconv.AppendUint(dst, uint64(uint32(x)&0xffffff), 10)
			}
			return strconv.AppendUint(dst, uint64(uint32(x)), 10)
		}
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		switch {
		case c.Type == "enum" && len(c.Elems) > 0:
			if x < 1 || int(x) > len(c.Elems) {
				return append(dst, `""`...) // MySQL's '' for an invalid value (index 0)
			}
			return jsonw.AppendString(dst, []byte(c.Elems[x-1]))
		case c.Type == "set" && len(c.Elems) > 0:
			var b []byte
			for i, e := range c.Elems {
				if i < 64 && x&(1<<i) != 0 {
					if len(b) > 0 {
						b = append(b, ',')
					}
					b = append(b, e...)
				}
			}
			return jsonw.AppendString(dst, b)
		case c.Unsigned && c.kind() == kNumber:
			return strconv.AppendUint(dst, uint64(x), 10)
		}
		return strconv.AppendInt(dst, x, 10)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case float32:
		return strconv.AppendFloat(dst, float64(x), 'g', -1, 32)
	case float64:
		return strconv.AppendFloat(dst, x, 'g', -1, 64)
	case string:
		if c.kind() == kNumber { // a DECIMAL's text: no copy to bytes
			return append(dst, unzerofill(x)...)
		}
		return appendBinlogBytes(dst, c, []byte(x))
	case []byte:
		return appendBinlogBytes(dst, c, x)
	}
	return jsonw.AppendString(dst, fmt.Append(nil, v))
}

// appendBinlogBytes appends a binlog value that came as bytes: a number's
// text, a binary string (base64, a BINARY(n) padded back to n bytes), or
// text in the column's character set.
func appendBinlogBytes(dst []byte, c *Column, v []byte) []byte {
	switch c.kind() {
	case kNumber:
		return append(dst, unzerofill(v)...)
	case kBinary:
		if c.Type == "binary" && len(v) < c.Length {
			v = append(slices.Clone(v), make([]byte, c.Length-len(v))...)
		}
		return appendBase64(dst, v)
	}
	if c.Charset != "" {
		if dec := charsetDecoder(c.Charset); dec != nil {
			if u, err := dec.Bytes(v); err == nil {
				v = u
			}
		}
	}
	return jsonw.AppendString(dst, v)
}

// unzerofill drops a ZEROFILL column's leading zeros (0001.5000 is no
// JSON number): 0001.5000 -> 1.5000, 0000 -> 0.
func unzerofill[T string | []byte](v T) T {
	i := 0
	for i+1 < len(v) && v[i] == '0' && v[i+1] >= '0' && v[i+1] <= '9' {
		i++
	}
	return v[i:]
}

func appendBase64(dst, v []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, v)
	return append(dst, '"')
}
