package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/testenv"
)

// TestSQLBusinessShop runs a whole business written only in SQL files
// (testdata/business/jobs, with host names and passwords filled in):
//
//	MariaDB shop (customers, products, orders, order_items: DECIMAL, DATETIME)
//	  -> 00_ods.sql  mysql-cdc -> upsert-kafka ODS topics, one statement set (one binlog reader)
//	  -> 10_dim.sql  ods_products -> rtdw-dim (the product dimension)
//	  -> 20_dwd.sql  order_items JOIN dim_products FOR SYSTEM_TIME AS OF proc_time
//	                 (lookup) JOIN orders JOIN customers (regular joins over
//	                 changelogs) -> upsert-kafka
//	  -> 30_dws.sql  per category and day, without cancelled orders and test
//	                 accounts: orders, items, revenue (unbounded GROUP BY)
//	                 -> starrocks (a fake FE/BE speaking Stream Load)
//	                 and rtdw-olap (the embedded DuckDB, read with `rtdw query`)
//
// with `rtdw run --sql DIR` as a subprocess, while a writer applies random
// DML to MariaDB (new orders and items, quantity and price changes, deleted
// items and orders, cancellations, orders moved to another day, customers
// flagged as test accounts, renamed products). The process is killed with
// SIGKILL at random moments (while it restores, while it runs), started
// again each time; then the writer stops and a last `--drain` run (itself
// killed once first) finishes. The DWS rows in StarRocks (after its upserts
// and deletes: a rare category's groups empty and fill again) and in
// DuckDB must equal the same aggregation run as plain SQL on MariaDB's
// final tables (testdata/business/mariadb/dws_batch.sql), the DWD topic
// the batch join (dwd_batch.sql), the dimension the products table, and
// nothing may be dead-lettered.
//
// Two rules of the data follow from processing-time lookups (as in Flink):
// a product's category never changes (an order item joins the category it
// had when the item was processed: changing it later would not move the
// item), and products exist in the dimension before order items use them
// (the ODS and DIM files are drained once first, as a warehouse loads its
// dimensions before it starts the facts; the writer adds no products).
// The DWD job keeps every item with its order's status and customer's test
// flag and the DWS job filters: a filter in front of the DWD's upsert-kafka
// sink would pass the -U of an update whose +U it drops, and upsert sinks
// drop -U rows (rtdw does not turn a lone -U into a delete as Flink does).
func TestSQLBusinessShop(t *testing.T) {
	began := time.Now()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("RTDW_BUSINESS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("RTDW_BUSINESS_SEED: %v", err)
		}
	}
	t.Logf("seed %d (RTDW_BUSINESS_SEED=%d repeats the seeded data, the writer's choices and the kill delays)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	shop := newBizShop(t)
	shop.seedTables(rand.New(rand.NewPCG(seed, 2)))
	sr := newBizStarRocks(t)
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	jobs := bizRenderJobs(t, filepath.Join(tmp, "jobs"), map[string]string{
		"MYSQL_HOST": shop.host, "MYSQL_PORT": shop.port, "MYSQL_USER": shop.user, "MYSQL_PASSWORD": shop.pass,
		"MYSQL_DATABASE":     shop.dbName,
		"STARROCKS_FE_HTTP":  strings.TrimPrefix(sr.fe.URL, "http://"),
		"STARROCKS_FE_MYSQL": "127.0.0.1:9030", // accepted by the sink, never dialled
		"STARROCKS_PASSWORD": sr.pass,
	})
	t.Logf("setup (MariaDB, %d orders and %d items seeded): %s", shop.orders0, shop.items0, time.Since(began).Round(time.Millisecond))

	// The writer changes the shop from now until the last drained run.
	stopWriter := shop.startWriter(rand.New(rand.NewPCG(seed, 3)))

	// Phase 1: ODS and DIM, drained (dimensions first), killed once at a
	// random moment (before, during or after the snapshot) and run again.
	phase := time.Now()
	boot := []string{"run", "--sql", filepath.Join(jobs, "00_ods.sql"), "--sql", filepath.Join(jobs, "10_dim.sql"),
		"--drain", "--http-addr", "", "--progress", "0", "--checkpoint-interval", "50ms"}
	kills := 0
	p := bizStart(t, data, boot...)
	delay := time.Duration(10+rng.IntN(200)) * time.Millisecond
	if p.killAfter(delay) {
		kills++
		t.Logf("bootstrap run killed after %s", delay)
	} else {
		t.Logf("bootstrap run ended before its kill (%s)", delay)
	}
	bizRunOK(t, data, 2*time.Minute, boot...)
	t.Logf("phase 1, ODS + DIM drained: %s", time.Since(phase).Round(time.Millisecond))

	// Phase 2: the whole warehouse, unbounded, killed again and again:
	// right after a start (restoring, catching up) or a random time after
	// its DWS job loaded something new into StarRocks.
	phase = time.Now()
	full := []string{"run", "--sql", jobs, "--http-addr", "", "--progress", "0", "--checkpoint-interval", "100ms"}
	for i := range 8 {
		p := bizStart(t, data, full...)
		how := "right after its start"
		if i%2 == 0 {
			p.waitLoad(sr, 45*time.Second)
			if i == 0 {
				shop.waitOneBinlogReader(p)
			}
			how = "after it loaded into StarRocks"
		}
		delay := time.Duration(rng.IntN(1500)) * time.Millisecond
		if !p.killAfter(delay) {
			t.Fatalf("run %d ended by itself:\n%s", i, p.stderr.String())
		}
		kills++
		t.Logf("run %d killed %s + %s (StarRocks: %d loads)", i, how, delay, sr.stats().applied)
	}
	t.Logf("phase 2, %d kills in all: %s", kills, time.Since(phase).Round(time.Millisecond))

	// Phase 3: the writer stops; a drained run processes everything (its
	// first attempt killed too).
	phase = time.Now()
	ws := stopWriter()
	t.Logf("writer: %d transactions, %s", ws.tx, ws.summary())
	drain := []string{"run", "--sql", jobs, "--drain", "--http-addr", "", "--progress", "0", "--checkpoint-interval", "100ms"}
	delay = time.Duration(100+rng.IntN(300)) * time.Millisecond
	if bizStart(t, data, drain...).killAfter(delay) {
		kills++
		t.Logf("drained run killed after %s", delay)
	}
	stderr := bizRunOK(t, data, 2*time.Minute, drain...)
	t.Logf("phase 3, final drain: %s; %s", time.Since(phase).Round(time.Millisecond), lastLine(stderr))

	// The results, against plain SQL over MariaDB's final tables.
	phase = time.Now()
	want := shop.dws()
	if len(want) < 28 {
		t.Fatalf("the batch result has only %d groups", len(want))
	}
	bizCompareDWS(t, "StarRocks", sr.dws(), want)
	bizCompareDWS(t, "DuckDB (rtdw query)", bizDuckDB(t, data), want)
	dwd := shop.dwd()
	bizCompareDWD(t, bizDWDTopic(t, data), dwd)
	bizCompareDim(t, data, shop.products())
	for reason, lines := range bizDeadLetters(t, data) {
		t.Errorf("%d dead letters %s, e.g. %s", len(lines), reason, lines[0])
	}
	st := sr.stats()
	if len(st.bad) > 0 {
		t.Errorf("StarRocks refused %d loads, e.g. %s", len(st.bad), st.bad[0])
	}
	t.Logf("compared %d DWS groups (StarRocks, DuckDB), %d DWD rows, %d products: %s", len(want), len(dwd), len(shop.products()),
		time.Since(phase).Round(time.Millisecond))
	t.Logf("%d kills; StarRocks: %d loads applied, %d replays refused by label, %d rows deleted; total %s",
		kills, st.applied, st.replays, st.deletes, time.Since(began).Round(time.Millisecond))
}

// --- the shop in MariaDB ---

const bizDays = 7

var (
	bizDay0       = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	bizCategories = []string{"books", "electronics", "garden", "toys"}
	// bizRare is the category of the last product, which few items buy:
	// its groups empty and fill again, so the DWS sinks see deletes.
	bizRare     = "gift_cards"
	bizStatuses = []string{"CREATED", "PAID", "PAID", "SHIPPED", "CANCELLED"}
)

type bizShop struct {
	t                      *testing.T
	host, port, user, pass string
	dbName                 string
	db                     *sql.DB
	products0, customers0  int
	orders0, items0        int
}

func newBizShop(t *testing.T) *bizShop {
	t.Helper()
	dsn := testenv.MariaDB(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	s := &bizShop{t: t, user: cfg.User, pass: cfg.Passwd, dbName: "biz_shop"}
	if s.host, s.port, err = net.SplitHostPort(cfg.Addr); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS " + s.dbName, "CREATE DATABASE " + s.dbName + " CHARACTER SET utf8mb4"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if s.db, err = sql.Open("mysql", dsn+s.dbName+"?multiStatements=true"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.Close() })
	s.exec(bizTestdata(t, "mariadb/schema.sql"))
	return s
}

func bizTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "business", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (s *bizShop) exec(qs ...string) {
	s.t.Helper()
	for _, q := range qs {
		if _, err := s.db.Exec(q); err != nil {
			s.t.Fatalf("%.300s: %v", q, err)
		}
	}
}

// query returns the rows of q as their columns joined by '|' (NULL as
// NULL), sorted.
func (s *bizShop) query(q string) []string {
	s.t.Helper()
	rows, err := s.db.Query(q)
	if err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			s.t.Fatal(err)
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			cells[i] = "NULL"
			if v.Valid {
				cells[i] = v.String
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	if err := rows.Err(); err != nil {
		s.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func bizTime(rng *rand.Rand) string {
	return bizDay0.Add(time.Duration(rng.IntN(bizDays*86400)) * time.Second).Format(time.DateTime)
}

func bizPrice(rng *rand.Rand) string { return fmt.Sprintf("%d.%02d", 1+rng.IntN(200), rng.IntN(100)) }

// product picks the product of a new item: rarely the last one.
func (s *bizShop) product(rng *rand.Rand) int {
	if rng.IntN(400) == 0 {
		return s.products0
	}
	return 1 + rng.IntN(s.products0-1)
}

// seedTables fills the shop: 24 products in 4 categories and a rare one,
// 200 customers (some of them test accounts), 3000 orders over 7 days with
// 1 to 4 items.
func (s *bizShop) seedTables(rng *rand.Rand) {
	s.products0, s.customers0, s.orders0 = 25, 200, 3000
	var b strings.Builder
	b.WriteString("INSERT INTO products VALUES ")
	for i := 1; i <= s.products0; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		category := bizCategories[i%len(bizCategories)]
		if i == s.products0 {
			category = bizRare
		}
		fmt.Fprintf(&b, "(%d, 'product %d', '%s', %s)", i, i, category, bizPrice(rng))
	}
	s.exec(b.String())
	b.Reset()
	b.WriteString("INSERT INTO customers VALUES ")
	for i := 1; i <= s.customers0; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%d, 'customer %d', 'city %d', %d, '%s')", i, i, i%17, bizBool(rng.IntN(12) == 0), bizTime(rng))
	}
	s.exec(b.String())
	item := 0
	for o := 1; o <= s.orders0; o += 500 {
		var ob, ib strings.Builder
		ob.WriteString("INSERT INTO orders VALUES ")
		ib.WriteString("INSERT INTO order_items VALUES ")
		for id := o; id < o+500; id++ {
			if id > o {
				ob.WriteByte(',')
			}
			fmt.Fprintf(&ob, "(%d, %d, '%s', '%s')", id, 1+rng.IntN(s.customers0), bizStatuses[rng.IntN(len(bizStatuses))], bizTime(rng))
			for range 1 + rng.IntN(4) {
				item++
				if ib.Len() > len("INSERT INTO order_items VALUES ") {
					ib.WriteByte(',')
				}
				fmt.Fprintf(&ib, "(%d, %d, %d, %d, %s)", item, id, s.product(rng), 1+rng.IntN(5), bizPrice(rng))
			}
		}
		s.exec(ob.String(), ib.String())
	}
	s.items0 = item
}

func bizBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

type bizWriterStats struct {
	tx  int
	ops map[string]int
}

func (w bizWriterStats) summary() string {
	var parts []string
	for k, n := range w.ops {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// startWriter changes the shop in transactions of 1 to 3 statements, a few
// hundred a second, until the returned stop.
func (s *bizShop) startWriter(rng *rand.Rand) (stop func() bizWriterStats) {
	done := make(chan struct{})
	result := make(chan bizWriterStats, 1)
	go func() {
		st := bizWriterStats{ops: map[string]int{}}
		defer func() { result <- st }()
		nextOrder, nextItem, nextCustomer := s.orders0+1, s.items0+1, s.customers0+1
		anyOrder := func() int { return 1 + rng.IntN(nextOrder-1) }
		anyItem := func() int { return 1 + rng.IntN(nextItem-1) }
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
			var qs []string
			for range 1 + rng.IntN(3) {
				var op string
				switch x := rng.IntN(100); {
				case x < 17:
					op = "new order"
					qs = append(qs, fmt.Sprintf("INSERT INTO orders VALUES (%d, %d, '%s', '%s')",
						nextOrder, 1+rng.IntN(nextCustomer-1), bizStatuses[rng.IntN(len(bizStatuses)-1)], bizTime(rng)))
					for range 1 + rng.IntN(4) {
						qs = append(qs, fmt.Sprintf("INSERT INTO order_items VALUES (%d, %d, %d, %d, %s)",
							nextItem, nextOrder, s.product(rng), 1+rng.IntN(5), bizPrice(rng)))
						nextItem++
					}
					nextOrder++
				case x < 27:
					op = "new item"
					qs = append(qs, fmt.Sprintf("INSERT INTO order_items VALUES (%d, %d, %d, %d, %s)",
						nextItem, anyOrder(), s.product(rng), 1+rng.IntN(5), bizPrice(rng)))
					nextItem++
				case x < 45:
					op = "quantity"
					qs = append(qs, fmt.Sprintf("UPDATE order_items SET quantity = %d WHERE id = %d", 1+rng.IntN(6), anyItem()))
				case x < 53:
					op = "price"
					qs = append(qs, fmt.Sprintf("UPDATE order_items SET price = %s WHERE id = %d", bizPrice(rng), anyItem()))
				case x < 61:
					op = "delete item"
					qs = append(qs, fmt.Sprintf("DELETE FROM order_items WHERE id = %d", anyItem()))
				case x < 66:
					op = "delete order"
					o := anyOrder()
					qs = append(qs, fmt.Sprintf("DELETE FROM order_items WHERE order_id = %d", o), fmt.Sprintf("DELETE FROM orders WHERE id = %d", o))
				case x < 68:
					op = "delete order, keep items"
					qs = append(qs, fmt.Sprintf("DELETE FROM orders WHERE id = %d", anyOrder()))
				case x < 78:
					op = "status"
					qs = append(qs, fmt.Sprintf("UPDATE orders SET status = '%s' WHERE id = %d", bizStatuses[rng.IntN(len(bizStatuses))], anyOrder()))
				case x < 84:
					op = "move order"
					qs = append(qs, fmt.Sprintf("UPDATE orders SET order_time = '%s' WHERE id = %d", bizTime(rng), anyOrder()))
				case x < 88:
					op = "test account"
					qs = append(qs, fmt.Sprintf("UPDATE customers SET is_test = 1 - is_test WHERE id = %d", 1+rng.IntN(nextCustomer-1)))
				case x < 91:
					op = "new customer"
					qs = append(qs, fmt.Sprintf("INSERT INTO customers VALUES (%d, 'customer %d', 'city %d', 0, '%s')",
						nextCustomer, nextCustomer, rng.IntN(17), bizTime(rng)))
					nextCustomer++
				default:
					op = "product"
					id := 1 + rng.IntN(s.products0)
					qs = append(qs, fmt.Sprintf("UPDATE products SET name = 'product %d v%d', list_price = %s WHERE id = %d",
						id, rng.IntN(1000), bizPrice(rng), id))
				}
				st.ops[op]++
			}
			tx, err := s.db.Begin()
			if err != nil {
				s.t.Errorf("writer: %v", err)
				return
			}
			for _, q := range qs {
				if _, err := tx.Exec(q); err != nil {
					tx.Rollback()
					s.t.Errorf("writer: %s: %v", q, err)
					return
				}
			}
			if err := tx.Commit(); err != nil {
				s.t.Errorf("writer: %v", err)
				return
			}
			st.tx++
		}
	}()
	var once sync.Once
	var st bizWriterStats
	stop = func() bizWriterStats {
		once.Do(func() {
			close(done)
			st = <-result
		})
		return st
	}
	s.t.Cleanup(func() { stop() })
	return stop
}

// waitOneBinlogReader waits until MariaDB shows exactly one binlog
// connection (readers of killed processes go when the server notices), for
// a while: the ODS statement set reads its four tables with one reader.
func (s *bizShop) waitOneBinlogReader(p *bizProc) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	stable := 0
	var n int
	for stable < 5 {
		if time.Now().After(deadline) {
			p.kill()
			s.t.Fatalf("%d binlog connections while the warehouse runs, want 1 (one reader for the ODS statement set)", n)
		}
		if err := s.db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'").Scan(&n); err != nil {
			s.t.Fatal(err)
		}
		if n == 1 {
			stable++
		} else {
			stable = 0
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dws is the batch result: category|dt -> order_count|item_quantity|revenue.
func (s *bizShop) dws() map[string]string {
	out := map[string]string{}
	for _, l := range s.query(bizTestdata(s.t, "mariadb/dws_batch.sql")) {
		f := strings.Split(l, "|")
		out[f[0]+"|"+f[1]] = bizRow(s.t, f[2], f[3], bizDec(s.t, f[4]))
	}
	return out
}

// dwd is the batch join: item_id -> the DWD row's other columns but the
// product name.
func (s *bizShop) dwd() map[string]string {
	out := map[string]string{}
	for _, l := range s.query(bizTestdata(s.t, "mariadb/dwd_batch.sql")) {
		f := strings.Split(l, "|")
		f[8], f[9] = bizDec(s.t, f[8]), bizDec(s.t, f[9])
		out[f[0]] = strings.Join(f[1:], "|")
	}
	return out
}

// products: id -> name|category|list_price.
func (s *bizShop) products() map[string]string {
	out := map[string]string{}
	for _, l := range s.query("SELECT id, name, category, list_price FROM products") {
		id, rest, _ := strings.Cut(l, "|")
		out[id] = rest
	}
	return out
}

// --- the fake StarRocks ---

// bizStarRocks is a StarRocks FE and BE at the Stream Load protocol level:
// the FE checks basic auth and Expect: 100-continue and redirects the PUT
// to the BE, which checks the label and the JSON layout headers (format,
// strip_outer_array, columns ending in __op), refuses a label it has seen
// ("Label Already Exists", as a replay after a crash gets), and applies
// the JSON array to shop_dws.dws_category_day by its key (category, dt):
// __op = 1 deletes the key, 0 upserts the row.
type bizStarRocks struct {
	t      *testing.T
	pass   string
	fe, be *httptest.Server

	mu                        sync.Mutex
	rows                      map[string]map[string]any
	labels                    map[string]bool
	applied, replays, deletes int
	bad                       []string
}

type bizSRStats struct {
	applied, replays, deletes int
	bad                       []string
}

var (
	bizLoadPath = regexp.MustCompile(`^/api/shop_dws/dws_category_day/_stream_load$`)
	bizLabel    = regexp.MustCompile(`^[-_A-Za-z0-9:]{1,128}$`)
)

const bizColumns = "`category`,`dt`,`order_count`,`item_quantity`,`revenue`,__op"

func newBizStarRocks(t *testing.T) *bizStarRocks {
	f := &bizStarRocks{t: t, pass: "sr-secret", rows: map[string]map[string]any{}, labels: map[string]bool{}}
	f.be = httptest.NewServer(http.HandlerFunc(f.serveBE))
	f.fe = httptest.NewServer(http.HandlerFunc(f.serveFE))
	t.Cleanup(func() { f.fe.Close(); f.be.Close() })
	return f
}

func (f *bizStarRocks) stats() bizSRStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bizSRStats{f.applied, f.replays, f.deletes, slices.Clone(f.bad)}
}

func (f *bizStarRocks) auth(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && u == "root" && p == f.pass
}

func bizReply(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *bizStarRocks) serveFE(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodPut || !bizLoadPath.MatchString(r.URL.Path):
		http.Error(w, "not found", http.StatusNotFound)
	case !f.auth(r):
		w.WriteHeader(http.StatusUnauthorized)
	case r.Header.Get("Expect") != "100-continue":
		bizReply(w, map[string]any{"Status": "Fail", "Message": "There is no 100-continue header"})
	default:
		// The FE does not read the body: with 100-continue the client
		// sends it only to the BE.
		http.Redirect(w, r, f.be.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}
}

func (f *bizStarRocks) fail(w http.ResponseWriter, msg string) {
	f.bad = append(f.bad, msg)
	bizReply(w, map[string]any{"Status": "Fail", "Message": msg})
}

func (f *bizStarRocks) serveBE(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut || !bizLoadPath.MatchString(r.URL.Path) || !f.auth(r) {
		http.Error(w, "refused", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away (killed)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	label := r.Header.Get("label")
	switch {
	case !bizLabel.MatchString(label):
		f.fail(w, "bad label "+label)
		return
	case r.Header.Get("format") != "json" || r.Header.Get("strip_outer_array") != "true":
		f.fail(w, fmt.Sprintf("JSON layout headers: format %q, strip_outer_array %q", r.Header.Get("format"), r.Header.Get("strip_outer_array")))
		return
	case r.Header.Get("columns") != bizColumns:
		f.fail(w, "columns header "+r.Header.Get("columns"))
		return
	case f.labels[label]:
		f.replays++
		bizReply(w, map[string]any{"Status": "Label Already Exists", "ExistingJobStatus": "FINISHED", "Label": label})
		return
	}
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil {
		f.fail(w, "body: "+err.Error())
		return
	}
	for _, row := range rows {
		if row["category"] == nil || row["dt"] == nil {
			f.fail(w, fmt.Sprintf("a key column is null: %v", row))
			return
		}
	}
	for _, row := range rows {
		k := fmt.Sprint(row["category"]) + "|" + fmt.Sprint(row["dt"])
		op := fmt.Sprint(row["__op"])
		delete(row, "__op")
		switch op {
		case "1":
			delete(f.rows, k)
			f.deletes++
		case "0":
			f.rows[k] = row
		default:
			f.fail(w, fmt.Sprintf("__op %q", op))
			return
		}
	}
	f.labels[label] = true
	f.applied++
	bizReply(w, map[string]any{"Status": "Success", "Label": label, "NumberLoadedRows": len(rows)})
}

// dws is the table: category|dt -> order_count|item_quantity|revenue.
func (f *bizStarRocks) dws() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, r := range f.rows {
		out[k] = bizRow(f.t, fmt.Sprint(r["order_count"]), fmt.Sprint(r["item_quantity"]), bizDec(f.t, fmt.Sprint(r["revenue"])))
	}
	return out
}

// --- running rtdw ---

// bizRenderJobs writes the job files with ${VAR}s filled in into dir.
func bizRenderJobs(t *testing.T, dir string, vars map[string]string) string {
	t.Helper()
	src := filepath.Join("testdata", "business", "jobs")
	files, err := filepath.Glob(filepath.Join(src, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no job files in %s (%v)", src, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := os.Expand(string(b), func(k string) string {
			v, ok := vars[k]
			if !ok {
				t.Fatalf("%s: no value for ${%s}", f, k)
			}
			return v
		})
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type bizProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *bizBuffer
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

type bizBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *bizBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *bizBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// bizStart starts rtdw as a subprocess on the data dir.
func bizStart(t *testing.T, data string, args ...string) *bizProc {
	t.Helper()
	p := &bizProc{t: t, cmd: rtdwCmd(t, data, args...), stderr: &bizBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill ends the process with SIGKILL (if it still runs) and waits for it.
func (p *bizProc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

func (p *bizProc) failed(what string) {
	p.t.Helper()
	p.t.Fatalf("rtdw %s %s: %v\n%s", strings.Join(p.cmd.Args[5:], " "), what, p.err, p.stderr.String())
}

// killAfter sends SIGKILL after d, unless the process ended before; it
// reports whether the kill ended it (a failure of the process fails the
// test).
func (p *bizProc) killAfter(d time.Duration) bool {
	p.t.Helper()
	select {
	case <-p.exited:
		if p.err != nil {
			p.failed("failed")
		}
		return false
	case <-time.After(d):
	}
	p.kill()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return true
	}
	if p.err != nil {
		p.failed("failed")
	}
	return false
}

// waitLoad waits until the fake StarRocks applies a load it had not
// applied when called: the warehouse runs through to its DWS sink.
func (p *bizProc) waitLoad(sr *bizStarRocks, timeout time.Duration) {
	p.t.Helper()
	before := sr.stats().applied
	deadline := time.After(timeout)
	for sr.stats().applied == before {
		select {
		case <-p.exited:
			p.failed("ended before loading into StarRocks")
		case <-deadline:
			p.kill()
			p.failed(fmt.Sprintf("made no StarRocks load in %s", timeout))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// bizRunOK runs rtdw to its end (within timeout) and returns its output.
func bizRunOK(t *testing.T, data string, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"--data-dir", data, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "RTDW_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rtdw %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// --- reading the results ---

// bizDec renders a decimal text with two places ("14.5" -> "14.50").
func bizDec(t *testing.T, s string) string {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a decimal: %q", s)
	}
	return r.FloatString(2)
}

func bizRow(t *testing.T, orders, quantity, revenue string) string {
	t.Helper()
	for _, n := range []string{orders, quantity} {
		if _, err := strconv.ParseInt(n, 10, 64); err != nil {
			t.Fatalf("not an integer: %q", n)
		}
	}
	return orders + "|" + quantity + "|" + revenue
}

// bizDuckDB reads the DWS table from the embedded DuckDB with `rtdw query`.
func bizDuckDB(t *testing.T, data string) map[string]string {
	t.Helper()
	out, _ := e2eRun(t, data, "query", "--format", "json",
		"SELECT category, CAST(dt AS VARCHAR) AS dt, order_count, item_quantity, CAST(revenue AS VARCHAR) AS revenue FROM dws_category_day")
	rows := map[string]string{}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("rtdw query: %v\n%s", err, out)
		}
		rows[fmt.Sprint(r["category"])+"|"+fmt.Sprint(r["dt"])] = bizRow(t, fmt.Sprint(r["order_count"]), fmt.Sprint(r["item_quantity"]),
			bizDec(t, fmt.Sprint(r["revenue"])))
	}
	return rows
}

// bizDeadLetters reads dirty_data: lines by reason code.
func bizDeadLetters(t *testing.T, data string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	reason := regexp.MustCompile(`rtdw\.reason=([a-z_]+)`)
	for _, l := range e2eTail(t, data, "dirty_data", "--print-headers") {
		code := "unknown"
		if m := reason.FindStringSubmatch(l); m != nil {
			code = m[1]
		}
		out[code] = append(out[code], l)
	}
	return out
}

// bizCompareDWS compares a DWS table with the batch result.
func bizCompareDWS(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("missing %s: want %s", k, w))
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("extra %s: %s", k, g))
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s differs from the batch result over MariaDB in %d of %d groups:\n  %s", what, len(diffs), len(want), strings.Join(diffs, "\n  "))
	}
}

// bizDWDTopic materializes the DWD upsert-kafka topic: item_id -> the
// row's columns but the product name, as dwd_batch.sql selects them.
func bizDWDTopic(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	e2eWithLog(t, data, func(l rlog.Log) {
		ctx := context.Background()
		info, err := l.DescribeTopic(ctx, "dwd_order_detail")
		if err != nil {
			t.Fatal(err)
		}
		for p := range info.Partitions {
			tp := rlog.TopicPartition{Topic: "dwd_order_detail", Partition: p}
			_, end, err := l.Offsets(ctx, tp)
			if err != nil {
				t.Fatal(err)
			}
			for off := int64(0); off < end; {
				recs, err := l.Fetch(ctx, tp, off, 5000, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) == 0 {
					break
				}
				for _, r := range recs {
					off = r.Offset + 1
					if r.Header(stream.HeaderControl) != nil {
						continue
					}
					var key struct {
						ItemID json.Number `json:"item_id"`
					}
					if err := json.Unmarshal(r.Key, &key); err != nil || key.ItemID == "" {
						t.Fatalf("dwd_order_detail@%d: key %q: %v", r.Offset, r.Key, err)
					}
					if len(r.Value) == 0 {
						delete(out, key.ItemID.String())
						continue
					}
					var v map[string]any
					dec := json.NewDecoder(bytes.NewReader(r.Value))
					dec.UseNumber()
					if err := dec.Decode(&v); err != nil {
						t.Fatalf("dwd_order_detail@%d: %v", r.Offset, err)
					}
					isTest := "0"
					if v["is_test"] == true {
						isTest = "1"
					}
					out[key.ItemID.String()] = strings.Join([]string{fmt.Sprint(v["order_id"]), fmt.Sprint(v["customer_id"]), fmt.Sprint(v["dt"]),
						fmt.Sprint(v["status"]), isTest, fmt.Sprint(v["category"]), fmt.Sprint(v["quantity"]),
						bizDec(t, fmt.Sprint(v["price"])), bizDec(t, fmt.Sprint(v["amount"]))}, "|")
				}
			}
		}
	})
	return out
}

func bizCompareDWD(t *testing.T, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for k, w := range want {
		if g := got[k]; g != w {
			diffs = append(diffs, fmt.Sprintf("item %s: got %q, want %q", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("item %s: got %q, not in the batch join", k, g))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		t.Errorf("the DWD topic differs from the batch join in %d of %d rows, e.g.:\n  %s", len(diffs), len(want),
			strings.Join(diffs[:min(len(diffs), 20)], "\n  "))
	}
}

// bizCompareDim reads every product from the dimension with `rtdw dim get`.
func bizCompareDim(t *testing.T, data string, want map[string]string) {
	t.Helper()
	for id, w := range want {
		out, _ := e2eRun(t, data, "dim", "get", "dim_shop_products", id)
		var r map[string]any
		dec := json.NewDecoder(strings.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("rtdw dim get dim_shop_products %s: %v: %s", id, err, out)
		}
		if got := fmt.Sprintf("%v|%v|%s", r["name"], r["category"], bizDec(t, fmt.Sprint(r["list_price"]))); got != w {
			t.Errorf("dimension row %s: %s, want %s (the products table)", id, got, w)
		}
	}
}
