// Package expr compiles SQL expressions (internal/sql/ast) over a
// row's columns into Go closures: types are checked and derived once at
// plan time, functions bound to their argument types, constants folded,
// so evaluating a row runs no type switches over the syntax tree and no
// reflection.
package expr

import "github.com/rtdw/rtdw/internal/row"

// Func evaluates a compiled expression on one input row. An error is a
// runtime failure Flink raises (a bad CAST, division by zero of
// integers, ...): the operator dead-letters the record with it.
type Func func(r *row.Row) (row.Value, error)
