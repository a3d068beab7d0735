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
	"time"

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

// A zombie load task's late writes are refused (olap.VersionedSink).
func TestVersionedWrites(t *testing.T) { olaptest.Versioned(t, open(t)) }

// Two workers (a zombie and the new owner, each with its own connection)
// write one key at the same moment: whichever runs first, the newer
// version wins, for an older upsert racing a newer delete and an older
// delete racing a newer upsert. Both wait on a third session's lock of
// the key's version row, then run in the order PostgreSQL wakes them.
func TestVersionedWritesRace(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	schema := fmt.Sprintf("gmall_realtime_%d", schemas.Add(1))
	sink := func() *postgres.Sink {
		s, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	zombie, owner := sink(), sink()
	tb := olaptest.ProvinceTable()
	for _, s := range []*postgres.Sink{zombie, owner} {
		if err := s.EnsureTable(ctx, tb); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := pgx.Connect(ctx, dsn) // holds the lock
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	mon, err := pgx.Connect(ctx, dsn) // watches, outside the lock's transaction (whose activity view is a snapshot)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close(ctx)
	const e = uint64(220_000_000_000)
	v := func(epoch, pos uint64) uint64 { return epoch<<22 | pos }
	row := func(n int) []byte { return olaptest.Row(0, "1", "北京", n, fmt.Sprint(n)) }
	line := func(n int) string {
		return fmt.Sprintf("2024-06-01 10:00:00 | 2024-06-01 10:00:10 | 2024-06-01 | 1 | 北京 | %d | %d\n", n, n)
	}
	for round := range 6 {
		epoch := e + uint64(10*round)
		// The key holds a row at epoch.
		if err := owner.UpsertVersioned(ctx, tb.Name, [][]byte{row(1)}, []uint64{v(epoch, 1)}); err != nil {
			t.Fatal(err)
		}
		olderDeletes := round%2 == 1
		tx, err := raw.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT 1 FROM %s._rtdw_versions WHERE tbl = $1 FOR UPDATE`, pgx.Identifier{schema}.Sanitize()), tb.Name); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		go func() { // the zombie's late write: epoch+1
			if olderDeletes {
				errs <- zombie.DeleteVersioned(ctx, tb.Name, [][]byte{row(0)}, []uint64{v(epoch+1, 1)})
			} else {
				errs <- zombie.UpsertVersioned(ctx, tb.Name, [][]byte{row(9)}, []uint64{v(epoch+1, 1)})
			}
		}()
		go func() { // the owner's newer write: epoch+2
			if olderDeletes {
				errs <- owner.UpsertVersioned(ctx, tb.Name, [][]byte{row(2)}, []uint64{v(epoch+2, 1)})
			} else {
				errs <- owner.DeleteVersioned(ctx, tb.Name, [][]byte{row(0)}, []uint64{v(epoch+2, 1)})
			}
		}()
		// Both wait on the lock.
		deadline := time.Now().Add(30 * time.Second)
		for waiting := 0; waiting < 2; {
			if err := mon.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND state = 'active' AND query LIKE '%' || $1 || '%'`, schema).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				var act []string
				rows, _ := mon.Query(ctx, `SELECT coalesce(wait_event_type, '') || ' ' || coalesce(wait_event, '') || ' ' || state || ' ' || left(query, 120) FROM pg_stat_activity WHERE datname = current_database()`)
				for rows.Next() {
					var a string
					rows.Scan(&a)
					act = append(act, a)
				}
				rows.Close()
				t.Fatalf("round %d: %d writers wait on the lock:\n%s", round, waiting, strings.Join(act, "\n"))
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		want := ""
		if olderDeletes {
			want = line(2)
		}
		if got := olaptest.Dump(t, owner); got != want {
			t.Fatalf("round %d (older %s, newer %s): table:\n%swant:\n%s", round,
				map[bool]string{true: "delete", false: "upsert"}[olderDeletes], map[bool]string{true: "upsert", false: "delete"}[olderDeletes], got, want)
		}
	}
}

// A table dropped from the sink's schema is missing to HasTable even when
// another schema on the server has a table of the same name (the load
// path then reloads it; before, the other schema's table hid the loss).
func TestHasTableOnlyInItsSchema(t *testing.T) {
	ctx := context.Background()
	a, b := open(t), open(t)
	tb := olaptest.ProvinceTable()
	for _, s := range []olap.Sink{a, b} {
		if err := s.EnsureTable(ctx, tb); err != nil {
			t.Fatal(err)
		}
	}
	c, err := pgx.Connect(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP TABLE "+a.(*postgres.Sink).TableSchema()+"."+tb.Name); err != nil {
		t.Fatal(err)
	}
	if has, err := olap.HasTable(ctx, a, tb.Name); err != nil || has {
		t.Fatalf("HasTable after the drop = %v, %v; want false", has, err)
	}
	if has, err := olap.HasTable(ctx, b, tb.Name); err != nil || !has {
		t.Fatalf("HasTable in the other schema = %v, %v; want true", has, err)
	}
}
