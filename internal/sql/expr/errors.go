package expr

import (
	"errors"
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// Error is a compile-time error in an expression: the position of the
// offending node and a message in Flink's words where Flink has some
// ("Column 'x' not found in any table", "Cannot apply '+' to arguments of
// type '<INT> + <BOOLEAN>'", "No match found for function signature
// f(<NUMERIC>)").
type Error struct {
	Pos ast.Pos
	Msg string
}

// Error prints "line:column: message" (just the message when the node
// has no position), so a caller prefixing the file name gets the
// `file:line:column: message` form of SQL errors.
func (e *Error) Error() string {
	if e.Pos.Line > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
	}
	return e.Msg
}

// errAt returns an *Error at node n (n may be nil).
func errAt(n ast.Node, format string, args ...any) *Error {
	var p ast.Pos
	if n != nil {
		p = n.Position()
	}
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// Runtime errors: Flink raises these (the operator dead-letters the row).
var (
	errDivByZero = errors.New("division by zero")
)

// typeArg prints a type as Calcite's messages do: <INT>, <STRING>,
// <DECIMAL(10, 2)>, without the NOT NULL constraint.
func typeArg(t row.Type) string {
	if t.Kind == row.KindNull {
		return "<NULL>"
	}
	return "<" + t.WithNotNull(false).String() + ">"
}

// cannotApply is Calcite's error for an operator whose operand types do
// not fit.
func cannotApply(n ast.Node, op string, ts ...row.Type) *Error {
	switch len(ts) {
	case 1:
		return errAt(n, "Cannot apply '%s' to arguments of type '%s %s'", op, op, typeArg(ts[0]))
	case 2:
		return errAt(n, "Cannot apply '%s' to arguments of type '%s %s %s'", op, typeArg(ts[0]), op, typeArg(ts[1]))
	}
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += typeArg(t)
	}
	return errAt(n, "Cannot apply '%s' to arguments of type '%s(%s)'", op, op, s)
}
