package mysqlcdc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
)

// onKafka points the test's reader at an in-process Kafka cluster (kfake)
// with a one-partition topic_db.
func (e *env) onKafka() *kafka.Log {
	e.t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	l, err := kafka.Open(kafka.Options{Brokers: c.ListenAddrs()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { l.Close() })
	if _, err := rlog.EnsureTopic(context.Background(), l, "topic_db", rlog.TopicConfig{Partitions: 1}); err != nil {
		e.t.Fatal(err)
	}
	e.l = l
	return l
}

// TestKafkaModeExactlyOnce: snapshot with writes during it, then the
// binlog, into topic_db on Kafka, stopped and restarted under load: the
// topic read with read_committed reproduces the table, and the position
// topic holds the position the reader committed last.
func TestKafkaModeExactlyOnce(t *testing.T) {
	e := newEnv(t, 1)
	l := e.onKafka()
	seed(e, "orders", 2000)
	stop := make(chan struct{})
	wait := load(t, e, "orders", 2, stop)
	for i := range 4 {
		r := e.start(Config{BatchRecords: 100 + 200*i})
		time.Sleep(time.Duration(200+100*i) * time.Millisecond)
		r.stop(t)
	}
	close(stop)
	wait()
	r := e.start(Config{})
	e.caughtUp(r)
	r.stop(t)
	compareRows(t, tableRows(t, e, "orders"), replay(t, e, "orders"))
	p, ok, err := StoredPosition(context.Background(), l, "mysql")
	if err != nil || !ok || p != r.position() {
		t.Fatalf("position topic: %s (found %v, %v), the reader committed %s", p, ok, err, r.position())
	}
	if info, err := l.DescribeTopic(context.Background(), PositionTopic("mysql")); err != nil || !info.Compact || info.Partitions != 1 {
		t.Fatalf("position topic %+v: %v", info, err)
	}
}

// TestKafkaModeFencesASecondReader: a second reader with the same name
// fences the first (its next commit fails with ErrFenced and it stops),
// takes over from the last committed position, and the topic stays exact.
func TestKafkaModeFencesASecondReader(t *testing.T) {
	e := newEnv(t, 1)
	e.onKafka()
	seed(e, "orders", 300)
	a := e.start(Config{})
	e.caughtUp(a)
	b := e.start(Config{})
	e.caughtUp(b)
	e.exec("UPDATE orders SET n = n + 1 WHERE id <= 50", "INSERT INTO orders VALUES (5000, 'x', 1)")
	select {
	case err := <-a.done:
		if !errors.Is(err, kafka.ErrFenced) {
			t.Fatalf("first reader: %v, want %v", err, kafka.ErrFenced)
		}
		a.once.Do(func() {}) // it has stopped
	case <-time.After(30 * time.Second):
		t.Fatal("the first reader was not fenced")
	}
	e.caughtUp(b)
	b.stop(t)
	compareRows(t, tableRows(t, e, "orders"), replay(t, e, "orders"))
}
