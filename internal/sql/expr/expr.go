// Package expr compiles SQL expressions (internal/sql/ast) over a
// row's columns into Go closures: types are checked and derived once at
// plan time, functions bound to their argument types, constants folded,
// so evaluating a row runs no type switches over the syntax tree and no
// reflection.
//
// Compile turns an ast.Expr into a Compiled: its Flink result type and a
// Func. Every node becomes a closure specialized for its operand types
// (BIGINT + BIGINT, DECIMAL * DECIMAL with the result type computed once,
// a column compared with a constant string, ...); a subtree whose operands
// are all constant is evaluated at compile time (Compiled.Const), unless
// it calls a Dynamic function (NOW, RAND). Numeric expressions evaluate
// without allocating.
//
// Semantics are Flink's (1.15+, legacy casts off): three-valued logic;
// integer arithmetic wraps as Java and fails on division by zero; DECIMAL
// arithmetic derives Flink's result types and turns overflow into NULL;
// TIMESTAMP and TIMESTAMP_LTZ meet in the session time zone
// (function.Env); CAST fails on bad input where TRY_CAST gives NULL. The
// files group the concerns: literal.go, arith.go, compare.go, logic.go,
// like.go, case.go, cast.go, access.go (columns, fields, subscripts,
// constructors), call.go (the function library), types.go (CommonType,
// implicit casts), errors.go.
//
// Compile errors are *Error values pointing at the offending node.
package expr

import "github.com/rtdw/rtdw/internal/row"

// Func evaluates a compiled expression on one input row. An error is a
// runtime failure Flink raises (a bad CAST, division by zero of
// integers, ...): the operator dead-letters the record with it.
type Func func(r *row.Row) (row.Value, error)
