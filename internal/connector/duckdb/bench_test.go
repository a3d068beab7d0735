package duckdb_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	duck "github.com/duckdb/duckdb-go/v2"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
	"github.com/rtdw/rtdw/internal/olap/olaptest"
)

// Upsert throughput (JSON rows decoded, appended, INSERT OR REPLACE into a
// table with a primary key) against the plain Appender into a table
// without a key, the physical limit. Each op loads a batch of 1000 rows:
// new keys, as a stream of windows does. Compare rows/s:
//
//	go test -run '^$' -bench . ./internal/connector/duckdb/
const benchBatch = 1000

func BenchmarkUpsert(b *testing.B) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Options{Path: filepath.Join(b.TempDir(), "b.duckdb")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tb := olaptest.ProvinceTable()
	if err := s.EnsureTable(ctx, tb); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		rows := make([][]byte, benchBatch)
		for r := range rows {
			rows[r] = olaptest.Row(i*10, fmt.Sprint(r), "province", r, "12.34")
		}
		b.StartTimer()
		if err := s.Upsert(ctx, tb.Name, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkPlainAppender(b *testing.B) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Options{Path: filepath.Join(b.TempDir(), "b.duckdb")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().Exec(`CREATE TABLE t (stt TIMESTAMP, edt TIMESTAMP, cur_date DATE, province_id VARCHAR, province_name VARCHAR, order_count BIGINT, order_amount DECIMAL(16,2))`); err != nil {
		b.Fatal(err)
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	day := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		err := conn.Raw(func(dc any) error {
			a, err := duck.NewAppenderFromConn(dc.(driver.Conn), "", "t")
			if err != nil {
				return err
			}
			stt := day.Add(10*time.Hour + time.Duration(i*10)*time.Second)
			for r := range benchBatch {
				if err := a.AppendRow(stt, stt.Add(10*time.Second), day, fmt.Sprint(r), "province", int64(r),
					duck.Decimal{Width: 16, Scale: 2, Value: big.NewInt(1234)}); err != nil {
					return err
				}
			}
			return a.Close()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
}
