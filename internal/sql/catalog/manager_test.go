package catalog

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// eachMode runs f on an in-memory Manager and on a durable one.
func eachMode(t *testing.T, f func(t *testing.T, m *Manager)) {
	t.Run("memory", func(t *testing.T) { f(t, OpenMemory()) })
	t.Run("durable", func(t *testing.T) {
		m, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		f(t, m)
	})
}

func dp(name string) Path { return Path{DefaultCatalog, DefaultDatabase, name} }

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err error, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", text)
	}
	if err.Error() != text {
		t.Fatalf("error %q, want %q", err, text)
	}
}

func wantList(t *testing.T, got []string, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		want = nil
	}
	if len(got) == 0 {
		got = nil
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func simpleTable(p Path) Table {
	return Table{
		Path:    p,
		Columns: []Column{{Name: "id", Type: row.MustParseType("BIGINT NOT NULL")}, {Name: "name", Type: row.MustParseType("STRING")}},
		Options: map[string]string{"connector": "print"},
	}
}

func TestDefaults(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		c, d := m.Current()
		if c != DefaultCatalog || d != DefaultDatabase {
			t.Fatalf("current %s.%s", c, d)
		}
		wantList(t, m.Catalogs(), nil, DefaultCatalog)
		dbs, err := m.Databases(DefaultCatalog)
		wantList(t, dbs, err, DefaultDatabase)
		tabs, err := m.Tables(DefaultCatalog, DefaultDatabase)
		wantList(t, tabs, err)
	})
}

func TestQualify(t *testing.T) {
	m := OpenMemory()
	mustOK(t, m.CreateDatabase(Database{Name: "Ods"}, false))
	for _, tc := range []struct {
		parts []string
		want  Path
	}{
		{[]string{"t"}, dp("t")},
		{[]string{"ODS", "T"}, Path{DefaultCatalog, "Ods", "T"}},
		{[]string{"DEFAULT_CATALOG", "Default_Database", "x"}, dp("x")},
		{[]string{"other", "db", "x"}, Path{"other", "db", "x"}},
	} {
		got, err := m.Qualify(tc.parts)
		mustOK(t, err)
		if got != tc.want {
			t.Errorf("Qualify(%q) = %v, want %v", tc.parts, got, tc.want)
		}
	}
	if _, err := m.Qualify([]string{"a", "b", "c", "d"}); err == nil {
		t.Error("4 parts: no error")
	}
	if _, err := m.Qualify(nil); err == nil {
		t.Error("0 parts: no error")
	}
	mustOK(t, m.Use("", "ods"))
	got, err := m.Qualify([]string{"t"})
	mustOK(t, err)
	if got != (Path{DefaultCatalog, "Ods", "t"}) {
		t.Errorf("after USE ods: %v", got)
	}
	if s := got.String(); s != "`default_catalog`.`Ods`.`t`" {
		t.Errorf("String %s", s)
	}
}

func TestUse(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		wantErr(t, m.Use("", "nodb"), "A database with name [nodb] does not exist in the catalog: [default_catalog].")
		wantErr(t, m.Use("nocat", ""), "A catalog with name [nocat] does not exist.")
		mustOK(t, m.CreateCatalog(CatalogDef{Name: "Hive", Options: map[string]string{"type": "generic_in_memory"}}, false))
		mustOK(t, m.CreateCatalog(CatalogDef{Name: "mine", Options: map[string]string{"default-database": "mydb"}}, false))
		mustOK(t, m.Use("HIVE", ""))
		if c, d := m.Current(); c != "Hive" || d != "default" {
			t.Fatalf("USE CATALOG hive: current %s.%s", c, d)
		}
		mustOK(t, m.Use("mine", ""))
		if c, d := m.Current(); c != "mine" || d != "mydb" {
			t.Fatalf("USE CATALOG mine: current %s.%s", c, d)
		}
		mustOK(t, m.CreateDatabase(Database{Name: "Dwd"}, false))
		mustOK(t, m.Use("", "dwd"))
		if c, d := m.Current(); c != "mine" || d != "Dwd" {
			t.Fatalf("USE dwd: current %s.%s", c, d)
		}
		mustOK(t, m.Use("default_catalog", "default_database"))
		if c, d := m.Current(); c != DefaultCatalog || d != DefaultDatabase {
			t.Fatalf("USE c.d: current %s.%s", c, d)
		}
		wantErr(t, m.Use("mine", "nodb"), "A database with name [nodb] does not exist in the catalog: [mine].")
	})
}

func TestCatalogs(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		mustOK(t, m.CreateCatalog(CatalogDef{Name: "Lake", Options: map[string]string{"type": "paimon", "warehouse": "/w"}}, false))
		wantErr(t, m.CreateCatalog(CatalogDef{Name: "LAKE"}, false), "Catalog LAKE already exists.")
		mustOK(t, m.CreateCatalog(CatalogDef{Name: "lake"}, true))
		def, ok := m.GetCatalog("lake")
		if !ok || def.Name != "Lake" || def.Options["warehouse"] != "/w" {
			t.Fatalf("GetCatalog: %+v %v", def, ok)
		}
		def.Options["warehouse"] = "changed"
		if def, _ := m.GetCatalog("lake"); def.Options["warehouse"] != "/w" {
			t.Fatal("GetCatalog shares its options")
		}
		wantList(t, m.Catalogs(), nil, "Lake", DefaultCatalog)
		wantErr(t, m.DropCatalog(DefaultCatalog, false), "Cannot drop a catalog which is currently in use.")
		wantErr(t, m.DropCatalog("nope", false), "Catalog nope does not exist.")
		mustOK(t, m.DropCatalog("nope", true))
		mustOK(t, m.CreateTable(simpleTable(Path{"lake", "default", "t"}), false))
		mustOK(t, m.DropCatalog("LAKE", false))
		wantList(t, m.Catalogs(), nil, DefaultCatalog)
		if _, ok := m.GetTable(Path{"lake", "default", "t"}); ok {
			t.Fatal("table of a dropped catalog still there")
		}
		wantErr(t, m.CreateCatalog(CatalogDef{}, false), "catalog name must not be empty")
	})
}

func TestDatabases(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		mustOK(t, m.CreateDatabase(Database{Catalog: DefaultCatalog, Name: "Ods", Comment: "raw", Options: map[string]string{"k": "v"}}, false))
		wantErr(t, m.CreateDatabase(Database{Name: "ODS"}, false), "Database ODS already exists in Catalog default_catalog.")
		mustOK(t, m.CreateDatabase(Database{Name: "ods"}, true))
		d, ok := m.GetDatabase("", "ods")
		if !ok || d.Name != "Ods" || d.Catalog != DefaultCatalog || d.Comment != "raw" || d.Options["k"] != "v" {
			t.Fatalf("GetDatabase: %+v %v", d, ok)
		}
		wantErr(t, m.CreateDatabase(Database{Catalog: "nocat", Name: "x"}, false), "A catalog with name [nocat] does not exist.")
		dbs, err := m.Databases("")
		wantList(t, dbs, err, "Ods", DefaultDatabase)
		_, err = m.Databases("nocat")
		wantErr(t, err, "A catalog with name [nocat] does not exist.")

		mustOK(t, m.CreateTable(simpleTable(Path{DefaultCatalog, "ods", "t"}), false))
		wantErr(t, m.DropDatabase("", "ods", false, false), "Database Ods in catalog default_catalog is not empty.")
		mustOK(t, m.Use("", "ods"))
		wantErr(t, m.DropDatabase("", "ods", false, true), "Cannot drop a database which is currently in use.")
		mustOK(t, m.Use("", DefaultDatabase))
		mustOK(t, m.DropDatabase(DefaultCatalog, "ODS", false, true))
		wantErr(t, m.DropDatabase("", "ods", false, false), "Database ods does not exist in Catalog default_catalog.")
		mustOK(t, m.DropDatabase("", "ods", true, false))
		if _, _, err := m.Lookup(Path{DefaultCatalog, "ods", "t"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("table of a dropped database: %v", err)
		}
		// A database emptied of its last table drops without CASCADE.
		mustOK(t, m.CreateDatabase(Database{Name: "tmp"}, false))
		mustOK(t, m.CreateFunction(Function{Path: Path{DefaultCatalog, "tmp", "f"}, Class: "f"}, false))
		wantErr(t, m.DropDatabase("", "tmp", false, false), "Database tmp in catalog default_catalog is not empty.")
		mustOK(t, m.DropFunction(Path{DefaultCatalog, "tmp", "f"}, false, false))
		mustOK(t, m.DropDatabase("", "tmp", false, false))
	})
}

func TestTables(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		tab := simpleTable(dp("Orders"))
		mustOK(t, m.CreateTable(tab, false))
		wantErr(t, m.CreateTable(simpleTable(dp("ORDERS")), false),
			"Table (or view) `default_catalog`.`default_database`.`ORDERS` already exists in Catalog default_catalog.")
		var err error = m.CreateTable(simpleTable(dp("orders")), false)
		if !errors.Is(err, ErrExists) {
			t.Fatalf("not ErrExists: %v", err)
		}
		other := simpleTable(dp("orders"))
		other.Comment = "second"
		mustOK(t, m.CreateTable(other, true)) // IF NOT EXISTS: the first one stays
		got, ok := m.GetTable(dp("ORDERS"))
		if !ok {
			t.Fatal("GetTable: not found")
		}
		if got.Comment != "" || got.Path != dp("Orders") || got.Temporary {
			t.Fatalf("GetTable: %+v", got)
		}
		if !reflect.DeepEqual(got.Columns, tab.Columns) || got.Options["connector"] != "print" {
			t.Fatalf("GetTable: %+v", got)
		}
		// Unqualified parts are the current ones; stored spelling of catalog/db.
		mustOK(t, m.CreateTable(simpleTable(Path{"DEFAULT_CATALOG", "", "t2"}), false))
		if got, ok := m.GetTable(dp("t2")); !ok || got.Path != dp("t2") {
			t.Fatalf("t2: %+v", got)
		}
		// A view is a table (or view) too.
		wantErr(t, m.CreateView(View{Path: dp("orders"), Query: "SELECT 1"}, false),
			"Table (or view) `default_catalog`.`default_database`.`orders` already exists in Catalog default_catalog.")
		if _, ok := m.GetView(dp("orders")); ok {
			t.Fatal("GetView of a table")
		}
		tb, v, err := m.Lookup(Path{"Default_Catalog", "DEFAULT_DATABASE", "oRdErS"})
		if err != nil || tb == nil || v != nil || tb.Path.Name != "Orders" {
			t.Fatalf("Lookup: %v %v %v", tb, v, err)
		}
		_, _, err = m.Lookup(dp("nope"))
		wantErr(t, err, "Object 'nope' not found")
		if !errors.Is(err, ErrNotFound) {
			t.Fatal("not ErrNotFound")
		}
		_, _, err = m.Lookup(Path{DefaultCatalog, "nodb", "t"})
		wantErr(t, err, "Object 'nodb' not found within 'default_catalog'")
		_, _, err = m.Lookup(Path{"nocat", "nodb", "t"})
		wantErr(t, err, "Object 'nocat' not found")
		wantErr(t, m.CreateTable(simpleTable(Path{DefaultCatalog, "nodb", "t"}), false),
			"Database nodb does not exist in Catalog default_catalog.")

		tabs, err := m.Tables("", "")
		wantList(t, tabs, err, "Orders", "t2")
		_, err = m.Tables(DefaultCatalog, "nodb")
		wantErr(t, err, "Database nodb does not exist in Catalog default_catalog.")

		wantErr(t, m.DropView(dp("orders"), false, false), "View with identifier 'default_catalog.default_database.orders' does not exist.")
		mustOK(t, m.DropTable(dp("ORDERS"), false, false))
		wantErr(t, m.DropTable(dp("orders"), false, false), "Table with identifier 'default_catalog.default_database.orders' does not exist.")
		mustOK(t, m.DropTable(dp("orders"), true, false))
		mustOK(t, m.DropTable(Path{"nocat", "x", "y"}, true, false))
		if _, ok := m.GetTable(dp("orders")); ok {
			t.Fatal("dropped table still there")
		}
		tabs, err = m.Tables("", "")
		wantList(t, tabs, err, "t2")
	})
}

func TestViews(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		v := View{Path: dp("V1"), Columns: []string{"a", "b"}, Query: "SELECT `x`, `y` FROM `t`", Comment: "c"}
		mustOK(t, m.CreateView(v, false))
		wantErr(t, m.CreateView(View{Path: dp("v1"), Query: "SELECT 2"}, false),
			"Table (or view) `default_catalog`.`default_database`.`v1` already exists in Catalog default_catalog.")
		mustOK(t, m.CreateView(View{Path: dp("v1"), Query: "SELECT 2"}, true))
		wantErr(t, m.CreateTable(simpleTable(dp("v1")), false),
			"Table (or view) `default_catalog`.`default_database`.`v1` already exists in Catalog default_catalog.")
		got, ok := m.GetView(dp("v1"))
		if !ok || !reflect.DeepEqual(*got, v) {
			t.Fatalf("GetView: %+v", got)
		}
		if _, ok := m.GetTable(dp("v1")); ok {
			t.Fatal("GetTable of a view")
		}
		tb, vw, err := m.Lookup(dp("v1"))
		if err != nil || tb != nil || vw == nil {
			t.Fatalf("Lookup view: %v %v %v", tb, vw, err)
		}
		mustOK(t, m.CreateTable(simpleTable(dp("t")), false))
		views, err := m.Views("", "")
		wantList(t, views, err, "V1")
		tabs, err := m.Tables("", "")
		wantList(t, tabs, err, "t")
		wantErr(t, m.DropTable(dp("v1"), false, false), "Table with identifier 'default_catalog.default_database.v1' does not exist.")
		mustOK(t, m.DropView(dp("v1"), false, false))
		views, err = m.Views("", "")
		wantList(t, views, err)
	})
}

func TestTemporary(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		perm := simpleTable(dp("t"))
		mustOK(t, m.CreateTable(perm, false))
		tmp := simpleTable(dp("T"))
		tmp.Temporary = true
		tmp.Options = map[string]string{"connector": "datagen"}
		mustOK(t, m.CreateTable(tmp, false)) // shadows the permanent one
		wantErr(t, m.CreateTable(tmp, false), "Temporary table '`default_catalog`.`default_database`.`T`' already exists")
		mustOK(t, m.CreateTable(tmp, true))
		got, ok := m.GetTable(dp("t"))
		if !ok || !got.Temporary || got.Options["connector"] != "datagen" || got.Path.Name != "T" {
			t.Fatalf("shadowed lookup: %+v", got)
		}
		tabs, err := m.Tables("", "")
		wantList(t, tabs, err, "T") // one name, not two
		wantErr(t, m.DropTable(dp("t"), false, false),
			"Temporary table with identifier '`default_catalog`.`default_database`.`t`' exists. Drop it first before removing the permanent table.")
		wantErr(t, m.AlterTableOptions(dp("t"), map[string]string{"a": "b"}, nil),
			"Table `default_catalog`.`default_database`.`t` doesn't exist or is a temporary table.")
		wantErr(t, m.RenameTable(dp("t"), "u"),
			"Table `default_catalog`.`default_database`.`t` doesn't exist or is a temporary table.")
		mustOK(t, m.DropTable(dp("t"), false, true))
		wantErr(t, m.DropTable(dp("t"), false, true), "Temporary table or view with identifier 'default_catalog.default_database.t' does not exist.")
		mustOK(t, m.DropTable(dp("t"), true, true))
		got, ok = m.GetTable(dp("t"))
		if !ok || got.Temporary || got.Options["connector"] != "print" {
			t.Fatalf("after DROP TEMPORARY: %+v", got)
		}

		// A temporary view shadows a permanent table.
		mustOK(t, m.CreateView(View{Path: dp("t"), Query: "SELECT 1", Temporary: true}, false))
		if _, ok := m.GetTable(dp("t")); ok {
			t.Fatal("temporary view does not shadow the table")
		}
		if v, ok := m.GetView(dp("t")); !ok || !v.Temporary {
			t.Fatalf("temporary view: %+v", v)
		}
		wantErr(t, m.CreateTable(Table{Path: dp("t"), Temporary: true}, false), "Temporary table '`default_catalog`.`default_database`.`t`' already exists")
		// DROP TEMPORARY TABLE does not drop a temporary view.
		wantErr(t, m.DropTable(dp("t"), false, true), "Temporary table or view with identifier 'default_catalog.default_database.t' does not exist.")
		views, err := m.Views("", "")
		wantList(t, views, err, "t")
		mustOK(t, m.DropView(dp("t"), false, true))

		// Temporary objects need an existing database.
		wantErr(t, m.CreateTable(Table{Path: Path{DefaultCatalog, "nodb", "x"}, Temporary: true}, false),
			"Database nodb does not exist in Catalog default_catalog.")
		mustOK(t, m.CreateTable(Table{Path: dp("only_tmp"), Temporary: true}, false))
		tabs, err = m.Tables("", "")
		wantList(t, tabs, err, "only_tmp", "t")
		if m.dir != "" {
			m2, err := Open(m.dir)
			mustOK(t, err)
			defer m2.Close()
			if _, ok := m2.GetTable(dp("only_tmp")); ok {
				t.Fatal("a temporary table was persisted")
			}
			if _, ok := m2.GetTable(dp("t")); !ok {
				t.Fatal("the permanent table was not persisted")
			}
		}
	})
}

func TestAlterAndRename(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		tab := simpleTable(dp("t"))
		tab.Options = map[string]string{"connector": "kafka", "topic": "a", "format": "json"}
		mustOK(t, m.CreateTable(tab, false))
		mustOK(t, m.AlterTableOptions(dp("T"), map[string]string{"topic": "b", "scan.startup.mode": "earliest-offset"}, []string{"format", "absent"}))
		got, _ := m.GetTable(dp("t"))
		want := map[string]string{"connector": "kafka", "topic": "b", "scan.startup.mode": "earliest-offset"}
		if !reflect.DeepEqual(got.Options, want) {
			t.Fatalf("options %v, want %v", got.Options, want)
		}
		wantErr(t, m.AlterTableOptions(dp("t"), nil, []string{"connector"}), "ALTER TABLE RESET does not support changing 'connector'")
		err := m.AlterTableOptions(dp("nope"), map[string]string{"a": "b"}, nil)
		wantErr(t, err, "Table `default_catalog`.`default_database`.`nope` doesn't exist or is a temporary table.")
		if !errors.Is(err, ErrNotFound) {
			t.Fatal("not ErrNotFound")
		}
		mustOK(t, m.CreateView(View{Path: dp("v"), Query: "SELECT 1"}, false))
		wantErr(t, m.AlterTableOptions(dp("v"), map[string]string{"a": "b"}, nil), "ALTER TABLE for a view is not allowed")
		wantErr(t, m.RenameTable(dp("v"), "w"), "ALTER TABLE for a view is not allowed")

		mustOK(t, m.CreateTable(simpleTable(dp("other")), false))
		wantErr(t, m.RenameTable(dp("t"), "OTHER"),
			"Table (or view) `default_catalog`.`default_database`.`OTHER` already exists in Catalog default_catalog.")
		wantErr(t, m.RenameTable(dp("t"), "V"),
			"Table (or view) `default_catalog`.`default_database`.`V` already exists in Catalog default_catalog.")
		mustOK(t, m.RenameTable(dp("t"), "Renamed"))
		if _, ok := m.GetTable(dp("t")); ok {
			t.Fatal("old name still there")
		}
		got, ok := m.GetTable(dp("renamed"))
		if !ok || got.Path != dp("Renamed") || got.Options["topic"] != "b" {
			t.Fatalf("renamed: %+v", got)
		}
		mustOK(t, m.RenameTable(dp("renamed"), "RENAMED")) // a new spelling
		tabs, err := m.Tables("", "")
		wantList(t, tabs, err, "RENAMED", "other")
	})
}

func TestFunctions(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		f := Function{Path: dp("IK_Analyze"), Class: "ik_analyze", Language: "GO"}
		mustOK(t, m.CreateFunction(f, false))
		wantErr(t, m.CreateFunction(Function{Path: dp("ik_analyze"), Class: "x"}, false),
			"Function `default_catalog`.`default_database`.`ik_analyze` already exists in Catalog default_catalog.")
		mustOK(t, m.CreateFunction(Function{Path: dp("ik_analyze"), Class: "x"}, true))
		got, ok := m.GetFunction(dp("IK_ANALYZE"))
		if !ok || *got != f {
			t.Fatalf("GetFunction: %+v", got)
		}
		tmp := Function{Path: dp("ik_analyze"), Class: "other", Temporary: true}
		mustOK(t, m.CreateFunction(tmp, false))
		wantErr(t, m.CreateFunction(tmp, false), "Temporary catalog function `default_catalog`.`default_database`.`ik_analyze` is already defined")
		got, _ = m.GetFunction(dp("ik_analyze"))
		if !got.Temporary || got.Class != "other" {
			t.Fatalf("temporary function does not shadow: %+v", got)
		}
		wantList(t, m.Functions("", ""), nil, "ik_analyze")
		wantErr(t, m.DropFunction(dp("ik_analyze"), false, false),
			"Could not drop catalog function. A temporary function 'default_catalog.default_database.ik_analyze' does already exist. Please drop the temporary function first.")
		mustOK(t, m.DropFunction(dp("ik_analyze"), false, true))
		wantErr(t, m.DropFunction(dp("ik_analyze"), false, true),
			"Temporary catalog function `default_catalog`.`default_database`.`ik_analyze` doesn't exist")
		mustOK(t, m.DropFunction(dp("ik_analyze"), true, true))
		wantList(t, m.Functions("", ""), nil, "IK_Analyze")
		mustOK(t, m.DropFunction(dp("ik_analyze"), false, false))
		wantErr(t, m.DropFunction(dp("ik_analyze"), false, false),
			"Function `default_catalog`.`default_database`.`ik_analyze` does not exist in Catalog default_catalog.")
		mustOK(t, m.DropFunction(dp("ik_analyze"), true, false))
		if _, ok := m.GetFunction(dp("ik_analyze")); ok {
			t.Fatal("dropped function still there")
		}
		wantList(t, m.Functions("", ""), nil)
		wantList(t, m.Functions("nocat", "nodb"), nil)
	})
}

func TestDeepCopies(t *testing.T) {
	eachMode(t, func(t *testing.T, m *Manager) {
		in := fullTable(dp("t"))
		want := fullTable(dp("t"))
		mustOK(t, m.CreateTable(in, false))
		// The caller's definition is not shared.
		in.Columns[0].Name = "changed"
		in.Options["connector"] = "changed"
		in.PrimaryKey[0] = "changed"
		in.Watermark.Expr = "changed"
		got, _ := m.GetTable(dp("t"))
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("input shared:\n got %+v\nwant %+v", got, want)
		}
		// Nor is what it returns.
		got.Columns[0].Name = "changed"
		got.Options["connector"] = "changed"
		got.PrimaryKey[0] = "changed"
		got.PartitionKeys[0] = "changed"
		got.Watermark.Column = "changed"
		again, _ := m.GetTable(dp("t"))
		if !reflect.DeepEqual(*again, want) {
			t.Fatalf("output shared:\n got %+v\nwant %+v", again, want)
		}
		v := View{Path: dp("v"), Columns: []string{"a"}, Query: "SELECT 1"}
		mustOK(t, m.CreateView(v, false))
		gv, _ := m.GetView(dp("v"))
		gv.Columns[0] = "changed"
		if gv, _ := m.GetView(dp("v")); gv.Columns[0] != "a" {
			t.Fatal("view columns shared")
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	// Many goroutines on one Manager (run with -race).
	m := OpenMemory()
	done := make(chan error)
	for g := range 8 {
		go func() {
			for i := range 20 {
				name := string(rune('a'+g)) + string(rune('a'+i))
				if err := m.CreateTable(simpleTable(dp(name)), false); err != nil {
					done <- err
					return
				}
				if _, ok := m.GetTable(dp(name)); !ok {
					done <- errors.New("lost " + name)
					return
				}
				m.Tables("", "")
			}
			done <- nil
		}()
	}
	for range 8 {
		mustOK(t, <-done)
	}
	tabs, err := m.Tables("", "")
	mustOK(t, err)
	if len(tabs) != 160 {
		t.Fatalf("%d tables", len(tabs))
	}
}
