package session_test

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/session"
)

// A pipeline file's DDL (TemporaryDDL, read again at every start of
// rtdw run --sql) never changes the durable catalog: its DROP reaches only
// its own temporary objects, so DROP TABLE IF EXISTS t; CREATE TABLE t
// leaves a permanent t in place, and ALTER of a permanent table or DROP
// DATABASE is refused with what to do instead.
func TestPipelineDDLLeavesTheCatalogAlone(t *testing.T) {
	cat := catalog.OpenMemory()
	perm, _ := newSession(t, cat)
	if _, err := perm.Execute("ddl.sql", `CREATE TABLE perm1 (a INT) WITH ('connector' = 'blackhole');
CREATE DATABASE db1;`, session.Plan); err != nil {
		t.Fatal(err)
	}
	pipe, _ := newSession(t, cat)
	pipe.TemporaryDDL = true
	if _, err := pipe.Execute("p.sql", `DROP TABLE IF EXISTS perm1;
CREATE TABLE perm1 (b STRING) WITH ('connector' = 'blackhole');
DROP TABLE IF EXISTS perm1;
ALTER TABLE IF EXISTS nosuch SET ('k' = 'v');`, session.Plan); err != nil {
		t.Fatal(err)
	}
	tb, _, err := cat.Lookup(catalog.Path{Catalog: "default_catalog", Database: "default_database", Name: "perm1"})
	if err != nil || tb == nil || tb.Temporary || tb.Columns[0].Name != "a" {
		t.Fatalf("the permanent perm1 after the pipeline's DROPs: %+v, %v", tb, err)
	}
	for stmt, want := range map[string]string{
		"ALTER TABLE perm1 SET ('x' = 'y');": "`perm1` would change the durable catalog",
		"DROP DATABASE IF EXISTS db1;":       "DROP DATABASE would change the durable catalog",
	} {
		_, err := pipe.Execute("p.sql", stmt, session.Plan)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", stmt, err, want)
		}
	}
	if dbs, err := cat.Databases("default_catalog"); err != nil || !strings.Contains(strings.Join(dbs, ","), "db1") {
		t.Errorf("db1 was dropped: %v %v", dbs, err)
	}
}
