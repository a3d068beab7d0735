package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rtdw/rtdw/internal/connector/postgres"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
	"github.com/rtdw/rtdw/internal/testenv"
)

var schemas atomic.Int64

// open gives each subtest its own schema on the shared real server.
func open(t *testing.T) olap.Sink {
	dsn := testenv.Postgres(t)
	s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: fmt.Sprintf("gmall_realtime_%d", schemas.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { olaptest.Run(t, open) }

// The table is a real PostgreSQL table with the key as its primary key.
func TestTableDDL(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if err := s.EnsureTable(ctx, olaptest.ProvinceTable()); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var def string
	err = c.QueryRow(ctx, `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' AND conrelid = $1::regclass`,
		fmt.Sprintf("gmall_realtime_%d.dws_trade_province_order_window", schemas.Load())).Scan(&def)
	if err != nil {
		t.Fatal(err)
	}
	if def != "PRIMARY KEY (stt, edt, cur_date, province_id)" {
		t.Fatalf("primary key: %s", def)
	}
	if _, err := s.Query(ctx, "DELETE FROM dws_trade_province_order_window"); err == nil {
		t.Fatal("a DELETE through Query succeeded: queries must be read-only")
	}
}

func TestDeletes(t *testing.T) { olaptest.Deletes(t, open(t)) }

// Queries write nothing and cannot reach the server's files or programs:
// READ ONLY transactions of one statement (even on a DSN that asks for
// the simple protocol, which takes several); as pg_read_all_data when the
// role connected is a superuser; as query_dsn's role when given, which
// no crafted query can leave. AllowExternalAccess keeps the role's
// privileges, but not the right to write.
func TestQueriesConfined(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	schema := fmt.Sprintf("gmall_realtime_%d", schemas.Add(1))
	writer, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	tb := olaptest.ProvinceTable()
	if err := writer.EnsureTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if err := writer.Upsert(ctx, tb.Name, [][]byte{olaptest.Row(0, "1", "北京", 1, "4.50")}); err != nil {
		t.Fatal(err)
	}
	// A role that can only read the schema, logging in (trust auth here).
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	reader := schema + "_reader"
	for _, ddl := range []string{
		"CREATE ROLE " + reader + " LOGIN",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + reader,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + reader,
	} {
		if _, err := c.Exec(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(reader)
	readerDSN := u.String()
	simple := dsn + "&default_query_exec_mode=simple_protocol"

	out := filepath.Join(t.TempDir(), "copy.csv")
	writes := []string{
		"DELETE FROM dws_trade_province_order_window",
		"CREATE TABLE t (a int)",
		"SET TRANSACTION READ WRITE; DELETE FROM dws_trade_province_order_window",
		"COMMIT; DELETE FROM dws_trade_province_order_window",
	}
	escapes := []string{
		"SELECT pg_read_file('PG_VERSION')",
		"SELECT * FROM pg_ls_dir('.')",
		"COPY (SELECT 1) TO '" + out + "'",
		"COPY (SELECT 1) TO PROGRAM 'true'",
		"SELECT lo_import('PG_VERSION')",
	}
	for _, c := range []struct {
		name    string
		o       postgres.Options
		escapes []string
	}{
		{"superuser", postgres.Options{DSN: simple}, escapes},
		{"query_dsn", postgres.Options{DSN: dsn, QueryDSN: readerDSN}, append(escapes,
			// The superuser's way back from pg_read_all_data: not the reader's.
			"SELECT set_config('role', 'rtdw', true), query_to_xml('SELECT pg_read_file(''PG_VERSION'')', true, false, '')")},
	} {
		c.o.Schema = schema
		s, err := postgres.Open(ctx, c.o)
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range writes {
			refused(t, s, c.name, sql, "read-only transaction", "cannot insert multiple commands")
		}
		for _, sql := range c.escapes {
			refused(t, s, c.name, sql, "permission denied", "must be superuser or have privileges")
		}
		if got := olaptest.Format(must(s.Query(ctx, "SELECT province_name, order_amount FROM dws_trade_province_order_window"))); got != "北京 | 4.5\n" {
			t.Errorf("%s: the table after the refused queries: %q", c.name, got)
		}
		s.Close()
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused COPY wrote %s", out)
	}
	s, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Schema: schema, AllowExternalAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := olaptest.Format(must(s.Query(ctx, "SELECT length(pg_read_file('PG_VERSION')) > 0"))); got != "1\n" {
		t.Errorf("AllowExternalAccess: pg_read_file: %q", got)
	}
	for _, sql := range writes {
		refused(t, s, "AllowExternalAccess", sql, "read-only transaction", "cannot insert multiple commands")
	}
	// Exact decimals on request.
	res := must(s.Query(olap.WithExactDecimals(ctx), "SELECT order_amount, SUM(order_amount) * 1000, CAST(-0.05 AS NUMERIC(16,2)), CAST(12345678901234567.89 AS NUMERIC(38,2)) FROM dws_trade_province_order_window GROUP BY order_amount"))
	want := []any{olap.DecimalString("4.50"), olap.DecimalString("4500.00"), olap.DecimalString("-0.05"), olap.DecimalString("12345678901234567.89")}
	if !reflect.DeepEqual(res.Rows[0], want) {
		t.Errorf("exact decimals: %#v, want %#v", res.Rows[0], want)
	}
}

// refused checks that sql fails with one of the messages.
func refused(t *testing.T, q olap.Querier, name, sql string, msgs ...string) {
	t.Helper()
	res, err := q.Query(context.Background(), sql)
	if err == nil {
		t.Errorf("%s: %q: no error (%v)", name, sql, res.Rows)
		return
	}
	for _, m := range msgs {
		if strings.Contains(err.Error(), m) {
			return
		}
	}
	t.Errorf("%s: %q: %v, want one of %q", name, sql, err, msgs)
}

func must(r *olap.Result, err error) *olap.Result {
	if err != nil {
		panic(err)
	}
	return r
}
