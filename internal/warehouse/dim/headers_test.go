package dim

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	dimstore "github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
	"github.com/rtdw/rtdw/internal/warehouse/ods/odstest"
)

// memStore is a dimension store in memory that can list itself.
type memStore struct {
	mu     sync.Mutex
	tables map[string]dimstore.Table
	rows   map[string]map[string]string
}

func newMemStore() *memStore {
	return &memStore{tables: map[string]dimstore.Table{}, rows: map[string]map[string]string{}}
}

func (m *memStore) CreateTable(_ context.Context, t dimstore.Table) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tables[t.Name] = t
	if m.rows[t.Name] == nil {
		m.rows[t.Name] = map[string]string{}
	}
	return nil
}

func (m *memStore) DropTable(_ context.Context, table string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tables, table)
	delete(m.rows, table)
	return nil
}

func (m *memStore) Put(_ context.Context, table, key string, row []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rows[table] == nil {
		return dimstore.ErrNoTable
	}
	m.rows[table][key] = string(row)
	return nil
}

func (m *memStore) Delete(_ context.Context, table, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rows[table], key)
	return nil
}

func (m *memStore) Get(_ context.Context, table, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[table][key]
	return []byte(r), ok, nil
}

func (m *memStore) Tables(context.Context) ([]dimstore.Table, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []dimstore.Table
	for _, t := range m.tables {
		out = append(out, t)
	}
	return out, nil
}

func (m *memStore) Close() error { return nil }

// dump lists every table with its columns and every row.
func (m *memStore) dump() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name, t := range m.tables {
		out = append(out, fmt.Sprintf("table %s %v %s", name, t.Columns, t.RowKey))
		for k, r := range m.rows[name] {
			out = append(out, fmt.Sprintf("row %s %s %s", name, k, r))
		}
	}
	sort.Strings(out)
	return out
}

// dim_app writes the same dimension tables and rows, and the same dead
// letters, from a simulated day with odstest.Extras mixed in (malformed
// records with headers, headers that belie their records, a
// table_process_dim row naming a new table after some of its rows),
// whether the records carry the topic_db headers or not.
func TestDimAppSameWithOrWithoutHeaders(t *testing.T) {
	recs := odstest.WithExtras(odstest.ShopTopicDB(t, mock.ShopConfig{Seed: 7, Sessions: 1500, Users: 300, Devices: 600, Bootstrap: true}), 41)
	var dumps [2][]string
	var outcomes [2][]string
	for i, in := range [][]rlog.Record{recs, odstest.Stripped(recs)} {
		st := newMemStore()
		l := odstest.Drain(t, in, 1, func(*embedded.Log) []*stream.Job { return []*stream.Job{App(Config{Store: st})} })
		dumps[i], outcomes[i] = st.dump(), odstest.Outcome(t, l)
	}
	if d := odstest.Diff(dumps[1], dumps[0]); d != "" {
		t.Fatalf("dimensions without (-) and with (+) headers:\n%s", d)
	}
	if d := odstest.Diff(outcomes[1], outcomes[0]); d != "" {
		t.Fatalf("outcome without (-) and with (+) headers:\n%s", d)
	}
	rows, dead := 0, 0
	for _, s := range dumps[0] {
		if strings.HasPrefix(s, "row dim_cart_info ") {
			rows++
		}
	}
	for _, s := range outcomes[0] {
		if strings.HasPrefix(s, "dirty_data ") {
			dead++
		}
	}
	if len(dumps[0]) < 500 || rows == 0 || dead < 5 {
		t.Fatalf("%d dimension lines, %d rows of the table configured mid-day, %d dead letters: not much of a test", len(dumps[0]), rows, dead)
	}
}

// The router decides a deferred record (ods.NormalizeDeferring) of a
// table no rule covers from its head, without parsing it, and parses one
// a rule covers. The records below have a body the parser rejects behind
// a head that reads well, which NormalizeDeferring never defers: what the
// router does with them shows whether it parsed.
func TestRouterParsesOnlyCoveredDeferredRecords(t *testing.T) {
	r := &router{businessDB: "gmall", format: "auto", norm: ods.NewNormalizer("auto"), set: newRuleSet(DefaultRules()), warned: &sync.Map{}}
	deferred := func(table string) *stream.Record {
		v := `{"database":"gmall","table":"` + table + `","type":"insert","ts":1717200000,"data":{"id":tru}}`
		return &stream.Record{Value: []byte(v), Headers: []rlog.Header{{Key: topicdb.HeaderTable, Value: []byte(table)}}}
	}
	for _, final := range []bool{false, true} {
		// order_info: no rule; held (false) or dropped (true), unparsed.
		handled, err := r.Route(deferred("order_info"), nil, final)
		if err != nil || handled != final {
			t.Fatalf("order_info, final %v: handled %v, %v", final, handled, err)
		}
		// base_trademark: a rule; parsed, and the parser rejects it.
		_, err = r.Route(deferred("base_trademark"), nil, final)
		if bi, ok := stream.AsBadInput(err); !ok || bi.Code != "malformed_json" {
			t.Fatalf("base_trademark, final %v: %v, want malformed_json", final, err)
		}
	}
}

// A deferred record of a table no rule covers, the bulk of dim_app's
// input, is decided without allocating.
func TestRouterDecidesUncoveredDeferredRecordsWithoutAllocating(t *testing.T) {
	r := &router{businessDB: "gmall", format: "auto", norm: ods.NewNormalizer("auto"), set: newRuleSet(DefaultRules()), warned: &sync.Map{}}
	odstest.HoldsUncoveredWithoutAllocating(t, func(rec *stream.Record) (bool, error) { return r.Route(rec, nil, false) })
}
