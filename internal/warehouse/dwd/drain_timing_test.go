package dwd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/logtest"
	"github.com/rtdw/rtdw/internal/mock"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
	"github.com/rtdw/rtdw/internal/warehouse/ods/odstest"
)

// upserts is a drained warehouse's outcome as its readers see it: the
// last value of every key of every output topic (the topics upsert by
// key), and every dead letter, sorted.
func upserts(t *testing.T, l rlog.Log) []string {
	t.Helper()
	topics, err := l.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ti := range topics {
		if ti.Name == ods.TopicDB || strings.HasPrefix(ti.Name, "_rtdw-") {
			continue
		}
		last := map[string]string{}
		for _, r := range logtest.ReadAll(t, l, ti.Name) { // partition by partition, in offset order
			if reason := r.Header(stream.HeaderReason); reason != nil {
				code, _, _ := strings.Cut(string(reason), ":")
				out = append(out, fmt.Sprintf("%s %s %q %s", ti.Name, code, r.Value, r.Header(stream.HeaderJob)))
				continue
			}
			last[fmt.Sprintf("%s %d %q", ti.Name, r.Partition, r.Key)] = fmt.Sprintf("%q @%d", r.Value, r.Timestamp)
		}
		for k, v := range last {
			out = append(out, k+" "+v)
		}
	}
	sort.Strings(out)
	return out
}

// Issue 16, case 2: the fact jobs drained on a 4-partition topic_db give
// the same tables (every key's last row) and the same dead letters, none
// late, on a slow machine (starved and short fetches, watermarks passed
// on every 5 ms, a clock that runs with every loop) as on a quiet one.
// How many times a left join writes a line before it is complete may
// differ (see OrderDetail); the tables do not.
func TestFactJobsDrainTheSameOnASlowMachine(t *testing.T) {
	recs := odstest.ShopTopicDB(t, mock.ShopConfig{Seed: 11, Sessions: 600, Users: 150, Devices: 300, Bootstrap: true})
	quiet := upserts(t, odstest.Drain(t, recs, 4, topicDBJobs))
	slow := upserts(t, odstest.DrainThrottled(t, recs, 4, topicDBJobs))
	if d := odstest.Diff(quiet, slow); d != "" {
		t.Fatalf("quiet (-) and throttled (+) drains:\n%s", d)
	}
	count := map[string]int{}
	for _, line := range quiet {
		topic, rest, _ := strings.Cut(line, " ")
		count[topic]++
		if strings.HasPrefix(rest, "late ") {
			t.Errorf("late: %s", line)
		}
	}
	for _, j := range topicDBJobs(nil)[1:] {
		if count[j.Name] == 0 {
			t.Errorf("job %s wrote nothing", j.Name)
		}
	}
}
