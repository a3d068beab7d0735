package session

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/expr"
	"github.com/rtdw/rtdw/internal/sql/parser"
)

func options(os []ast.Option) map[string]string {
	m := make(map[string]string, len(os))
	for _, o := range os {
		m[o.Key] = o.Value
	}
	return m
}

func (s *Session) path(n ast.ObjectName) (catalog.Path, error) {
	p, err := s.Catalog.Qualify(n.Names())
	if err != nil {
		return p, errAt(&n, "%v", err)
	}
	return p, nil
}

func (s *Session) ddl(st ast.Statement) error {
	switch x := st.(type) {
	case *ast.CreateTable:
		t, err := s.tableDef(x)
		if err != nil {
			return err
		}
		t.Temporary = t.Temporary || s.TemporaryDDL
		return wrap(x, s.Catalog.CreateTable(*t, x.IfNotExists))
	case *ast.CreateView:
		p, err := s.path(x.Name)
		if err != nil {
			return err
		}
		cat, db := s.Catalog.Current()
		v := catalog.View{Path: p, Query: x.QueryText, Comment: x.Comment, Temporary: x.Temporary || s.TemporaryDDL,
			Scope: catalog.Path{Catalog: cat, Database: db}}
		if v.Query == "" {
			v.Query = ast.Format(x.Query)
		}
		for _, c := range x.Columns {
			v.Columns = append(v.Columns, c.Name)
		}
		if err := s.checkView(x); err != nil {
			return err
		}
		return wrap(x, s.Catalog.CreateView(v, x.IfNotExists))
	case *ast.CreateDatabase:
		parts := x.Name.Names()
		cat, _ := s.Catalog.Current()
		if len(parts) == 2 {
			cat = parts[0]
		} else if len(parts) != 1 {
			return errAt(x, "a database name has one or two parts")
		}
		return wrap(x, s.Catalog.CreateDatabase(catalog.Database{Catalog: cat, Name: parts[len(parts)-1], Comment: x.Comment, Options: options(x.Options)}, x.IfNotExists || s.TemporaryDDL))
	case *ast.CreateCatalog:
		// rtdw keeps every catalog's objects in the data dir; a catalog of
		// another system (hive, jdbc, paimon) would silently be empty.
		switch typ := strings.ToLower(options(x.Options)["type"]); typ {
		case "", "generic_in_memory", "rtdw":
		default:
			return errAt(x, "catalog type '%s' is not supported: rtdw's catalogs ('type' = 'generic_in_memory' or 'rtdw') live in the data dir", typ)
		}
		return wrap(x, s.Catalog.CreateCatalog(catalog.CatalogDef{Name: x.Name.Name, Options: options(x.Options)}, x.IfNotExists || s.TemporaryDDL))
	case *ast.CreateFunction:
		return s.createFunction(x)
	case *ast.Drop:
		return s.drop(x)
	case *ast.AlterTable:
		p, err := s.path(x.Name)
		if err != nil {
			return err
		}
		if s.TemporaryDDL {
			if t, _, err := s.Catalog.Lookup(p); err == nil && t != nil && !t.Temporary {
				return errAt(x, "ALTER TABLE %s would change the durable catalog, which a pipeline file (read at every start) or --explain does not: run it once with rtdw sql -f", p)
			}
		}
		if x.IfExists {
			if _, _, err := s.Catalog.Lookup(p); err != nil {
				return nil // IF EXISTS: nothing to alter, as Flink
			}
		}
		if x.RenameTo != nil {
			np, err := s.path(*x.RenameTo)
			if err != nil {
				return err
			}
			if len(x.RenameTo.Parts) > 1 && (np.Catalog != p.Catalog || np.Database != p.Database) {
				return errAt(x.RenameTo, "ALTER TABLE ... RENAME TO renames a table within its database: %s cannot become %s", p, np)
			}
			return wrap(x, s.Catalog.RenameTable(p, np.Name))
		}
		return wrap(x, s.Catalog.AlterTableOptions(p, options(x.Set), x.Reset))
	case *ast.Use:
		parts := x.Name.Names()
		cat, _ := s.Catalog.Current()
		if x.Catalog {
			return wrap(x, s.Catalog.Use(parts[0], ""))
		}
		if len(parts) == 2 {
			cat = parts[0]
		}
		return wrap(x, s.Catalog.Use(cat, parts[len(parts)-1]))
	case *ast.Show:
		return s.show(x)
	case *ast.Describe:
		return s.describe(x, "")
	case *ast.StopJob:
		return errAt(x, "STOP JOB: stop the rtdw process running the job (jobs resume from their checkpoint when started again)")
	}
	return errAt(st, "unsupported statement")
}

func wrap(n ast.Node, err error) error {
	if err == nil {
		return nil
	}
	return &stmtError{pos: n.Position(), msg: err.Error(), cause: err}
}

// tableDef converts CREATE TABLE into a catalog definition; computed
// columns get the type their expression derives over the physical and
// metadata columns.
func (s *Session) tableDef(x *ast.CreateTable) (*catalog.Table, error) {
	p, err := s.path(x.Name)
	if err != nil {
		return nil, err
	}
	t := &catalog.Table{Path: p, Options: options(x.Options), Comment: x.Comment, Temporary: x.Temporary}
	like := likeModes{}
	if x.Like != nil {
		lp, err := s.path(*x.Like)
		if err != nil {
			return nil, err
		}
		src, _, err := s.Catalog.Lookup(lp)
		if err != nil || src == nil {
			return nil, errAt(x.Like, "LIKE %s: no such table", lp)
		}
		if like, err = mergeLike(x, src, t); err != nil {
			return nil, err
		}
	}
	var scope []expr.Column
	for _, c := range x.Columns {
		if c.Computed == nil {
			scope = append(scope, expr.Column{Name: c.Name.Name, Type: c.Type})
		}
	}
	env, err := s.env()
	if err != nil {
		return nil, errAt(x, "%v", err)
	}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		seen[strings.ToLower(c.Name)] = true
	}
	for _, c := range x.Columns {
		if seen[strings.ToLower(c.Name.Name)] {
			// A base table's computed or metadata column the LIKE clause
			// overwrites gives way to the new definition.
			at := slices.IndexFunc(t.Columns, func(b catalog.Column) bool { return strings.EqualFold(b.Name, c.Name.Name) })
			if at < 0 || !like.overwrites(t.Columns[at]) {
				return nil, errAt(&c.Name, "duplicate column %s", c.Name.Name)
			}
			t.Columns = slices.Delete(t.Columns, at, at+1)
		}
		seen[strings.ToLower(c.Name.Name)] = true
		col := catalog.Column{Name: c.Name.Name, Type: c.Type, Metadata: c.Metadata, MetadataKey: c.MetadataKey, Virtual: c.Virtual, Comment: c.Comment}
		if c.Computed != nil {
			cc, err := expr.Compile(c.Computed, &expr.Scope{Columns: scope, Env: env})
			if err != nil {
				return nil, err
			}
			col.Type = cc.Type
			col.Expr = ast.Format(c.Computed)
		}
		if err := col.Type.ValidateDeclared(); err != nil && c.Computed == nil {
			return nil, errAt(&c, "column %s: %v", c.Name.Name, err)
		}
		t.Columns = append(t.Columns, col)
	}
	if x.Watermark != nil && t.Watermark != nil && like.mode["WATERMARKS"] == "INCLUDING" {
		return nil, errAt(x.Watermark, "There already exists a watermark spec for column '%s' in the base table. You might want to specify EXCLUDING WATERMARKS or OVERWRITING WATERMARKS.", t.Watermark.Column)
	}
	if x.Watermark != nil {
		found := false
		for _, c := range t.Columns {
			if !strings.EqualFold(c.Name, x.Watermark.Column.Name) {
				continue
			}
			found = true
			// As Flink, at CREATE: a computed column's type is known when
			// a statement plans the table (checked there).
			if k := c.Type.Kind; !c.Computed() && (k != row.KindTimestamp && k != row.KindTimestampLTZ || c.Type.Precision > 3) {
				return nil, errAt(&x.Watermark.Column, "Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is %s", c.Type)
			}
		}
		if !found {
			return nil, errAt(&x.Watermark.Column, "the watermark column %s is not a column of the table", x.Watermark.Column.Name)
		}
		t.Watermark = &catalog.Watermark{Column: x.Watermark.Column.Name, Expr: ast.Format(x.Watermark.Expr)}
	}
	if len(x.PrimaryKey) > 0 && len(t.PrimaryKey) > 0 {
		return nil, errAt(&x.PrimaryKey[0], "The base table already has a primary key. You might want to specify EXCLUDING CONSTRAINTS.")
	}
	if len(x.PartitionBy) > 0 && len(t.PartitionKeys) > 0 {
		return nil, errAt(&x.PartitionBy[0], "The base table already has partitions defined. You might want to specify EXCLUDING PARTITIONS.")
	}
	if len(x.PrimaryKey) > 0 {
		t.PrimaryKey = nil
		for _, k := range x.PrimaryKey {
			ok := false
			for _, c := range t.Columns {
				if strings.EqualFold(c.Name, k.Name) && !c.Computed() && !c.Metadata {
					ok = true
				}
			}
			if !ok {
				return nil, errAt(&k, "primary key column %s is not a physical column", k.Name)
			}
			t.PrimaryKey = append(t.PrimaryKey, k.Name)
		}
	}
	for _, k := range x.PartitionBy {
		t.PartitionKeys = append(t.PartitionKeys, k.Name)
	}
	return t, nil
}

func (s *Session) checkView(x *ast.CreateView) error {
	p, err := s.planner()
	if err != nil {
		return errAt(x, "%v", err)
	}
	_, err = p.PlanQuery(&ast.QueryStmt{At: x.At, StmtText: ast.StmtText{Text: x.QueryText}, Query: x.Query}, nil)
	return err
}

func (s *Session) drop(x *ast.Drop) error {
	if s.TemporaryDDL && (x.Kind == ast.DropCatalog || x.Kind == ast.DropDatabase) {
		return errAt(x, "%s would change the durable catalog, which a pipeline file (read at every start) or --explain does not: run it once with rtdw sql -f", dropWhat(x.Kind))
	}
	switch x.Kind {
	case ast.DropCatalog:
		return wrap(x, s.Catalog.DropCatalog(x.Name.Parts[len(x.Name.Parts)-1].Name, x.IfExists))
	case ast.DropDatabase:
		parts := x.Name.Names()
		cat, _ := s.Catalog.Current()
		if len(parts) == 2 {
			cat = parts[0]
		}
		return wrap(x, s.Catalog.DropDatabase(cat, parts[len(parts)-1], x.IfExists, x.Cascade))
	}
	if x.Kind == ast.DropFunction && x.System {
		return s.dropSystemFunction(x)
	}
	p, err := s.path(x.Name)
	if err != nil {
		return err
	}
	// A pipeline file's DROP reaches only what its own temporary DDL made:
	// DROP TABLE IF EXISTS t; CREATE TABLE t ... must not delete a
	// permanent t of the catalog at every start.
	temporary := x.Temporary || s.TemporaryDDL
	switch x.Kind {
	case ast.DropTable:
		return wrap(x, s.Catalog.DropTable(p, x.IfExists, temporary))
	case ast.DropView:
		return wrap(x, s.Catalog.DropView(p, x.IfExists, temporary))
	case ast.DropFunction:
		return wrap(x, s.Catalog.DropFunction(p, x.IfExists, temporary))
	}
	return errAt(x, "unsupported DROP")
}

func dropWhat(k ast.DropKind) string {
	if k == ast.DropCatalog {
		return "DROP CATALOG"
	}
	return "DROP DATABASE"
}

func (s *Session) show(x *ast.Show) error {
	cat, db := s.Catalog.Current()
	if x.Name != nil && (x.Kind == ast.ShowTables || x.Kind == ast.ShowViews || x.Kind == ast.ShowFunctions) {
		parts := x.Name.Names()
		db = parts[len(parts)-1]
		if len(parts) == 2 {
			cat = parts[0]
		}
	}
	var list []string
	var err error
	header := ""
	switch x.Kind {
	case ast.ShowTables:
		header = "table name"
		list, err = s.Catalog.Tables(cat, db)
		if err == nil { // Flink's SHOW TABLES lists views too
			var views []string
			views, err = s.Catalog.Views(cat, db)
			list = append(list, views...)
		}
	case ast.ShowViews:
		header = "view name"
		list, err = s.Catalog.Views(cat, db)
	case ast.ShowDatabases:
		header = "database name"
		list, err = s.Catalog.Databases(cat)
	case ast.ShowCatalogs:
		header = "catalog name"
		list = s.Catalog.Catalogs()
	case ast.ShowFunctions:
		header = "function name"
		list = s.functionNames(cat, db, x.User)
	case ast.ShowCurrentCatalog:
		header, list = "current catalog name", []string{cat}
	case ast.ShowCurrentDatabase:
		header, list = "current database name", []string{db}
	case ast.ShowCreateTable, ast.ShowCreateView:
		return s.showCreate(x)
	case ast.ShowColumns:
		return s.describe(&ast.Describe{At: x.At, Name: *x.Name}, x.Like)
	case ast.ShowJobs:
		return errAt(x, "SHOW JOBS: use `rtdw jobs` (jobs of this data dir with their positions)")
	default:
		return errAt(x, "unsupported SHOW")
	}
	if err != nil {
		return errAt(x, "%v", err)
	}
	sort.Strings(list)
	rows := make([][]string, len(list))
	for i, n := range list {
		rows[i] = []string{n}
	}
	WriteTable(s.Out, []string{header}, likeRows(rows, x.Like))
	return nil
}

// likeMatch is SQL LIKE with % and _.
func likeMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeMatch(p[1:], s[1:])
	}
	return s != "" && s[0] == p[0] && likeMatch(p[1:], s[1:])
}

// describe prints a table's or view's columns (DESCRIBE, and SHOW
// COLUMNS, whose LIKE pattern keeps the columns whose names match).
func (s *Session) describe(x *ast.Describe, like string) error {
	p, err := s.path(x.Name)
	if err != nil {
		return err
	}
	t, v, err := s.Catalog.Lookup(p)
	if err != nil {
		return errAt(x, "%v", err)
	}
	if v != nil {
		pl, err := s.planner()
		if err != nil {
			return errAt(x, "%v", err)
		}
		q, err := parser.ParseQuery(v.Query)
		if err != nil {
			return errAt(x, "view %s: %v", v.Path, err)
		}
		j, err := pl.PlanQuery(&ast.QueryStmt{At: x.At, StmtText: ast.StmtText{Text: v.Query}, Query: q}, nil)
		if err != nil {
			return errAt(x, "view %s: %v", v.Path, err)
		}
		rows := make([][]string, len(j.Columns))
		for i, c := range j.Columns {
			rows[i] = []string{c.Name, c.Type.WithNotNull(false).String(), nullText(c.Type.NotNull), "", "", ""}
		}
		WriteTable(s.Out, []string{"name", "type", "null", "key", "extras", "watermark"}, likeRows(rows, like))
		return nil
	}
	pk := map[string]bool{}
	for _, k := range t.PrimaryKey {
		pk[strings.ToLower(k)] = true
	}
	var rows [][]string
	for _, c := range t.Columns {
		key, extras, wm := "", "", ""
		if pk[strings.ToLower(c.Name)] {
			key = fmt.Sprintf("PRI(%s)", strings.Join(t.PrimaryKey, ", "))
		}
		switch {
		case c.Computed():
			extras = "AS " + c.Expr
		case c.Metadata:
			extras = "METADATA"
			if c.MetadataKey != "" {
				extras += " FROM '" + c.MetadataKey + "'"
			}
			if c.Virtual {
				extras += " VIRTUAL"
			}
		}
		if t.Watermark != nil && strings.EqualFold(t.Watermark.Column, c.Name) {
			wm = t.Watermark.Expr
		}
		typ := c.Type.WithNotNull(false).String()
		switch {
		case wm != "":
			typ += " *ROWTIME*"
		case c.Expr != "" && strings.EqualFold(strings.TrimSpace(c.Expr), "PROCTIME()"):
			typ += " *PROCTIME*" // as Flink's DESCRIBE (timezone.md)
		}
		rows = append(rows, []string{c.Name, typ, nullText(c.Type.NotNull || pk[strings.ToLower(c.Name)]), key, extras, wm})
	}
	WriteTable(s.Out, []string{"name", "type", "null", "key", "extras", "watermark"}, likeRows(rows, like))
	return nil
}

// likeRows keeps the rows whose first cell matches a SHOW ... LIKE
// pattern (all without one), ignoring case as names do here.
func likeRows(rows [][]string, like string) [][]string {
	if like == "" {
		return rows
	}
	var kept [][]string
	for _, r := range rows {
		if likeMatch(strings.ToLower(like), strings.ToLower(r[0])) {
			kept = append(kept, r)
		}
	}
	return kept
}

func nullText(notNull bool) string {
	if notNull {
		return "FALSE"
	}
	return "TRUE"
}

func (s *Session) showCreate(x *ast.Show) error {
	p, err := s.path(*x.Name)
	if err != nil {
		return err
	}
	t, v, err := s.Catalog.Lookup(p)
	if err != nil {
		return errAt(x, "%v", err)
	}
	// As Flink, each statement shows its own kind of object only.
	if v != nil {
		if x.Kind == ast.ShowCreateTable {
			return errAt(x, "SHOW CREATE TABLE is only supported for tables, but %s is a view. Please use SHOW CREATE VIEW instead.", v.Path)
		}
		fmt.Fprintf(s.Out, "CREATE VIEW %s AS\n%s\n", v.Path, v.Query)
		return nil
	}
	if x.Kind == ast.ShowCreateView {
		return errAt(x, "SHOW CREATE VIEW is only supported for views, but %s is a table. Please use SHOW CREATE TABLE instead.", t.Path)
	}
	fmt.Fprint(s.Out, CreateTableSQL(t))
	return nil
}

// CreateTableSQL prints a table's definition as CREATE TABLE.
func CreateTableSQL(t *catalog.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", t.Path)
	var lines []string
	for _, c := range t.Columns {
		switch {
		case c.Computed():
			lines = append(lines, fmt.Sprintf("  `%s` AS %s", c.Name, c.Expr))
		case c.Metadata:
			l := fmt.Sprintf("  `%s` %s METADATA", c.Name, c.Type)
			if c.MetadataKey != "" {
				l += " FROM '" + c.MetadataKey + "'"
			}
			if c.Virtual {
				l += " VIRTUAL"
			}
			lines = append(lines, l)
		default:
			lines = append(lines, fmt.Sprintf("  `%s` %s", c.Name, c.Type))
		}
	}
	if t.Watermark != nil {
		lines = append(lines, fmt.Sprintf("  WATERMARK FOR `%s` AS %s", t.Watermark.Column, t.Watermark.Expr))
	}
	if len(t.PrimaryKey) > 0 {
		lines = append(lines, fmt.Sprintf("  PRIMARY KEY (`%s`) NOT ENFORCED", strings.Join(t.PrimaryKey, "`, `")))
	}
	b.WriteString(strings.Join(lines, ",\n"))
	b.WriteString("\n)")
	if t.Comment != "" {
		fmt.Fprintf(&b, "\nCOMMENT '%s'", strings.ReplaceAll(t.Comment, "'", "''"))
	}
	if len(t.PartitionKeys) > 0 {
		fmt.Fprintf(&b, "\nPARTITIONED BY (`%s`)", strings.Join(t.PartitionKeys, "`, `"))
	}
	keys := make([]string, 0, len(t.Options))
	for k := range t.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString(" WITH (\n")
	for i, k := range keys {
		sep := ","
		if i == len(keys)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  '%s' = '%s'%s\n", k, strings.ReplaceAll(t.Options[k], "'", "''"), sep)
	}
	b.WriteString(")\n")
	return b.String()
}

// likeModes is how CREATE TABLE ... LIKE takes each feature of its base
// table: INCLUDING, EXCLUDING or OVERWRITING, per feature.
type likeModes struct{ mode map[string]string }

// overwrites reports whether a new column may replace base column c.
func (l likeModes) overwrites(c catalog.Column) bool {
	return c.Computed() && l.mode["GENERATED"] == "OVERWRITING" || c.Metadata && l.mode["METADATA"] == "OVERWRITING"
}

// mergeLike puts into t what the LIKE clause of x takes from src, as
// Flink's MergeTableLikeUtil: physical columns always; computed and
// metadata columns, the watermark, the primary key, the partition keys
// and the options as the options say (default INCLUDING ALL OVERWRITING
// OPTIONS). What t defines itself goes in later (tableDef), where a
// conflict with an INCLUDING feature is an error.
func mergeLike(x *ast.CreateTable, src *catalog.Table, t *catalog.Table) (likeModes, error) {
	l := likeModes{mode: map[string]string{"CONSTRAINTS": "INCLUDING", "PARTITIONS": "INCLUDING", "GENERATED": "INCLUDING",
		"OPTIONS": "OVERWRITING", "WATERMARKS": "INCLUDING", "METADATA": "INCLUDING"}}
	for _, o := range x.LikeOptions {
		if o.Feature != "ALL" {
			l.mode[o.Feature] = o.Mode
			continue
		}
		for f := range l.mode {
			l.mode[f] = o.Mode
		}
	}
	for _, c := range src.Columns {
		if c.Computed() && l.mode["GENERATED"] == "EXCLUDING" || c.Metadata && l.mode["METADATA"] == "EXCLUDING" {
			continue
		}
		t.Columns = append(t.Columns, c)
	}
	if l.mode["WATERMARKS"] != "EXCLUDING" {
		t.Watermark = src.Watermark
	}
	if l.mode["CONSTRAINTS"] != "EXCLUDING" {
		t.PrimaryKey = src.PrimaryKey
	}
	if l.mode["PARTITIONS"] != "EXCLUDING" {
		t.PartitionKeys = src.PartitionKeys
	}
	merged := map[string]string{}
	if l.mode["OPTIONS"] != "EXCLUDING" {
		for k, v := range src.Options {
			merged[k] = v
		}
	}
	for k, v := range t.Options {
		if bv, ok := merged[k]; ok && l.mode["OPTIONS"] == "INCLUDING" {
			return l, errAt(x, "There already exists an option ['%s' -> '%s'] in the base table. You might want to specify EXCLUDING OPTIONS or OVERWRITING OPTIONS.", k, bv)
		}
		merged[k] = v
	}
	t.Options = merged
	return l, nil
}
