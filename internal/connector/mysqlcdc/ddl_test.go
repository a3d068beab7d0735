package mysqlcdc

import (
	"strings"
	"testing"
)

// TestApplyDDL follows DDL statements on a layout, without a server.
func TestApplyDDL(t *testing.T) {
	f := newFilter([]string{"shop"}, nil)
	base := func() schemas {
		return schemas{"shop.t": {DB: "shop", Name: "t", Cols: []Column{{Name: "id", Type: "bigint"}, {Name: "a", Type: "int"}}, PK: []int{0}}}
	}
	layout := func(s schemas, k string) string {
		tb := s[k]
		if tb == nil {
			return "-"
		}
		var b strings.Builder
		for i, c := range tb.Cols {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(c.Name + ":" + c.Type)
			if c.Unsigned {
				b.WriteString("+u")
			}
		}
		b.WriteString(" pk=")
		for _, i := range tb.PK {
			b.WriteString(tb.Cols[i].Name)
		}
		return b.String()
	}
	for _, tc := range []struct {
		ddl, table, want string
		changed          bool
	}{
		{"ALTER TABLE t ADD COLUMN b VARCHAR(20)", "shop.t", "id:bigint a:int b:varchar pk=id", true},
		{"ALTER TABLE shop.t ADD COLUMN b DECIMAL(16,2) FIRST", "shop.t", "b:decimal id:bigint a:int pk=id", true},
		{"alter table `t` add b datetime after id, add c text", "shop.t", "id:bigint b:datetime a:int c:text pk=id", true},
		{"ALTER TABLE t ADD (b INT UNSIGNED, c DATE)", "shop.t", "id:bigint a:int b:int+u c:date pk=id", true},
		{"ALTER TABLE t DROP COLUMN a", "shop.t", "id:bigint pk=id", true},
		{"ALTER TABLE t MODIFY a BIGINT UNSIGNED NOT NULL", "shop.t", "id:bigint a:bigint+u pk=id", true},
		{"ALTER TABLE t CHANGE a a2 VARCHAR(5) FIRST", "shop.t", "a2:varchar id:bigint pk=id", true},
		{"ALTER TABLE t RENAME COLUMN id TO id2", "shop.t", "id2:bigint a:int pk=id2", true},
		{"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, id)", "shop.t", "id:bigint a:int pk=aid", true},
		{"ALTER TABLE t ADD INDEX ia (a)", "shop.t", "id:bigint a:int pk=id", false},
		{"ALTER TABLE t RENAME TO t2", "shop.t2", "id:bigint a:int pk=id", true},
		{"RENAME TABLE t TO other.t", "shop.t", "-", true},
		{"DROP TABLE IF EXISTS t", "shop.t", "-", true},
		{"CREATE TABLE n (id BIGINT NOT NULL AUTO_INCREMENT, s VARCHAR(10) CHARACTER SET utf8mb4, b BLOB, PRIMARY KEY (id)) ENGINE=InnoDB", "shop.n", "id:bigint s:varchar b:blob pk=id", true},
		{"CREATE TABLE n2 (k VARCHAR(10) PRIMARY KEY, v TINYINT)", "shop.n2", "k:varchar v:tinyint pk=k", true},
		{"CREATE TABLE n3 LIKE t", "shop.n3", "id:bigint a:int pk=id", true},
		{"CREATE TABLE other.x (id INT PRIMARY KEY)", "other.x", "-", false},
		{"ALTER TABLE other.t ADD COLUMN z INT", "shop.t", "id:bigint a:int pk=id", false},
		{"DROP DATABASE shop", "shop.t", "-", true},
	} {
		s := base()
		changed, ok := applyDDL(s, f, "shop", tc.ddl)
		if !ok {
			t.Errorf("%s: not parsed", tc.ddl)
			continue
		}
		if got := layout(s, tc.table); got != tc.want || changed != tc.changed {
			t.Errorf("%s:\n got %s (changed %v)\nwant %s (changed %v)", tc.ddl, got, changed, tc.want, tc.changed)
		}
	}
	if _, ok := applyDDL(base(), f, "shop", "ALTER TABLE t FROBNICATE"); ok {
		t.Error("a statement the parser cannot read must report ok=false")
	}
}
