package catalog

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Errors of the Manager match these with errors.Is; their texts are
// Flink's.
var (
	ErrNotFound = errors.New("catalog: object not found")
	ErrExists   = errors.New("catalog: object already exists")
)

type catalogError struct {
	msg  string
	kind error
}

func (e *catalogError) Error() string        { return e.msg }
func (e *catalogError) Is(target error) bool { return target == e.kind }

func notFound(format string, args ...any) error {
	return &catalogError{msg: fmt.Sprintf(format, args...), kind: ErrNotFound}
}

func exists(format string, args ...any) error {
	return &catalogError{msg: fmt.Sprintf(format, args...), kind: ErrExists}
}

// Manager is the catalog of a SQL session: the durable catalogs of the
// data dir, the session's TEMPORARY objects (in memory only; they shadow
// permanent objects of the same path, as Flink's) and the current
// catalog and database. It is safe for concurrent use.
//
// Names are looked up case-insensitively; an object keeps the spelling
// it was first created with.
type Manager struct {
	mu   sync.Mutex
	dir  string   // "" = in memory
	lock *os.File // flock'ed around every durable mutation

	files map[string]fileStamp // durable mode: what was read from each file
	cats  map[string]*catState // by folded name

	curCat, curDB string

	temps     map[string]*tempEntry // by pathKey
	tempFuncs map[string]*Function  // by pathKey
}

type catState struct {
	def       CatalogDef
	defaultDB string
	dbs       map[string]*dbState
}

type dbState struct {
	def    Database
	tables map[string]*Table
	views  map[string]*View
	funcs  map[string]*Function
}

func newDBState(d Database) *dbState {
	return &dbState{def: d, tables: map[string]*Table{}, views: map[string]*View{}, funcs: map[string]*Function{}}
}

func (d *dbState) empty() bool { return len(d.tables)+len(d.views)+len(d.funcs) == 0 }

// tempEntry is a temporary table or view.
type tempEntry struct {
	table *Table
	view  *View
}

func fold(s string) string { return strings.ToLower(s) }

func pathKey(p Path) string {
	return fold(p.Catalog) + "\x00" + fold(p.Database) + "\x00" + fold(p.Name)
}

// summary is Flink's ObjectIdentifier.asSummaryString: c.d.t.
func summary(p Path) string { return p.Catalog + "." + p.Database + "." + p.Name }

// OpenMemory returns a Manager that keeps everything in memory (tests,
// EXPLAIN without a data dir).
func OpenMemory() *Manager {
	m := newManager("")
	m.ensureDefault()
	return m
}

// Open opens the catalog stored in dir (<data-dir>/catalog), creating
// the directory and the built-in default_catalog.default_database when
// missing (as every Flink session has them). A document that cannot be
// read is an error naming its file.
func Open(dir string) (*Manager, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	m := newManager(dir)
	m.lock = lock
	err = m.update(func() ([]string, error) {
		removeTemps(dir)
		return m.ensureDefault(), nil
	})
	if err != nil {
		lock.Close()
		return nil, err
	}
	return m, nil
}

func newManager(dir string) *Manager {
	return &Manager{
		dir:       dir,
		files:     map[string]fileStamp{},
		cats:      map[string]*catState{},
		curCat:    DefaultCatalog,
		curDB:     DefaultDatabase,
		temps:     map[string]*tempEntry{},
		tempFuncs: map[string]*Function{},
	}
}

// ensureDefault creates default_catalog and its default_database when
// missing and returns the names of the catalogs it changed.
func (m *Manager) ensureDefault() []string {
	key := fold(DefaultCatalog)
	c := m.cats[key]
	if c == nil {
		c = &catState{def: CatalogDef{Name: DefaultCatalog, Options: map[string]string{}}, defaultDB: DefaultDatabase, dbs: map[string]*dbState{}}
		m.cats[key] = c
	} else if c.dbs[fold(DefaultDatabase)] != nil {
		return nil
	}
	if c.dbs[fold(DefaultDatabase)] == nil {
		c.dbs[fold(DefaultDatabase)] = newDBState(Database{Catalog: c.def.Name, Name: DefaultDatabase, Options: map[string]string{}})
	}
	return []string{c.def.Name}
}

// Close releases the data dir's lock file. The Manager must not be used
// afterwards.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lock == nil {
		return nil
	}
	err := m.lock.Close()
	m.lock = nil
	return err
}

// refresh picks up documents other processes changed. Called with m.mu
// held by every read; a document that cannot be read now is ignored
// (the last good one stays; the next mutation reports it).
func (m *Manager) refresh() {
	if m.dir != "" && m.lock != nil {
		_ = m.load(false)
	}
}

// update runs a durable mutation: with m.mu held, under the directory's
// lock, on a fresh reload of every document; fn validates before it
// changes anything and returns the names of the catalogs it changed,
// which are then written (or removed when dropped).
func (m *Manager) update(fn func() ([]string, error)) error {
	if m.dir == "" {
		_, err := fn()
		return err
	}
	if m.lock == nil {
		return errors.New("catalog: the catalog is closed")
	}
	unlock, err := m.lockDir()
	if err != nil {
		return err
	}
	defer unlock()
	if err := m.load(true); err != nil {
		return err
	}
	changed, err := fn()
	if err != nil {
		return err
	}
	for _, name := range changed {
		if err := m.persist(fold(name), name); err != nil {
			_ = m.load(true) // back to what the disk holds
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------- resolution

func (m *Manager) catalog(name string) (*catState, error) {
	if c := m.cats[fold(name)]; c != nil {
		return c, nil
	}
	return nil, notFound("A catalog with name [%s] does not exist.", name)
}

func (m *Manager) database(cat, db string) (*catState, *dbState, error) {
	c, err := m.catalog(cat)
	if err != nil {
		return nil, nil, err
	}
	if d := c.dbs[fold(db)]; d != nil {
		return c, d, nil
	}
	return nil, nil, notFound("Database %s does not exist in Catalog %s.", db, c.def.Name)
}

// canon fills an empty catalog or database of p with the current ones
// and spells existing ones as stored.
func (m *Manager) canon(p Path) Path {
	if p.Catalog == "" {
		p.Catalog = m.curCat
	}
	if p.Database == "" {
		p.Database = m.curDB
	}
	if c := m.cats[fold(p.Catalog)]; c != nil {
		p.Catalog = c.def.Name
		if d := c.dbs[fold(p.Database)]; d != nil {
			p.Database = d.def.Name
		}
	}
	return p
}

// ---------------------------------------------------------------- session

// Current returns the current catalog and database.
func (m *Manager) Current() (catalog, database string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	p := m.canon(Path{})
	return p.Catalog, p.Database
}

// Use sets the current catalog and database: Use(c, "") is USE CATALOG c
// (the current database becomes c's default database), Use("", d) is
// USE d, Use(c, d) is USE c.d.
func (m *Manager) Use(catalog, database string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	if catalog == "" {
		catalog = m.curCat
	}
	c, err := m.catalog(catalog)
	if err != nil {
		return err
	}
	if database == "" {
		m.curCat, m.curDB = c.def.Name, c.defaultDB
		if d := c.dbs[fold(c.defaultDB)]; d != nil {
			m.curDB = d.def.Name
		}
		return nil
	}
	d := c.dbs[fold(database)]
	if d == nil {
		return notFound("A database with name [%s] does not exist in the catalog: [%s].", database, c.def.Name)
	}
	m.curCat, m.curDB = c.def.Name, d.def.Name
	return nil
}

// Qualify completes a one- to three-part name with the current catalog
// and database.
func (m *Manager) Qualify(parts []string) (Path, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	var p Path
	switch len(parts) {
	case 1:
		p = Path{Name: parts[0]}
	case 2:
		p = Path{Database: parts[0], Name: parts[1]}
	case 3:
		p = Path{Catalog: parts[0], Database: parts[1], Name: parts[2]}
	default:
		return Path{}, fmt.Errorf("identifier %s has %d parts: a name has one to three, [catalog.][database.]object",
			quoteParts(parts), len(parts))
	}
	for _, s := range parts {
		if s == "" {
			return Path{}, fmt.Errorf("identifier %s has an empty part", quoteParts(parts))
		}
	}
	return m.canon(p), nil
}

func quoteParts(parts []string) string {
	q := make([]string, len(parts))
	for i, s := range parts {
		q[i] = "`" + s + "`"
	}
	return strings.Join(q, ".")
}

// ---------------------------------------------------------------- catalogs

// CreateCatalog creates a catalog with its default database (option
// 'default-database', else "default", as Flink's in-memory catalog).
func (m *Manager) CreateCatalog(def CatalogDef, ifNotExists bool) error {
	if def.Name == "" {
		return errors.New("catalog name must not be empty")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.update(func() ([]string, error) {
		key := fold(def.Name)
		if m.cats[key] != nil {
			if ifNotExists {
				return nil, nil
			}
			return nil, exists("Catalog %s already exists.", def.Name)
		}
		dbName := def.Options["default-database"]
		if dbName == "" {
			dbName = "default"
		}
		c := &catState{def: copyCatalogDef(def), defaultDB: dbName, dbs: map[string]*dbState{}}
		c.dbs[fold(dbName)] = newDBState(Database{Catalog: def.Name, Name: dbName, Options: map[string]string{}})
		m.cats[key] = c
		return []string{def.Name}, nil
	})
}

// DropCatalog drops a catalog and everything in it.
func (m *Manager) DropCatalog(name string, ifExists bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.update(func() ([]string, error) {
		c := m.cats[fold(name)]
		if c == nil {
			if ifExists {
				return nil, nil
			}
			return nil, notFound("Catalog %s does not exist.", name)
		}
		if fold(name) == fold(m.curCat) {
			return nil, errors.New("Cannot drop a catalog which is currently in use.")
		}
		if fold(name) == fold(DefaultCatalog) {
			// Flink's default_catalog lives in memory, so dropping it only
			// unregisters it; rtdw's is the data dir's own and durable:
			// dropping it would delete every table the warehouse reads.
			return nil, fmt.Errorf("%s cannot be dropped: it is the data dir's own catalog (drop its tables or databases instead)", DefaultCatalog)
		}
		delete(m.cats, fold(name))
		return []string{c.def.Name}, nil
	})
}

// Catalogs lists the catalogs, sorted.
func (m *Manager) Catalogs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	var names []string
	for _, c := range m.cats {
		names = append(names, c.def.Name)
	}
	slices.Sort(names)
	return names
}

// GetCatalog returns a copy of a catalog's definition.
func (m *Manager) GetCatalog(name string) (*CatalogDef, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	c := m.cats[fold(name)]
	if c == nil {
		return nil, false
	}
	def := copyCatalogDef(c.def)
	return &def, true
}

// ---------------------------------------------------------------- databases

// CreateDatabase creates d.Name in d.Catalog (the current catalog when
// empty).
func (m *Manager) CreateDatabase(d Database, ifNotExists bool) error {
	if d.Name == "" {
		return errors.New("database name must not be empty")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.update(func() ([]string, error) {
		if d.Catalog == "" {
			d.Catalog = m.curCat
		}
		c, err := m.catalog(d.Catalog)
		if err != nil {
			return nil, err
		}
		if c.dbs[fold(d.Name)] != nil {
			if ifNotExists {
				return nil, nil
			}
			return nil, exists("Database %s already exists in Catalog %s.", d.Name, c.def.Name)
		}
		nd := copyDatabase(d)
		nd.Catalog = c.def.Name
		c.dbs[fold(nd.Name)] = newDBState(nd)
		return []string{c.def.Name}, nil
	})
}

// DropDatabase drops a database; one holding tables, views or functions
// only with cascade (which drops them too). The current database cannot
// be dropped.
func (m *Manager) DropDatabase(catalog, name string, ifExists, cascade bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.update(func() ([]string, error) {
		if catalog == "" {
			catalog = m.curCat
		}
		c, err := m.catalog(catalog)
		if err != nil {
			return nil, err
		}
		d := c.dbs[fold(name)]
		if d == nil {
			if ifExists {
				return nil, nil
			}
			return nil, notFound("Database %s does not exist in Catalog %s.", name, c.def.Name)
		}
		if fold(c.def.Name) == fold(m.curCat) && fold(name) == fold(m.curDB) {
			return nil, errors.New("Cannot drop a database which is currently in use.")
		}
		if !d.empty() && !cascade {
			return nil, fmt.Errorf("Database %s in catalog %s is not empty.", d.def.Name, c.def.Name)
		}
		delete(c.dbs, fold(name))
		return []string{c.def.Name}, nil
	})
}

// Databases lists a catalog's databases (the current catalog when
// empty), sorted.
func (m *Manager) Databases(catalog string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	if catalog == "" {
		catalog = m.curCat
	}
	c, err := m.catalog(catalog)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(c.dbs))
	for _, d := range c.dbs {
		names = append(names, d.def.Name)
	}
	slices.Sort(names)
	return names, nil
}

// GetDatabase returns a copy of a database's definition.
func (m *Manager) GetDatabase(catalog, name string) (*Database, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	if catalog == "" {
		catalog = m.curCat
	}
	_, d, err := m.database(catalog, name)
	if err != nil {
		return nil, false
	}
	def := copyDatabase(d.def)
	return &def, true
}

// ---------------------------------------------------------------- tables and views

// CreateTable creates t at t.Path (empty catalog / database: the
// current ones); t.Temporary makes it a session object that shadows a
// permanent one of the same path.
func (m *Manager) CreateTable(t Table, ifNotExists bool) error {
	if t.Path.Name == "" {
		return errors.New("table name must not be empty")
	}
	return m.createRelation(t.Path, t.Temporary, ifNotExists, func(p Path) *tempEntry {
		c := copyTable(&t)
		c.Path = p
		return &tempEntry{table: normTable(c)}
	})
}

// CreateView creates v at v.Path, as CreateTable.
func (m *Manager) CreateView(v View, ifNotExists bool) error {
	if v.Path.Name == "" {
		return errors.New("view name must not be empty")
	}
	return m.createRelation(v.Path, v.Temporary, ifNotExists, func(p Path) *tempEntry {
		c := copyView(&v)
		c.Path = p
		return &tempEntry{view: normView(c)}
	})
}

func (m *Manager) createRelation(p Path, temporary, ifNotExists bool, build func(Path) *tempEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if temporary {
		m.refresh()
		p = m.canon(p)
		if _, _, err := m.database(p.Catalog, p.Database); err != nil {
			return err
		}
		key := pathKey(p)
		if m.temps[key] != nil {
			if ifNotExists {
				return nil
			}
			return exists("Temporary table '%s' already exists", p)
		}
		e := build(p)
		if e.table != nil {
			e.table.Temporary = true
		} else {
			e.view.Temporary = true
		}
		m.temps[key] = e
		return nil
	}
	return m.update(func() ([]string, error) {
		p := m.canon(p)
		c, d, err := m.database(p.Catalog, p.Database)
		if err != nil {
			return nil, err
		}
		k := fold(p.Name)
		if d.tables[k] != nil || d.views[k] != nil {
			if ifNotExists {
				return nil, nil
			}
			return nil, exists("Table (or view) %s already exists in Catalog %s.", p, c.def.Name)
		}
		e := build(p)
		if e.table != nil {
			e.table.Temporary = false
			d.tables[k] = e.table
		} else {
			e.view.Temporary = false
			d.views[k] = e.view
		}
		return []string{c.def.Name}, nil
	})
}

// lookup finds the table or view at p: a temporary one first, then a
// permanent one. Called with m.mu held.
func (m *Manager) lookup(p Path) (*Table, *View, error) {
	p = m.canon(p)
	if e := m.temps[pathKey(p)]; e != nil {
		return e.table, e.view, nil
	}
	c := m.cats[fold(p.Catalog)]
	if c == nil {
		return nil, nil, notFound("Object '%s' not found", p.Catalog)
	}
	d := c.dbs[fold(p.Database)]
	if d == nil {
		return nil, nil, notFound("Object '%s' not found within '%s'", p.Database, c.def.Name)
	}
	k := fold(p.Name)
	if t := d.tables[k]; t != nil {
		return t, nil, nil
	}
	if v := d.views[k]; v != nil {
		return nil, v, nil
	}
	return nil, nil, notFound("Object '%s' not found", p.Name)
}

// Lookup returns a copy of the table or the view at p (exactly one is
// non-nil), temporary objects shadowing permanent ones.
func (m *Manager) Lookup(p Path) (*Table, *View, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	t, v, err := m.lookup(p)
	if err != nil {
		return nil, nil, err
	}
	if t != nil {
		return copyTable(t), nil, nil
	}
	return nil, copyView(v), nil
}

// GetTable returns a copy of the table at p; false when there is none
// (or a view is there).
func (m *Manager) GetTable(p Path) (*Table, bool) {
	t, _, err := m.Lookup(p)
	return t, err == nil && t != nil
}

// GetView returns a copy of the view at p; false when there is none (or
// a table is there).
func (m *Manager) GetView(p Path) (*View, bool) {
	_, v, err := m.Lookup(p)
	return v, err == nil && v != nil
}

// DropTable drops the table at p: the temporary one with temporary, else
// the permanent one (an error while a temporary table shadows it, as
// Flink's).
func (m *Manager) DropTable(p Path, ifExists, temporary bool) error {
	return m.dropRelation(p, ifExists, temporary, true)
}

// DropView drops the view at p, as DropTable.
func (m *Manager) DropView(p Path, ifExists, temporary bool) error {
	return m.dropRelation(p, ifExists, temporary, false)
}

func (m *Manager) dropRelation(p Path, ifExists, temporary, table bool) error {
	kind, Kind := "view", "View"
	if table {
		kind, Kind = "table", "Table"
	}
	is := func(e *tempEntry) bool { return e != nil && (e.table != nil) == table }
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	p = m.canon(p)
	key := pathKey(p)
	if temporary {
		if !is(m.temps[key]) {
			if ifExists {
				return nil
			}
			return notFound("Temporary table or view with identifier '%s' does not exist.", summary(p))
		}
		delete(m.temps, key)
		return nil
	}
	if is(m.temps[key]) {
		return fmt.Errorf("Temporary %s with identifier '%s' exists. Drop it first before removing the permanent %s.", kind, p, kind)
	}
	return m.update(func() ([]string, error) {
		p := m.canon(p)
		var c *catState
		var d *dbState
		found := false
		if c = m.cats[fold(p.Catalog)]; c != nil {
			if d = c.dbs[fold(p.Database)]; d != nil {
				if table {
					found = d.tables[fold(p.Name)] != nil
				} else {
					found = d.views[fold(p.Name)] != nil
				}
			}
		}
		if !found {
			if ifExists {
				return nil, nil
			}
			return nil, notFound("%s with identifier '%s' does not exist.", Kind, summary(p))
		}
		if table {
			delete(d.tables, fold(p.Name))
		} else {
			delete(d.views, fold(p.Name))
		}
		return []string{c.def.Name}, nil
	})
}

// alterable returns the permanent table at p for ALTER TABLE. Called in
// update.
func (m *Manager) alterable(p Path) (*catState, *dbState, *Table, error) {
	if m.temps[pathKey(p)] != nil {
		return nil, nil, nil, notFound("Table %s doesn't exist or is a temporary table.", p)
	}
	c, d, err := m.database(p.Catalog, p.Database)
	if err != nil {
		return nil, nil, nil, notFound("Table %s doesn't exist or is a temporary table.", p)
	}
	k := fold(p.Name)
	if d.views[k] != nil {
		return nil, nil, nil, errors.New("ALTER TABLE for a view is not allowed")
	}
	t := d.tables[k]
	if t == nil {
		return nil, nil, nil, notFound("Table %s doesn't exist or is a temporary table.", p)
	}
	return c, d, t, nil
}

// AlterTableOptions is ALTER TABLE p SET (set) and RESET (reset keys) on
// a permanent table.
func (m *Manager) AlterTableOptions(p Path, set map[string]string, reset []string) error {
	if slices.Contains(reset, "connector") {
		return errors.New("ALTER TABLE RESET does not support changing 'connector'")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.update(func() ([]string, error) {
		p := m.canon(p)
		c, _, t, err := m.alterable(p)
		if err != nil {
			return nil, err
		}
		if t.Options == nil {
			t.Options = map[string]string{}
		}
		maps.Copy(t.Options, set)
		for _, k := range reset {
			delete(t.Options, k)
		}
		return []string{c.def.Name}, nil
	})
}

// RenameTable is ALTER TABLE p RENAME TO newName (in the same database)
// on a permanent table.
func (m *Manager) RenameTable(p Path, newName string) error {
	if newName == "" {
		return errors.New("table name must not be empty")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.update(func() ([]string, error) {
		p := m.canon(p)
		c, d, t, err := m.alterable(p)
		if err != nil {
			return nil, err
		}
		oldK, newK := fold(t.Path.Name), fold(newName)
		if newK != oldK && (d.tables[newK] != nil || d.views[newK] != nil) {
			np := p
			np.Name = newName
			return nil, exists("Table (or view) %s already exists in Catalog %s.", np, c.def.Name)
		}
		delete(d.tables, oldK)
		t.Path.Name = newName
		d.tables[newK] = t
		return []string{c.def.Name}, nil
	})
}

// Tables lists the tables (permanent and temporary, no views) of a
// database, sorted.
func (m *Manager) Tables(catalog, db string) ([]string, error) {
	return m.list(catalog, db, true)
}

// Views lists the views (permanent and temporary) of a database, sorted.
func (m *Manager) Views(catalog, db string) ([]string, error) {
	return m.list(catalog, db, false)
}

func (m *Manager) list(catalog, db string, tables bool) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	p := m.canon(Path{Catalog: catalog, Database: db})
	_, d, err := m.database(p.Catalog, p.Database)
	if err != nil {
		return nil, err
	}
	seen := map[string]string{}
	if tables {
		for k, t := range d.tables {
			seen[k] = t.Path.Name
		}
	} else {
		for k, v := range d.views {
			seen[k] = v.Path.Name
		}
	}
	prefix := pathKey(Path{Catalog: p.Catalog, Database: p.Database})
	for k, e := range m.temps {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if tables && e.table != nil {
			seen[fold(e.table.Path.Name)] = e.table.Path.Name
		} else if !tables && e.view != nil {
			seen[fold(e.view.Path.Name)] = e.view.Path.Name
		}
	}
	names := slices.Collect(maps.Values(seen))
	slices.Sort(names)
	return names, nil
}

// ---------------------------------------------------------------- functions

// CreateFunction creates f at f.Path; f.Temporary makes it a session
// function that shadows a permanent one.
func (m *Manager) CreateFunction(f Function, ifNotExists bool) error {
	if f.Path.Name == "" {
		return errors.New("function name must not be empty")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f.Temporary {
		m.refresh()
		p := m.canon(f.Path)
		if _, _, err := m.database(p.Catalog, p.Database); err != nil {
			return err
		}
		key := pathKey(p)
		if m.tempFuncs[key] != nil {
			if ifNotExists {
				return nil
			}
			return exists("Temporary catalog function %s is already defined", p)
		}
		f.Path = p
		m.tempFuncs[key] = &f
		return nil
	}
	return m.update(func() ([]string, error) {
		p := m.canon(f.Path)
		c, d, err := m.database(p.Catalog, p.Database)
		if err != nil {
			return nil, err
		}
		if d.funcs[fold(p.Name)] != nil {
			if ifNotExists {
				return nil, nil
			}
			return nil, exists("Function %s already exists in Catalog %s.", p, c.def.Name)
		}
		f := f
		f.Path = p
		d.funcs[fold(p.Name)] = &f
		return []string{c.def.Name}, nil
	})
}

// DropFunction drops the function at p: the temporary one with
// temporary, else the permanent one.
func (m *Manager) DropFunction(p Path, ifExists, temporary bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	p = m.canon(p)
	key := pathKey(p)
	if temporary {
		if m.tempFuncs[key] == nil {
			if ifExists {
				return nil
			}
			return notFound("Temporary catalog function %s doesn't exist", p)
		}
		delete(m.tempFuncs, key)
		return nil
	}
	if m.tempFuncs[key] != nil {
		return fmt.Errorf("Could not drop catalog function. A temporary function '%s' does already exist. Please drop the temporary function first.", summary(p))
	}
	return m.update(func() ([]string, error) {
		p := m.canon(p)
		c := m.cats[fold(p.Catalog)]
		var d *dbState
		if c != nil {
			d = c.dbs[fold(p.Database)]
		}
		if d == nil || d.funcs[fold(p.Name)] == nil {
			if ifExists {
				return nil, nil
			}
			catName := p.Catalog
			if c != nil {
				catName = c.def.Name
			}
			return nil, notFound("Function %s does not exist in Catalog %s.", p, catName)
		}
		delete(d.funcs, fold(p.Name))
		return []string{c.def.Name}, nil
	})
}

// GetFunction returns a copy of the function at p, a temporary one
// first.
func (m *Manager) GetFunction(p Path) (*Function, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	p = m.canon(p)
	if f := m.tempFuncs[pathKey(p)]; f != nil {
		c := *f
		return &c, true
	}
	if c := m.cats[fold(p.Catalog)]; c != nil {
		if d := c.dbs[fold(p.Database)]; d != nil {
			if f := d.funcs[fold(p.Name)]; f != nil {
				c := *f
				return &c, true
			}
		}
	}
	return nil, false
}

// Functions lists the user-defined functions (permanent and temporary)
// of a database, sorted; none when it does not exist.
func (m *Manager) Functions(catalog, db string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	p := m.canon(Path{Catalog: catalog, Database: db})
	seen := map[string]string{}
	if c := m.cats[fold(p.Catalog)]; c != nil {
		if d := c.dbs[fold(p.Database)]; d != nil {
			for k, f := range d.funcs {
				seen[k] = f.Path.Name
			}
		}
	}
	prefix := pathKey(Path{Catalog: p.Catalog, Database: p.Database})
	for k, f := range m.tempFuncs {
		if strings.HasPrefix(k, prefix) {
			seen[fold(f.Path.Name)] = f.Path.Name
		}
	}
	names := slices.Collect(maps.Values(seen))
	slices.Sort(names)
	return names
}

// ---------------------------------------------------------------- copies

// Definitions are copied in and out: a caller never shares a map or
// slice with the Manager. row.Type values are immutable and shared.

func copyTable(t *Table) *Table {
	c := *t
	c.Columns = slices.Clone(t.Columns)
	if t.Watermark != nil {
		w := *t.Watermark
		c.Watermark = &w
	}
	c.PrimaryKey = slices.Clone(t.PrimaryKey)
	c.PartitionKeys = slices.Clone(t.PartitionKeys)
	c.Options = copyOptions(t.Options)
	return &c
}

func copyView(v *View) *View {
	c := *v
	c.Columns = slices.Clone(v.Columns)
	return &c
}

func copyDatabase(d Database) Database {
	d.Options = copyOptions(d.Options)
	return d
}

func copyCatalogDef(d CatalogDef) CatalogDef {
	d.Options = copyOptions(d.Options)
	return d
}

// copyOptions copies an option map; the copy is never nil.
func copyOptions(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	maps.Copy(c, m)
	return c
}

func emptyIfNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// normTable / normView give stored definitions one shape whether they
// came from a caller or a file: empty slices nil, options non-nil.
func normTable(t *Table) *Table {
	if len(t.Columns) == 0 {
		t.Columns = nil
	}
	if len(t.PrimaryKey) == 0 {
		t.PrimaryKey = nil
	}
	if len(t.PartitionKeys) == 0 {
		t.PartitionKeys = nil
	}
	t.Options = emptyIfNil(t.Options)
	return t
}

func normView(v *View) *View {
	if len(v.Columns) == 0 {
		v.Columns = nil
	}
	return v
}
