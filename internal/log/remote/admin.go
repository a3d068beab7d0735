package remote

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Topic administration, group listing and offsets by time through a
// running rtdw: `rtdw topic delete|alter|tail --from-timestamp` and
// `rtdw job list|describe` work while it holds the data dir. Moving a
// job's offsets (job reset) is not offered: the running jobs own them.

var (
	_ rlog.TopicAdmin  = (*Log)(nil)
	_ rlog.GroupLister = (*Log)(nil)
	_ rlog.TimeIndex   = (*Log)(nil)
)

// Wire types of the admin endpoints.
type (
	// AlterJSON is a rlog.TopicAlter: absent fields stay as they are.
	AlterJSON struct {
		Partitions     *int32 `json:"partitions,omitempty"`
		RetentionMs    *int64 `json:"retention_ms,omitempty"`
		RetentionBytes *int64 `json:"retention_bytes,omitempty"`
	}
	// GroupOffsetJSON is one committed offset of a group.
	GroupOffsetJSON struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
	}
	offsetJSON struct {
		Offset int64 `json:"offset"`
	}
)

func alterToJSON(a rlog.TopicAlter) AlterJSON {
	j := AlterJSON{Partitions: a.Partitions, RetentionBytes: a.RetentionBytes}
	if a.Retention != nil {
		ms := a.Retention.Milliseconds()
		j.RetentionMs = &ms
	}
	return j
}

func alterFromJSON(j AlterJSON) rlog.TopicAlter {
	a := rlog.TopicAlter{Partitions: j.Partitions, RetentionBytes: j.RetentionBytes}
	if j.RetentionMs != nil {
		d := time.Duration(*j.RetentionMs) * time.Millisecond
		a.Retention = &d
	}
	return a
}

// DeleteTopic implements log.TopicAdmin.
func (l *Log) DeleteTopic(ctx context.Context, name string) error {
	return l.do(ctx, http.MethodDelete, "/topics/"+url.PathEscape(name), nil, nil, nil)
}

// AlterTopic implements log.TopicAdmin.
func (l *Log) AlterTopic(ctx context.Context, name string, a rlog.TopicAlter) error {
	return l.do(ctx, http.MethodPatch, "/topics/"+url.PathEscape(name), nil, alterToJSON(a), nil)
}

// OffsetForTime implements log.TimeIndex (the running rtdw scans).
func (l *Log) OffsetForTime(ctx context.Context, tp rlog.TopicPartition, ts int64) (int64, error) {
	var o offsetJSON
	q := url.Values{"partition": {strconv.Itoa(int(tp.Partition))}, "ts": {strconv.FormatInt(ts, 10)}}
	err := l.do(ctx, http.MethodGet, "/topics/"+url.PathEscape(tp.Topic)+"/offset-for-time", q, nil, &o)
	return o.Offset, err
}

// ListGroups implements log.GroupLister.
func (l *Log) ListGroups(ctx context.Context) ([]string, error) {
	var gs []string
	err := l.do(ctx, http.MethodGet, "/groups", nil, nil, &gs)
	return gs, err
}

// GroupOffsets implements log.GroupLister.
func (l *Log) GroupOffsets(ctx context.Context, group string) (map[rlog.TopicPartition]int64, error) {
	var os []GroupOffsetJSON
	if err := l.do(ctx, http.MethodGet, "/groups/"+url.PathEscape(group)+"/offsets", nil, nil, &os); err != nil {
		return nil, err
	}
	out := make(map[rlog.TopicPartition]int64, len(os))
	for _, o := range os {
		out[rlog.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
	}
	return out, nil
}
