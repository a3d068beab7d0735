package ast

import (
	"strconv"
	"strings"
)

// Format prints n as Flink SQL that the parser reads back to an equal
// tree (positions, statement texts and identifier quoting aside). The
// catalog stores computed columns, watermarks and views this way and
// the planner names expressions by it, so the output is canonical: one
// spelling per tree, single spaces, upper-case keywords, identifiers in
// backticks only when needed (a reserved word, or not
// [A-Za-z_][A-Za-z0-9_]*), and parentheses only where the tree holds a
// Paren or precedence requires them. CREATE TABLE and statement sets
// print on several lines; everything else on one.
func Format(n Node) string {
	var w writer
	w.node(n)
	return w.String()
}

// FormatCanonical formats n so that two spellings of one expression give
// one text: function names in upper case, and each column reference as
// col returns it (its resolved position, say) when col accepts it.
func FormatCanonical(n Node, col func(*ColumnRef) (string, bool)) string {
	w := writer{canon: true, col: col}
	w.node(n)
	return w.String()
}

// reserved are the words that cannot be bare identifiers: the parser
// refuses them as names and Format quotes them. The list is Calcite's
// reserved words that rtdw's grammar relies on (clause keywords,
// operators, literals, constructors, niladic functions); Flink's many
// other reserved words (VALUE, DATE, YEAR, ...) are common column names
// and stay usable unquoted where they cannot be misread.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ALL AND ARRAY AS ASYMMETRIC BETWEEN BY CASE CAST CROSS
		CURRENT_DATE CURRENT_ROW_TIMESTAMP CURRENT_TIME CURRENT_TIMESTAMP DISTINCT ELSE END ESCAPE
		EXCEPT EXISTS FALSE FETCH FILTER FOR FROM FULL GROUP HAVING IN INNER INTERSECT INTERVAL
		INTO IS JOIN LATERAL LEFT LIKE LIMIT LOCALTIME LOCALTIMESTAMP MAP MATCH_RECOGNIZE MULTISET
		NATURAL NOT NULL OFFSET ON OR ORDER OUTER OVER PARTITION RIGHT ROW SELECT SIMILAR SYMMETRIC
		TABLE TABLESAMPLE THEN TRUE TRY_CAST UNION UNNEST USING VALUES WHEN WHERE WINDOW WITH`) {
		m[w] = true
	}
	return m
}()

// IsReserved reports whether word (any case) is a reserved word of
// rtdw's parser, which an identifier can be only in backticks.
func IsReserved(word string) bool { return reserved[strings.ToUpper(word)] }

// flinkReserved are the further words Flink's parser reserves: the
// SQL:2011 reserved words Calcite keeps and Flink's own (STRING, BYTES,
// WATERMARK, ...). rtdw's parser takes them as bare names where that is
// unambiguous (a column named date, value or year), but Format quotes
// them so that what it prints is valid Flink SQL too.
var flinkReserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ABS ALLOCATE ALLOW ALTER ANY ARE ARRAY_MAX_CARDINALITY ASENSITIVE AT
		ATOMIC AUTHORIZATION AVG BEGIN BEGIN_FRAME BEGIN_PARTITION BIGINT BINARY BIT BLOB BOOLEAN BOTH
		CALL CALLED CARDINALITY CASCADED CEIL CEILING CHAR CHARACTER CHARACTER_LENGTH CHAR_LENGTH CHECK
		CLASSIFIER CLOB CLOSE COALESCE COLLATE COLLECT COLUMN COMMIT CONDITION CONNECT CONSTRAINT
		CONTAINS CONVERT CORR CORRESPONDING COUNT COVAR_POP COVAR_SAMP CREATE CUBE CUME_DIST CURRENT
		CURRENT_CATALOG CURRENT_DEFAULT_TRANSFORM_GROUP CURRENT_PATH CURRENT_ROLE CURRENT_ROW
		CURRENT_SCHEMA CURRENT_TRANSFORM_GROUP_FOR_TYPE CURRENT_USER CURSOR CYCLE DATE DAY DEALLOCATE
		DEC DECIMAL DECLARE DEFAULT DEFINE DELETE DENSE_RANK DEREF DESCRIBE DETERMINISTIC DISALLOW
		DISCONNECT DOUBLE DROP DYNAMIC EACH ELEMENT EMPTY END_FRAME END_PARTITION EQUALS EVERY EXEC
		EXECUTE EXP EXPLAIN EXTEND EXTERNAL EXTRACT FIRST_VALUE FLOAT FLOOR FOREIGN FRAME_ROW FREE
		FUNCTION FUSION GET GLOBAL GRANT GROUPING GROUPS HOLD HOUR IDENTITY IMPORT INDICATOR INITIAL
		INOUT INSENSITIVE INSERT INT INTEGER INTERSECTION JSON_ARRAY JSON_ARRAYAGG JSON_EXISTS
		JSON_OBJECT JSON_OBJECTAGG JSON_QUERY JSON_VALUE LAG LANGUAGE LARGE LAST_VALUE LEAD LEADING
		LIKE_REGEX LN LOCAL LOWER MATCH MATCHES MATCH_NUMBER MAX MEASURES MEMBER MERGE METHOD MIN
		MINUS MINUTE MOD MODIFIES MODULE MONTH NATIONAL NCHAR NCLOB NEW NEXT NO NONE NORMALIZE
		NTH_VALUE NTILE NULLIF NUMERIC OCCURRENCES_REGEX OCTET_LENGTH OF OLD OMIT ONE ONLY OPEN OUT
		OVERLAPS OVERLAY PARAMETER PATTERN PER PERCENT PERCENTILE_CONT PERCENTILE_DISC PERCENT_RANK
		PERIOD PERMUTE PORTION POSITION POSITION_REGEX POWER PRECEDES PRECISION PREPARE PREV PRIMARY
		PROCEDURE RANGE RANK READS REAL RECURSIVE REF REFERENCES REFERENCING RELEASE RESET RESULT
		RETURN RETURNS REVOKE ROLLBACK ROLLUP ROWS ROW_NUMBER RUNNING SAVEPOINT SCOPE SCROLL SEARCH
		SECOND SEEK SENSITIVE SESSION_USER SET SHOW SKIP SMALLINT SOME SPECIFIC SPECIFICTYPE SQL
		SQLEXCEPTION SQLSTATE SQLWARNING SQRT START STATIC STDDEV_POP STDDEV_SAMP STREAM SUBMULTISET
		SUBSET SUBSTRING SUBSTRING_REGEX SUCCEEDS SUM SYSTEM SYSTEM_TIME SYSTEM_USER TIME TIMESTAMP
		TIMEZONE_HOUR TIMEZONE_MINUTE TINYINT TO TRAILING TRANSLATE TRANSLATE_REGEX TRANSLATION TREAT
		TRIGGER TRIM TRIM_ARRAY TRUNCATE UESCAPE UNIQUE UNKNOWN UPDATE UPPER UPSERT USER VALUE
		VALUE_OF VARBINARY VARCHAR VARYING VAR_POP VAR_SAMP VERSIONING WHENEVER WIDTH_BUCKET WITHIN
		WITHOUT YEAR
		BYTES CATALOGS DATABASE DATABASES FUNCTIONS IF JOBS MODULES OVERWRITE RAW STATEMENT STRING
		TABLES TIMESTAMP_LTZ USE VIEWS WATERMARK`) {
		m[w] = true
	}
	return m
}()

// QuoteIdent returns name as an identifier: bare when it is a plain
// [A-Za-z_][A-Za-z0-9_]* word that neither rtdw nor Flink reserves, in
// backticks (a backtick doubled) otherwise.
func QuoteIdent(name string) string {
	if plainWord(name) && !IsReserved(name) && !flinkReserved[strings.ToUpper(name)] {
		return name
	}
	return quote(name)
}

func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// funcName quotes a function name only where the parser needs it: COUNT
// and FLOOR are reserved words that name functions, and print bare.
func funcName(name string) string {
	if plainWord(name) && !IsReserved(name) {
		return name
	}
	return quote(name)
}

func plainWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// QuoteString returns s as a string literal, a quote doubled.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type writer struct {
	strings.Builder
	canon bool                            // FormatCanonical
	col   func(*ColumnRef) (string, bool) // FormatCanonical's column names
}

func (w *writer) ws(ss ...string) {
	for _, s := range ss {
		w.WriteString(s)
	}
}

func (w *writer) node(n Node) {
	switch x := n.(type) {
	case nil:
	case Statement:
		w.stmt(x)
	case *Query:
		w.query(x)
	case SetExpr:
		w.setExpr(x, 0)
	case TableExpr:
		w.tableExpr(x)
	case Expr:
		w.expr(x)
	case Ident:
		w.ident(x)
	case *Ident:
		w.ident(*x)
	case ObjectName:
		w.name(x)
	case *ObjectName:
		w.name(*x)
	case Option:
		w.option(x)
	case *Option:
		w.option(*x)
	case ColumnDef:
		w.column(&x)
	case *ColumnDef:
		w.column(x)
	case WatermarkDef:
		w.watermark(&x)
	case *WatermarkDef:
		w.watermark(x)
	case CTE:
		w.cte(&x)
	case *CTE:
		w.cte(x)
	case SelectItem:
		w.selectItem(&x)
	case *SelectItem:
		w.selectItem(x)
	case OrderItem:
		w.orderItem(&x)
	case *OrderItem:
		w.orderItem(x)
	case Hint:
		w.hints([]Hint{x})
	case *Hint:
		w.hints([]Hint{*x})
	case *Over:
		w.over(x)
	}
}

func (w *writer) ident(id Ident) { w.WriteString(QuoteIdent(id.Name)) }

func (w *writer) name(n ObjectName) {
	for i, p := range n.Parts {
		if i > 0 {
			w.WriteByte('.')
		}
		w.ident(p)
	}
}

func (w *writer) identList(ids []Ident) {
	w.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			w.WriteString(", ")
		}
		w.ident(id)
	}
	w.WriteByte(')')
}

func (w *writer) option(o Option) { w.ws(QuoteString(o.Key), " = ", QuoteString(o.Value)) }

// options prints ('k' = 'v', ...), one per line when multiline.
func (w *writer) options(opts []Option, multiline bool) {
	if !multiline || len(opts) == 0 {
		w.WriteByte('(')
		for i, o := range opts {
			if i > 0 {
				w.WriteString(", ")
			}
			w.option(o)
		}
		w.WriteByte(')')
		return
	}
	w.WriteString("(\n")
	for i, o := range opts {
		w.WriteString("  ")
		w.option(o)
		if i < len(opts)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteByte(')')
}

// ---------------------------------------------------------------- statements

func (w *writer) stmt(s Statement) {
	switch x := s.(type) {
	case *CreateTable:
		w.createTable(x)
	case *CreateView:
		w.WriteString("CREATE ")
		if x.Temporary {
			w.WriteString("TEMPORARY ")
		}
		w.WriteString("VIEW ")
		if x.IfNotExists {
			w.WriteString("IF NOT EXISTS ")
		}
		w.name(x.Name)
		if len(x.Columns) > 0 {
			w.WriteByte(' ')
			w.identList(x.Columns)
		}
		if x.Comment != "" {
			w.ws(" COMMENT ", QuoteString(x.Comment))
		}
		w.WriteString(" AS ")
		w.query(x.Query)
	case *CreateDatabase:
		w.WriteString("CREATE DATABASE ")
		if x.IfNotExists {
			w.WriteString("IF NOT EXISTS ")
		}
		w.name(x.Name)
		if x.Comment != "" {
			w.ws(" COMMENT ", QuoteString(x.Comment))
		}
		if len(x.Options) > 0 {
			w.WriteString(" WITH ")
			w.options(x.Options, false)
		}
	case *CreateCatalog:
		w.WriteString("CREATE CATALOG ")
		if x.IfNotExists {
			w.WriteString("IF NOT EXISTS ")
		}
		w.ident(x.Name)
		w.WriteString(" WITH ")
		w.options(x.Options, false)
	case *CreateFunction:
		w.WriteString("CREATE ")
		if x.Temporary || x.System {
			w.WriteString("TEMPORARY ")
		}
		if x.System {
			w.WriteString("SYSTEM ")
		}
		w.WriteString("FUNCTION ")
		if x.IfNotExists {
			w.WriteString("IF NOT EXISTS ")
		}
		w.name(x.Name)
		w.ws(" AS ", QuoteString(x.Class))
		if x.Language != "" {
			w.ws(" LANGUAGE ", strings.ToUpper(x.Language))
		}
	case *Drop:
		w.WriteString("DROP ")
		if x.Temporary {
			w.WriteString("TEMPORARY ")
		}
		if x.System {
			w.WriteString("SYSTEM ")
		}
		w.ws(string(x.Kind), " ")
		if x.IfExists {
			w.WriteString("IF EXISTS ")
		}
		w.name(x.Name)
		if x.Cascade {
			w.WriteString(" CASCADE")
		}
	case *AlterTable:
		w.WriteString("ALTER TABLE ")
		if x.IfExists {
			w.WriteString("IF EXISTS ")
		}
		w.name(x.Name)
		switch {
		case x.RenameTo != nil:
			w.WriteString(" RENAME TO ")
			w.name(*x.RenameTo)
		case len(x.Reset) > 0:
			w.WriteString(" RESET (")
			for i, k := range x.Reset {
				if i > 0 {
					w.WriteString(", ")
				}
				w.WriteString(QuoteString(k))
			}
			w.WriteByte(')')
		default:
			w.WriteString(" SET ")
			w.options(x.Set, false)
		}
	case *Use:
		w.WriteString("USE ")
		if x.Catalog {
			w.WriteString("CATALOG ")
		}
		w.name(x.Name)
	case *Show:
		w.show(x)
	case *Describe:
		w.WriteString("DESCRIBE ")
		w.name(x.Name)
	case *Explain:
		w.WriteString("EXPLAIN ")
		if set, ok := x.Stmt.(*StatementSet); ok {
			w.WriteString("STATEMENT SET\n")
			w.statementSetBody(set)
			return
		}
		w.stmt(x.Stmt)
	case *Set:
		w.WriteString("SET")
		if x.HasKey {
			w.ws(" ", QuoteString(x.Key), " = ", QuoteString(x.Value))
		}
	case *Jar:
		if x.Remove {
			w.WriteString("REMOVE JAR ")
		} else {
			w.WriteString("ADD JAR ")
		}
		w.WriteString(QuoteString(x.Path))
	case *Reset:
		w.WriteString("RESET")
		if x.Key != "" {
			w.ws(" ", QuoteString(x.Key))
		}
	case *Insert:
		w.insert(x)
	case *StatementSet:
		w.WriteString("EXECUTE STATEMENT SET\n")
		w.statementSetBody(x)
	case *QueryStmt:
		w.query(x.Query)
	case *StopJob:
		w.ws("STOP JOB ", QuoteString(x.Name))
	}
}

func (w *writer) statementSetBody(s *StatementSet) {
	w.WriteString("BEGIN\n")
	for _, ins := range s.Inserts {
		w.WriteString("  ")
		w.insert(ins)
		w.WriteString(";\n")
	}
	w.WriteString("END")
}

func (w *writer) createTable(x *CreateTable) {
	w.WriteString("CREATE ")
	if x.Temporary {
		w.WriteString("TEMPORARY ")
	}
	w.WriteString("TABLE ")
	if x.IfNotExists {
		w.WriteString("IF NOT EXISTS ")
	}
	w.name(x.Name)
	var elems []string
	for i := range x.Columns {
		var cw writer
		cw.column(&x.Columns[i])
		elems = append(elems, cw.String())
	}
	if x.Watermark != nil {
		var cw writer
		cw.watermark(x.Watermark)
		elems = append(elems, cw.String())
	}
	if len(x.PrimaryKey) > 0 {
		var cw writer
		if x.PrimaryKeyName != "" {
			cw.ws("CONSTRAINT ", QuoteIdent(x.PrimaryKeyName), " ")
		}
		cw.WriteString("PRIMARY KEY ")
		cw.identList(x.PrimaryKey)
		cw.WriteString(" NOT ENFORCED")
		elems = append(elems, cw.String())
	}
	if len(elems) > 0 {
		w.WriteString(" (\n")
		for i, e := range elems {
			w.ws("  ", e)
			if i < len(elems)-1 {
				w.WriteByte(',')
			}
			w.WriteByte('\n')
		}
		w.WriteByte(')')
	}
	if x.Comment != "" {
		w.ws(" COMMENT ", QuoteString(x.Comment))
	}
	if len(x.PartitionBy) > 0 {
		w.WriteString("\nPARTITIONED BY ")
		w.identList(x.PartitionBy)
	}
	if len(x.Options) > 0 {
		w.WriteString("\nWITH ")
		w.options(x.Options, true)
	}
	if x.Like != nil {
		w.WriteString("\nLIKE ")
		w.name(*x.Like)
		if len(x.LikeOptions) > 0 {
			w.WriteString(" (")
			for i, o := range x.LikeOptions {
				if i > 0 {
					w.WriteString(", ")
				}
				w.WriteString(o.Mode + " " + o.Feature)
			}
			w.WriteString(")")
		}
	}
}

func (w *writer) column(c *ColumnDef) {
	w.ident(c.Name)
	if c.Computed != nil {
		w.WriteString(" AS ")
		w.expr(c.Computed)
	} else {
		w.ws(" ", c.Type.String())
		if c.Metadata {
			w.WriteString(" METADATA")
			if c.MetadataKey != "" {
				w.ws(" FROM ", QuoteString(c.MetadataKey))
			}
			if c.Virtual {
				w.WriteString(" VIRTUAL")
			}
		}
	}
	if c.Comment != "" {
		w.ws(" COMMENT ", QuoteString(c.Comment))
	}
}

func (w *writer) watermark(wm *WatermarkDef) {
	w.WriteString("WATERMARK FOR ")
	w.ident(wm.Column)
	w.WriteString(" AS ")
	w.expr(wm.Expr)
}

func (w *writer) show(x *Show) {
	w.WriteString("SHOW ")
	if x.User {
		w.WriteString("USER ")
	}
	w.WriteString(string(x.Kind))
	switch x.Kind {
	case ShowCreateTable, ShowCreateView:
		if x.Name != nil {
			w.WriteByte(' ')
			w.name(*x.Name)
		}
		return
	case ShowTables, ShowViews, ShowColumns, ShowFunctions:
		if x.Name != nil {
			w.WriteString(" FROM ")
			w.name(*x.Name)
		}
		if x.Like != "" {
			w.ws(" LIKE ", QuoteString(x.Like))
		}
	}
}

func (w *writer) insert(x *Insert) {
	w.WriteString("INSERT ")
	if x.Overwrite {
		w.WriteString("OVERWRITE ")
	} else {
		w.WriteString("INTO ")
	}
	w.name(x.Table)
	if len(x.Hints) > 0 {
		w.WriteByte(' ')
		w.hints([]Hint{{Name: "OPTIONS", Options: x.Hints}})
	}
	if len(x.Partition) > 0 {
		w.WriteString(" PARTITION (")
		for i, ps := range x.Partition {
			if i > 0 {
				w.WriteString(", ")
			}
			w.ident(ps.Column)
			w.WriteString(" = ")
			w.exprPrec(ps.Value, precAdd)
		}
		w.WriteByte(')')
	}
	if len(x.Columns) > 0 {
		w.WriteByte(' ')
		w.identList(x.Columns)
	}
	w.WriteByte(' ')
	w.query(x.Query)
}

// ---------------------------------------------------------------- queries

func (w *writer) query(q *Query) {
	if q == nil {
		return
	}
	if len(q.With) > 0 {
		w.WriteString("WITH ")
		for i := range q.With {
			if i > 0 {
				w.WriteString(", ")
			}
			w.cte(&q.With[i])
		}
		w.WriteByte(' ')
	}
	w.setExpr(q.Body, 0)
	if len(q.OrderBy) > 0 {
		w.WriteString(" ORDER BY ")
		w.orderItems(q.OrderBy)
	}
	if q.Limit != nil {
		w.WriteString(" LIMIT ")
		w.exprPrec(q.Limit, precAdd)
	}
	if q.Offset != nil {
		w.WriteString(" OFFSET ")
		w.exprPrec(q.Offset, precAdd)
	}
}

func (w *writer) cte(c *CTE) {
	w.ident(c.Name)
	if len(c.Columns) > 0 {
		w.WriteByte(' ')
		w.identList(c.Columns)
	}
	w.WriteString(" AS (")
	w.query(c.Query)
	w.WriteByte(')')
}

func setPrec(s SetExpr) int {
	if op, ok := s.(*SetOp); ok {
		if op.Op == Intersect {
			return 2
		}
		return 1
	}
	return 3
}

// setExpr prints s, in parentheses when it binds looser than min
// (INTERSECT binds tighter than UNION and EXCEPT).
func (w *writer) setExpr(s SetExpr, min int) {
	if setPrec(s) < min {
		w.WriteByte('(')
		w.setExpr(s, 0)
		w.WriteByte(')')
		return
	}
	switch x := s.(type) {
	case *Select:
		w.selectBlock(x)
	case *Values:
		w.WriteString("VALUES ")
		for i, r := range x.Rows {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteByte('(')
			w.exprs(r)
			w.WriteByte(')')
		}
	case *Query:
		w.WriteByte('(')
		w.query(x)
		w.WriteByte(')')
	case *SetOp:
		p := setPrec(x)
		w.setExpr(x.Left, p)
		w.ws(" ", string(x.Op), " ")
		if x.All {
			w.WriteString("ALL ")
		}
		w.setExpr(x.Right, p+1)
	}
}

func (w *writer) selectBlock(s *Select) {
	w.WriteString("SELECT ")
	if len(s.Hints) > 0 {
		w.hints(s.Hints)
		w.WriteByte(' ')
	}
	if s.Distinct {
		w.WriteString("DISTINCT ")
	}
	for i := range s.Items {
		if i > 0 {
			w.WriteString(", ")
		}
		w.selectItem(&s.Items[i])
	}
	if s.From != nil {
		w.WriteString(" FROM ")
		w.tableExpr(s.From)
	}
	if s.Where != nil {
		w.WriteString(" WHERE ")
		w.expr(s.Where)
	}
	if len(s.GroupBy) > 0 {
		w.WriteString(" GROUP BY ")
		for i, g := range s.GroupBy {
			if i > 0 {
				w.WriteString(", ")
			}
			if gs, ok := g.(*GroupingSets); ok && len(gs.Sets) == 1 && len(gs.Sets[0]) == 0 {
				w.WriteString("()") // the grand total
				continue
			}
			w.expr(g)
		}
	}
	if s.Having != nil {
		w.WriteString(" HAVING ")
		w.expr(s.Having)
	}
	if len(s.Windows) > 0 {
		w.WriteString(" WINDOW ")
		for i, nw := range s.Windows {
			if i > 0 {
				w.WriteString(", ")
			}
			w.ident(nw.Name)
			w.WriteString(" AS ")
			w.windowSpec(nw.Spec)
		}
	}
}

func (w *writer) selectItem(it *SelectItem) {
	switch {
	case it.Star && it.Qualifier != nil:
		w.name(*it.Qualifier)
		w.WriteString(".*")
	case it.Star:
		w.WriteByte('*')
	default:
		w.expr(it.Expr)
		if it.Alias != nil {
			w.WriteString(" AS ")
			w.ident(*it.Alias)
		}
	}
}

func (w *writer) orderItems(items []OrderItem) {
	for i := range items {
		if i > 0 {
			w.WriteString(", ")
		}
		w.orderItem(&items[i])
	}
}

func (w *writer) orderItem(it *OrderItem) {
	w.expr(it.Expr)
	if it.Desc {
		w.WriteString(" DESC")
	}
	if it.NullsFirst != nil {
		if *it.NullsFirst {
			w.WriteString(" NULLS FIRST")
		} else {
			w.WriteString(" NULLS LAST")
		}
	}
}

// hints prints /*+ NAME(...), ... */.
func (w *writer) hints(hs []Hint) {
	w.WriteString("/*+ ")
	for i, h := range hs {
		if i > 0 {
			w.WriteString(", ")
		}
		w.WriteString(QuoteIdent(h.Name))
		switch {
		case len(h.Options) > 0:
			w.options(h.Options, false)
		case len(h.Args) > 0:
			w.WriteByte('(')
			for j, a := range h.Args {
				if j > 0 {
					w.WriteString(", ")
				}
				if plainWord(a) && !IsReserved(a) {
					w.WriteString(a)
				} else {
					w.WriteString(QuoteString(a)) // the parser takes a string for any argument
				}
			}
			w.WriteByte(')')
		}
	}
	w.WriteString(" */")
}

func (w *writer) tableExpr(t TableExpr) {
	switch x := t.(type) {
	case *TableRef:
		w.name(x.Name)
		if len(x.Hints) > 0 {
			w.WriteByte(' ')
			w.hints(x.Hints)
		}
		if x.ForSystemTime != nil {
			w.WriteString(" FOR SYSTEM_TIME AS OF ")
			w.expr(x.ForSystemTime)
		}
		w.alias(x.Alias)
	case *Subquery:
		if x.Lateral {
			w.WriteString("LATERAL ")
		}
		w.WriteByte('(')
		w.query(x.Query)
		w.WriteByte(')')
		w.alias(x.Alias)
	case *TableFunc:
		if x.Lateral {
			w.WriteString("LATERAL ")
		}
		w.WriteString("TABLE(")
		if x.Call != nil {
			w.call(x.Call)
		}
		w.WriteByte(')')
		w.alias(x.Alias)
	case *Unnest:
		w.WriteString("UNNEST(")
		w.exprs(x.Args)
		w.WriteByte(')')
		if x.WithOrdinality {
			w.WriteString(" WITH ORDINALITY")
		}
		w.alias(x.Alias)
	case *Join:
		w.tableExpr(x.Left)
		if x.Kind == CommaJoin {
			w.WriteString(", ")
		} else {
			w.WriteByte(' ')
			if x.Kind != InnerJoin {
				w.ws(string(x.Kind), " ")
			}
			w.WriteString("JOIN ")
		}
		if _, ok := x.Right.(*Join); ok {
			w.WriteByte('(')
			w.tableExpr(x.Right)
			w.WriteByte(')')
		} else {
			w.tableExpr(x.Right)
		}
		switch {
		case x.On != nil:
			w.WriteString(" ON ")
			w.expr(x.On)
		case len(x.Using) > 0:
			w.WriteString(" USING ")
			w.identList(x.Using)
		}
	}
}

func (w *writer) alias(a *Alias) {
	if a == nil {
		return
	}
	w.WriteString(" AS ")
	w.ident(a.Name)
	if len(a.Columns) > 0 {
		w.identList(a.Columns)
	}
}

func (w *writer) windowSpec(s *WindowSpec) {
	w.WriteByte('(')
	if s == nil {
		w.WriteByte(')')
		return
	}
	sep := ""
	if len(s.PartitionBy) > 0 {
		w.WriteString("PARTITION BY ")
		w.exprs(s.PartitionBy)
		sep = " "
	}
	if len(s.OrderBy) > 0 {
		w.ws(sep, "ORDER BY ")
		w.orderItems(s.OrderBy)
		sep = " "
	}
	if f := s.Frame; f != nil {
		w.WriteString(sep)
		if f.Rows {
			w.WriteString("ROWS BETWEEN ")
		} else {
			w.WriteString("RANGE BETWEEN ")
		}
		w.frameBound(f.Start)
		w.WriteString(" AND ")
		w.frameBound(f.End)
	}
	w.WriteByte(')')
}

func (w *writer) frameBound(b FrameBound) {
	if b.Offset != nil && (b.Kind == Preceding || b.Kind == Following) {
		if c, ok := b.Offset.(*ColumnRef); ok && len(c.Parts) == 1 && strings.EqualFold(c.Parts[0].Name, "UNBOUNDED") {
			// a column named unbounded: quoted, or it reads as UNBOUNDED PRECEDING
			w.WriteString(quote(c.Parts[0].Name))
		} else {
			w.exprPrec(b.Offset, precAdd)
		}
		w.WriteByte(' ')
	}
	w.WriteString(string(b.Kind))
}

func (w *writer) over(o *Over) {
	w.WriteString("OVER ")
	if o.Spec != nil || o.WindowName == "" {
		w.windowSpec(o.Spec)
		return
	}
	w.WriteString(QuoteIdent(o.WindowName))
}

// ---------------------------------------------------------------- expressions

// Operator precedence, loosest first, as the parser climbs it.
const (
	precOr = 1 + iota
	precAnd
	precNot
	precCmp
	precAdd
	precMul
	precUnary
	precPrimary
)

func precOf(e Expr) int {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "OR":
			return precOr
		case "AND":
			return precAnd
		case "+", "-", "||":
			return precAdd
		case "*", "/", "%":
			return precMul
		}
		return precCmp
	case *Unary:
		if strings.EqualFold(x.Op, "NOT") {
			return precNot
		}
		return precUnary
	case *Exists:
		if x.Not {
			return precNot
		}
	case *IsNull, *IsBool, *IsDistinct, *Between, *InList, *InQuery, *Like:
		return precCmp
	}
	return precPrimary
}

func (w *writer) exprs(es []Expr) {
	for i, e := range es {
		if i > 0 {
			w.WriteString(", ")
		}
		w.expr(e)
	}
}

// exprPrec prints e, in parentheses when it binds looser than min.
func (w *writer) exprPrec(e Expr, min int) {
	if precOf(e) < min {
		w.WriteByte('(')
		w.expr(e)
		w.WriteByte(')')
		return
	}
	w.expr(e)
}

func (w *writer) not(not bool) {
	if not {
		w.WriteString(" NOT")
	}
}

func (w *writer) expr(e Expr) {
	switch x := e.(type) {
	case nil:
	case *Literal:
		w.literal(x)
	case *TypedLiteral:
		w.ws(strings.ToUpper(x.Type), " ", QuoteString(x.Value))
	case *IntervalLiteral:
		w.interval(x)
	case *ColumnRef:
		if w.col != nil {
			if s, ok := w.col(x); ok {
				w.WriteString(s)
				break
			}
		}
		for i, p := range x.Parts {
			if i > 0 {
				w.WriteByte('.')
			}
			w.ident(p)
		}
	case *Unary:
		op := strings.ToUpper(x.Op)
		if op == "NOT" {
			w.WriteString("NOT ")
			w.exprPrec(x.X, precNot)
			return
		}
		var sub writer
		sub.exprPrec(x.X, precUnary)
		w.WriteString(op)
		if s := sub.String(); strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			w.WriteByte(' ') // "- -1", not the comment "--1"
		}
		w.WriteString(sub.String())
	case *Binary:
		p := precOf(x)
		w.exprPrec(x.L, p)
		w.ws(" ", strings.ToUpper(x.Op), " ")
		w.exprPrec(x.R, p+1)
	case *IsNull:
		w.exprPrec(x.X, precCmp)
		w.WriteString(" IS")
		w.not(x.Not)
		w.WriteString(" NULL")
	case *IsBool:
		w.exprPrec(x.X, precCmp)
		w.WriteString(" IS")
		w.not(x.Not)
		w.ws(" ", strings.ToUpper(x.Value))
	case *IsDistinct:
		w.exprPrec(x.L, precCmp)
		w.WriteString(" IS")
		w.not(x.Not)
		w.WriteString(" DISTINCT FROM ")
		w.exprPrec(x.R, precAdd)
	case *Between:
		w.exprPrec(x.X, precCmp)
		w.not(x.Not)
		w.WriteString(" BETWEEN ")
		if x.Symmetric {
			w.WriteString("SYMMETRIC ")
		}
		w.exprPrec(x.Lo, precAdd)
		w.WriteString(" AND ")
		w.exprPrec(x.Hi, precAdd)
	case *InList:
		w.exprPrec(x.X, precCmp)
		w.not(x.Not)
		w.WriteString(" IN (")
		w.exprs(x.List)
		w.WriteByte(')')
	case *InQuery:
		w.exprPrec(x.X, precCmp)
		w.not(x.Not)
		w.WriteString(" IN (")
		w.query(x.Query)
		w.WriteByte(')')
	case *Exists:
		if x.Not {
			w.WriteString("NOT ")
		}
		w.WriteString("EXISTS (")
		w.query(x.Query)
		w.WriteByte(')')
	case *Like:
		w.exprPrec(x.X, precCmp)
		w.not(x.Not)
		if x.Similar {
			w.WriteString(" SIMILAR TO ")
		} else {
			w.WriteString(" LIKE ")
		}
		w.exprPrec(x.Pattern, precAdd)
		if x.Escape != nil {
			w.WriteString(" ESCAPE ")
			w.exprPrec(x.Escape, precAdd)
		}
	case *Case:
		w.WriteString("CASE")
		if x.Operand != nil {
			w.WriteByte(' ')
			w.expr(x.Operand)
		}
		for _, wh := range x.Whens {
			w.WriteString(" WHEN ")
			w.expr(wh.Cond)
			w.WriteString(" THEN ")
			w.expr(wh.Result)
		}
		if x.Else != nil {
			w.WriteString(" ELSE ")
			w.expr(x.Else)
		}
		w.WriteString(" END")
	case *Cast:
		if x.Try {
			w.WriteString("TRY_CAST(")
		} else {
			w.WriteString("CAST(")
		}
		w.expr(x.X)
		w.ws(" AS ", x.Type.String(), ")")
	case *FuncCall:
		w.call(x)
	case *TimeUnit:
		w.WriteString(strings.ToUpper(x.Unit))
	case *Symbol:
		w.WriteString(strings.ToUpper(x.Name))
	case *TypeArg:
		w.WriteString(x.Type.String())
	case *Descriptor:
		w.WriteString("DESCRIPTOR")
		w.identList(x.Columns)
	case *TableArg:
		w.WriteString("TABLE ")
		if x.Query != nil {
			w.WriteByte('(')
			w.query(x.Query)
			w.WriteByte(')')
		} else {
			w.name(x.Name)
		}
	case *PartitionedTableArg:
		if x.Table != nil {
			w.expr(x.Table)
		}
		w.WriteString(" PARTITION BY ")
		if len(x.PartitionBy) == 1 {
			w.ident(x.PartitionBy[0])
		} else {
			w.identList(x.PartitionBy)
		}
	case *NamedArg:
		if plainWord(x.Name.Name) {
			w.WriteString(x.Name.Name) // any word names an argument, reserved or not (OFFSET => ...)
		} else {
			w.ident(x.Name)
		}
		w.WriteString(" => ")
		w.expr(x.Value)
	case *Subscript:
		w.exprPrec(x.X, precPrimary)
		w.WriteByte('[')
		w.expr(x.Index)
		w.WriteByte(']')
	case *FieldAccess:
		if needsParensForField(x.X) {
			w.WriteByte('(')
			w.expr(x.X)
			w.WriteByte(')')
		} else {
			w.expr(x.X)
		}
		w.WriteByte('.')
		w.ident(x.Field)
	case *RowCtor:
		w.WriteString("ROW(")
		w.exprs(x.Args)
		w.WriteByte(')')
	case *ArrayCtor:
		w.WriteString("ARRAY[")
		w.exprs(x.Elems)
		w.WriteByte(']')
	case *MapCtor:
		w.WriteString("MAP[")
		w.exprs(x.KVs)
		w.WriteByte(']')
	case *ScalarSubquery:
		w.WriteByte('(')
		w.query(x.Query)
		w.WriteByte(')')
	case *Paren:
		w.WriteByte('(')
		w.expr(x.X)
		w.WriteByte(')')
	case *GroupingSets:
		w.WriteString("GROUPING SETS (")
		for i, set := range x.Sets {
			if i > 0 {
				w.WriteString(", ")
			}
			if len(set) == 1 {
				switch set[0].(type) {
				case *Rollup, *Cube, *GroupingSets:
					w.expr(set[0])
					continue
				}
			}
			w.WriteByte('(')
			w.exprs(set)
			w.WriteByte(')')
		}
		w.WriteByte(')')
	case *Rollup:
		w.WriteString("ROLLUP(")
		w.exprs(x.Exprs)
		w.WriteByte(')')
	case *Cube:
		w.WriteString("CUBE(")
		w.exprs(x.Exprs)
		w.WriteByte(')')
	}
}

// needsParensForField reports whether x must be parenthesized before
// .field: a column path would absorb the field (a.b is a ColumnRef, (a).b
// a FieldAccess), and the parser takes no field of a literal.
func needsParensForField(x Expr) bool {
	switch x.(type) {
	case *ColumnRef, *Literal, *TypedLiteral, *IntervalLiteral:
		return true
	}
	return precOf(x) < precPrimary
}

func (w *writer) literal(x *Literal) {
	switch x.Kind {
	case NullLit:
		w.WriteString("NULL")
	case BoolLit:
		if x.Bool {
			w.WriteString("TRUE")
		} else {
			w.WriteString("FALSE")
		}
	case StringLit:
		w.WriteString(QuoteString(x.Text))
	case BinaryLit:
		const hex = "0123456789ABCDEF"
		w.WriteString("X'")
		for i := 0; i < len(x.Text); i++ {
			w.WriteByte(hex[x.Text[i]>>4])
			w.WriteByte(hex[x.Text[i]&15])
		}
		w.WriteByte('\'')
	default:
		w.WriteString(x.Text)
	}
}

func (w *writer) interval(x *IntervalLiteral) {
	w.WriteString("INTERVAL ")
	if x.Negative {
		w.WriteByte('-')
	}
	w.ws(QuoteString(x.Value), " ", strings.ToUpper(x.From))
	switch {
	case x.Precision > 0 && x.To == "" && x.FracPrecision > 0 && strings.EqualFold(x.From, "SECOND"):
		w.ws("(", strconv.Itoa(x.Precision), ", ", strconv.Itoa(x.FracPrecision), ")")
	case x.Precision > 0:
		w.ws("(", strconv.Itoa(x.Precision), ")")
	}
	if x.To != "" {
		w.ws(" TO ", strings.ToUpper(x.To))
		if x.FracPrecision > 0 {
			w.ws("(", strconv.Itoa(x.FracPrecision), ")")
		}
	}
}

// ---------------------------------------------------------------- calls

// call prints a function call. Functions with a syntax of their own
// (EXTRACT, TRIM, JSON_VALUE, ...) print in it when their arguments
// have the shape the parser normalizes that syntax into; otherwise the
// name goes in backticks where the parser would read the bare name's
// special syntax, so that the call reads back as a plain call.
func (w *writer) call(f *FuncCall) {
	if w.canon {
		g := *f
		g.Name.Parts = make([]Ident, len(f.Name.Parts))
		for i, p := range f.Name.Parts {
			g.Name.Parts[i] = Ident{Name: strings.ToUpper(p.Name)}
		}
		f = &g
	}
	last := f.Name.Parts[len(f.Name.Parts)-1].Name
	if f.NoParens {
		// the keyword as written: the name keeps its case through a round trip
		w.WriteString(last)
		w.callSuffix(f)
		return
	}
	upper := ""
	if len(f.Name.Parts) == 1 && plainWord(last) {
		upper = strings.ToUpper(last)
	}
	if upper != "" && !f.Distinct && !f.Star && len(f.Args) > 0 && w.specialCall(upper, last, f.Args) {
		w.callSuffix(f)
		return
	}
	switch {
	case upper != "" && mustQuoteCall(upper, f):
		w.WriteString(quote(last))
	case noParenNames[upper] || upper == "LEFT" || upper == "RIGHT":
		// CURRENT_TIMESTAMP(3), LEFT(s, 2): reserved words the parser
		// reads as function names before "("
		w.WriteString(last)
	default:
		for i, p := range f.Name.Parts {
			if i > 0 {
				w.WriteByte('.')
			}
			w.WriteString(funcName(p.Name))
		}
	}
	w.WriteByte('(')
	switch {
	case f.Star:
		w.WriteByte('*')
	default:
		if f.Distinct {
			w.WriteString("DISTINCT ")
		}
		w.exprs(f.Args)
	}
	w.WriteByte(')')
	w.callSuffix(f)
}

var noParenNames = map[string]bool{"CURRENT_DATE": true, "CURRENT_TIME": true, "CURRENT_TIMESTAMP": true,
	"LOCALTIME": true, "LOCALTIMESTAMP": true, "CURRENT_ROW_TIMESTAMP": true}

// mustQuoteCall reports whether a plain call of a function with this
// name needs its name in backticks to avoid being read in the name's
// special syntax.
func mustQuoteCall(upper string, f *FuncCall) bool {
	switch upper {
	case "TIMESTAMPADD", "TIMESTAMPDIFF", "POSITION", "TRIM", "OVERLAY", "JSON_OBJECT", "JSON_OBJECTAGG",
		"DESCRIPTOR", "ROLLUP", "CUBE":
		return !f.Distinct && !f.Star && len(f.Args) > 0
	case "JSON_VALUE", "JSON_QUERY", "JSON_EXISTS", "JSON_ARRAY", "JSON_ARRAYAGG":
		for _, a := range f.Args {
			switch a.(type) {
			case *Symbol, *TypeArg:
				return !f.Distinct && !f.Star
			}
		}
	}
	return false
}

func (w *writer) callSuffix(f *FuncCall) {
	if f.Filter != nil {
		w.WriteString(" FILTER (WHERE ")
		w.expr(f.Filter)
		w.WriteByte(')')
	}
	if f.Over != nil {
		w.WriteByte(' ')
		w.over(f.Over)
	}
}

func isSymbol(e Expr, names ...string) (string, bool) {
	s, ok := e.(*Symbol)
	if !ok {
		return "", false
	}
	n := strings.ToUpper(s.Name)
	if len(names) == 0 {
		return n, true
	}
	for _, want := range names {
		if n == want {
			return n, true
		}
	}
	return "", false
}

func isPlainArg(e Expr) bool {
	switch e.(type) {
	case *Symbol, *TypeArg, *TimeUnit:
		return false
	}
	return true
}

// specialCall prints the special syntax of fn (upper-cased; name is as
// written) when args has its shape.
func (w *writer) specialCall(fn, name string, args []Expr) bool {
	switch fn {
	case "EXTRACT":
		if u, ok := args[0].(*TimeUnit); ok && len(args) == 2 && isPlainArg(args[1]) {
			w.ws(name, "(", strings.ToUpper(u.Unit), " FROM ")
			w.expr(args[1])
			w.WriteByte(')')
			return true
		}
	case "FLOOR", "CEIL", "CEILING":
		if u, ok := args[len(args)-1].(*TimeUnit); ok && len(args) == 2 && isPlainArg(args[0]) {
			w.ws(name, "(")
			if endsWithOpenInterval(args[0]) {
				// FLOOR(INTERVAL '1' DAY TO HOUR) would read as an interval DAY TO HOUR
				w.WriteByte('(')
				w.expr(args[0])
				w.WriteByte(')')
			} else {
				w.expr(args[0])
			}
			w.ws(" TO ", strings.ToUpper(u.Unit), ")")
			return true
		}
	case "TIMESTAMPADD", "TIMESTAMPDIFF":
		if u, ok := args[0].(*TimeUnit); ok && len(args) > 1 && allPlain(args[1:]) {
			w.ws(name, "(", strings.ToUpper(u.Unit), ", ")
			w.exprs(args[1:])
			w.WriteByte(')')
			return true
		}
	case "POSITION":
		if len(args) == 2 && allPlain(args) && notArgSyntax(args) {
			w.ws(name, "(")
			w.exprPrec(args[0], precAdd)
			w.WriteString(" IN ")
			w.expr(args[1])
			w.WriteByte(')')
			return true
		}
	case "TRIM":
		if s, ok := isSymbol(args[0], "BOTH", "LEADING", "TRAILING"); ok && len(args) == 3 && allPlain(args[1:]) && notArgSyntax(args[1:]) {
			w.ws(name, "(", s, " ")
			w.expr(args[1])
			w.WriteString(" FROM ")
			w.expr(args[2])
			w.WriteByte(')')
			return true
		}
	case "OVERLAY":
		if (len(args) == 3 || len(args) == 4) && allPlain(args) && notArgSyntax(args[1:]) {
			w.ws(name, "(")
			w.expr(args[0])
			w.WriteString(" PLACING ")
			w.expr(args[1])
			w.WriteString(" FROM ")
			w.expr(args[2])
			if len(args) == 4 {
				w.WriteString(" FOR ")
				w.expr(args[3])
			}
			w.WriteByte(')')
			return true
		}
	case "JSON_VALUE", "JSON_QUERY", "JSON_EXISTS":
		return w.jsonCall(fn, name, args)
	case "JSON_OBJECT", "JSON_OBJECTAGG":
		n := len(args)
		if _, ok := isSymbol(args[n-1], "NULL ON NULL", "ABSENT ON NULL"); ok {
			n--
		}
		if n%2 != 0 || !allPlain(args[:n]) || !notArgSyntax(args[:n]) {
			return false
		}
		w.ws(name, "(")
		for i := 0; i < n; i += 2 {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString("KEY ")
			w.expr(args[i])
			w.WriteString(" VALUE ")
			w.expr(args[i+1])
		}
		if n < len(args) {
			if n > 0 {
				w.WriteByte(' ')
			}
			w.expr(args[n])
		}
		w.WriteByte(')')
		return true
	case "JSON_ARRAY", "JSON_ARRAYAGG":
		n := len(args)
		if _, ok := isSymbol(args[n-1], "NULL ON NULL", "ABSENT ON NULL"); ok {
			n--
		}
		if !allPlain(args[:n]) {
			return false
		}
		w.ws(name, "(")
		w.exprs(args[:n])
		if n < len(args) {
			if n > 0 {
				w.WriteByte(' ')
			}
			w.expr(args[n])
		}
		w.WriteByte(')')
		return true
	}
	return false
}

// endsWithOpenInterval reports whether e prints ending in an interval
// literal of a single unit, which a following TO would extend.
func endsWithOpenInterval(e Expr) bool {
	switch x := e.(type) {
	case *IntervalLiteral:
		return x.To == ""
	case *Binary:
		return endsWithOpenInterval(x.R)
	case *Unary:
		return endsWithOpenInterval(x.X)
	case *Between:
		return endsWithOpenInterval(x.Hi)
	case *IsDistinct:
		return endsWithOpenInterval(x.R)
	case *Like:
		if x.Escape != nil {
			return endsWithOpenInterval(x.Escape)
		}
		return endsWithOpenInterval(x.Pattern)
	case *NamedArg:
		return endsWithOpenInterval(x.Value)
	}
	return false
}

func allPlain(args []Expr) bool {
	for _, a := range args {
		if !isPlainArg(a) {
			return false
		}
	}
	return true
}

// notArgSyntax reports that no argument is a named or TABLE argument,
// which the special syntaxes have no place for.
func notArgSyntax(args []Expr) bool {
	for _, a := range args {
		switch a.(type) {
		case *NamedArg, *TableArg, *PartitionedTableArg:
			return false
		}
	}
	return true
}

// jsonCall prints JSON_VALUE / JSON_QUERY / JSON_EXISTS with their
// clauses, when the trailing arguments are clauses in the order the
// parser produces them.
func (w *writer) jsonCall(fn, name string, args []Expr) bool {
	n := 0
	for n < len(args) && isPlainArg(args[n]) {
		n++
	}
	if n == 0 {
		return false
	}
	var clauses writer
	i := n
	if fn == "JSON_EXISTS" {
		if i < len(args) {
			if _, ok := isSymbol(args[i], "TRUE ON ERROR", "FALSE ON ERROR", "UNKNOWN ON ERROR", "ERROR ON ERROR"); !ok {
				return false
			}
			clauses.ws(" ", strings.ToUpper(args[i].(*Symbol).Name))
			i++
		}
	} else {
		if i < len(args) {
			if t, ok := args[i].(*TypeArg); ok {
				clauses.ws(" RETURNING ", t.Type.String())
				i++
			}
		}
		if fn == "JSON_QUERY" && i < len(args) {
			if s, ok := isSymbol(args[i], "WITHOUT ARRAY WRAPPER", "WITH CONDITIONAL ARRAY WRAPPER", "WITH UNCONDITIONAL ARRAY WRAPPER"); ok {
				clauses.ws(" ", s)
				i++
			}
		}
		behaviours := []string{"NULL", "ERROR"}
		if fn == "JSON_VALUE" {
			behaviours = append(behaviours, "DEFAULT")
		} else {
			behaviours = append(behaviours, "EMPTY ARRAY", "EMPTY OBJECT")
		}
		for _, on := range []string{" ON EMPTY", " ON ERROR"} {
			if i >= len(args) {
				break
			}
			s, ok := isSymbol(args[i])
			if !ok || !strings.HasSuffix(s, on) {
				continue
			}
			b := strings.TrimSuffix(s, on)
			valid := false
			for _, want := range behaviours {
				valid = valid || b == want
			}
			if !valid {
				return false
			}
			i++
			if b == "DEFAULT" {
				if i >= len(args) || !isPlainArg(args[i]) {
					return false
				}
				clauses.WriteString(" DEFAULT ")
				clauses.expr(args[i])
				clauses.WriteString(on)
				i++
				continue
			}
			clauses.ws(" ", s)
		}
	}
	if i != len(args) {
		return false
	}
	w.ws(name, "(")
	w.exprs(args[:n])
	w.WriteString(clauses.String())
	w.WriteByte(')')
	return true
}
