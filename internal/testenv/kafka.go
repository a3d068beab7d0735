package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// JoinGroup starts a consumer of topic in group on brokers (a worker
// running the group's job, as far as the group can tell) and returns once
// the group lists it as a member; closing it leaves the group. opts are
// added to the client's options.
func JoinGroup(t testing.TB, brokers []string, group, topic string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	member, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(member)
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); ; {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		member.PollFetches(pctx)
		cancel()
		ds, err := adm.DescribeGroups(ctx, group)
		if err == nil && len(ds[group].Members) > 0 {
			return member
		}
		if time.Now().After(deadline) {
			member.Close()
			t.Fatalf("the consumer never joined group %s", group)
		}
	}
}
