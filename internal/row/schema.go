package row

import (
	"fmt"
	"strings"
)

// Column is a named, typed column of a Schema.
type Column struct {
	Name string
	Type Type
}

// Schema is the ordered list of a row's columns, with lookup by name.
// Names are case-insensitive, as Flink SQL identifiers are in rtdw: a
// schema cannot hold two names that differ only in case. A Schema is
// immutable once built and safe for concurrent use.
type Schema struct {
	cols   []Column
	fields []Field // the columns as ROW fields, for the codecs
	exact  map[string]int
	lower  map[string]int
}

// NewSchema builds a schema; it fails on an empty or duplicate name or an
// invalid type.
func NewSchema(cols ...Column) (*Schema, error) {
	s := &Schema{
		cols:  append([]Column(nil), cols...),
		exact: make(map[string]int, len(cols)),
		lower: make(map[string]int, len(cols)),
	}
	for i, c := range cols {
		if c.Name == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		l := strings.ToLower(c.Name)
		if j, dup := s.lower[l]; dup {
			return nil, fmt.Errorf("column name %q is used twice (as %q; names are case-insensitive)", c.Name, cols[j].Name)
		}
		if err := c.Type.Validate(); err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		s.exact[c.Name] = i
		s.lower[l] = i
		s.fields = append(s.fields, Field{Name: c.Name, Type: c.Type})
	}
	return s, nil
}

// MustSchema is NewSchema for literals in code and tests; it panics on error.
func MustSchema(cols ...Column) *Schema {
	s, err := NewSchema(cols...)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseSchema parses a column list as it appears inside ROW<...>:
// "id BIGINT NOT NULL, name STRING, `order` ROW<a INT>".
func ParseSchema(text string) (*Schema, error) {
	t, err := ParseType("ROW<" + text + ">")
	if err != nil {
		return nil, err
	}
	return SchemaOf(t)
}

// MustParseSchema is ParseSchema for literals in code and tests.
func MustParseSchema(text string) *Schema {
	s, err := ParseSchema(text)
	if err != nil {
		panic(err)
	}
	return s
}

// SchemaOf returns the schema of a ROW type's fields.
func SchemaOf(t Type) (*Schema, error) {
	if t.Kind != KindRow {
		return nil, fmt.Errorf("SchemaOf: %s is not a ROW type", t)
	}
	cols := make([]Column, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = Column{Name: f.Name, Type: f.Type}
	}
	return NewSchema(cols...)
}

// Len is the number of columns.
func (s *Schema) Len() int { return len(s.cols) }

// Column returns column i.
func (s *Schema) Column(i int) Column { return s.cols[i] }

// Columns returns the columns; the slice must not be modified.
func (s *Schema) Columns() []Column { return s.cols }

// Index returns the position of the column named name (exact spelling
// first, then case-insensitively), or -1.
func (s *Schema) Index(name string) int {
	if i, ok := s.exact[name]; ok {
		return i
	}
	if i, ok := s.lower[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// Type returns the schema as a ROW type (NOT NULL, as a table's row type).
func (s *Schema) Type() Type {
	return Type{Kind: KindRow, NotNull: true, Fields: s.fields}
}

// String prints the column list as ParseSchema reads it.
func (s *Schema) String() string {
	var b []byte
	for i, c := range s.cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = AppendIdent(b, c.Name)
		b = append(b, ' ')
		b = c.Type.Append(b)
	}
	return string(b)
}
