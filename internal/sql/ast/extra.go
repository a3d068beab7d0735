package ast

import "github.com/rtdw/rtdw/internal/row"

// TypeArg is a data type written as a function argument: the RETURNING
// type of JSON_VALUE and JSON_QUERY (see the parser's funcs.go for how
// the SQL/JSON clauses become arguments).
type TypeArg struct {
	At
	Type row.Type
}

func (*TypeArg) expr() {}

// PartitionedTableArg is a table argument with PARTITION BY columns:
// Flink's session window TVF, SESSION(TABLE bid PARTITION BY item,
// DESCRIPTOR(ts), INTERVAL '5' MINUTE), and the same in a named
// argument (DATA => TABLE bid PARTITION BY (a, b)).
type PartitionedTableArg struct {
	At
	Table       *TableArg
	PartitionBy []Ident
}

func (*PartitionedTableArg) expr() {}
