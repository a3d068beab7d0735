package stream

import (
	"context"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
)

// openInputLog opens an embedded log for a test, closed at its end, with
// topic "in" of the given partitions.
func openInputLog(t *testing.T, partitions int32) *embedded.Log {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(context.Background(), "in", rlog.TopicConfig{Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
	return l
}
