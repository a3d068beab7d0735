package catalog

// Durable storage: one JSON document per catalog, <dir>/<catalog>.json,
// holding the catalog's options and all its databases, tables, views and
// functions. A document is replaced atomically (temp file in the same
// directory, fsync, rename, fsync of the directory), so a reader sees
// either the old or the new document, never a torn one; a crash leaves
// at most a stray temp file, which Open ignores and the next writer
// removes. Writers of all processes serialize on an flock of <dir>/LOCK
// and reload every document under it before mutating, so two processes
// sharing a data dir do not lose each other's DDL.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/rtdw/rtdw/internal/row"
)

// formatVersion is the version of the catalog document. Adding a field
// to a document bumps it: an older rtdw then refuses the file instead of
// rewriting it without the field.
const formatVersion = 1

const (
	fileSuffix = ".json"
	tempPrefix = ".tmp-"
	lockName   = "LOCK"
)

// ---------------------------------------------------------------- documents

type catalogDoc struct {
	Version         int               `json:"version"`
	Name            string            `json:"name"`
	Options         map[string]string `json:"options,omitempty"`
	DefaultDatabase string            `json:"default_database"`
	Databases       []databaseDoc     `json:"databases"`
}

type databaseDoc struct {
	Name      string            `json:"name"`
	Comment   string            `json:"comment,omitempty"`
	Options   map[string]string `json:"options,omitempty"`
	Tables    []tableDoc        `json:"tables,omitempty"`
	Views     []viewDoc         `json:"views,omitempty"`
	Functions []functionDoc     `json:"functions,omitempty"`
}

type tableDoc struct {
	Name          string            `json:"name"`
	Columns       []columnDoc       `json:"columns"`
	Watermark     *watermarkDoc     `json:"watermark,omitempty"`
	PrimaryKey    []string          `json:"primary_key,omitempty"`
	PartitionKeys []string          `json:"partition_keys,omitempty"`
	Options       map[string]string `json:"options,omitempty"`
	Comment       string            `json:"comment,omitempty"`
}

type columnDoc struct {
	Name        string   `json:"name"`
	Type        jsonType `json:"type"`
	Expr        string   `json:"expr,omitempty"`
	Metadata    bool     `json:"metadata,omitempty"`
	MetadataKey string   `json:"metadata_key,omitempty"`
	Virtual     bool     `json:"virtual,omitempty"`
	Comment     string   `json:"comment,omitempty"`
}

type watermarkDoc struct {
	Column string `json:"column"`
	Expr   string `json:"expr"`
}

type viewDoc struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns,omitempty"`
	Query   string   `json:"query"`
	Comment string   `json:"comment,omitempty"`
	// The catalog and database the query's names resolve in (View.Scope).
	ScopeCatalog  string `json:"scope_catalog,omitempty"`
	ScopeDatabase string `json:"scope_database,omitempty"`
}

type functionDoc struct {
	Name     string `json:"name"`
	Class    string `json:"class"`
	Language string `json:"language,omitempty"`
}

// jsonType stores a row.Type as its SQL spelling (Type.String), read
// back with row.ParseType.
type jsonType row.Type

func (t jsonType) MarshalJSON() ([]byte, error) {
	return json.Marshal(row.Type(t).String())
}

func (t *jsonType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("type: %w", err)
	}
	ty, err := row.ParseType(s)
	if err != nil {
		return fmt.Errorf("type %q: %w", s, err)
	}
	*t = jsonType(ty)
	return nil
}

// encodeCatalog renders c as its document, everything sorted so that
// equal catalogs give equal bytes.
func encodeCatalog(c *catState) ([]byte, error) {
	doc := catalogDoc{
		Version:         formatVersion,
		Name:            c.def.Name,
		Options:         nilIfEmpty(c.def.Options),
		DefaultDatabase: c.defaultDB,
		Databases:       []databaseDoc{},
	}
	for _, dk := range sortedKeys(c.dbs) {
		d := c.dbs[dk]
		dd := databaseDoc{Name: d.def.Name, Comment: d.def.Comment, Options: nilIfEmpty(d.def.Options)}
		for _, k := range sortedKeys(d.tables) {
			t := d.tables[k]
			td := tableDoc{
				Name:          t.Path.Name,
				Columns:       make([]columnDoc, len(t.Columns)),
				PrimaryKey:    t.PrimaryKey,
				PartitionKeys: t.PartitionKeys,
				Options:       nilIfEmpty(t.Options),
				Comment:       t.Comment,
			}
			for i, col := range t.Columns {
				td.Columns[i] = columnDoc{
					Name: col.Name, Type: jsonType(col.Type), Expr: col.Expr,
					Metadata: col.Metadata, MetadataKey: col.MetadataKey,
					Virtual: col.Virtual, Comment: col.Comment,
				}
			}
			if t.Watermark != nil {
				td.Watermark = &watermarkDoc{Column: t.Watermark.Column, Expr: t.Watermark.Expr}
			}
			dd.Tables = append(dd.Tables, td)
		}
		for _, k := range sortedKeys(d.views) {
			v := d.views[k]
			dd.Views = append(dd.Views, viewDoc{Name: v.Path.Name, Columns: v.Columns, Query: v.Query, Comment: v.Comment,
				ScopeCatalog: v.Scope.Catalog, ScopeDatabase: v.Scope.Database})
		}
		for _, k := range sortedKeys(d.funcs) {
			f := d.funcs[k]
			dd.Functions = append(dd.Functions, functionDoc{Name: f.Path.Name, Class: f.Class, Language: f.Language})
		}
		doc.Databases = append(doc.Databases, dd)
	}
	b, err := json.MarshalIndent(&doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeCatalog parses a document; errors do not name the file (the
// caller adds it).
func decodeCatalog(data []byte) (*catState, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a valid catalog document: %v", err)
	}
	switch {
	case head.Version == nil || *head.Version < 1:
		return nil, errors.New("not a catalog document: no \"version\" field")
	case *head.Version > formatVersion:
		return nil, fmt.Errorf("catalog format version %d is newer than this rtdw understands (%d): use the rtdw that wrote it, or a newer one",
			*head.Version, formatVersion)
	}
	var doc catalogDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a valid catalog document: %v", err)
	}
	if doc.Name == "" {
		return nil, errors.New("catalog document without a name")
	}
	c := &catState{
		def:       CatalogDef{Name: doc.Name, Options: emptyIfNil(doc.Options)},
		defaultDB: doc.DefaultDatabase,
		dbs:       map[string]*dbState{},
	}
	for _, dd := range doc.Databases {
		if dd.Name == "" {
			return nil, errors.New("a database without a name")
		}
		dk := fold(dd.Name)
		if _, dup := c.dbs[dk]; dup {
			return nil, fmt.Errorf("database %s appears twice", dd.Name)
		}
		d := newDBState(Database{Catalog: doc.Name, Name: dd.Name, Comment: dd.Comment, Options: emptyIfNil(dd.Options)})
		c.dbs[dk] = d
		path := func(name string) Path { return Path{Catalog: doc.Name, Database: dd.Name, Name: name} }
		dup := func(name string) error {
			k := fold(name)
			if name == "" {
				return fmt.Errorf("an object without a name in database %s", dd.Name)
			}
			if d.tables[k] != nil || d.views[k] != nil {
				return fmt.Errorf("table (or view) %s appears twice", path(name))
			}
			return nil
		}
		for _, td := range dd.Tables {
			if err := dup(td.Name); err != nil {
				return nil, err
			}
			t := &Table{
				Path:          path(td.Name),
				Columns:       make([]Column, len(td.Columns)),
				PrimaryKey:    td.PrimaryKey,
				PartitionKeys: td.PartitionKeys,
				Options:       emptyIfNil(td.Options),
				Comment:       td.Comment,
			}
			for i, cd := range td.Columns {
				t.Columns[i] = Column{
					Name: cd.Name, Type: row.Type(cd.Type), Expr: cd.Expr,
					Metadata: cd.Metadata, MetadataKey: cd.MetadataKey,
					Virtual: cd.Virtual, Comment: cd.Comment,
				}
			}
			if td.Watermark != nil {
				t.Watermark = &Watermark{Column: td.Watermark.Column, Expr: td.Watermark.Expr}
			}
			d.tables[fold(td.Name)] = normTable(t)
		}
		for _, vd := range dd.Views {
			if err := dup(vd.Name); err != nil {
				return nil, err
			}
			d.views[fold(vd.Name)] = normView(&View{Path: path(vd.Name), Columns: vd.Columns, Query: vd.Query, Comment: vd.Comment,
				Scope: Path{Catalog: vd.ScopeCatalog, Database: vd.ScopeDatabase}})
		}
		for _, fd := range dd.Functions {
			k := fold(fd.Name)
			if fd.Name == "" || d.funcs[k] != nil {
				return nil, fmt.Errorf("function %s appears twice or has no name", path(fd.Name))
			}
			d.funcs[k] = &Function{Path: path(fd.Name), Class: fd.Class, Language: fd.Language}
		}
	}
	return c, nil
}

// ---------------------------------------------------------------- files

// catalogFile is the file name of a catalog: its case-folded name with
// every byte outside [a-z0-9_-] written as %XX, so any identifier maps
// to one portable name and names differing in case share a file.
func catalogFile(name string) string {
	var b strings.Builder
	for _, c := range []byte(fold(name)) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	b.WriteString(fileSuffix)
	return b.String()
}

// fileStamp identifies one version of a file (a rename makes a new inode).
type fileStamp struct {
	info fs.FileInfo
	cat  *catState
}

func (s fileStamp) same(info fs.FileInfo) bool {
	return s.info != nil && os.SameFile(s.info, info) && s.info.Size() == info.Size() && s.info.ModTime().Equal(info.ModTime())
}

// load brings the catalogs in line with the directory. force re-reads
// every document (under the write lock); otherwise only documents whose
// file changed are read. On error nothing changes.
func (m *Manager) load(force bool) error {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	files := make(map[string]fileStamp, len(entries))
	cats := make(map[string]*catState, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, fileSuffix) || strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		info, err := e.Info() // before reading: a later replacement changes the stamp
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		if old, ok := m.files[name]; ok && !force && old.same(info) {
			files[name] = old
			cats[fold(old.cat.def.Name)] = old.cat
			continue
		}
		path := filepath.Join(m.dir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		c, err := decodeCatalog(data)
		if err != nil {
			return fmt.Errorf("catalog file %s: %v", path, err)
		}
		if want := catalogFile(c.def.Name); want != name {
			return fmt.Errorf("catalog file %s: holds catalog %s, whose file is %s", path, c.def.Name, want)
		}
		files[name] = fileStamp{info: info, cat: c}
		cats[fold(c.def.Name)] = c
	}
	m.files, m.cats = files, cats
	return nil
}

// persist writes catalog key's document, or removes it when the catalog
// is gone. The caller holds the write lock.
func (m *Manager) persist(key, name string) error {
	file := catalogFile(name)
	path := filepath.Join(m.dir, file)
	c := m.cats[key]
	if c == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("catalog: %w", err)
		}
		delete(m.files, file)
		return syncDir(m.dir)
	}
	data, err := encodeCatalog(c)
	if err != nil {
		return fmt.Errorf("catalog: encoding %s: %w", name, err)
	}
	if err := writeAtomic(m.dir, file, data); err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	m.files[file] = fileStamp{info: info, cat: c}
	return nil
}

// writeAtomic replaces dir/name with data: temp file, fsync, rename,
// fsync of the directory.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("catalog: writing %s: %w", filepath.Join(dir, name), err)
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("catalog: sync %s: %w", dir, err)
	}
	return nil
}

// removeTemps deletes temp files a crashed writer left. The caller holds
// the write lock, so no live writer owns one.
func removeTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) && !e.IsDir() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// lockDir takes the exclusive write lock of the directory (shared by all
// processes and Managers on it) and returns its release.
func (m *Manager) lockDir() (func(), error) {
	fd := int(m.lock.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINTR) {
			return nil, fmt.Errorf("catalog: locking %s: %w", m.lock.Name(), err)
		}
	}
	return func() { syscall.Flock(fd, syscall.LOCK_UN) }, nil
}

// ---------------------------------------------------------------- helpers

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
