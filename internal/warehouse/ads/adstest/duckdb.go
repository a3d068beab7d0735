package adstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	duckdbsink "github.com/rtdw/rtdw/internal/connector/duckdb"
	"github.com/rtdw/rtdw/internal/connector/postgres"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/testenv"
	"github.com/rtdw/rtdw/internal/warehouse/dws"
)

// DuckDB returns the DuckDB OLAP sink (the default backend) in a
// temporary file, holding the fixture loaded as the DWS jobs load theirs:
// EnsureTable with dws.Tables(), then Upsert of JSON rows.
func DuckDB(t testing.TB) olap.Sink {
	t.Helper()
	s, err := duckdbsink.Open(context.Background(), duckdbsink.Options{Path: filepath.Join(t.TempDir(), "gmall_realtime.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	Fill(t, s)
	return s
}

// Postgres returns the PostgreSQL OLAP sink on the test server
// (testenv.Postgres), in a schema of its own, holding the fixture.
func Postgres(t testing.TB) olap.Sink {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	s, err := postgres.Open(context.Background(), postgres.Options{DSN: testenv.Postgres(t), Schema: "ads_" + hex.EncodeToString(b[:])})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	Fill(t, s)
	return s
}

// Fill creates the DWS tables in sink and upserts the fixture's rows.
func Fill(t testing.TB, sink olap.Sink) {
	t.Helper()
	ctx := context.Background()
	rows := jsonRows(t)
	for _, table := range dws.Tables() {
		if err := sink.EnsureTable(ctx, table); err != nil {
			t.Fatal(err)
		}
		if err := sink.Upsert(ctx, table.Name, rows[table.Name]); err != nil {
			t.Fatalf("upsert %s: %v", table.Name, err)
		}
	}
}

// jsonRows is the fixture as the loader's input: one JSON object per row
// and table (dates yyyy-MM-dd, datetimes yyyy-MM-dd HH:mm:ss, decimals as
// numbers). It runs Schema and Rows in an in-memory DuckDB and reads the
// tables back, so the fixture is written once, as SQL.
func jsonRows(t testing.TB) map[string][][]byte {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	ctx := context.Background()
	if err := Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	out := map[string][][]byte{}
	for _, table := range dws.Tables() {
		rs, err := db.QueryContext(ctx, "SELECT * FROM "+table.Name)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			obj := map[string]any{}
			for i, c := range cols {
				obj[c] = jsonValue(c, vals[i])
			}
			b, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			out[table.Name] = append(out[table.Name], b)
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		rs.Close()
	}
	return out
}

func jsonValue(col string, v any) any {
	switch x := v.(type) {
	case time.Time:
		if col == dws.PartitionColumn {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	case duckdb.Decimal:
		return json.Number(x.String())
	}
	return v
}

// Load runs Schema and Rows through db.
func Load(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}) error {
	for _, stmt := range statements(Schema + Rows) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("fixture: %w\n%s", err, stmt)
		}
	}
	return nil
}

// statements splits a script at the semicolons that end lines, dropping
// comment lines.
func statements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, strings.TrimSuffix(s, ";"))
			}
			cur.Reset()
		}
	}
	return out
}
