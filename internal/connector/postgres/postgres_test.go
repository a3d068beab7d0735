package postgres_test

import (
	"context"
	"fmt"
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
