package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/testenv"
)

// fillDims writes two tables the way dim_app would.
func fillDims(t *testing.T, s dim.Store) {
	t.Helper()
	ctx := context.Background()
	for _, err := range []error{
		s.CreateTable(ctx, dim.Table{Name: "dim_base_dic", Columns: []string{"dic_code", "dic_name"}, RowKey: "dic_code"}),
		s.CreateTable(ctx, dim.Table{Name: "dim_sku_info", Columns: []string{"id", "sku_name", "price"}, RowKey: "id"}),
		s.Put(ctx, "dim_base_dic", "1101", []byte(`{"dic_code":"1101","dic_name":"未支付","parent_code":"11"}`)),
		s.Put(ctx, "dim_base_dic", "1102", []byte(`{"dic_code":"1102","dic_name":"已支付"}`)),
		s.Put(ctx, "dim_sku_info", "12", []byte(`{"id":"12","sku_name":"Redmi 10X","price":"1299.0"}`)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func checkDimCommands(t *testing.T, base ...string) {
	t.Helper()
	cmd := func(a ...string) []string { return append(append([]string(nil), base...), a...) }
	code, out, stderr := run(t, "", cmd("dim", "list")...)
	want := "" +
		"TABLE         ROW_KEY   ROWS  COLUMNS\n" +
		"dim_base_dic  dic_code  2     dic_code,dic_name\n" +
		"dim_sku_info  id        1     id,sku_name,price\n"
	if code != 0 || out != want {
		t.Fatalf("dim list: exit %d, stderr %s\n got:\n%s\nwant:\n%s", code, stderr, out, want)
	}
	code, out, stderr = run(t, "", cmd("dim", "get", "dim_base_dic", "1101")...)
	if code != 0 || out != `{"dic_code":"1101","dic_name":"未支付"}`+"\n" {
		t.Fatalf("dim get: exit %d, out %q, stderr %s", code, out, stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{cmd("dim", "get", "dim_base_dic", "9999"), 1, `dim dim_base_dic: no row with key "9999"`},
		{cmd("dim", "get", "dim_nope", "1"), 1, "dim dim_nope: no such table (tables: dim_base_dic, dim_sku_info)"},
		{cmd("dim", "get", "dim_nope"), 2, "accepts 2 arg"},
	} {
		code, out, stderr := run(t, "", c.args...)
		if code != c.code || out != "" || !strings.Contains(stderr, c.msg) {
			t.Errorf("rtdw %s: exit %d (want %d), out %q, stderr %q (want %q)", strings.Join(c.args, " "), code, c.code, out, stderr, c.msg)
		}
	}
}

func TestDimCommandsEmbedded(t *testing.T) {
	dir := t.TempDir()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := dim.OpenPebble(l.StateStore())
	if err != nil {
		t.Fatal(err)
	}
	fillDims(t, s)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkDimCommands(t, "--data-dir", dir)
}

func TestDimCommandsRedis(t *testing.T) {
	addr := testenv.Redis(t)
	s, err := dim.OpenRedis(dim.RedisOptions{Addr: addr, KeyPrefix: "gmall:"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillDims(t, s)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rtdw.yaml")
	yaml := "dim:\n  kind: redis\n  redis: {addr: \"" + addr + "\", key_prefix: \"gmall:\", password_env: RTDW_TEST_REDIS_PW}\n  cache: {size: 100, ttl: 1m}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RTDW_TEST_REDIS_PW", "") // no password on the test server
	checkDimCommands(t, "--data-dir", dir, "--config", cfg)
}

func TestDimConfigErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ yaml, msg string }{
		{"dim: {kind: hbase}", `dim.kind: "hbase" is not embedded or redis`},
		{"dim: {kind: redis}", "dim.redis.addr: required"},
		{"dim: {kind: redis, redis: {addr: x, db: -1}}", "dim.redis.db: -1"},
		{"dim: {kind: redis, redis: {addr: x, password: a, password_env: B}}", "dim.redis.password and dim.redis.password_env"},
		{"dim: {cache: {size: -5}}", "dim.cache.size: -5"},
		{"dim: {cache: {ttl: -1m}}", "dim.cache.ttl: -1m0s"},
		{"dim: {kind: redis, redis: {addr: x, password_env: RTDW_TEST_UNSET_PW}}", "dim.redis.password_env: $RTDW_TEST_UNSET_PW is not set"},
	} {
		cfg := filepath.Join(dir, "rtdw.yaml")
		if err := os.WriteFile(cfg, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := run(t, "", "--data-dir", dir, "--config", cfg, "dim", "list")
		if code == 0 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%s: exit %d, stderr %q, want it to mention %q", c.yaml, code, stderr, c.msg)
		}
	}
}
