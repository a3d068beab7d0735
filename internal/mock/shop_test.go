package mock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// runShop runs a shop to the end into two buffers (topic_db, topic_log).
func runShop(t testing.TB, cfg ShopConfig) (db, log []byte, st *Stats) {
	t.Helper()
	sh, err := NewShop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var dbb, logb bytes.Buffer
	s := NewJSONSink(&dbb, &logb)
	ctx := context.Background()
	for {
		ev, ok := sh.Next()
		if !ok {
			break
		}
		if _, err := s.Write(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return dbb.Bytes(), logb.Bytes(), sh.Stats()
}

func TestSplitProRata(t *testing.T) {
	// Expected shares worked out by hand: total*w/sum rounded HALF_UP to the
	// cent, the last line takes what is left.
	cases := []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{10000, []int64{10000, 20000, 30000}, []int64{1667, 3333, 5000}}, // 16.666.. 33.333.. rest 50.00
		{1, []int64{100, 100}, []int64{1, 0}},                            // 0.005 rounds up; the last absorbs
		{5, []int64{50, 50, 100}, []int64{1, 1, 3}},                      // 1.25 -> 1, 1.25 -> 1, 5-2
		{300, []int64{999}, []int64{300}},                                // one line takes all
		{0, []int64{3, 4}, []int64{0, 0}},
	}
	for _, c := range cases {
		got := splitProRata(c.total, c.weights)
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("splitProRata(%d, %v) = %v, want %v", c.total, c.weights, got, c.want)
				break
			}
		}
	}
}

// TestMaxwellShape checks one update, its key and its SQL against text
// written by hand from Maxwell's documented format.
func TestMaxwellShape(t *testing.T) {
	region := TableByName("base_region")
	old := Row{Str("1"), Str("华北")}
	tx := &Txn{TS: 1_700_000_000_999, Xid: 7, Changes: []Change{
		{Table: region, Type: TypeUpdate, Data: Row{Str("1"), Str(`华北"区`)}, Old: old},
	}}
	want := `{"database":"gmall","table":"base_region","type":"update","ts":1700000000,"xid":7,"commit":true,"data":{"id":"1","region_name":"华北\"区"},"old":{"region_name":"华北"}}`
	if got := string(tx.AppendMaxwell(nil, 0)); got != want {
		t.Errorf("maxwell:\n got %s\nwant %s", got, want)
	}
	if got, want := string(tx.Changes[0].AppendKey(nil)), `{"database":"gmall","table":"base_region","pk.id":"1"}`; got != want {
		t.Errorf("key: got %s want %s", got, want)
	}
	if got, want := string(tx.Changes[0].AppendSQL(nil)), "UPDATE `base_region` SET `region_name`='华北\"区' WHERE `id`='1'"; got != want {
		t.Errorf("sql: got %s want %s", got, want)
	}

	// Decimals keep their column's scale; integers and NULL as is; a
	// transaction's rows carry xoffset until the last, which commits.
	rule := TableByName("activity_rule")
	r := Row{Int(5), Int(3), Str("3102"), Null(), Int(3), Null(), Dec(800), Int(2)}
	sku := TableByName("sku_info")
	s := sku.NewRow()
	s[sku.Col("id")], s[sku.Col("price")], s[sku.Col("weight")], s[sku.Col("is_sale")] = Int(1), Dec(399900), Dec(19), Int(1)
	tx = &Txn{TS: 2000, Xid: 9, Changes: []Change{{Table: rule, Type: TypeInsert, Data: r}, {Table: sku, Type: TypeDelete, Data: s}}}
	want0 := `{"database":"gmall","table":"activity_rule","type":"insert","ts":2,"xid":9,"xoffset":0,"data":{"id":5,"activity_id":3,"activity_type":"3102","condition_amount":null,"condition_num":3,"benefit_amount":null,"benefit_discount":8.00,"benefit_level":2}}`
	if got := string(tx.AppendMaxwell(nil, 0)); got != want0 {
		t.Errorf("insert:\n got %s\nwant %s", got, want0)
	}
	got1 := string(tx.AppendMaxwell(nil, 1))
	if !strings.HasPrefix(got1, `{"database":"gmall","table":"sku_info","type":"delete","ts":2,"xid":9,"commit":true,"data":{"id":1,"spu_id":null,"price":3999,`) ||
		!strings.Contains(got1, `"weight":0.19,`) || !strings.Contains(got1, `"is_sale":1,`) {
		t.Errorf("delete: %s", got1)
	}
	if got, want := string(tx.Changes[1].AppendSQL(nil)), "DELETE FROM `sku_info` WHERE `id`=1"; got != want {
		t.Errorf("sql: got %s want %s", got, want)
	}
	boot := &Txn{TS: 5000, Bootstrap: true, Changes: []Change{{Table: region, Type: TypeBootstrapStart}, {Table: region, Type: TypeBootstrapInsert, Data: old}}}
	if got, want := string(boot.AppendMaxwell(nil, 0)), `{"database":"gmall","table":"base_region","type":"bootstrap-start","ts":5,"data":{}}`; got != want {
		t.Errorf("bootstrap-start: got %s want %s", got, want)
	}
	if got, want := string(boot.AppendMaxwell(nil, 1)), `{"database":"gmall","table":"base_region","type":"bootstrap-insert","ts":5,"data":{"id":"1","region_name":"华北"}}`; got != want {
		t.Errorf("bootstrap-insert: got %s want %s", got, want)
	}
}

func TestSchemaAndSeed(t *testing.T) {
	// Every table SPEC reads exists with the columns its jobs use.
	for table, cols := range map[string]string{
		"sku_info":              "id,spu_id,price,sku_name,sku_desc,weight,tm_id,category3_id,sku_default_img,is_sale,create_time",
		"spu_info":              "id,spu_name,description,category3_id,tm_id",
		"base_province":         "id,name,region_id,area_code,iso_code,iso_3166_2",
		"user_info":             "id,login_name,name,user_level,birthday,gender,create_time,operate_time",
		"order_detail":          "id,order_id,sku_id,sku_name,order_price,sku_num,create_time,split_total_amount,split_activity_amount,split_coupon_amount",
		"order_info":            "id,user_id,province_id,order_status,create_time,operate_time,total_amount,activity_reduce_amount,coupon_reduce_amount,original_total_amount",
		"payment_info":          "id,order_id,user_id,payment_type,payment_status,create_time,callback_time,total_amount",
		"order_refund_info":     "id,user_id,order_id,sku_id,refund_type,refund_num,refund_amount,refund_reason_type,refund_reason_txt,refund_status,create_time",
		"refund_payment":        "id,order_id,sku_id,payment_type,refund_status,callback_time,total_amount",
		"coupon_use":            "id,coupon_id,user_id,order_id,coupon_status,get_time,using_time,used_time",
		"favor_info":            "id,user_id,sku_id,create_time",
		"cart_info":             "id,user_id,sku_id,sku_num,create_time",
		"comment_info":          "id,user_id,sku_id,appraise,comment_txt,create_time",
		"order_detail_activity": "id,order_id,order_detail_id,activity_id,activity_rule_id,sku_id",
		"order_detail_coupon":   "id,order_id,order_detail_id,coupon_id,coupon_use_id,sku_id",
	} {
		tb := TableByName(table)
		if tb == nil {
			t.Errorf("table %s missing", table)
			continue
		}
		for _, c := range strings.Split(cols, ",") {
			if _, ok := tb.idx[c]; !ok {
				t.Errorf("%s.%s missing", table, c)
			}
		}
	}
	counts := map[string]int{}
	dic := map[string]bool{}
	for _, st := range Seed() {
		counts[st.Table.Name] = len(st.Rows)
		if st.Table.Name == "base_dic" {
			for _, r := range st.Rows {
				dic[r[0].String()] = true
			}
		}
	}
	if counts["base_province"] != 34 || counts["base_region"] != 7 || counts["sku_info"] != 35 ||
		counts["base_category1"] == 0 || counts["base_category2"] == 0 || counts["base_category3"] == 0 {
		t.Errorf("seed counts: %v", counts)
	}
	for _, code := range strings.Fields("0701 0702 0705 1001 1002 1003 1004 1005 1006 1101 1102 1103 1201 1202 1203 1204 1301 1307 1401 1402 1403 1501 1502 1601 1602 3101 3102 3201 3203 3301 3302 3303 3501") {
		if !dic[code] {
			t.Errorf("base_dic lacks %s", code)
		}
	}
	// Config rows: 16 dimensions with columns of their tables, 4 facts.
	dims, dwd := 0, 0
	for _, s := range Statements(SQLFile(ConfigSQLFile)) {
		m := regexp.MustCompile("^INSERT INTO `(table_process_\\w+)` VALUES \\((.*)\\)$").FindStringSubmatch(s)
		if m == nil {
			continue
		}
		lits, err := splitLiterals(m[2])
		if err != nil {
			t.Fatal(err)
		}
		table, cols := lits[0].text, lits[3].text
		if m[1] == "table_process_dim" {
			dims++
			if lits[1].text != "dim_"+table {
				t.Errorf("sink of %s is %s", table, lits[1].text)
			}
		} else {
			dwd++
		}
		tb := TableByName(table)
		if tb == nil {
			t.Errorf("config row for unknown table %s", table)
			continue
		}
		for _, c := range strings.Split(cols, ",") {
			if _, ok := tb.idx[c]; !ok {
				t.Errorf("config: %s has no column %s", table, c)
			}
		}
	}
	if dims != 16 || dwd != 4 {
		t.Errorf("config rows: %d dim, %d dwd; want 16 and 4", dims, dwd)
	}
}

func TestShopDeterminism(t *testing.T) {
	cfg := ShopConfig{Seed: 42, Sessions: 1500, Bootstrap: true, Disorder: 3 * time.Second}
	db1, log1, _ := runShop(t, cfg)
	db2, log2, _ := runShop(t, cfg)
	if !bytes.Equal(db1, db2) || !bytes.Equal(log1, log2) {
		t.Fatal("two runs with the same config differ")
	}
	cfg.Seed = 43
	db3, log3, _ := runShop(t, cfg)
	if bytes.Equal(db1, db3) || bytes.Equal(log1, log3) {
		t.Fatal("different seeds give the same output")
	}
}

// day is one simulated day, parsed independently with encoding/json.
type day struct {
	db  []map[string]any
	log []map[string]any
	st  *Stats
}

var (
	dayOnce sync.Once
	dayVal  *day
)

const daySessions = 20000

func simulatedDay(t *testing.T) *day {
	dayOnce.Do(func() {
		db, log, st := runShop(t, ShopConfig{Seed: 7, Sessions: daySessions, Users: 2000, Bootstrap: true})
		d := &day{st: st}
		for _, part := range []struct {
			b   []byte
			dst *[]map[string]any
		}{{db, &d.db}, {log, &d.log}} {
			sc := bufio.NewScanner(bytes.NewReader(part.b))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				dec.UseNumber()
				var m map[string]any
				if err := dec.Decode(&m); err != nil {
					t.Fatalf("line does not parse: %v: %s", err, sc.Text())
				}
				*part.dst = append(*part.dst, m)
			}
		}
		dayVal = d
	})
	if dayVal == nil {
		t.Fatal("simulated day failed")
	}
	return dayVal
}

var datetimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// cents parses a decimal JSON number into hundredths.
func cents(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("not a number: %#v", v)
	}
	whole, frac, _ := strings.Cut(n.String(), ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return w*100 + f
}

func str(v any) string { s, _ := v.(string); return s }

func num(v any) int64 {
	n, _ := v.(json.Number)
	i, _ := n.Int64()
	return i
}

func parseDT(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		t.Fatalf("datetime %q: %v", s, err)
	}
	return tm
}

func TestShopLogLines(t *testing.T) {
	d := simulatedDay(t)
	var lastTS int64
	for i, m := range d.log {
		common, _ := m["common"].(map[string]any)
		if common == nil || !strings.HasPrefix(str(common["mid"]), "mid_") || str(common["sid"]) == "" {
			t.Fatalf("log %d: no common.mid/sid: %v", i, m)
		}
		ts := num(m["ts"])
		if ts == 0 {
			t.Fatalf("log %d: no ts", i)
		}
		if ts < lastTS {
			t.Fatalf("log %d: ts %d after %d: not in event-time order", i, ts, lastTS)
		}
		lastTS = ts
		_, hasStart := m["start"]
		_, hasPage := m["page"]
		if hasStart == hasPage {
			t.Fatalf("log %d: want exactly one of start and page: %v", i, m)
		}
	}
}

// TestShopLifecycle replays the day's topic_db and checks the business
// invariants of SPEC §6.
func TestShopLifecycle(t *testing.T) {
	d := simulatedDay(t)
	allowed := map[string]bool{"1001>1002": true, "1001>1003": true, "1002>1004": true, "1002>1005": true, "1005>1006": true}
	type ord struct {
		status, created          string
		history                  []string
		orig, act, coup, total   int64
		sumOrig, sumAct, sumCoup int64
		sumTotal                 int64
		paidXid                  int64
		refunds                  int
	}
	orders := map[int64]*ord{}
	payCreated := map[int64]string{}   // payment id -> create_time
	paySuccessXid := map[int64]int64{} // order id -> xid of its 1602
	refundStatus := map[int64]string{}
	refundOrder := map[int64]int64{}
	var lastTS, lastXid int64
	var prevCommitted = true
	for i, m := range d.db {
		table, typ := str(m["table"]), str(m["type"])
		tb := TableByName(table)
		if str(m["database"]) != "gmall" || tb == nil {
			t.Fatalf("record %d: database/table %v", i, m)
		}
		ts := num(m["ts"])
		if ts < lastTS {
			t.Fatalf("record %d: ts %d after %d", i, ts, lastTS)
		}
		lastTS = ts
		data, _ := m["data"].(map[string]any)
		if strings.HasPrefix(typ, "bootstrap") {
			if typ == "bootstrap-insert" && len(data) != len(tb.Cols) {
				t.Fatalf("record %d: bootstrap row has %d columns", i, len(data))
			}
			continue
		}
		xid := num(m["xid"])
		_, commit := m["commit"]
		if prevCommitted && xid <= lastXid || !prevCommitted && xid != lastXid {
			t.Fatalf("record %d: xid %d after %d (previous committed: %v)", i, xid, lastXid, prevCommitted)
		}
		lastXid, prevCommitted = xid, commit
		// data has every column, typed as the DDL says; old only changes.
		if len(data) != len(tb.Cols) {
			t.Fatalf("record %d: %d columns, table has %d", i, len(data), len(tb.Cols))
		}
		for _, c := range tb.Cols {
			v, ok := data[c.Name]
			if !ok {
				t.Fatalf("record %d: column %s missing", i, c.Name)
			}
			if v == nil {
				continue
			}
			switch c.Kind {
			case KindInt:
				if n, ok := v.(json.Number); !ok || strings.Contains(n.String(), ".") {
					t.Fatalf("record %d: %s.%s = %#v, want an integer", i, table, c.Name, v)
				}
			case KindDecimal:
				n, ok := v.(json.Number)
				_, frac, _ := strings.Cut(string(n), ".")
				if !ok || len(frac) != c.Scale {
					t.Fatalf("record %d: %s.%s = %#v, want a number with %d decimals", i, table, c.Name, v, c.Scale)
				}
			case KindDatetime:
				if !datetimeRE.MatchString(str(v)) {
					t.Fatalf("record %d: %s.%s = %#v, want yyyy-MM-dd HH:mm:ss", i, table, c.Name, v)
				}
			default:
				if _, ok := v.(string); !ok {
					t.Fatalf("record %d: %s.%s = %#v, want a string", i, table, c.Name, v)
				}
			}
		}
		old, hasOld := m["old"].(map[string]any)
		if (typ == "update") != hasOld || hasOld && len(old) == 0 {
			t.Fatalf("record %d: type %s with old %v", i, typ, m["old"])
		}
		for k, v := range old {
			if dv, ok := data[k]; !ok || dv == v {
				t.Fatalf("record %d: old.%s = %v is not a changed column (data %v)", i, k, v, dv)
			}
		}

		id := num(data["id"])
		switch table {
		case "order_info":
			s := str(data["order_status"])
			if typ == "insert" {
				if s != "1001" {
					t.Fatalf("order %d created in status %s", id, s)
				}
				orders[id] = &ord{status: s, created: str(data["create_time"]), history: []string{s},
					orig: cents(t, data["original_total_amount"]), act: cents(t, data["activity_reduce_amount"]),
					coup: cents(t, data["coupon_reduce_amount"]), total: cents(t, data["total_amount"])}
				continue
			}
			o := orders[id]
			if o == nil {
				t.Fatalf("update of unknown order %d", id)
			}
			if os, ok := old["order_status"]; ok {
				if str(os) != o.status || !allowed[o.status+">"+s] {
					t.Fatalf("order %d: transition %v -> %s (tracked %s) not in SPEC §6", id, os, s, o.status)
				}
				switch s {
				case "1002":
					o.paidXid = xid
				case "1003":
					if dt := parseDT(t, str(data["operate_time"])).Sub(parseDT(t, o.created)); dt > 30*time.Minute {
						t.Fatalf("order %d cancelled %s after creation", id, dt)
					}
				}
				o.status = s
				o.history = append(o.history, s)
			}
		case "order_detail":
			o := orders[num(data["order_id"])]
			if o == nil || typ != "insert" {
				t.Fatalf("order_detail %d: %s of unknown order", id, typ)
			}
			orig := cents(t, data["order_price"]) * num(data["sku_num"])
			act, coup, tot := cents(t, data["split_activity_amount"]), cents(t, data["split_coupon_amount"]), cents(t, data["split_total_amount"])
			if tot != orig-act-coup || tot < 0 || act < 0 || coup < 0 {
				t.Fatalf("order_detail %d: split %d != %d - %d - %d", id, tot, orig, act, coup)
			}
			o.sumOrig += orig
			o.sumAct += act
			o.sumCoup += coup
			o.sumTotal += tot
		case "payment_info":
			switch typ {
			case "insert":
				if str(data["payment_status"]) != "1601" {
					t.Fatalf("payment %d created as %s", id, data["payment_status"])
				}
				payCreated[id] = str(data["create_time"])
			case "update":
				if str(data["payment_status"]) != "1602" || str(old["payment_status"]) != "1601" {
					t.Fatalf("payment %d: %v -> %v", id, old["payment_status"], data["payment_status"])
				}
				dt := parseDT(t, str(data["callback_time"])).Sub(parseDT(t, payCreated[id]))
				if dt != 20*time.Second {
					t.Fatalf("payment %d: callback %s after creation, want 20s", id, dt)
				}
				paySuccessXid[num(data["order_id"])] = xid
			}
		case "order_refund_info":
			if typ == "insert" {
				o := orders[num(data["order_id"])]
				if o == nil || len(o.history) < 3 || o.history[1] != "1002" || o.status != "1005" {
					t.Fatalf("refund %d of an order that was not paid: %+v", id, o)
				}
				o.refunds++
				refundStatus[id], refundOrder[id] = str(data["refund_status"]), num(data["order_id"])
				if refundStatus[id] != "0701" {
					t.Fatalf("refund %d created as %s", id, refundStatus[id])
				}
			} else {
				from, to := str(old["refund_status"]), str(data["refund_status"])
				if from != refundStatus[id] || !(from == "0701" && to == "0702" || from == "0702" && to == "0705") {
					t.Fatalf("refund %d: %s -> %s", id, from, to)
				}
				refundStatus[id] = to
			}
		}
	}
	var paid, cancelled, refunded, finished int
	for id, o := range orders {
		if o.sumOrig != o.orig || o.sumAct != o.act || o.sumCoup != o.coup || o.sumTotal != o.total || o.total != o.orig-o.act-o.coup {
			t.Fatalf("order %d: amounts %d-%d-%d=%d, lines sum %d-%d-%d=%d", id, o.orig, o.act, o.coup, o.total, o.sumOrig, o.sumAct, o.sumCoup, o.sumTotal)
		}
		if o.paidXid != 0 && paySuccessXid[id] != o.paidXid {
			t.Fatalf("order %d paid without a payment_info 1602 in the same transaction", id)
		}
		switch o.status {
		case "1003":
			cancelled++
		case "1004":
			finished++
		case "1006":
			refunded++
		default:
			t.Fatalf("order %d ends the run in status %s (history %v)", id, o.status, o.history)
		}
		if o.paidXid != 0 {
			paid++
		}
	}
	for id, s := range refundStatus {
		if s != "0705" || orders[refundOrder[id]].status != "1006" {
			t.Fatalf("refund %d ends as %s, order %s", id, s, orders[refundOrder[id]].status)
		}
	}
	// Half the paid orders refund (SPEC §6); 5 sigma of a binomial.
	if n := float64(paid); paid < 1000 || math.Abs(float64(refunded)/n-0.5) > 5*math.Sqrt(0.25/n) {
		t.Fatalf("%d paid orders, %d refunded, %d finished, %d cancelled", paid, refunded, finished, cancelled)
	}
	t.Logf("%d orders: %d paid (%d refunded, %d finished), %d cancelled", len(orders), paid, refunded, finished, cancelled)
}

// within checks an observed share against an expected probability, with a
// tolerance of 4.5 binomial standard deviations (fixed seed: no flakiness;
// the bound documents how close the simulator is).
func within(t *testing.T, what string, count, n int, p float64) {
	t.Helper()
	if n == 0 {
		t.Fatalf("%s: no samples", what)
	}
	got := float64(count) / float64(n)
	tol := 4.5 * math.Sqrt(p*(1-p)/float64(n))
	if math.Abs(got-p) > tol {
		t.Errorf("%s: %.4f of %d, want %.4f ± %.4f", what, got, n, p, tol)
	}
}

func TestShopDistributions(t *testing.T) {
	d := simulatedDay(t)
	pay := map[string]int{}
	appraise := map[string]int{}
	var pays, comments int
	for _, m := range d.db {
		data, _ := m["data"].(map[string]any)
		switch {
		case m["table"] == "payment_info" && m["type"] == "insert":
			pay[str(data["payment_type"])]++
			pays++
		case m["table"] == "comment_info" && m["type"] == "insert":
			appraise[str(data["appraise"])]++
			comments++
		}
	}
	for code, p := range map[string]float64{"1101": 0.4, "1102": 0.5, "1103": 0.1} {
		within(t, "payment type "+code, pay[code], pays, p)
	}
	for code, p := range map[string]float64{"1201": 80.0 / 95, "1202": 10.0 / 95, "1203": 4.0 / 95, "1204": 1.0 / 95} {
		within(t, "appraise "+code, appraise[code], comments, p)
	}

	errs := 0
	paths := map[string]string{} // sid -> page path
	var order []string
	for _, m := range d.log {
		if m["err"] != nil {
			errs++
		}
		sid := str(m["common"].(map[string]any)["sid"])
		page, _ := m["page"].(map[string]any)
		if page == nil {
			order = append(order, sid)
			continue
		}
		if paths[sid] != "" {
			paths[sid] += ","
		}
		paths[sid] += str(page["page_id"])
	}
	within(t, "logs with err", errs, len(d.log), 0.03)
	if int64(errs) != d.st.ErrLogs || int64(len(d.log)) != d.st.Logs {
		t.Errorf("stats say %d logs, %d with err; the output has %d, %d", d.st.Logs, d.st.ErrLogs, len(d.log), errs)
	}
	// The weighted page paths of the gmall mock (mock-log-path.json).
	want := map[string]float64{
		"home,good_list,good_detail,cart,trade,payment":                          20,
		"home,search,good_list,good_detail,login,good_detail,cart,trade,payment": 50,
		"home,mine,orders_unpaid,trade,payment":                                  10,
		"home,mine,orders_unpaid,good_detail,good_spec,comment,trade,payment":    5,
		"home,mine,orders_unpaid,good_detail,good_spec,comment,home":             5,
		"home,good_detail": 70,
		"home":             10,
	}
	got := map[string]int{}
	for _, sid := range order {
		got[paths[sid]]++
	}
	if len(order) != daySessions {
		t.Errorf("%d sessions started, want %d", len(order), daySessions)
	}
	for p, w := range want {
		within(t, "path "+p, got[p], len(order), w/170)
		delete(got, p)
	}
	if len(got) > 0 {
		t.Errorf("paths not in the gmall mock: %v", got)
	}
}

func TestShopDisorder(t *testing.T) {
	_, log, _ := runShop(t, ShopConfig{Seed: 3, Sessions: 3000, Disorder: 2 * time.Second})
	var maxTS int64
	late := 0
	for _, line := range bytes.Split(bytes.TrimSpace(log), []byte("\n")) {
		var m struct{ TS int64 }
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		if m.TS < maxTS {
			late++
			if maxTS-m.TS > 2000 {
				t.Fatalf("a log is %d ms late, more than the 2 s asked", maxTS-m.TS)
			}
		}
		maxTS = max(maxTS, m.TS)
	}
	if late == 0 {
		t.Fatal("--disorder gave no out-of-order log")
	}
}
