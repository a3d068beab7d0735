// Package catalog is the SQL layer's catalog: catalogs, databases,
// tables, views and functions, durable in the data dir so that
// `rtdw sql -f ddl.sql` and a later `rtdw sql -e "select ..."` see the
// same tables. TEMPORARY objects live only in the session.
//
// Definitions are stored structurally; expressions (computed columns,
// the watermark, a view's query) as SQL text printed by ast.Format, which
// the planner parses back.
package catalog

import (
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// Flink's built-in names.
const (
	DefaultCatalog  = "default_catalog"
	DefaultDatabase = "default_database"
)

// Path names an object: catalog, database, name. Lookups compare names
// case-insensitively; the stored spelling is the one first written.
type Path struct {
	Catalog, Database, Name string
}

// String is the path as SQL writes it: each name in backticks, a backtick
// in a name doubled (so SHOW CREATE TABLE prints DDL that parses).
func (p Path) String() string {
	q := func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	return q(p.Catalog) + "." + q(p.Database) + "." + q(p.Name)
}

// Column is one column of a table.
type Column struct {
	Name string
	// Type: physical and metadata columns as declared; computed columns
	// the type the planner derived when the table was created.
	Type        row.Type
	Expr        string // computed column: its SQL expression
	Metadata    bool
	MetadataKey string // "" = the column name
	Virtual     bool
	Comment     string
}

// Computed reports whether the column is computed (name AS expr).
func (c Column) Computed() bool { return c.Expr != "" }

// Watermark is WATERMARK FOR Column AS Expr.
type Watermark struct {
	Column string
	Expr   string
}

// Table is a table definition.
type Table struct {
	Path          Path
	Columns       []Column
	Watermark     *Watermark
	PrimaryKey    []string
	PartitionKeys []string
	Options       map[string]string
	Comment       string
	Temporary     bool
}

// View is a view definition.
type View struct {
	Path      Path
	Columns   []string // explicit column names, if given
	Query     string   // the query's SQL text
	Comment   string
	Temporary bool
	// Scope is the current catalog and database when the view was
	// created (Name empty): the query's unqualified names resolve there,
	// wherever the view is used (Flink expands them at CREATE VIEW).
	// Zero for views stored before it was kept: the current ones.
	Scope Path
}

// Within qualifies a one- or two-part name in scope (a view's Scope):
// the missing catalog (and database) are scope's. Names are unchanged
// when scope is zero or the name has three parts.
func Within(parts []string, scope Path) []string {
	if scope.Catalog == "" {
		return parts
	}
	switch len(parts) {
	case 1:
		return []string{scope.Catalog, scope.Database, parts[0]}
	case 2:
		return []string{scope.Catalog, parts[0], parts[1]}
	}
	return parts
}

// Function is CREATE FUNCTION name AS 'identifier': a Go function
// registered in the binary under identifier.
type Function struct {
	Path      Path
	Class     string
	Language  string
	Temporary bool
}

// Database is a database of a catalog.
type Database struct {
	Catalog, Name string
	Comment       string
	Options       map[string]string
}

// CatalogDef is a catalog created with CREATE CATALOG; rtdw keeps every
// catalog's objects in its own store whatever 'type' says (in-memory
// catalogs included, so the data dir remembers them: documented).
type CatalogDef struct {
	Name    string
	Options map[string]string
}
