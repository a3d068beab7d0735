package format

import (
	"testing"
)

// Benchmarks decode the order_info update of agree_test.go (25 columns,
// one -U/+U pair per record) with a reused Batch, as a source task does.

func benchDecode(b *testing.B, format, in string) { benchDecodeRows(b, format, in, 2) }

func benchDecodeRows(b *testing.B, format, in string, rows int) {
	f := mustFormat(b, format, orderInfo, map[string]string{"table.local-time-zone": "Asia/Shanghai"})
	d, err := f.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(in)
	var batch Batch
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(msg, &batch); err != nil || len(batch.Rows) != rows {
			b.Fatal(err, batch.Rows)
		}
	}
}

func BenchmarkMaxwellDecode(b *testing.B) { benchDecode(b, MaxwellJSON, agreeMaxwell) }

func BenchmarkDebeziumDecode(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchDecode(b, DebeziumJSON, agreeDebeziumPayload) })
	b.Run("schema", func(b *testing.B) { benchDecode(b, DebeziumJSON, agreeDebeziumSchema) })
}

func BenchmarkCanalDecode(b *testing.B) { benchDecode(b, CanalJSON, agreeCanal) }

// BenchmarkCanalDecodeInsert decodes a Canal INSERT message of 8 rows (a
// multi-row INSERT statement): its strings share one allocation.
func BenchmarkCanalDecodeInsert(b *testing.B) { benchDecodeRows(b, CanalJSON, canalInsert(8), 8) }

func BenchmarkMaxwellEncode(b *testing.B) {
	e, err := mustFormat(b, MaxwellJSON, orderInfo, nil).NewEncoder()
	if err != nil {
		b.Fatal(err)
	}
	rows := agreeRows()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		for i := range rows {
			if buf, _, err = e.Append(buf[:0], &rows[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
