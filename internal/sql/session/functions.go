package session

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rtdw/rtdw/internal/sql/aggfn"
	"github.com/rtdw/rtdw/internal/sql/ast"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// User functions. CREATE FUNCTION name AS 'identifier' names a Go
// function registered in the binary (by its name, or a Java class name's
// simple name); the name is resolved per call as Flink's FunctionCatalog
// does: temporary system functions, then built-in (registered) functions,
// then the temporary and permanent catalog functions of the current
// database, or of the database a qualified call names. So a catalog
// function is callable only where Flink would find it, and not after
// DROP FUNCTION.

// systemFunction is CREATE TEMPORARY SYSTEM FUNCTION: a session function
// outside every catalog, which shadows a built-in of its name.
type systemFunction struct {
	name, class string
}

func (s *Session) createFunction(x *ast.CreateFunction) error {
	if err := checkFunction(x.Class); err != nil {
		return errAt(x, "%v", err)
	}
	if x.System {
		if len(x.Name.Parts) != 1 {
			return errAt(&x.Name, "a temporary system function's name has one part, not %s", ast.Format(&x.Name))
		}
		name := x.Name.Parts[0].Name
		key := strings.ToLower(name)
		if _, ok := s.sysFuncs[key]; ok {
			if x.IfNotExists {
				return nil
			}
			return errAt(x, "Could not register temporary system function. A function named '%s' does already exist.", name)
		}
		if s.sysFuncs == nil {
			s.sysFuncs = map[string]systemFunction{}
		}
		s.sysFuncs[key] = systemFunction{name: name, class: x.Class}
		return nil
	}
	p, err := s.path(x.Name)
	if err != nil {
		return err
	}
	f := catalog.Function{Path: p, Class: x.Class, Language: x.Language, Temporary: x.Temporary || s.TemporaryDDL}
	if err := s.Catalog.CreateFunction(f, x.IfNotExists); err != nil {
		return errAt(x, "%v", err)
	}
	return nil
}

func (s *Session) dropSystemFunction(x *ast.Drop) error {
	key := strings.ToLower(x.Name.Parts[len(x.Name.Parts)-1].Name)
	if _, ok := s.sysFuncs[key]; !ok || len(x.Name.Parts) != 1 {
		if x.IfExists {
			return nil
		}
		return errAt(x, "Could not drop temporary system function. A function named '%s' doesn't exist.", strings.Join(x.Name.Names(), "."))
	}
	delete(s.sysFuncs, key)
	return nil
}

// resolveFunction is the planner's function.Env.Functions: the
// registered name a call's name refers to, "" when a qualified name
// names no catalog function (the call then fails to bind). Unqualified
// catalog functions are those of cat.db ("": the current database).
func (s *Session) resolveFunction(parts []string, cat, db string) string {
	if len(parts) == 1 {
		if f, ok := s.sysFuncs[strings.ToLower(parts[0])]; ok {
			return simpleName(f.class)
		}
		if registered(parts[0]) {
			return parts[0]
		}
	}
	if p, err := s.Catalog.Qualify(catalog.Within(parts, catalog.Path{Catalog: cat, Database: db})); err == nil {
		if f, ok := s.Catalog.GetFunction(p); ok {
			return simpleName(f.Class)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return ""
}

// functionNames is SHOW [USER] FUNCTIONS: the user functions (temporary
// system ones and those of the database), then, without USER, the
// built-in and Go-registered ones.
func (s *Session) functionNames(cat, db string, user bool) []string {
	list := s.Catalog.Functions(cat, db)
	for _, f := range s.sysFuncs {
		list = append(list, f.name)
	}
	if !user {
		list = append(list, function.Names()...)
		list = append(list, aggfn.Names()...)
	}
	sort.Strings(list)
	return list
}

// registered reports whether a Go function (built-in or user) of this
// name is registered in the binary.
func registered(name string) bool {
	if _, ok := function.Lookup(name); ok {
		return true
	}
	if _, ok := function.LookupTable(name); ok {
		return true
	}
	_, ok := aggfn.Lookup(name)
	return ok
}

// checkFunction: CREATE FUNCTION names a Go function registered in the
// binary, by its name or (for a Java class name) its simple name.
func checkFunction(class string) error {
	if registered(simpleName(class)) {
		return nil
	}
	return fmt.Errorf("no function %q is registered in this binary: rtdw runs Go functions registered by name (function.RegisterFunc / RegisterTableFunc), not JVM classes", class)
}

func simpleName(class string) string {
	if i := strings.LastIndex(class, "."); i >= 0 {
		return class[i+1:]
	}
	return class
}
