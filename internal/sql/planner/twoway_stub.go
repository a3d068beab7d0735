package planner

import "github.com/rtdw/rtdw/internal/sql/ast"

// tableJoin: joins of two relations land with the join operators.
func (b *builder) tableJoin(x *ast.Join, env *ctes, where ast.Expr) (*rel, error) {
	return nil, errAt(x, "%s JOIN of two tables is not supported yet", x.Kind)
}
