package connector

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'rtdw-dim' connector (alias 'redis'): the dimension store dim_app
// writes (HBase's role in the gmall course), as a lookup table. The store
// is the one rtdw.yaml configures (Context.Dims; without it the embedded
// log's Pebble store, dim.kind: embedded), or, with 'host', the Redis at
// host:port holding a dimension store under 'key-prefix' (rtdw.yaml's
// dim.redis.key_prefix) in 'database'.
//
// A dimension table ('table-name', default the table's name) holds rows
// keyed by their row key (dim_app's sink_row_key), each a JSON object;
// a lookup reads the row of one key and decodes its fields by column name
// into the DDL's types as the json format does (a number or a string
// holding one into a number column, 'yyyy-MM-dd HH:mm:ss' into TIMESTAMP,
// a missing field NULL). So the join must bind exactly one column, the row
// key: the PRIMARY KEY when the DDL declares one (Flink's HBase connector
// looks up by its row key the same way). The key's text is its string, or
// its number literal. A row that does not decode dead-letters the input
// row (code lookup_bad_row); a store error is retryable.

var dimFactory = &Factory{
	Name:    "rtdw-dim",
	Aliases: []string{"redis"},
	Doc:     "The dimension store dim_app writes (embedded, or Redis as rtdw.yaml configures it): lookup by row key.",
	Options: withLookupOptions(
		spec("table-name", "", false, "The dimension table; default the table's name."),
		spec("host", "", false, "Redis host: read the dimension store in this Redis instead of the configured one."),
		spec("port", "6379", false, "Redis port (with 'host')."),
		spec("password", "", false, "Redis password (with 'host')."),
		spec("database", "0", false, "Redis database number (with 'host')."),
		spec("key-prefix", "", false, "Key prefix of the dimension store in Redis, as rtdw.yaml's dim.redis.key_prefix (with 'host')."),
	),
}

func init() {
	dimFactory.NewLookup = newDimLookup
	Register(dimFactory)
}

// dimTableName checks a dimension table name as the store does: letters,
// digits, '_', '-' and '.', at most 128 bytes.
func dimTableName(f *Factory, t *Table) (string, error) {
	name := opt(t, "table-name", t.ObjectName)
	ok := name != "" && len(name) <= 128
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			ok = false
		}
	}
	if !ok {
		return "", fmt.Errorf("%s: dimension table name '%s': 1 to 128 letters, digits, '_', '-' or '.'", where(f, t), name)
	}
	return name, nil
}

// dimStore returns how to reach the dimension store of t: the Redis of
// its options (opened on first use, shared by the process), the
// Context's store, or the embedded log's.
func dimStore(ctx *Context, f *Factory, t *Table) (func() (dim.Getter, error), error) {
	if host, ok := t.Options["host"]; ok {
		port, err := intOpt(f, t, "port", 6379)
		if err != nil {
			return nil, err
		}
		db, err := intOpt(f, t, "database", 0)
		if err != nil {
			return nil, err
		}
		if host == "" || port <= 0 || port > 65535 || db < 0 {
			return nil, fmt.Errorf("%s: 'host', 'port' (1-65535) and 'database' (>= 0) must name a Redis", where(f, t))
		}
		o := dim.RedisOptions{Addr: net.JoinHostPort(host, strconv.FormatInt(port, 10)), Password: opt(t, "password", ""),
			DB: int(db), KeyPrefix: opt(t, "key-prefix", ""), Logger: logger(ctx)}
		id := fmt.Sprintf("dim-redis\x00%s\x00%d\x00%s\x00%s", o.Addr, o.DB, o.KeyPrefix, o.Password)
		return func() (dim.Getter, error) {
			return shared(id, func() (*dim.RedisStore, error) { return dim.OpenRedis(o) })
		}, nil
	}
	for _, k := range []string{"port", "password", "database", "key-prefix"} {
		if _, ok := t.Options[k]; ok {
			return nil, fmt.Errorf("%s: '%s' needs 'host' (without it the configured dimension store is read)", where(f, t), k)
		}
	}
	if ctx != nil && ctx.Dims != nil {
		s := ctx.Dims
		return func() (dim.Getter, error) { return s, nil }, nil
	}
	if ctx == nil || ctx.Log == nil || ctx.Log.StateStore() == nil {
		return nil, fmt.Errorf("%s: no dimension store: this process has no embedded log store and none is configured (set 'host' to read a Redis)", where(f, t))
	}
	s, err := dim.OpenPebble(ctx.Log.StateStore())
	if err != nil {
		return nil, err
	}
	return func() (dim.Getter, error) { return s, nil }, nil
}

// dimLookup is the lookup source of a dimension table.
type dimLookup struct {
	t     *Table
	table string
	store func() (dim.Getter, error)
	opts  LookupOptions
	decs  sync.Pool // of *dimDecoder
}

type dimDecoder struct {
	d *row.JSONDecoder
	p fastjson.Parser
}

func newDimLookup(ctx *Context, t *Table, keyCols []int) (LookupSource, error) {
	f := dimFactory
	if err := checkOptions(ctx, f, t, nil); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, err
	}
	if err := lookupKeyCols(f, t, keyCols); err != nil {
		return nil, err
	}
	if len(keyCols) != 1 || len(t.PrimaryKey) > 0 && (len(t.PrimaryKey) != 1 || t.PrimaryKey[0] != keyCols[0]) {
		key := "its row key"
		if len(t.PrimaryKey) == 1 {
			key = "its row key, the PRIMARY KEY " + t.Schema.Column(t.PrimaryKey[0]).Name
		}
		return nil, fmt.Errorf("%s: a dimension table is looked up by %s only: join on exactly that column", where(f, t), key)
	}
	s := &dimLookup{t: t}
	if s.table, err = dimTableName(f, t); err != nil {
		return nil, err
	}
	if s.opts, err = parseLookupOptions(f, t); err != nil {
		return nil, err
	}
	if s.store, err = dimStore(ctx, f, t); err != nil {
		return nil, err
	}
	opts := row.JSONOptions{}
	if ctx != nil {
		opts.Location = ctx.Loc
	}
	if _, err := row.NewJSONDecoder(t.Schema, opts); err != nil {
		return nil, fmt.Errorf("%s: %v", where(f, t), err)
	}
	s.decs.New = func() any {
		d, _ := row.NewJSONDecoder(t.Schema, opts) // checked above
		return &dimDecoder{d: d}
	}
	return s, nil
}

func (s *dimLookup) LookupOptions() LookupOptions { return s.opts }

func (s *dimLookup) Lookup(ctx context.Context, keys []row.Value) ([]row.Row, error) {
	if len(keys) != 1 || keys[0].IsNull() {
		return nil, nil
	}
	key := valueText(keys[0], time.UTC)
	if key == "" {
		return nil, nil // the store has no empty keys
	}
	g, err := s.store()
	if err != nil {
		return nil, stream.Retryable(fmt.Errorf("rtdw-dim %s: %w", s.table, err))
	}
	b, ok, err := g.Get(ctx, s.table, key)
	if err != nil {
		return nil, stream.Retryable(fmt.Errorf("rtdw-dim %s: %w", s.table, err))
	}
	if !ok {
		return nil, nil
	}
	d := s.decs.Get().(*dimDecoder)
	defer s.decs.Put(d)
	var r row.Row
	if err := d.d.DecodeBytes(&d.p, b, &r); err != nil {
		return nil, stream.BadInput("lookup_bad_row", "rtdw-dim table %s, key %q: %v", s.table, key, err)
	}
	return []row.Row{r}, nil
}
