package dwd

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/stream"
)

var pkRE = regexp.MustCompile(`"(sink_table|id)":"?([^",}]+)`)

// produceTopicDB appends topic_db lines keyed by primary key, as the
// binlog reader does (config rows by sink_table).
func produceTopicDB(t *testing.T, l rlog.Log, lines ...string) {
	t.Helper()
	var recs []rlog.Record
	for _, line := range lines {
		var key []byte
		if m := pkRE.FindStringSubmatch(line); m != nil {
			key = []byte(m[2])
		}
		recs = append(recs, rlog.Record{Topic: FactInput, Partition: rlog.AutoPartition, Key: key, Value: []byte(line)})
	}
	if err := l.Produce(context.Background(), recs...); err != nil {
		t.Fatal(err)
	}
}

func openTopicDB(t *testing.T) *embedded.Log {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(context.Background(), FactInput, rlog.TopicConfig{Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	return l
}

// produceTopicDBHeaders is produceTopicDB with the topic_db headers of
// header mode mode (see headerModes).
func produceTopicDBHeaders(t *testing.T, l rlog.Log, mode string, lines ...string) {
	t.Helper()
	var in []factInput
	for _, line := range lines {
		in = append(in, factInput{value: []byte(line)})
	}
	in = withGoldenHeaders(in, mode)
	var recs []rlog.Record
	for i, line := range lines {
		var key []byte
		if m := pkRE.FindStringSubmatch(line); m != nil {
			key = []byte(m[2])
		}
		recs = append(recs, rlog.Record{Topic: FactInput, Partition: rlog.AutoPartition, Key: key, Value: []byte(line), Headers: in[i].headers})
	}
	if err := l.Produce(context.Background(), recs...); err != nil {
		t.Fatal(err)
	}
}

func TestBaseDBGolden(t *testing.T) {
	for _, c := range readGolden(t, "testdata/base_db.txt") {
		for _, mode := range headerModes {
			t.Run(c.name+"/"+mode, func(t *testing.T) { baseDBCase(t, c, mode) })
		}
	}
}

func baseDBCase(t *testing.T, c goldenCase, mode string) {
	l := openTopicDB(t)
	var lines []string
	drain := func() {
		produceTopicDBHeaders(t, l, mode, lines...)
		lines = nil
		if err := stream.Run(context.Background(), stream.Options{Log: l, Drain: true, Interval: 50 * time.Millisecond}, BaseDB(BaseDBConfig{})); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range c.in {
		if string(b) == "--- drain" {
			drain()
			continue
		}
		lines = append(lines, string(b))
	}
	drain()
	topics := map[string]bool{"dirty_data": true}
	for _, r := range DefaultBaseDBRules() {
		topics[r.SinkTable] = true
	}
	var want []string
	for _, o := range c.out {
		topic, rest, _ := strings.Cut(o, " ")
		key, js, _ := strings.Cut(rest, " ")
		topics[topic] = true
		if topic != "dirty_data" {
			js = canon(t, []byte(js))
		}
		want = append(want, topic+" "+key+" "+js)
	}
	var got []string
	for topic := range topics {
		if _, err := l.DescribeTopic(context.Background(), topic); err != nil {
			continue
		}
		for _, r := range logtest.ReadAll(t, l, topic) {
			if topic == "dirty_data" {
				code, _, _ := strings.Cut(string(r.Header(stream.HeaderReason)), ":")
				got = append(got, topic+" "+code+" "+string(r.Value))
				continue
			}
			got = append(got, topic+" "+string(r.Key)+" "+canon(t, r.Value))
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("testdata/base_db.txt:%d\ngot:\n%s\nwant:\n%s", c.lineNo, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBaseDBLiveConfig: a table_process_dwd row inserted while the job
// runs sends matching records to a new topic, without a restart.
func TestBaseDBLiveConfig(t *testing.T) {
	l := openTopicDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- stream.Run(ctx, stream.Options{Log: l, Interval: 20 * time.Millisecond}, BaseDB(BaseDBConfig{MaxHold: 300 * time.Millisecond}))
	}()
	now := time.Now().Unix()
	produceTopicDB(t, l, fmt.Sprintf(`{"database":"gmall","table":"favor_info","type":"insert","ts":%d,"data":{"id":1,"user_id":2,"sku_id":3,"create_time":"x"}}`, now))
	waitFor(t, l, "dwd_interaction_favor_add", 1)
	produceTopicDB(t, l, fmt.Sprintf(`{"database":"gmall_config","table":"table_process_dwd","type":"insert","ts":%d,"data":{"source_table":"cart_info","source_type":"update","sink_table":"dwd_cart_updates","sink_columns":"id,sku_num"}}`, now))
	produceTopicDB(t, l, fmt.Sprintf(`{"database":"gmall","table":"cart_info","type":"update","ts":%d,"data":{"id":9,"sku_num":4},"old":{"sku_num":3}}`, now+1))
	recs := waitFor(t, l, "dwd_cart_updates", 1)
	if got := canon(t, recs[0].Value); got != fmt.Sprintf(`{"id":9,"sku_num":4,"ts":%d}`, now+1) {
		t.Errorf("dwd_cart_updates got %s", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitFor polls topic until it holds n records (generous deadline: the
// rows wait out the watermark when their config is new).
func waitFor(t *testing.T, l rlog.Log, topic string, n int) []rlog.Record {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := l.DescribeTopic(context.Background(), topic); err == nil {
			if recs := logtest.ReadAll(t, l, topic); len(recs) >= n {
				return recs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s: fewer than %d records after 60s", topic, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
