package connector

import (
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/testenv"
)

// dimRows reads keys 1-4 of a dimension table.
func dimRows(t *testing.T, g dim.Getter, table string) []string {
	t.Helper()
	var out []string
	for _, k := range []string{"1", "2", "3", "4"} {
		b, ok, err := g.Get(bg, table, k)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, k+"="+string(b))
		}
	}
	return out
}

var dimWant = []string{
	`1={"id":1,"name":"a3","amount":3.00,"ts":"2024-05-06 07:08:09"}`,
	`2={"id":2,"name":"b","amount":2.50,"ts":null}`,
	`4={"id":4,"name":"d2","amount":4.25,"ts":null}`,
}

// A retract changelog into the embedded dimension store and into Redis:
// upserts and deletes by the row key, the table created in the store; a
// crash after the write and before the checkpoint commits replays it
// harmlessly; the lookup reads the rows back in the DDL's types.
func TestDimSinkUpsertDeleteReplay(t *testing.T) {
	addr := testenv.Redis(t)
	host, port, _ := strings.Cut(addr, ":")
	for _, kind := range []string{"pebble", "redis"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			opts := map[string]string{"connector": "rtdw-dim", "table-name": "dim_user", "sink.buffer-flush.interval": "1s"}
			if kind == "redis" {
				opts = map[string]string{"connector": "redis", "host": host, "port": port, "key-prefix": "wh1:", "table-name": "dim_user"}
			}
			dst := withPK(tbl("dim_user", extCols, opts), "id")
			changelogPart(e, "cl", 0)
			e.mustRun(e.pipe("j", changelogTable("cl"), dst))
			changelogPart(e, "cl", 1)
			fired := crashOnce(t, func() bool { return true })
			e.mustRun(e.pipe("j", changelogTable("cl"), dst))
			if !fired.Load() {
				t.Fatal("no crash injected")
			}
			var g dim.Getter
			if kind == "redis" {
				s, err := dim.OpenRedis(dim.RedisOptions{Addr: addr, KeyPrefix: "wh1:"})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				g = s
			} else {
				s, err := dim.OpenPebble(e.log.StateStore())
				if err != nil {
					t.Fatal(err)
				}
				g = s
			}
			eq(t, "store", dimRows(t, g, "dim_user"), dimWant)
			tables, err := g.(dim.Store).Tables(bg)
			if err != nil || len(tables) != 1 || tables[0].RowKey != "id" || strings.Join(tables[0].Columns, ",") != "id,name,amount,ts" {
				t.Errorf("tables: %+v %v", tables, err)
			}
			lk, err := dimFactory.NewLookup(e.ctx, dst, []int{0})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := lk.Lookup(bg, []row.Value{row.BigInt(1)})
			if err != nil || len(rows) != 1 || rows[0].Values[3].String() != "2024-05-06 07:08:09" || rows[0].Values[2].String() != "3.00" {
				t.Errorf("lookup: %v %v", rows, err)
			}
		})
	}
}

// A zombie writer, against real Redis and Pebble: the worker that took
// over a partition wrote epochs 7 and 8; the fenced worker's late flush of
// epoch 7 (it got to fewer rows) is refused key by key, so neither an
// older row nor a deleted one comes back.
func TestDimSinkZombie(t *testing.T) {
	addr := testenv.Redis(t)
	host, port, _ := strings.Cut(addr, ":")
	for _, kind := range []string{"pebble", "redis"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			opts := map[string]string{"connector": "rtdw-dim"}
			if kind == "redis" {
				opts = map[string]string{"connector": "rtdw-dim", "host": host, "port": port, "key-prefix": "zombie:"}
			}
			snk, err := dimFactory.NewSink(e.ctx, withPK(tbl("dim_z", extCols, opts), "id"))
			if err != nil {
				t.Fatal(err)
			}
			w, err := snk.(*dimSink).openTask(nil)
			if err != nil {
				t.Fatal(err)
			}
			op := func(id int64, name string, epoch, pos uint64, del bool) extOp {
				r := row.Row{Kind: row.Insert, Values: []row.Value{row.BigInt(id), row.String(name), row.Null(), row.Null()}}
				return extOp{Delete: del, Row: r, Seq: epoch<<extSeqRowBits | pos}
			}
			for _, b := range []*extBatch{
				{Epoch: 7, Ops: []extOp{op(1, "v1", 7, 1, false), op(2, "w3", 7, 3, false)}},
				{Epoch: 8, Ops: []extOp{op(1, "v9", 8, 1, false), op(3, "x", 8, 2, true)}},
				{Epoch: 7, Ops: []extOp{op(1, "v1", 7, 1, false), op(2, "w2", 7, 2, false), op(3, "x", 7, 0, false), op(4, "y", 7, 3, false)}}, // the zombie
			} {
				if err := w.write(bg, b); err != nil {
					t.Fatal(err)
				}
			}
			g, err := snk.(*dimSink).store()
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "store", dimRows(t, g, "dim_z"), []string{
				`1={"id":1,"name":"v9","amount":null,"ts":null}`,
				`2={"id":2,"name":"w3","amount":null,"ts":null}`,
				`4={"id":4,"name":"y","amount":null,"ts":null}`, // not written by the new owner yet: its replay will
			})
		})
	}
}

func TestDimSinkOptionErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		tb   *Table
		want string
	}{
		{tbl("t", extCols, map[string]string{"connector": "rtdw-dim"}), "needs a PRIMARY KEY (...) NOT ENFORCED of one column"},
		{withPK(tbl("t", extCols, map[string]string{"connector": "rtdw-dim"}), "id", "name"), "of one column"},
		{withPK(tbl("t", extCols, map[string]string{"connector": "rtdw-dim", "table-name": "a:b"}), "id"), "dimension table name 'a:b'"},
		{withPK(tbl("t", extCols, map[string]string{"connector": "rtdw-dim", "port": "1"}), "id"), "'port' needs 'host'"},
		{withPK(tbl("t", extCols, map[string]string{"connector": "rtdw-dim", "sink.max-retries": "x"}), "id"), "not an integer"},
	} {
		_, err := dimFactory.NewSink(e.ctx, c.tb)
		errContains(t, err, c.want)
	}
}
