package mock

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

//go:embed schema/*.sql
var schemaFS embed.FS

// The SQL files of the shop's databases, as loaded by `rtdw mock init`.
const (
	GmallDDLFile   = "schema/gmall.sql"        // database gmall: tables
	GmallSeedFile  = "schema/gmall_seed.sql"   // database gmall: dimension rows
	ConfigSQLFile  = "schema/gmall_config.sql" // database gmall_config: tables and rows
	BusinessDB     = "gmall"
	ConfigDB       = "gmall_config"
	datetimeLayout = "2006-01-02 15:04:05"
)

// SQLFile returns one of the embedded SQL files (GmallDDLFile, ...).
func SQLFile(name string) string {
	b, err := schemaFS.ReadFile(name)
	if err != nil {
		panic(err) // the names are constants of this package
	}
	return string(b)
}

// Statements splits a SQL file of this package into statements: each ends
// with ';' at the end of a line; "--" comment lines are dropped.
func Statements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	return out
}

// ColKind is how a column's values are typed in Maxwell JSON and SQL.
type ColKind uint8

// Column kinds.
const (
	KindInt      ColKind = iota // bigint, int, tinyint: JSON number
	KindDecimal                 // decimal(p,s): JSON number with s decimals
	KindString                  // varchar, text: JSON string
	KindDatetime                // "yyyy-MM-dd HH:mm:ss"
	KindDate                    // "yyyy-MM-dd"
)

// Column is one column of a table.
type Column struct {
	Name  string
	Type  string // as declared, e.g. "decimal(16,2)"
	Kind  ColKind
	Scale int // decimals of a KindDecimal
}

// Table is a table of the gmall database.
type Table struct {
	Name string
	Cols []Column
	PK   int // index of the primary-key column
	idx  map[string]int
}

// Col returns the index of the named column; it panics on a name the schema
// does not have (a programming error caught by any test run).
func (t *Table) Col(name string) int {
	i, ok := t.idx[name]
	if !ok {
		panic(fmt.Sprintf("mock: table %s has no column %s", t.Name, name))
	}
	return i
}

// NewRow returns a row of NULLs.
func (t *Table) NewRow() Row { return make(Row, len(t.Cols)) }

// SeedTable is a table with its seed rows, in file order.
type SeedTable struct {
	Table *Table
	Rows  []Row
}

type schemaData struct {
	tables map[string]*Table
	order  []string // table names in DDL order
	seed   []SeedTable
}

var (
	schemaOnce sync.Once
	schemaVal  *schemaData
)

// schema parses the embedded DDL and seed files once.
func schema() *schemaData {
	schemaOnce.Do(func() {
		s, err := parseSchema(SQLFile(GmallDDLFile), SQLFile(GmallSeedFile))
		if err != nil {
			panic(err) // embedded files: any test run catches it
		}
		schemaVal = s
	})
	return schemaVal
}

// Tables returns the gmall tables in DDL order.
func Tables() []*Table {
	s := schema()
	out := make([]*Table, len(s.order))
	for i, n := range s.order {
		out[i] = s.tables[n]
	}
	return out
}

// TableByName returns a gmall table, or nil.
func TableByName(name string) *Table { return schema().tables[name] }

// Seed returns the dimension seed rows per table, in file order.
func Seed() []SeedTable { return schema().seed }

var (
	createRE = regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `(\\w+)`")
	colRE    = regexp.MustCompile("^\\s+`(\\w+)` (\\w+(?:\\(\\d+(?:,\\d+)?\\))?)")
	pkRE     = regexp.MustCompile("^\\s+PRIMARY KEY \\(`(\\w+)`\\)")
	insertRE = regexp.MustCompile("^INSERT INTO `(\\w+)` VALUES \\((.*)\\);$")
	decRE    = regexp.MustCompile(`^decimal\(\d+,(\d+)\)$`)
)

func parseSchema(ddl, seed string) (*schemaData, error) {
	s := &schemaData{tables: map[string]*Table{}}
	var cur *Table
	for _, line := range strings.Split(ddl, "\n") {
		if m := createRE.FindStringSubmatch(line); m != nil {
			cur = &Table{Name: m[1], PK: -1, idx: map[string]int{}}
			s.tables[cur.Name] = cur
			s.order = append(s.order, cur.Name)
			continue
		}
		if cur == nil {
			continue
		}
		if m := colRE.FindStringSubmatch(line); m != nil {
			c := Column{Name: m[1], Type: m[2]}
			switch typ := strings.ToLower(m[2]); {
			case strings.HasPrefix(typ, "bigint"), strings.HasPrefix(typ, "int"), strings.HasPrefix(typ, "tinyint"):
				c.Kind = KindInt
			case strings.HasPrefix(typ, "decimal"):
				dm := decRE.FindStringSubmatch(typ)
				if dm == nil {
					return nil, fmt.Errorf("mock: %s.%s: bad decimal type %q", cur.Name, c.Name, typ)
				}
				c.Kind = KindDecimal
				c.Scale, _ = strconv.Atoi(dm[1])
				if c.Scale > 2 {
					return nil, fmt.Errorf("mock: %s.%s: scale %d > 2 unsupported", cur.Name, c.Name, c.Scale)
				}
			case strings.HasPrefix(typ, "varchar"), typ == "text":
				c.Kind = KindString
			case typ == "datetime":
				c.Kind = KindDatetime
			case typ == "date":
				c.Kind = KindDate
			default:
				return nil, fmt.Errorf("mock: %s.%s: unsupported type %q", cur.Name, c.Name, typ)
			}
			cur.idx[c.Name] = len(cur.Cols)
			cur.Cols = append(cur.Cols, c)
			continue
		}
		if m := pkRE.FindStringSubmatch(line); m != nil {
			cur.PK = cur.Col(m[1])
			continue
		}
		if strings.HasPrefix(line, ")") {
			if cur.PK < 0 {
				return nil, fmt.Errorf("mock: table %s has no primary key", cur.Name)
			}
			cur = nil
		}
	}
	seen := map[string]int{}
	for n, line := range strings.Split(seed, "\n") {
		m := insertRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		t := s.tables[m[1]]
		if t == nil {
			return nil, fmt.Errorf("mock: seed line %d: unknown table %s", n+1, m[1])
		}
		lits, err := splitLiterals(m[2])
		if err != nil {
			return nil, fmt.Errorf("mock: seed line %d: %w", n+1, err)
		}
		if len(lits) != len(t.Cols) {
			return nil, fmt.Errorf("mock: seed line %d: %d values for %d columns of %s", n+1, len(lits), len(t.Cols), t.Name)
		}
		row := t.NewRow()
		for i, lit := range lits {
			if row[i], err = literalValue(t.Cols[i], lit); err != nil {
				return nil, fmt.Errorf("mock: seed line %d: %s.%s: %w", n+1, t.Name, t.Cols[i].Name, err)
			}
		}
		k, ok := seen[t.Name]
		if !ok {
			k = len(s.seed)
			seen[t.Name] = k
			s.seed = append(s.seed, SeedTable{Table: t})
		}
		s.seed[k].Rows = append(s.seed[k].Rows, row)
	}
	return s, nil
}

// literal is one SQL literal of a VALUES list.
type literal struct {
	quoted bool
	text   string // unquoted text, or the raw token (number, NULL)
}

// splitLiterals splits "1, 'a”b', NULL" into literals.
func splitLiterals(s string) ([]literal, error) {
	var out []literal
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '\'' {
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string in %q", s)
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, literal{quoted: true, text: b.String()})
			continue
		}
		j := i
		for j < len(s) && s[j] != ',' {
			j++
		}
		out = append(out, literal{text: strings.TrimSpace(s[i:j])})
		i = j
	}
	return out, nil
}

func literalValue(c Column, l literal) (Value, error) {
	if !l.quoted && strings.EqualFold(l.text, "NULL") {
		return Null(), nil
	}
	switch c.Kind {
	case KindInt:
		n, err := strconv.ParseInt(l.text, 10, 64)
		if err != nil || l.quoted {
			return Value{}, fmt.Errorf("want an unquoted integer, got %q", l.text)
		}
		return Int(n), nil
	case KindDecimal:
		if l.quoted {
			return Value{}, fmt.Errorf("want an unquoted decimal, got '%s'", l.text)
		}
		return parseDecimal(l.text)
	default:
		if !l.quoted {
			return Value{}, fmt.Errorf("want a quoted string, got %s", l.text)
		}
		return Str(l.text), nil
	}
}

// parseDecimal parses "12", "12.5" or "12.34" into hundredths.
func parseDecimal(s string) (Value, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return Value{}, fmt.Errorf("decimal %q has more than 2 decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 {
		return Value{}, fmt.Errorf("bad decimal %q", s)
	}
	return Dec(w*100 + f), nil
}
