package mysqlcdc

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions in DDL (defaults)
	"github.com/pingcap/tidb/pkg/parser/types"
)

// applyDDL changes the captured layouts as the DDL statement q (run in
// default database db) does, as Maxwell does: the binlog may be read long
// after more DDL ran, so information_schema cannot say what the layout was
// at this point of the binlog. It reports whether a captured layout
// changed; ok=false means the statement could not be parsed (the caller
// falls back to information_schema).
func applyDDL(s schemas, f filter, db, q string) (changed, ok bool) {
	stmts, _, err := parser.New().Parse(q, "", "")
	if err != nil {
		return false, false
	}
	before := string(s.encode())
	name := func(tn *ast.TableName) (string, string) {
		d := tn.Schema.O
		if d == "" {
			d = db
		}
		return d, tn.Name.O
	}
	for _, st := range stmts {
		switch x := st.(type) {
		case *ast.CreateTableStmt:
			d, n := name(x.Table)
			if !f.captured(d, n) || (x.IfNotExists && s[tableKey(d, n)] != nil) {
				continue
			}
			if x.ReferTable != nil {
				rd, rn := name(x.ReferTable)
				if src := s[tableKey(rd, rn)]; src != nil {
					t := &Table{DB: d, Name: n, Cols: slices.Clone(src.Cols), PK: slices.Clone(src.PK)}
					s[tableKey(d, n)] = t
					continue
				}
				return false, false
			}
			if x.Select != nil {
				return false, false
			}
			t := &Table{DB: d, Name: n}
			var pk []string
			for _, c := range x.Cols {
				t.Cols = append(t.Cols, columnOf(c))
				if hasPK(c) {
					pk = append(pk, c.Name.Name.O)
				}
			}
			for _, c := range x.Constraints {
				if c.Tp == ast.ConstraintPrimaryKey {
					pk = pk[:0]
					for _, k := range c.Keys {
						if k.Column != nil {
							pk = append(pk, k.Column.Name.O)
						}
					}
				}
			}
			t.setPK(pk)
			s[tableKey(d, n)] = t
		case *ast.DropTableStmt:
			for _, tn := range x.Tables {
				d, n := name(tn)
				delete(s, tableKey(d, n))
			}
		case *ast.DropDatabaseStmt:
			for k, t := range s {
				if strings.EqualFold(t.DB, x.Name.O) {
					delete(s, k)
				}
			}
		case *ast.RenameTableStmt:
			for _, tt := range x.TableToTables {
				od, on := name(tt.OldTable)
				nd, nn := name(tt.NewTable)
				rename(s, f, od, on, nd, nn)
			}
		case *ast.AlterTableStmt:
			d, n := name(x.Table)
			t := s[tableKey(d, n)]
			if t == nil {
				continue
			}
			pk := t.pkNames()
			for _, sp := range x.Specs {
				switch sp.Tp {
				case ast.AlterTableAddColumns:
					at := len(t.Cols)
					if p := position(t, sp.Position); p >= 0 {
						at = p
					}
					for _, c := range sp.NewColumns {
						t.Cols = slices.Insert(t.Cols, at, columnOf(c))
						at++
						if hasPK(c) {
							pk = []string{c.Name.Name.O}
						}
					}
				case ast.AlterTableDropColumn:
					if i := t.col(sp.OldColumnName.Name.O); i >= 0 {
						t.Cols = slices.Delete(t.Cols, i, i+1)
						pk = slices.DeleteFunc(pk, func(p string) bool { return strings.EqualFold(p, sp.OldColumnName.Name.O) })
					}
				case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
					old := sp.NewColumns[0].Name.Name.O
					if sp.OldColumnName != nil {
						old = sp.OldColumnName.Name.O
					}
					i := t.col(old)
					if i < 0 {
						continue
					}
					nc := columnOf(sp.NewColumns[0])
					for j := range pk {
						if strings.EqualFold(pk[j], old) {
							pk[j] = nc.Name
						}
					}
					t.Cols = slices.Delete(t.Cols, i, i+1)
					at := i
					if p := position(t, sp.Position); p >= 0 {
						at = p
					}
					t.Cols = slices.Insert(t.Cols, at, nc)
				case ast.AlterTableRenameColumn:
					if i := t.col(sp.OldColumnName.Name.O); i >= 0 {
						for j := range pk {
							if strings.EqualFold(pk[j], t.Cols[i].Name) {
								pk[j] = sp.NewColumnName.Name.O
							}
						}
						t.Cols[i].Name = sp.NewColumnName.Name.O
					}
				case ast.AlterTableAddConstraint:
					if sp.Constraint != nil && sp.Constraint.Tp == ast.ConstraintPrimaryKey {
						pk = pk[:0]
						for _, k := range sp.Constraint.Keys {
							if k.Column != nil {
								pk = append(pk, k.Column.Name.O)
							}
						}
					}
				case ast.AlterTableDropPrimaryKey:
					pk = nil
				}
			}
			t.setPK(pk)
			for _, sp := range x.Specs {
				if sp.Tp == ast.AlterTableRenameTable && sp.NewTable != nil {
					nd, nn := name(sp.NewTable)
					rename(s, f, d, n, nd, nn)
				}
			}
		}
	}
	return string(s.encode()) != before, true
}

func rename(s schemas, f filter, od, on, nd, nn string) {
	t := s[tableKey(od, on)]
	delete(s, tableKey(od, on))
	if t != nil && f.captured(nd, nn) {
		t.DB, t.Name = nd, nn
		s[tableKey(nd, nn)] = t
	}
}

func columnOf(c *ast.ColumnDef) Column {
	tp := c.Tp
	col := Column{Name: c.Name.Name.O, Type: strings.ToLower(types.TypeToStr(tp.GetType(), tp.GetCharset())),
		Unsigned: pmysql.HasUnsignedFlag(tp.GetFlag())}
	switch col.Type {
	case "enum", "set":
		col.Elems = slices.Clone(tp.GetElems())
	case "binary":
		col.Length = max(tp.GetFlen(), 0)
	}
	// A column without its own CHARACTER SET takes the table's, which the
	// DDL may not say: such a column is read as UTF-8 until the next
	// schema load.
	col.Charset = foreignCharset(tp.GetCharset())
	return col
}

func hasPK(c *ast.ColumnDef) bool {
	for _, o := range c.Options {
		if o.Tp == ast.ColumnOptionPrimaryKey {
			return true
		}
	}
	return false
}

// position is where FIRST/AFTER puts a column (-1: at the end / unchanged).
func position(t *Table, p *ast.ColumnPosition) int {
	if p == nil {
		return -1
	}
	switch p.Tp {
	case ast.ColumnPositionFirst:
		return 0
	case ast.ColumnPositionAfter:
		if i := t.col(p.RelativeColumn.Name.O); i >= 0 {
			return i + 1
		}
	}
	return -1
}

func (t *Table) col(name string) int {
	for i := range t.Cols {
		if strings.EqualFold(t.Cols[i].Name, name) {
			return i
		}
	}
	return -1
}

func (t *Table) pkNames() []string {
	var out []string
	for _, i := range t.PK {
		out = append(out, t.Cols[i].Name)
	}
	return out
}

func (t *Table) setPK(names []string) {
	t.PK = nil
	for _, n := range names {
		if i := t.col(n); i >= 0 {
			t.PK = append(t.PK, i)
		}
	}
}
