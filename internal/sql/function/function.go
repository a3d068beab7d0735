// Package function is rtdw's library of Flink SQL scalar functions and
// casts, and the registry user functions written in Go join by name.
//
// A function is bound once per call site at plan time, with its
// arguments' types (and constant values, when literal): Bind checks the
// arguments, derives the result type as Flink does, and returns an Eval
// specialized for those types, so nothing at run time switches on types
// or looks at the syntax tree. The expression compiler
// (internal/sql/expr) evaluates the arguments and calls Eval.
package function

import (
	"strings"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// Env is what a bound function may read besides its arguments: the
// session time zone ('table.local-time-zone') and the clock. Now is
// read per call by CURRENT_TIMESTAMP and friends (processing time).
// Functions is how the planner finds the function a call names.
type Env struct {
	Loc *time.Location
	Now func() time.Time
	// Functions maps a call's name (its dotted parts, as written) to the
	// registered function it calls: the session resolves CREATE FUNCTION
	// names through its catalog, so a catalog function is callable only
	// where Flink would find it. catalog and database are where
	// unqualified names resolve ("": the current ones). nil: built-ins
	// and Go-registered functions only, by their last name part.
	Functions func(parts []string, catalog, database string) string
	// Catalog and Database, when set, are where a view's query was
	// created: its function names resolve there.
	Catalog, Database string
}

// Resolve returns the registry name of the function parts names (see
// Env.Functions); e may be nil.
func (e *Env) Resolve(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	if e != nil && e.Functions != nil {
		return e.Functions(parts, e.Catalog, e.Database)
	}
	return parts[len(parts)-1]
}

// Arg is one argument at bind time: its type and, when it is a literal
// (or a time unit / symbol keyword, passed as a STRING constant such as
// "DAY" or "BOTH"), its value.
type Arg struct {
	Type  row.Type
	Const *row.Value
}

// Eval computes the function on evaluated arguments. It returns an
// error for a runtime failure Flink raises (the caller dead-letters the
// record); Flink functions that return NULL on bad input return NULL.
// args is only valid during the call.
type Eval func(args []row.Value) (row.Value, error)

// Bound is a function bound to argument types.
type Bound struct {
	Type row.Type
	Eval Eval
	// NullIfAnyNull: the result is NULL whenever an argument is NULL, so
	// the caller may skip Eval (most functions; not COALESCE-like ones).
	NullIfAnyNull bool
	// Dynamic marks functions whose result changes between calls with
	// the same arguments (NOW, RAND, UUID): never constant-folded.
	Dynamic bool
}

// Scalar is a scalar function.
type Scalar struct {
	Name string
	// Bind checks args and returns the specialized evaluator; the error
	// is a user-facing message ("SUBSTRING expects (STRING, INT[, INT]),
	// got (INT)").
	Bind func(env *Env, args []Arg) (Bound, error)
}

// Row is one output row of a table function (UDTF).
type TableEval func(args []row.Value, emit func(vals ...row.Value)) error

// Table is a table function: LATERAL TABLE(f(args)) produces zero or
// more rows of Columns per input row.
type Table struct {
	Name string
	Bind func(env *Env, args []Arg) (columns []row.Column, eval TableEval, err error)
}

var (
	mu      sync.RWMutex
	scalars = map[string]*Scalar{}
	tables  = map[string]*Table{}
)

// Register adds a scalar function; names are case-insensitive. A second
// registration of a name replaces the first (user functions may shadow
// built-ins only by registering after them).
func Register(f *Scalar) {
	mu.Lock()
	defer mu.Unlock()
	scalars[strings.ToUpper(f.Name)] = f
}

// RegisterTable adds a table function.
func RegisterTable(f *Table) {
	mu.Lock()
	defer mu.Unlock()
	tables[strings.ToUpper(f.Name)] = f
}

// Lookup finds a scalar function by name.
func Lookup(name string) (*Scalar, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := scalars[strings.ToUpper(name)]
	return f, ok
}

// LookupTable finds a table function by name.
func LookupTable(name string) (*Table, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := tables[strings.ToUpper(name)]
	return f, ok
}

// Names lists the registered scalar and table functions, sorted, for
// SHOW FUNCTIONS.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(scalars)+len(tables))
	for n := range scalars {
		out = append(out, n)
	}
	for n := range tables {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}
