// Package ast is the syntax tree of rtdw's Flink SQL dialect: what
// internal/sql/parser produces and the planner, the catalog and the
// expression compiler read. Nodes carry their position (for
// file:line:column errors); Format prints any node back as SQL that
// parses to an equal tree (the catalog stores computed columns,
// watermarks and views that way).
//
// Names are kept as written: lookups are case-insensitive (Flink's
// identifiers in rtdw), so nothing here folds case. Keywords are
// upper-cased in Op, Unit and Name fields that hold them.
package ast

import "github.com/rtdw/rtdw/internal/row"

// Pos is a position in the source text: byte offset, 1-based line and
// column (in runes).
type Pos struct {
	Offset, Line, Col int
}

// Node is any syntax tree node.
type Node interface {
	Position() Pos
}

// At is embedded in every node for its position.
type At struct{ P Pos }

// Position returns where the node starts.
func (a At) Position() Pos { return a.P }

// Ident is one identifier, unquoted or in backticks.
type Ident struct {
	At
	Name   string
	Quoted bool
}

// ObjectName is a one- to three-part name: [catalog.][database.]object.
type ObjectName struct {
	At
	Parts []Ident
}

// Names returns the parts' names.
func (n ObjectName) Names() []string {
	out := make([]string, len(n.Parts))
	for i, p := range n.Parts {
		out[i] = p.Name
	}
	return out
}

// Option is one 'key' = 'value' of a WITH clause, a SET, or an
// OPTIONS hint.
type Option struct {
	At
	Key, Value string
}

// ---------------------------------------------------------------- statements

// Statement is one SQL statement. Text is its source text without the
// trailing ';' (set by the parser).
type Statement interface {
	Node
	SQL() string
	stmt()
}

// StmtText is embedded in statements to hold their source text.
type StmtText struct{ Text string }

// SQL returns the statement's source text.
func (s StmtText) SQL() string { return s.Text }

// CreateTable is CREATE [TEMPORARY] TABLE [IF NOT EXISTS] name (...)
// [COMMENT '...'] [PARTITIONED BY (...)] [WITH (...)] [LIKE src (...)].
type CreateTable struct {
	At
	StmtText
	Temporary, IfNotExists bool
	Name                   ObjectName
	Columns                []ColumnDef
	Watermark              *WatermarkDef
	PrimaryKey             []Ident // table constraint or a column's inline PRIMARY KEY
	PrimaryKeyName         string  // CONSTRAINT name, if any
	Comment                string
	PartitionBy            []Ident
	Options                []Option
	Like                   *ObjectName // CREATE TABLE ... LIKE src
	// LikeOptions: the LIKE clause's options in order (none: Flink's
	// default, INCLUDING ALL OVERWRITING OPTIONS).
	LikeOptions []LikeOption
}

// LikeOption is one option of CREATE TABLE ... LIKE: Mode INCLUDING,
// EXCLUDING or OVERWRITING, Feature ALL, CONSTRAINTS, PARTITIONS,
// GENERATED, OPTIONS, WATERMARKS or METADATA.
type LikeOption struct {
	Mode, Feature string
}

// ColumnDef is one column of CREATE TABLE: physical (Type set), computed
// (Computed set, Type zero) or metadata (Metadata true).
type ColumnDef struct {
	At
	Name        Ident
	Type        row.Type // physical and metadata columns; NOT NULL is in Type.NotNull
	Computed    Expr     // name AS expr
	Metadata    bool     // name TYPE METADATA [FROM 'key'] [VIRTUAL]
	MetadataKey string   // the FROM key; "" = the column name
	Virtual     bool
	Comment     string
}

// WatermarkDef is WATERMARK FOR column AS expr.
type WatermarkDef struct {
	At
	Column Ident
	Expr   Expr
}

// CreateView is CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)] AS query.
type CreateView struct {
	At
	StmtText
	Temporary, IfNotExists bool
	Name                   ObjectName
	Columns                []Ident
	Query                  *Query
	QueryText              string // the query's source text, as written
	Comment                string
}

// CreateDatabase is CREATE DATABASE [IF NOT EXISTS] name [COMMENT ...] [WITH (...)].
type CreateDatabase struct {
	At
	StmtText
	IfNotExists bool
	Name        ObjectName
	Comment     string
	Options     []Option
}

// CreateCatalog is CREATE CATALOG name WITH (...).
type CreateCatalog struct {
	At
	StmtText
	IfNotExists bool
	Name        Ident
	Options     []Option
}

// CreateFunction is CREATE [TEMPORARY|TEMPORARY SYSTEM] FUNCTION
// [IF NOT EXISTS] name AS 'identifier' [LANGUAGE JAVA|SCALA|PYTHON|GO].
// In rtdw the identifier names a Go function registered in the binary
// (a Java class name is looked up by its simple name too).
type CreateFunction struct {
	At
	StmtText
	Temporary, System, IfNotExists bool
	Name                           ObjectName
	Class                          string
	Language                       string
}

// DropKind is what a DROP statement drops.
type DropKind string

const (
	DropTable    DropKind = "TABLE"
	DropView     DropKind = "VIEW"
	DropDatabase DropKind = "DATABASE"
	DropCatalog  DropKind = "CATALOG"
	DropFunction DropKind = "FUNCTION"
)

// Drop is DROP [TEMPORARY] TABLE|VIEW|DATABASE|CATALOG|FUNCTION [IF EXISTS] name [CASCADE|RESTRICT].
type Drop struct {
	At
	StmtText
	Kind      DropKind
	Temporary bool
	System    bool // DROP TEMPORARY SYSTEM FUNCTION
	IfExists  bool
	Name      ObjectName
	Cascade   bool
}

// AlterTable is ALTER TABLE name SET (...) | RESET (...) | RENAME TO new.
type AlterTable struct {
	At
	StmtText
	IfExists bool
	Name     ObjectName
	Set      []Option
	Reset    []string
	RenameTo *ObjectName
}

// Use is USE [CATALOG] name.
type Use struct {
	At
	StmtText
	Catalog bool
	Name    ObjectName
}

// ShowKind is what SHOW lists.
type ShowKind string

const (
	ShowTables          ShowKind = "TABLES"
	ShowViews           ShowKind = "VIEWS"
	ShowDatabases       ShowKind = "DATABASES"
	ShowCatalogs        ShowKind = "CATALOGS"
	ShowFunctions       ShowKind = "FUNCTIONS"
	ShowJobs            ShowKind = "JOBS"
	ShowCurrentCatalog  ShowKind = "CURRENT CATALOG"
	ShowCurrentDatabase ShowKind = "CURRENT DATABASE"
	ShowCreateTable     ShowKind = "CREATE TABLE"
	ShowCreateView      ShowKind = "CREATE VIEW"
	ShowColumns         ShowKind = "COLUMNS"
)

// Show is SHOW TABLES [FROM db] [LIKE '...'], SHOW CREATE TABLE t, ...
type Show struct {
	At
	StmtText
	Kind ShowKind
	Name *ObjectName // FROM/IN database, or the table of SHOW CREATE / COLUMNS
	Like string
	User bool // SHOW USER FUNCTIONS
}

// Describe is DESCRIBE|DESC name.
type Describe struct {
	At
	StmtText
	Name ObjectName
}

// Explain is EXPLAIN [PLAN FOR] statement (a query, INSERT or statement set).
type Explain struct {
	At
	StmtText
	Stmt Statement
}

// Set is SET 'key' = 'value', or SET alone (list the session's options).
type Set struct {
	At
	StmtText
	Key, Value string
	HasKey     bool
}

// Reset is RESET 'key', or RESET alone (all keys).
type Reset struct {
	At
	StmtText
	Key string
}

// Jar is Flink's ADD JAR 'path' / REMOVE JAR 'path'. rtdw's connectors,
// formats and functions are built in: a Flink script's jars are not
// needed, so the statement is accepted and does nothing.
type Jar struct {
	At
	StmtText
	Remove bool
	Path   string
}

// Insert is INSERT INTO|OVERWRITE table [/*+ OPTIONS(...) */] [PARTITION (...)] [(cols)] query.
type Insert struct {
	At
	StmtText
	Overwrite bool
	Table     ObjectName
	Hints     []Option // OPTIONS hint on the target
	Partition []PartitionSpec
	Columns   []Ident
	Query     *Query
}

// PartitionSpec is one column = literal of INSERT ... PARTITION (...).
type PartitionSpec struct {
	Column Ident
	Value  Expr
}

// StatementSet is EXECUTE STATEMENT SET BEGIN ... END or BEGIN STATEMENT SET; ... END.
type StatementSet struct {
	At
	StmtText
	Inserts []*Insert
}

// QueryStmt is a query on its own (SELECT, VALUES, WITH ..., a set operation).
type QueryStmt struct {
	At
	StmtText
	Query *Query
}

// StopJob is STOP JOB 'name' [WITH SAVEPOINT].
type StopJob struct {
	At
	StmtText
	Name string
}

func (*CreateTable) stmt()    {}
func (*CreateView) stmt()     {}
func (*CreateDatabase) stmt() {}
func (*CreateCatalog) stmt()  {}
func (*CreateFunction) stmt() {}
func (*Drop) stmt()           {}
func (*AlterTable) stmt()     {}
func (*Use) stmt()            {}
func (*Show) stmt()           {}
func (*Describe) stmt()       {}
func (*Explain) stmt()        {}
func (*Set) stmt()            {}
func (*Reset) stmt()          {}
func (*Jar) stmt()            {}
func (*Insert) stmt()         {}
func (*StatementSet) stmt()   {}
func (*QueryStmt) stmt()      {}
func (*StopJob) stmt()        {}

// ---------------------------------------------------------------- queries

// Query is [WITH ctes] body [ORDER BY ...] [LIMIT n] [OFFSET n].
type Query struct {
	At
	With    []CTE
	Body    SetExpr
	OrderBy []OrderItem
	Limit   Expr
	Offset  Expr
}

// CTE is one WITH name [(cols)] AS (query).
type CTE struct {
	At
	Name    Ident
	Columns []Ident
	Query   *Query
}

// SetExpr is a query body: *Select, *SetOp, *Values or a parenthesized *Query.
type SetExpr interface {
	Node
	setExpr()
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind string

const (
	Union     SetOpKind = "UNION"
	Intersect SetOpKind = "INTERSECT"
	Except    SetOpKind = "EXCEPT"
)

// SetOp is left UNION|INTERSECT|EXCEPT [ALL|DISTINCT] right.
type SetOp struct {
	At
	Op          SetOpKind
	All         bool
	Left, Right SetExpr
}

// Values is VALUES (row), (row), ...
type Values struct {
	At
	Rows [][]Expr
}

// Select is one SELECT block.
type Select struct {
	At
	Hints    []Hint // /*+ ... */ after SELECT
	Distinct bool
	Items    []SelectItem
	From     TableExpr // nil: SELECT without FROM
	Where    Expr
	GroupBy  []Expr // may hold *GroupingSets / *Rollup / *Cube
	Having   Expr
	Windows  []NamedWindow // WINDOW w AS (...)
}

// Hint is a /*+ NAME(args) */ hint: OPTIONS('k'='v') (Options set),
// STATE_TTL('t'='1d') (Options set), or a hint with plain arguments.
type Hint struct {
	At
	Name    string // upper-cased
	Options []Option
	Args    []string
}

// SelectItem is expr [[AS] alias], * or qualifier.*.
type SelectItem struct {
	At
	Expr      Expr
	Alias     *Ident
	Star      bool
	Qualifier *ObjectName // t.* (Star is true)
}

// NamedWindow is WINDOW name AS (spec).
type NamedWindow struct {
	Name Ident
	Spec *WindowSpec
}

// OrderItem is expr [ASC|DESC] [NULLS FIRST|LAST].
type OrderItem struct {
	At
	Expr       Expr
	Desc       bool
	NullsFirst *bool // nil: the default (NULLS FIRST for ASC, LAST for DESC, as Flink)
}

func (*Select) setExpr() {}
func (*SetOp) setExpr()  {}
func (*Values) setExpr() {}
func (*Query) setExpr()  {}

// ---------------------------------------------------------------- FROM

// TableExpr is an item of FROM: *TableRef, *Subquery, *TableFunc,
// *Unnest or *Join.
type TableExpr interface {
	Node
	tableExpr()
}

// Alias is AS name [(col, ...)] after a table expression.
type Alias struct {
	Name    Ident
	Columns []Ident
}

// TableRef is a table or view by name, with its hints, FOR SYSTEM_TIME
// AS OF (lookup and temporal joins) and alias.
type TableRef struct {
	At
	Name          ObjectName
	Hints         []Hint
	ForSystemTime Expr
	Alias         *Alias
}

// Subquery is [LATERAL] (query) [AS alias].
type Subquery struct {
	At
	Lateral bool
	Query   *Query
	Alias   *Alias
}

// TableFunc is TABLE(f(args)) or LATERAL TABLE(f(args)) [AS alias]:
// window TVFs (TUMBLE, HOP, CUMULATE, SESSION) and table functions.
type TableFunc struct {
	At
	Lateral bool
	Call    *FuncCall
	Alias   *Alias
}

// Unnest is UNNEST(expr, ...) [WITH ORDINALITY] [AS alias].
type Unnest struct {
	At
	Args           []Expr
	WithOrdinality bool
	Alias          *Alias
}

// JoinKind is the kind of a join.
type JoinKind string

const (
	InnerJoin JoinKind = "INNER"
	LeftJoin  JoinKind = "LEFT"
	RightJoin JoinKind = "RIGHT"
	FullJoin  JoinKind = "FULL"
	CrossJoin JoinKind = "CROSS" // CROSS JOIN, and CROSS JOIN UNNEST / LATERAL TABLE
	CommaJoin JoinKind = ","     // FROM a, b
)

// Join is left [kind] JOIN right [ON cond | USING (cols)].
type Join struct {
	At
	Kind        JoinKind
	Left, Right TableExpr
	On          Expr
	Using       []Ident
}

func (*TableRef) tableExpr()  {}
func (*Subquery) tableExpr()  {}
func (*TableFunc) tableExpr() {}
func (*Unnest) tableExpr()    {}
func (*Join) tableExpr()      {}

// ---------------------------------------------------------------- expressions

// Expr is a scalar expression.
type Expr interface {
	Node
	expr()
}

// LiteralKind is the kind of a literal.
type LiteralKind uint8

const (
	NullLit    LiteralKind = iota
	BoolLit                // Bool holds it
	IntLit                 // Text: digits, no sign (a leading '-' is a Unary)
	DecimalLit             // Text: digits with a '.', no exponent
	FloatLit               // Text: with an exponent (1e3, 1.5E-2): DOUBLE
	StringLit              // Text: the value, quotes removed and '' unescaped
	BinaryLit              // X'0aff': Text holds the decoded bytes
)

// Literal is NULL, TRUE/FALSE, a number or a string.
type Literal struct {
	At
	Kind LiteralKind
	Text string
	Bool bool
}

// TypedLiteral is DATE '...', TIME '...', TIMESTAMP '...' or
// TIMESTAMP_LTZ '...' (Type is "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ").
type TypedLiteral struct {
	At
	Type  string
	Value string
}

// IntervalLiteral is INTERVAL [-]'value' unit [(p)] [TO unit [(p)]],
// e.g. INTERVAL '10' MINUTE, INTERVAL '1 02:03' DAY TO MINUTE, and
// INTERVAL '5' SECOND(3). Units are upper-cased singular: YEAR, MONTH,
// DAY, HOUR, MINUTE, SECOND (plural forms are accepted and normalized).
type IntervalLiteral struct {
	At
	Negative bool
	Value    string
	From     string
	To       string // "" for a single unit
	// Precision of the leading field and of fractional seconds, when
	// written; 0 = default.
	Precision, FracPrecision int
}

// ColumnRef is a possibly qualified column name: c, t.c, db.t.c, or a
// ROW field path r.f (the planner resolves which).
type ColumnRef struct {
	At
	Parts []Ident
}

// Unary is -x, +x or NOT x (Op "-", "+", "NOT").
type Unary struct {
	At
	Op string
	X  Expr
}

// Binary is x op y: "+", "-", "*", "/", "%", "||", "=", "<>" (also
// written !=), "<", "<=", ">", ">=", "AND", "OR".
type Binary struct {
	At
	Op   string
	L, R Expr
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	At
	X   Expr
	Not bool
}

// IsBool is x IS [NOT] TRUE|FALSE|UNKNOWN (Value "TRUE", "FALSE", "UNKNOWN").
type IsBool struct {
	At
	X     Expr
	Not   bool
	Value string
}

// IsDistinct is x IS [NOT] DISTINCT FROM y.
type IsDistinct struct {
	At
	L, R Expr
	Not  bool
}

// Between is x [NOT] BETWEEN [SYMMETRIC|ASYMMETRIC] lo AND hi.
type Between struct {
	At
	X, Lo, Hi Expr
	Not       bool
	Symmetric bool
}

// InList is x [NOT] IN (e, ...).
type InList struct {
	At
	X    Expr
	List []Expr
	Not  bool
}

// InQuery is x [NOT] IN (query).
type InQuery struct {
	At
	X     Expr
	Query *Query
	Not   bool
}

// Exists is [NOT] EXISTS (query).
type Exists struct {
	At
	Query *Query
	Not   bool
}

// Like is x [NOT] LIKE|SIMILAR TO pattern [ESCAPE e].
type Like struct {
	At
	X, Pattern, Escape Expr
	Not                bool
	Similar            bool
}

// When is one WHEN cond THEN result of a CASE.
type When struct {
	Cond, Result Expr
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	At
	Operand Expr
	Whens   []When
	Else    Expr
}

// Cast is CAST(x AS type) or TRY_CAST(x AS type); Type is parsed.
type Cast struct {
	At
	X    Expr
	Type row.Type
	Try  bool
}

// FuncCall is a function call. Name is as written (functions are looked
// up case-insensitively). Special syntaxes are normalized into arguments:
//
//	EXTRACT(unit FROM x)               EXTRACT(TimeUnit, x)
//	FLOOR(x TO unit), CEIL(x TO unit)  FLOOR(x, TimeUnit), CEIL(x, TimeUnit)
//	TIMESTAMPADD(unit, n, ts)          TIMESTAMPADD(TimeUnit, n, ts); TIMESTAMPDIFF likewise
//	POSITION(a IN b)                   POSITION(a, b)
//	TRIM([BOTH|LEADING|TRAILING] [c] FROM s) TRIM(Symbol, c or NULL literal... see below, s)
//	SUBSTRING(s FROM a [FOR b])        SUBSTRING(s, a [, b])
//	OVERLAY(s PLACING r FROM a [FOR b]) OVERLAY(s, r, a [, b])
//	CURRENT_DATE, CURRENT_TIMESTAMP, LOCALTIMESTAMP, CURRENT_TIME, LOCALTIME,
//	CURRENT_ROW_TIMESTAMP without parentheses: NoParens
//
// TRIM always gets three arguments: a Symbol (BOTH, LEADING, TRAILING;
// BOTH when omitted), the characters (a ' ' string literal when omitted)
// and the string.
type FuncCall struct {
	At
	Name     ObjectName
	Args     []Expr
	Distinct bool  // COUNT(DISTINCT x)
	Star     bool  // COUNT(*)
	Filter   Expr  // agg(...) FILTER (WHERE cond)
	Over     *Over // agg(...) OVER (...) or OVER w
	NoParens bool  // CURRENT_TIMESTAMP etc. written without ()
}

// Over is the OVER clause of a window (OVER) aggregate or ROW_NUMBER.
type Over struct {
	At
	WindowName string // OVER w
	Spec       *WindowSpec
}

// WindowSpec is (PARTITION BY ... ORDER BY ... [frame]).
type WindowSpec struct {
	PartitionBy []Expr
	OrderBy     []OrderItem
	Frame       *Frame
}

// Frame is ROWS|RANGE BETWEEN start AND end (End is CURRENT ROW when
// written as ROWS|RANGE start).
type Frame struct {
	Rows       bool // ROWS; false: RANGE
	Start, End FrameBound
}

// BoundKind is the kind of a frame bound.
type BoundKind string

const (
	UnboundedPreceding BoundKind = "UNBOUNDED PRECEDING"
	Preceding          BoundKind = "PRECEDING"
	CurrentRow         BoundKind = "CURRENT ROW"
	Following          BoundKind = "FOLLOWING"
	UnboundedFollowing BoundKind = "UNBOUNDED FOLLOWING"
)

// FrameBound is one bound of a frame; Offset is set for PRECEDING and
// FOLLOWING (a number of rows, or an interval for RANGE).
type FrameBound struct {
	Kind   BoundKind
	Offset Expr
}

// TimeUnit is a time unit argument (EXTRACT, FLOOR ... TO, TIMESTAMPADD):
// YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND,
// MICROSECOND, NANOSECOND, DOW, DOY, EPOCH... upper-cased singular.
type TimeUnit struct {
	At
	Unit string
}

// Symbol is a keyword argument such as BOTH / LEADING / TRAILING.
type Symbol struct {
	At
	Name string
}

// Descriptor is DESCRIPTOR(col, ...) in a window TVF call.
type Descriptor struct {
	At
	Columns []Ident
}

// TableArg is TABLE name (or TABLE(subquery) is written as a Subquery)
// as a TVF argument.
type TableArg struct {
	At
	Name  ObjectName
	Query *Query // TABLE argument given as a parenthesized query
}

// NamedArg is name => value in a call (Flink's named TVF arguments:
// TUMBLE(DATA => TABLE t, TIMECOL => DESCRIPTOR(ts), SIZE => INTERVAL ...)).
type NamedArg struct {
	At
	Name  Ident
	Value Expr
}

// Subscript is x[i]: a map lookup m['k'] or an array element a[1] (1-based).
type Subscript struct {
	At
	X, Index Expr
}

// FieldAccess is (expr).field on a ROW that is not a plain column path
// (a column path a.b.c is a ColumnRef).
type FieldAccess struct {
	At
	X     Expr
	Field Ident
}

// RowCtor is ROW(a, b, ...) or (a, b, ...) with two or more elements.
type RowCtor struct {
	At
	Args []Expr
}

// ArrayCtor is ARRAY[a, b, ...].
type ArrayCtor struct {
	At
	Elems []Expr
}

// MapCtor is MAP[k1, v1, k2, v2, ...].
type MapCtor struct {
	At
	KVs []Expr
}

// ScalarSubquery is (query) used as a value.
type ScalarSubquery struct {
	At
	Query *Query
}

// Paren is (x): kept so Format prints what was written; the planner
// looks through it.
type Paren struct {
	At
	X Expr
}

// Unparen strips the parentheses around e.
func Unparen(e Expr) Expr {
	for {
		p, ok := e.(*Paren)
		if !ok {
			return e
		}
		e = p.X
	}
}

func (*Literal) expr()         {}
func (*TypedLiteral) expr()    {}
func (*IntervalLiteral) expr() {}
func (*ColumnRef) expr()       {}
func (*Unary) expr()           {}
func (*Binary) expr()          {}
func (*IsNull) expr()          {}
func (*IsBool) expr()          {}
func (*IsDistinct) expr()      {}
func (*Between) expr()         {}
func (*InList) expr()          {}
func (*InQuery) expr()         {}
func (*Exists) expr()          {}
func (*Like) expr()            {}
func (*Case) expr()            {}
func (*Cast) expr()            {}
func (*FuncCall) expr()        {}
func (*TimeUnit) expr()        {}
func (*Symbol) expr()          {}
func (*Descriptor) expr()      {}
func (*TableArg) expr()        {}
func (*NamedArg) expr()        {}
func (*Subscript) expr()       {}
func (*FieldAccess) expr()     {}
func (*RowCtor) expr()         {}
func (*ArrayCtor) expr()       {}
func (*MapCtor) expr()         {}
func (*ScalarSubquery) expr()  {}
func (*Paren) expr()           {}

// GroupingSets, Rollup and Cube appear only in GROUP BY.
type GroupingSets struct {
	At
	Sets [][]Expr
}

// Rollup is ROLLUP(a, b, ...).
type Rollup struct {
	At
	Exprs []Expr
}

// Cube is CUBE(a, b, ...).
type Cube struct {
	At
	Exprs []Expr
}

func (*GroupingSets) expr() {}
func (*Rollup) expr()       {}
func (*Cube) expr()         {}
