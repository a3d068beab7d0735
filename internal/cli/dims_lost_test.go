package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/testenv"
)

// dimsLostDump is every key of a Redis db: strings and hashes as text.
func dimsLostDump(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch typ {
		case "string":
			out[k], err = c.Get(ctx, k).Result()
		case "hash":
			var h map[string]string
			h, err = c.HGetAll(ctx, k).Result()
			out[k] = fmt.Sprint(h) // fmt sorts map keys
		default:
			t.Fatalf("key %s is a %s", k, typ)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// dimsLostRows keeps the dump's dimension rows and table registry
// (<prefix>dim:...), not the write sequences or the marker.
func dimsLostRows(d map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range d {
		if strings.HasPrefix(k, "gmall:dim:") {
			out[k] = v
		}
	}
	return out
}

// Issue 16 case 5: a Redis dimension store that loses its keys (FLUSHALL:
// a Redis restarted without persistence) is rebuilt from topic_db when
// the warehouse starts: dim_app is reset to the start of topic_db and
// writes the same rows again. A run without loss replays nothing.
func TestDimRedisLostIsRebuilt(t *testing.T) {
	ctx := context.Background()
	addr := testenv.Redis(t)
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rtdw.yaml")
	yaml := "checkpoint_interval: 50ms\nhttp_addr: \"\"\ndim:\n  kind: redis\n  redis: {addr: \"" + addr + "\", key_prefix: \"gmall:\"}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rt := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := Main(append([]string{"--data-dir", dir, "--config", cfg}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, errs := rt("mock", "--date", "2024-06-01", "--sessions", "30", "--seed", "3", "--progress", "0"); code != 0 {
		t.Fatalf("mock: exit %d: %s", code, errs)
	}
	drain := func() string {
		t.Helper()
		code, _, errs := rt("run", "--jobs", "dim_app", "--drain", "--progress", "0")
		if code != 0 {
			t.Fatalf("run --jobs dim_app --drain: exit %d: %s", code, errs)
		}
		return errs
	}
	list := func() string {
		t.Helper()
		code, out, errs := rt("dim", "list")
		if code != 0 {
			t.Fatalf("dim list: exit %d: %s", code, errs)
		}
		return out
	}
	committed := func() string {
		t.Helper()
		code, out, errs := rt("job", "describe", "dim_app")
		if code != 0 || !regexp.MustCompile(`(?m)^total\s+0$`).MatchString(out) {
			t.Fatalf("job describe dim_app: exit %d\n%s%s", code, out, errs)
		}
		// topic_db's lines (a replay appends to the repartition topic).
		return strings.Join(regexp.MustCompile(`(?m)^topic_db\s.*$`).FindAllString(out, -1), "\n")
	}
	const rebuilt = "dimension store lost its keys though dim_app wrote them: rebuilding it from topic_db"

	if errs := drain(); strings.Contains(errs, "lost its keys") {
		t.Fatalf("the first run found a lost store:\n%s", errs)
	}
	wantList, wantOffsets := list(), committed()
	if strings.Count(wantOffsets, "topic_db") != 4 {
		t.Fatalf("dim_app's topic_db offsets:\n%s", wantOffsets)
	}
	first := dimsLostDump(t, rc)
	want := dimsLostRows(first)
	if n := strings.Count(wantList, "\n"); n < 5 || len(want) < 100 {
		t.Fatalf("dim_app wrote %d keys in %d tables:\n%s", len(want), n-1, wantList)
	}
	if first["gmall:dim_app:loaded"] == "" {
		t.Fatalf("no marker gmall:dim_app:loaded after the first run: %d keys", len(first))
	}
	_, sku, _ := rt("dim", "get", "dim_sku_info", "1")
	if !strings.Contains(sku, `"id":1,`) {
		t.Fatalf("dim get dim_sku_info 1: %q", sku)
	}

	// No loss: nothing is reset or replayed. A replay would write every
	// row again with a new epoch, changing the write sequences.
	if errs := drain(); strings.Contains(errs, "lost its keys") {
		t.Fatalf("a run without loss rebuilt the store:\n%s", errs)
	}
	if got := dimsLostDump(t, rc); fmt.Sprint(got) != fmt.Sprint(first) {
		t.Fatal("a run without loss rewrote the store")
	}
	if got := committed(); got != wantOffsets {
		t.Fatalf("a run without loss moved dim_app's offsets:\n%s\nwant\n%s", got, wantOffsets)
	}

	// FLUSHALL: the rows come back from topic_db, the same.
	seqs, err := rc.HGetAll(ctx, "gmall:dimseq:dim_sku_info").Result()
	if err != nil || len(seqs) == 0 {
		t.Fatalf("dim_sku_info's write sequences: %v, %v", seqs, err)
	}
	if err := rc.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if errs := drain(); !strings.Contains(errs, rebuilt) {
		t.Fatalf("the run after FLUSHALL did not say it rebuilt the store:\n%s", errs)
	}
	again := dimsLostDump(t, rc)
	if got := dimsLostRows(again); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the rebuild: %d keys, want the first run's %d", len(got), len(want))
	}
	if got := list(); got != wantList {
		t.Fatalf("dim list after the rebuild:\n%s\nwant\n%s", got, wantList)
	}
	if _, got, _ := rt("dim", "get", "dim_sku_info", "1"); got != sku {
		t.Fatalf("dim get dim_sku_info 1 after the rebuild: %q, want %q", got, sku)
	}
	// The reset cleared dim_app's state: its writes have a new epoch
	// (from the clock), above the lost store's.
	for k, seq := range seqs {
		if got := rc.HGet(ctx, "gmall:dimseq:dim_sku_info", k).Val(); got <= seq {
			t.Fatalf("dim_sku_info %s: sequence %s after the rebuild, %s before", k, got, seq)
		}
	}
	if again["gmall:dim_app:loaded"] == "" {
		t.Fatal("no marker after the rebuild")
	}
	if got := committed(); got != wantOffsets {
		t.Fatalf("dim_app's offsets after the rebuild:\n%s\nwant\n%s", got, wantOffsets)
	}
	if errs := drain(); strings.Contains(errs, "lost its keys") {
		t.Fatalf("the run after the rebuild rebuilt again:\n%s", errs)
	}

	// A crash after the reset committed but before the marker was set:
	// dim_app is at the start of topic_db, the marker missing. The run
	// sets it and dim_app replays, without another reset.
	if err := rc.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := rt("job", "reset", "dim_app", "--to-earliest"); code != 0 {
		t.Fatalf("job reset: exit %d: %s", code, errs)
	}
	if errs := drain(); strings.Contains(errs, "lost its keys") {
		t.Fatalf("a run from the start of topic_db reset dim_app again:\n%s", errs)
	}
	if got := dimsLostRows(dimsLostDump(t, rc)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the replay: %d keys, want %d", len(got), len(want))
	}

	// The marker alone missing (a store written before markers existed):
	// the rows are there, so nothing is replayed; the marker is set.
	before := dimsLostDump(t, rc)
	if err := rc.Del(ctx, "gmall:dim_app:loaded").Err(); err != nil {
		t.Fatal(err)
	}
	if errs := drain(); strings.Contains(errs, "lost its keys") {
		t.Fatalf("a store without its marker but with its rows was rebuilt:\n%s", errs)
	}
	after := dimsLostDump(t, rc)
	if after["gmall:dim_app:loaded"] == "" {
		t.Fatal("the marker was not set again")
	}
	delete(after, "gmall:dim_app:loaded")
	delete(before, "gmall:dim_app:loaded")
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("a store without its marker but with its rows was rewritten")
	}
}

// On Kafka a lost store is rebuilt only while no worker runs dim_app:
// with workers in its group the starting worker warns and leaves the
// marker missing; once they are gone, it resets dim_app (offsets to the
// start of topic_db, its changelogs deleted) and sets the marker.
func TestDimRedisLostOnKafka(t *testing.T) {
	ctx := context.Background()
	const changelog = "_rtdw-dim_app-write_dims-changelog"
	c, _, adm := kfakeGroupAt(t, map[string]int32{"topic_db": 2, changelog: 2}, "topic_db", 10, "rtdw-dim_app", 5)
	k := KafkaConfig{Brokers: c.ListenAddrs()}
	if err := k.validate(); err != nil {
		t.Fatal(err)
	}
	l, err := k.open()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := dim.OpenRedis(dim.RedisOptions{Addr: testenv.Redis(t), KeyPrefix: "gmall:"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	marked := func() bool {
		t.Helper()
		ok, err := s.HasMarker(ctx, dimsLoadedMarker)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	committed := func() map[rlog.TopicPartition]int64 {
		t.Helper()
		got, err := l.GroupOffsets(ctx, "rtdw-dim_app")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	member := testenv.JoinGroup(t, c.ListenAddrs(), "rtdw-dim_app", "topic_db", kgo.DisableAutoCommit())
	done, err := rebuildLostDims(ctx, l, "rtdw-", s, logger)
	if err != nil || done {
		t.Fatalf("with a worker in the group: rebuilt %v, %v", done, err)
	}
	if !strings.Contains(logs.String(), "stop them and run `rtdw job reset dim_app --to-earliest`") || marked() {
		t.Fatalf("with a worker in the group: marker %v, logs:\n%s", marked(), logs.String())
	}
	if got := committed(); got[rlog.TopicPartition{Topic: "topic_db"}] != 5 {
		t.Fatalf("with a worker in the group the offsets moved: %v", got)
	}

	member.Close() // leaves the group
	logs.Reset()
	done, err = rebuildLostDims(ctx, l, "rtdw-", s, logger)
	if err != nil || !done || !strings.Contains(logs.String(), "rebuilding it from topic_db") || !marked() {
		t.Fatalf("without workers: rebuilt %v, %v, marker %v, logs:\n%s", done, err, marked(), logs.String())
	}
	for tp, off := range committed() {
		if tp.Topic == "topic_db" && off != 0 {
			t.Errorf("%s committed %d after the rebuild, want 0", tp, off)
		}
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has(changelog) {
		t.Fatalf("dim_app's changelog survived the reset: %v", topics.Names())
	}

	logs.Reset()
	if done, err := rebuildLostDims(ctx, l, "rtdw-", s, logger); err != nil || done || logs.Len() > 0 {
		t.Fatalf("marked store: rebuilt %v, %v, logs:\n%s", done, err, logs.String())
	}
}
