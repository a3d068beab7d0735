package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Topic administration, consumer groups and offsets by time: the
// kafka-topics, kafka-consumer-groups and ListOffsets side of rtdw's
// topic and job commands.

var (
	_ rlog.TopicAdmin  = (*Log)(nil)
	_ rlog.GroupLister = (*Log)(nil)
	_ rlog.TimeIndex   = (*Log)(nil)
)

// DeleteTopic implements log.TopicAdmin (kafka-topics --delete; the
// brokers drop the committed offsets of groups on it).
func (l *Log) DeleteTopic(ctx context.Context, name string) error {
	_, err := l.adm.DeleteTopic(ctx, name)
	l.forget(name)
	return mapErr(err)
}

// AlterTopic implements log.TopicAdmin: partitions are added with
// CreatePartitions, retention set with IncrementalAlterConfigs (0 is
// Kafka's -1, unlimited).
func (l *Log) AlterTopic(ctx context.Context, name string, a rlog.TopicAlter) error {
	info, err := l.DescribeTopic(ctx, name)
	if err != nil {
		return err
	}
	if a.Partitions != nil && *a.Partitions != info.Partitions {
		if *a.Partitions < info.Partitions {
			return fmt.Errorf("%w: topic %s has %d partitions: Kafka cannot remove partitions", rlog.ErrInvalidTopicConfig, name, info.Partitions)
		}
		resp, err := l.adm.UpdatePartitions(ctx, int(*a.Partitions), name)
		if err == nil {
			err = resp.Error()
		}
		l.forget(name)
		if err != nil {
			return mapErr(err)
		}
	}
	var cfgs []kadm.AlterConfig
	set := func(key string, v int64) {
		s := "-1"
		if v > 0 {
			s = strconv.FormatInt(v, 10)
		}
		cfgs = append(cfgs, kadm.AlterConfig{Op: kadm.SetConfig, Name: key, Value: &s})
	}
	if a.Retention != nil {
		if *a.Retention < 0 {
			return fmt.Errorf("%w: retention must be >= 0, got %s", rlog.ErrInvalidTopicConfig, *a.Retention)
		}
		set("retention.ms", a.Retention.Milliseconds())
	}
	if a.RetentionBytes != nil {
		if *a.RetentionBytes < 0 {
			return fmt.Errorf("%w: retention bytes must be >= 0, got %d", rlog.ErrInvalidTopicConfig, *a.RetentionBytes)
		}
		set("retention.bytes", *a.RetentionBytes)
	}
	if len(cfgs) == 0 {
		return nil
	}
	resps, err := l.adm.AlterTopicConfigs(ctx, cfgs, name)
	if err != nil {
		return mapErr(err)
	}
	r, err := resps.On(name, nil)
	if err == nil {
		err = r.Err
	}
	return mapErr(err)
}

// ListGroups implements log.GroupLister: every group the cluster knows.
func (l *Log) ListGroups(ctx context.Context) ([]string, error) {
	gs, err := l.adm.ListGroups(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := gs.Groups()
	sort.Strings(out)
	return out, nil
}

// GroupOffsets implements log.GroupLister.
func (l *Log) GroupOffsets(ctx context.Context, group string) (map[rlog.TopicPartition]int64, error) {
	out := map[rlog.TopicPartition]int64{}
	resps, err := l.adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, mapErr(err)
	}
	var errs []error
	resps.Each(func(o kadm.OffsetResponse) {
		switch {
		case o.Err != nil:
			errs = append(errs, fmt.Errorf("%s/%d: %w", o.Topic, o.Partition, o.Err))
		case o.At >= 0:
			out[rlog.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.At
		}
	})
	return out, mapErr(errors.Join(errs...))
}

// GroupState describes a consumer group: its state (Empty, Stable,
// PreparingRebalance, Dead...) and its members' client ids and hosts.
func (l *Log) GroupState(ctx context.Context, group string) (state string, members []string, err error) {
	ds, err := l.adm.DescribeGroups(ctx, group)
	if err != nil {
		return "", nil, mapErr(err)
	}
	d, err := ds.On(group, nil)
	if err == nil {
		err = d.Err
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		return "Dead", nil, nil
	}
	if err != nil {
		return "", nil, mapErr(err)
	}
	for _, m := range d.Members {
		members = append(members, m.ClientID+"@"+m.ClientHost)
	}
	return d.State, members, nil
}

// OffsetForTime implements log.TimeIndex with Kafka's ListOffsets by
// timestamp.
func (l *Log) OffsetForTime(ctx context.Context, tp rlog.TopicPartition, ts int64) (int64, error) {
	var off int64
	err := l.onLeader(ctx, tp, func(topicMeta) error {
		lo, err := l.adm.ListOffsetsAfterMilli(ctx, ts, tp.Topic)
		if err != nil {
			return err
		}
		o, ok := lo.Lookup(tp.Topic, tp.Partition)
		if !ok {
			return fmt.Errorf("%w: %s", rlog.ErrUnknownTopic, tp)
		}
		if o.Err != nil {
			return o.Err
		}
		off = o.Offset
		return nil
	})
	if err != nil {
		return 0, mapErr(err)
	}
	if off < 0 { // no record at or after ts: the end
		_, end, err := l.Offsets(ctx, tp)
		return end, err
	}
	return off, nil
}
