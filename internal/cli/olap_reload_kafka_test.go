package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/duckdb"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
)

// In cluster mode the load job's workers commit as group_id_prefix +
// olap_load: a lost table moves that group's offsets back, not those of a
// group named olap_load that nobody uses.
func TestOLAPReloadOnKafkaResetsTheWorkersGroup(t *testing.T) {
	ctx := context.Background()
	const topic = "dws_trade_sku_order_window"
	c, _, _ := kfakeGroupAt(t, map[string]int32{topic: 2}, topic, 10, "rtdw-olap_load", 5)
	cfg := defaultConfig()
	cfg.Mode = "kafka"
	cfg.Kafka = KafkaConfig{Brokers: c.ListenAddrs()}
	if err := cfg.Kafka.validate(); err != nil {
		t.Fatal(err)
	}
	if got := loadGroup(cfg); got != "rtdw-olap_load" {
		t.Fatalf("load group %q, want the workers' rtdw-olap_load", got)
	}
	l, err := cfg.Kafka.open()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// An OLAP database without the table.
	db, err := duckdb.Open(ctx, duckdb.Options{Path: filepath.Join(t.TempDir(), "olap.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var logs bytes.Buffer
	lost, err := reloadLostTables(ctx, l, loadGroup(cfg), db, []olap.Table{{Name: topic}}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(lost) != 1 || lost[0] != topic || !strings.Contains(logs.String(), "reloading it from its topic") {
		t.Fatalf("reloaded %v, log %q", lost, logs.String())
	}
	got, err := l.GroupOffsets(ctx, "rtdw-olap_load")
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 2; p++ {
		if off := got[rlog.TopicPartition{Topic: topic, Partition: p}]; off != 0 {
			t.Errorf("partition %d: the workers' group is at %d after the reload, want 0", p, off)
		}
	}
}

// describeFails is a log whose DescribeTopic fails other than with
// ErrUnknownTopic (a broker that does not answer).
type describeFails struct{ rlog.Log }

var errBrokerDown = errors.New("broker down")

func (describeFails) DescribeTopic(context.Context, string) (rlog.TopicInfo, error) {
	return rlog.TopicInfo{}, errBrokerDown
}

// A topic that does not exist has nothing to reload; a log that cannot
// say is an error, not a table silently left unloaded.
func TestResetLoadOffsetsReportsLogErrors(t *testing.T) {
	if _, err := resetLoadOffsets(context.Background(), describeFails{}, LoadJob, "dws_x"); !errors.Is(err, errBrokerDown) {
		t.Fatalf("a failing DescribeTopic: %v, want %v", err, errBrokerDown)
	}
}
