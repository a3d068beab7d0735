package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// fullTable uses every field of a table definition.
func fullTable(p Path) Table {
	return Table{
		Path: p,
		Columns: []Column{
			{Name: "id", Type: row.MustParseType("BIGINT NOT NULL"), Comment: "the id"},
			{Name: "Nested", Type: row.MustParseType("ROW<a INT, b ARRAY<DECIMAL(10, 2)>>")},
			{Name: "m", Type: row.MustParseType("MAP<STRING, ROW<`x y` TIMESTAMP_LTZ(3) NOT NULL 'it''s'>>")},
			{Name: "ts", Type: row.MustParseType("TIMESTAMP(3)")},
			{Name: "amount2", Type: row.MustParseType("DECIMAL(16, 2)"), Expr: "`amount` * 2"},
			{Name: "pt", Type: row.MustParseType("TIMESTAMP_LTZ(3) NOT NULL"), Expr: "PROCTIME()"},
			{Name: "part", Type: row.MustParseType("INT"), Metadata: true, MetadataKey: "partition", Virtual: true},
			{Name: "headers", Type: row.MustParseType("MAP<STRING, BYTES>"), Metadata: true},
			{Name: "dt", Type: row.MustParseType("STRING")},
		},
		Watermark:     &Watermark{Column: "ts", Expr: "`ts` - INTERVAL '5' SECOND"},
		PrimaryKey:    []string{"id", "dt"},
		PartitionKeys: []string{"dt"},
		Options:       map[string]string{"connector": "upsert-kafka", "topic": "t", "key.format": "json", "value.format": "json"},
		Comment:       "orders 'fact'",
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	m, err := Open(dir)
	mustOK(t, err)
	mustOK(t, m.CreateCatalog(CatalogDef{Name: "Lake", Options: map[string]string{"type": "generic_in_memory", "default-database": "Ods"}}, false))
	mustOK(t, m.CreateDatabase(Database{Catalog: "lake", Name: "Dwd", Comment: "detail", Options: map[string]string{"owner": "me"}}, false))
	tab := fullTable(Path{"Lake", "Dwd", "Orders"})
	mustOK(t, m.CreateTable(tab, false))
	view := View{Path: Path{"Lake", "Dwd", "V"}, Columns: []string{"a", "b"}, Query: "SELECT `id`, `dt` FROM `Orders`", Comment: "view", Scope: Path{Catalog: "Lake", Database: "Dwd"}}
	mustOK(t, m.CreateView(view, false))
	fn := Function{Path: Path{"Lake", "Dwd", "Split"}, Class: "ik_analyze", Language: "GO"}
	mustOK(t, m.CreateFunction(fn, false))
	mustOK(t, m.CreateTable(simpleTable(dp("plain")), false))
	mustOK(t, m.Use("lake", "dwd"))
	mustOK(t, m.Close())

	m, err = Open(dir)
	mustOK(t, err)
	defer m.Close()
	if c, d := m.Current(); c != DefaultCatalog || d != DefaultDatabase {
		t.Errorf("a new session starts in %s.%s", c, d)
	}
	got, ok := m.GetTable(Path{"lake", "dwd", "orders"})
	if !ok {
		t.Fatal("table lost")
	}
	if !reflect.DeepEqual(*got, tab) {
		t.Fatalf("table after reopen:\n got %#v\nwant %#v", *got, tab)
	}
	for i, c := range got.Columns {
		if c.Type.String() != tab.Columns[i].Type.String() {
			t.Errorf("column %s: type %s, want %s", c.Name, c.Type, tab.Columns[i].Type)
		}
	}
	gv, ok := m.GetView(Path{"lake", "dwd", "v"})
	if !ok || !reflect.DeepEqual(*gv, view) {
		t.Fatalf("view after reopen: %#v", gv)
	}
	gf, ok := m.GetFunction(Path{"lake", "dwd", "split"})
	if !ok || *gf != fn {
		t.Fatalf("function after reopen: %#v", gf)
	}
	def, ok := m.GetCatalog("LAKE")
	if !ok || def.Name != "Lake" || def.Options["type"] != "generic_in_memory" {
		t.Fatalf("catalog after reopen: %#v", def)
	}
	db, ok := m.GetDatabase("lake", "DWD")
	want := Database{Catalog: "Lake", Name: "Dwd", Comment: "detail", Options: map[string]string{"owner": "me"}}
	if !ok || !reflect.DeepEqual(*db, want) {
		t.Fatalf("database after reopen: %#v", db)
	}
	dbs, err := m.Databases("lake")
	wantList(t, dbs, err, "Dwd", "Ods")
	mustOK(t, m.Use("lake", ""))
	if c, d := m.Current(); c != "Lake" || d != "Ods" {
		t.Errorf("USE CATALOG after reopen: %s.%s", c, d)
	}
	if _, ok := m.GetTable(dp("plain")); !ok {
		t.Fatal("default_catalog table lost")
	}
	// Re-running the DDL is an error unless IF NOT EXISTS (as Flink).
	wantErr(t, m.CreateTable(tab, false), "Table (or view) `Lake`.`Dwd`.`Orders` already exists in Catalog Lake.")
	mustOK(t, m.CreateTable(tab, true))

	// Drops persist too; a dropped catalog's file is gone.
	mustOK(t, m.Use(DefaultCatalog, ""))
	mustOK(t, m.DropTable(dp("plain"), false, false))
	mustOK(t, m.DropCatalog("lake", false))
	if _, err := os.Stat(filepath.Join(dir, catalogFile("Lake"))); !os.IsNotExist(err) {
		t.Fatalf("catalog file after DROP CATALOG: %v", err)
	}
	m2, err := Open(dir)
	mustOK(t, err)
	defer m2.Close()
	wantList(t, m2.Catalogs(), nil, DefaultCatalog)
	if _, ok := m2.GetTable(dp("plain")); ok {
		t.Fatal("dropped table came back")
	}
}

func TestTypesRoundTrip(t *testing.T) {
	for _, s := range []string{
		"NULL", "BOOLEAN", "TINYINT NOT NULL", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE",
		"DECIMAL(38, 18)", "CHAR(3)", "VARCHAR(20)", "STRING NOT NULL", "BINARY(4)", "VARBINARY(9)", "BYTES",
		"DATE", "TIME(0)", "TIMESTAMP(9)", "TIMESTAMP_LTZ(3)", "INTERVAL DAY(2) TO SECOND(3)", "INTERVAL YEAR TO MONTH",
		"ARRAY<INT NOT NULL>", "MULTISET<STRING>", "MAP<STRING, ARRAY<BIGINT>> NOT NULL",
		"ROW<a INT, b ARRAY<DECIMAL(10, 2)>>", "ROW<`a b` ROW<`c` MAP<INT, STRING> 'desc'> NOT NULL>",
	} {
		ty := row.MustParseType(s)
		b, err := json.Marshal(jsonType(ty))
		mustOK(t, err)
		var back jsonType
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(row.Type(back), ty) {
			t.Errorf("%s: round trip gave %s", s, row.Type(back))
		}
	}
	var bad jsonType
	if err := json.Unmarshal([]byte(`"INTT"`), &bad); err == nil || !strings.Contains(err.Error(), "INTT") {
		t.Errorf("bad type: %v", err)
	}
}

func TestDocumentIsReadable(t *testing.T) {
	dir := t.TempDir()
	m, err := Open(dir)
	mustOK(t, err)
	defer m.Close()
	mustOK(t, m.CreateTable(fullTable(dp("orders")), false))
	data, err := os.ReadFile(filepath.Join(dir, "default_catalog.json"))
	mustOK(t, err)
	for _, want := range []string{`"version": 1`, `"type": "ROW\u003c`, `"expr": "PROCTIME()"`, `"primary_key"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("document lacks %s:\n%s", want, data)
		}
	}
}

func TestStrayTempFile(t *testing.T) {
	dir := t.TempDir()
	m, err := Open(dir)
	mustOK(t, err)
	mustOK(t, m.CreateTable(simpleTable(dp("t")), false))
	mustOK(t, m.Close())
	// A writer killed between writing its temp file and the rename.
	good, err := os.ReadFile(filepath.Join(dir, "default_catalog.json"))
	mustOK(t, err)
	stray := filepath.Join(dir, tempPrefix+"123456")
	mustOK(t, os.WriteFile(stray, good[:len(good)/2], 0o644))
	strayJSON := filepath.Join(dir, tempPrefix+"9.json")
	mustOK(t, os.WriteFile(strayJSON, []byte("{"), 0o644))

	m, err = Open(dir)
	mustOK(t, err)
	defer m.Close()
	if _, ok := m.GetTable(dp("t")); !ok {
		t.Fatal("table lost")
	}
	for _, f := range []string{stray, strayJSON} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("stray temp file %s not cleaned up: %v", f, err)
		}
	}
	mustOK(t, m.CreateTable(simpleTable(dp("u")), false))
	entries, err := os.ReadDir(dir)
	mustOK(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	wantList(t, names, nil, lockName, "default_catalog.json")
}

func TestCorruptFile(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"garbage", "not json at all", "not a valid catalog document"},
		{"truncated", `{"version": 1, "name": "default_catalog", "databases": [`, "not a valid catalog document"},
		{"no version", `{"name": "default_catalog"}`, `no "version" field`},
		{"newer", `{"version": 99, "name": "default_catalog"}`, "catalog format version 99 is newer than this rtdw understands (1)"},
		{"bad type", `{"version": 1, "name": "default_catalog", "default_database": "default_database", "databases": [
			{"name": "default_database", "tables": [{"name": "t", "columns": [{"name": "a", "type": "INTT"}]}]}]}`, `type "INTT"`},
		{"duplicate", `{"version": 1, "name": "default_catalog", "databases": [
			{"name": "d", "tables": [{"name": "t", "columns": []}], "views": [{"name": "T", "query": "SELECT 1"}]}]}`, "appears twice"},
		{"wrong file", `{"version": 1, "name": "other", "databases": []}`, "holds catalog other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "default_catalog.json")
			mustOK(t, os.WriteFile(file, []byte(tc.content), 0o644))
			_, err := Open(dir)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q: want the file name and %q", err, tc.want)
			}
		})
	}
	// A file corrupted under a running Manager: reads keep the last good
	// state, the next mutation reports the file.
	dir := t.TempDir()
	m, err := Open(dir)
	mustOK(t, err)
	defer m.Close()
	mustOK(t, m.CreateTable(simpleTable(dp("t")), false))
	file := filepath.Join(dir, "default_catalog.json")
	mustOK(t, os.WriteFile(file, []byte("garbage"), 0o644))
	if _, ok := m.GetTable(dp("t")); !ok {
		t.Fatal("read after corruption lost the table")
	}
	err = m.CreateTable(simpleTable(dp("u")), false)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("mutation on a corrupt file: %v", err)
	}
}

func TestCatalogFileNames(t *testing.T) {
	if got := catalogFile("My Cat/../x.é"); got != "my%20cat%2F%2E%2E%2Fx%2E%C3%A9.json" {
		t.Fatalf("catalogFile: %s", got)
	}
	dir := t.TempDir()
	m, err := Open(dir)
	mustOK(t, err)
	weird := "My Cat/../x.é"
	mustOK(t, m.CreateCatalog(CatalogDef{Name: weird}, false))
	mustOK(t, m.CreateTable(simpleTable(Path{weird, "default", "t"}), false))
	mustOK(t, m.Close())
	m, err = Open(dir)
	mustOK(t, err)
	defer m.Close()
	if _, ok := m.GetTable(Path{"my cat/../X.É", "DEFAULT", "T"}); !ok {
		t.Fatal("table of a catalog with an odd name lost")
	}
}

func TestDefaultRecreated(t *testing.T) {
	// Every session starts with default_catalog.default_database, as in
	// Flink, even after a previous session dropped them.
	dir := t.TempDir()
	m, err := Open(dir)
	mustOK(t, err)
	mustOK(t, m.CreateDatabase(Database{Name: "other"}, false))
	mustOK(t, m.Use("", "other"))
	mustOK(t, m.DropDatabase("", DefaultDatabase, false, false))
	mustOK(t, m.Close())
	m, err = Open(dir)
	mustOK(t, err)
	defer m.Close()
	dbs, err := m.Databases("")
	wantList(t, dbs, err, DefaultDatabase, "other")
}

func TestConcurrentManagers(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir)
	mustOK(t, err)
	defer a.Close()
	b, err := Open(dir)
	mustOK(t, err)
	defer b.Close()
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, mc := range []struct {
		m      *Manager
		prefix string
	}{{a, "a"}, {b, "b"}} {
		wg.Go(func() {
			for i := range n {
				errs <- mc.m.CreateTable(simpleTable(dp(mc.prefix+strconv.Itoa(i))), false)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustOK(t, err)
	}
	// Each sees the other's tables without reopening.
	for _, m := range []*Manager{a, b} {
		tabs, err := m.Tables("", "")
		mustOK(t, err)
		if len(tabs) != 2*n {
			t.Fatalf("%d tables, want %d: %v", len(tabs), 2*n, tabs)
		}
	}
	if _, ok := a.GetTable(dp("b7")); !ok {
		t.Fatal("a does not see b's table")
	}
	// b drops a's table; a sees that, and a's next change keeps b's.
	mustOK(t, b.DropTable(dp("a3"), false, false))
	if _, ok := a.GetTable(dp("a3")); ok {
		t.Fatal("a still sees a dropped table")
	}
	mustOK(t, a.CreateDatabase(Database{Name: "x"}, false))
	c, err := Open(dir)
	mustOK(t, err)
	defer c.Close()
	tabs, err := c.Tables("", "")
	mustOK(t, err)
	if len(tabs) != 2*n-1 {
		t.Fatalf("after reopen: %d tables", len(tabs))
	}
	if _, ok := c.GetDatabase("", "x"); !ok {
		t.Fatal("database lost")
	}
}

// TestMain makes the test binary the child of TestTwoProcesses when
// RTDW_CATALOG_TEST_DIR is set: it creates 30 tables and exits.
func TestMain(m *testing.M) {
	if dir := os.Getenv("RTDW_CATALOG_TEST_DIR"); dir != "" {
		os.Exit(helperProcess(dir, os.Getenv("RTDW_CATALOG_TEST_PREFIX")))
	}
	os.Exit(m.Run())
}

func helperProcess(dir, prefix string) int {
	m, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer m.Close()
	for i := range 30 {
		if err := m.CreateTable(simpleTable(dp(fmt.Sprintf("%s%d", prefix, i))), false); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func TestTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for _, prefix := range []string{"p", "q"} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "RTDW_CATALOG_TEST_DIR="+dir, "RTDW_CATALOG_TEST_PREFIX="+prefix)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		mustOK(t, cmd.Start())
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v\n%s", err, outs[i])
		}
	}
	m, err := Open(dir)
	mustOK(t, err)
	defer m.Close()
	tabs, err := m.Tables("", "")
	mustOK(t, err)
	if len(tabs) != 60 {
		t.Fatalf("%d tables after two processes, want 60: %v", len(tabs), tabs)
	}
}
