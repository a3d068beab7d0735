package web

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

// --- record counts ---

// recordCounter counts the records of topic partitions by reading them,
// remembering how far it read: offsets are no record count on Kafka, where
// transaction markers (one per partition and commit) and aborted records
// take offsets too. A partition whose start moved (retention) is counted
// again from its new start.
type recordCounter struct {
	mu    sync.Mutex
	parts map[rlog.TopicPartition]*partCount
}

type partCount struct {
	start, pos, n int64 // n records in [start, pos)
}

func newRecordCounter() *recordCounter {
	return &recordCounter{parts: map[rlog.TopicPartition]*partCount{}}
}

// count returns the records of tp in [start, end), reading from where the
// last call stopped until deadline. exact is false when it ran out of time:
// n then counts the unread offsets as records (an upper bound).
func (c *recordCounter) count(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, start, end int64, deadline time.Time) (n int64, exact bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pc := c.parts[tp]
	if pc == nil || pc.start != start || pc.pos > end {
		pc = &partCount{start: start, pos: start}
		c.parts[tp] = pc
	}
	n, pos, done, err := readRange(ctx, l, tp, pc.pos, end, deadline, 10000, nil)
	pc.n, pc.pos = pc.n+n, pos
	if errors.Is(err, rlog.ErrOffsetOutOfRange) {
		delete(c.parts, tp) // retention moved the start under us: next time
		return end - start, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if !done {
		return pc.n + (end - pc.pos), false, nil
	}
	return pc.n, true, nil
}

// countRange counts the records of tp in [from, end) by reading them
// until deadline; past it the unread offsets count as records (exact false).
func countRange(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, from, end int64, deadline time.Time) (n int64, exact bool, err error) {
	n, pos, done, err := readRange(ctx, l, tp, from, end, deadline, 10000, nil)
	if errors.Is(err, rlog.ErrOffsetOutOfRange) || err == nil && !done {
		return n + end - pos, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

// readRange reads tp's records from offset from towards end, batch at a
// time, each batch to each (when not nil), and returns how many it read
// and the offset it stopped at: end; before offsets that hold no
// committed record (markers, aborted records or an open transaction past
// the last stable offset); or where deadline passed (done false) or an
// error came.
func readRange(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, from, end int64, deadline time.Time, batch int, each func([]rlog.Record)) (n, pos int64, done bool, err error) {
	for pos = from; pos < end; {
		if time.Now().After(deadline) {
			return n, pos, false, nil
		}
		recs, err := l.Fetch(ctx, tp, pos, batch, 0)
		if err != nil {
			return n, pos, false, err
		}
		if len(recs) == 0 {
			break
		}
		if each != nil {
			each(recs)
		}
		n += int64(len(recs))
		pos = recs[len(recs)-1].Offset + 1
	}
	return n, pos, true, nil
}

// --- /api/topics ---

type topicSummary struct {
	Name       string `json:"name"`
	Partitions int32  `json:"partitions"`
	// Records is the number of records (not of offsets: see
	// ConsoleOptions.CountRecords); Exact is false while a large topic is
	// still being counted (Records is then an upper bound).
	Records     int64    `json:"records"`
	Exact       bool     `json:"exact"`
	RetentionMs int64    `json:"retention_ms"`
	Compact     bool     `json:"compact"`
	Internal    bool     `json:"internal"`
	ReadBy      []string `json:"read_by,omitempty"`
	WrittenBy   []string `json:"written_by,omitempty"`
}

type topicPartition struct {
	Partition int32 `json:"partition"`
	Start     int64 `json:"start_offset"`
	End       int64 `json:"end_offset"`
	Records   int64 `json:"records"`
	Exact     bool  `json:"exact"`
}

type topicDetail struct {
	topicSummary
	PartitionStats []topicPartition `json:"partition_stats"`
}

// topicList is GET /api/topics[?all=1]: every topic (internal ones, whose
// names start with "_", with all=1) with partitions and record counts.
func (c *Console) topicList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	all := r.URL.Query().Get("all") == "1" || r.URL.Query().Get("all") == "true"
	topics, err := c.o.Log.ListTopics(ctx)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	deadline := time.Now().Add(c.o.ScanBudget)
	out := []topicSummary{}
	for _, t := range topics {
		if internalTopic(t.Name) && !all {
			continue
		}
		d, err := c.describeTopic(ctx, t, deadline)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		out = append(out, d.topicSummary)
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Console) topicDetail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := c.o.Log.DescribeTopic(ctx, r.PathValue("name"))
	if errors.Is(err, rlog.ErrUnknownTopic) {
		writeError(w, http.StatusNotFound, "no topic "+r.PathValue("name"))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	d, err := c.describeTopic(ctx, t, time.Now().Add(c.o.ScanBudget))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (c *Console) describeTopic(ctx context.Context, t rlog.TopicInfo, deadline time.Time) (topicDetail, error) {
	d := topicDetail{topicSummary: topicSummary{Name: t.Name, Partitions: t.Partitions, Exact: true,
		RetentionMs: t.Retention.Milliseconds(), Compact: t.Compact, Internal: internalTopic(t.Name)}}
	for _, j := range c.jobs {
		for _, in := range j.graph.Inputs {
			if in == t.Name {
				d.ReadBy = append(d.ReadBy, j.graph.Job)
				break
			}
		}
		for _, out := range j.graph.Outputs {
			if out == t.Name {
				d.WrittenBy = append(d.WrittenBy, j.graph.Job)
				break
			}
		}
	}
	for p := int32(0); p < t.Partitions; p++ {
		tp := rlog.TopicPartition{Topic: t.Name, Partition: p}
		start, end, err := c.o.Log.Offsets(ctx, tp)
		if err != nil {
			return d, err
		}
		ps := topicPartition{Partition: p, Start: start, End: end, Records: end - start, Exact: true}
		if c.o.CountRecords {
			ps.Records, ps.Exact, err = c.counts.count(ctx, c.o.Log, tp, start, end, deadline)
			if err != nil {
				return d, err
			}
		}
		d.Records += ps.Records
		d.Exact = d.Exact && ps.Exact
		d.PartitionStats = append(d.PartitionStats, ps)
	}
	return d, nil
}

// --- /api/topics/{name}/tail ---

// tailRecord is a record as the console shows it: text (invalid UTF-8
// replaced), cut at maxShown bytes.
type tailRecord struct {
	Topic     string            `json:"topic,omitempty"`
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Timestamp int64             `json:"timestamp_ms"`
	Key       *string           `json:"key"`
	Value     *string           `json:"value"`
	Size      int               `json:"size"`
	Truncated bool              `json:"truncated,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
}

const maxShown = 4096

func shown(b []byte) (*string, bool) {
	if b == nil {
		return nil, false
	}
	cut := false
	if len(b) > maxShown {
		b, cut = b[:maxShown], true // a rune cut in two shows as U+FFFD
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return &s, cut
}

func toTail(r *rlog.Record) tailRecord {
	t := tailRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp, Size: len(r.Value)}
	t.Key, _ = shown(r.Key)
	var cut bool
	t.Value, cut = shown(r.Value)
	t.Truncated = cut
	if len(r.Headers) > 0 {
		t.Headers = map[string]string{}
		for _, h := range r.Headers {
			v, _ := shown(h.Value)
			if v != nil {
				t.Headers[h.Key] = *v
			} else {
				t.Headers[h.Key] = ""
			}
		}
	}
	return t
}

// topicTail is GET /api/topics/{name}/tail?limit=50&partition=-1: the
// last records of the topic (of one partition), newest first.
func (c *Console) topicTail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	part, err := queryInt(r, "partition", -1, -1, 1<<20)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := c.o.Log.DescribeTopic(ctx, name)
	if errors.Is(err, rlog.ErrUnknownTopic) {
		writeError(w, http.StatusNotFound, "no topic "+name)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if part >= int(t.Partitions) {
		writeError(w, http.StatusBadRequest, "partition out of range")
		return
	}
	var recs []rlog.Record
	for p := int32(0); p < t.Partitions; p++ {
		if part >= 0 && p != int32(part) {
			continue
		}
		got, err := lastRecords(ctx, c.o.Log, rlog.TopicPartition{Topic: name, Partition: p}, limit)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		recs = append(recs, got...)
	}
	sort.SliceStable(recs, func(a, b int) bool {
		if recs[a].Timestamp != recs[b].Timestamp {
			return recs[a].Timestamp > recs[b].Timestamp
		}
		if recs[a].Partition != recs[b].Partition {
			return recs[a].Partition < recs[b].Partition
		}
		return recs[a].Offset > recs[b].Offset
	})
	if len(recs) > limit {
		recs = recs[:limit]
	}
	out := make([]tailRecord, len(recs))
	for i := range recs {
		out[i] = toTail(&recs[i])
		out[i].Topic = ""
	}
	writeJSON(w, http.StatusOK, map[string]any{"topic": name, "partitions": t.Partitions, "records": out})
}

// lastRecords reads up to n of tp's last records (fewer on Kafka, where
// markers take some of the last n offsets).
func lastRecords(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, n int) ([]rlog.Record, error) {
	start, end, err := l.Offsets(ctx, tp)
	if err != nil {
		return nil, err
	}
	var out []rlog.Record
	for off := max(start, end-int64(n)); off < end && len(out) < n; {
		recs, err := l.Fetch(ctx, tp, off, n-len(out), 0)
		if errors.Is(err, rlog.ErrOffsetOutOfRange) {
			break // retention passed us
		}
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			break
		}
		out = append(out, recs...)
		off = recs[len(recs)-1].Offset + 1
	}
	return out, nil
}

// --- /api/deadletters ---

// deadLetterScan reads the jobs' dead-letter topics incrementally: counts
// per reason code and job, and the latest records of each reason.
type deadLetterScan struct {
	mu     sync.Mutex
	parts  map[rlog.TopicPartition]*partCount
	counts map[reasonJob]int64
	recent map[string][]deadRecord // by reason code, oldest first
	latest []deadRecord            // every reason, oldest first
}

type reasonJob struct{ reason, job string }

const (
	keepPerReason = 50
	keepLatest    = 200
	maxReasons    = 200
)

type deadRecord struct {
	tailRecord
	Reason   string `json:"reason"`
	Detail   string `json:"detail"`
	Job      string `json:"job"`
	Operator string `json:"operator"`
	Source   string `json:"source"`
}

func newDeadLetterScan() *deadLetterScan {
	s := &deadLetterScan{}
	s.reset()
	return s
}

func (s *deadLetterScan) reset() {
	s.parts = map[rlog.TopicPartition]*partCount{}
	s.counts = map[reasonJob]int64{}
	s.recent = map[string][]deadRecord{}
	s.latest = nil
}

// splitReason parses the rtdw.reason header, "code: detail".
func splitReason(h string) (code, detail string) {
	code, detail, _ = strings.Cut(h, ": ")
	return code, detail
}

func (s *deadLetterScan) add(r *rlog.Record) {
	d := deadRecord{tailRecord: toTail(r)}
	d.Reason, d.Detail = splitReason(string(r.Header(stream.HeaderReason)))
	if d.Reason == "" {
		d.Reason = "unknown"
	}
	d.Job, d.Operator, _ = strings.Cut(string(r.Header(stream.HeaderJob)), "/")
	d.Source = string(r.Header(stream.HeaderSource))
	delete(d.Headers, stream.HeaderReason)
	delete(d.Headers, stream.HeaderJob)
	delete(d.Headers, stream.HeaderSource)
	if len(d.Headers) == 0 {
		d.Headers = nil
	}
	if _, ok := s.recent[d.Reason]; !ok && len(s.recent) >= maxReasons {
		d.Reason = "other" // bounded memory whatever codes the records carry
	}
	s.counts[reasonJob{d.Reason, d.Job}]++
	s.recent[d.Reason] = keepLast(append(s.recent[d.Reason], d), keepPerReason)
	s.latest = keepLast(append(s.latest, d), keepLatest)
}

func keepLast(rs []deadRecord, n int) []deadRecord {
	if len(rs) > n {
		rs = append(rs[:0:0], rs[len(rs)-n:]...)
	}
	return rs
}

// scan reads what was added to the topics since the last call, until
// deadline; it reports whether it read everything. When retention deleted
// records it counted, it counts again from the topics' new starts.
func (s *deadLetterScan) scan(ctx context.Context, l rlog.Log, topics []string, deadline time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 2 {
		done, again, err := s.scanOnce(ctx, l, topics, deadline)
		if err != nil || !again {
			return done, err
		}
		s.reset()
	}
	return false, nil
}

// scanOnce reads on; again is true when a partition's start moved past
// what was counted.
func (s *deadLetterScan) scanOnce(ctx context.Context, l rlog.Log, topics []string, deadline time.Time) (done, again bool, err error) {
	for _, topic := range topics {
		info, err := l.DescribeTopic(ctx, topic)
		if errors.Is(err, rlog.ErrUnknownTopic) {
			continue // no dead letter yet
		}
		if err != nil {
			return false, false, err
		}
		for p := int32(0); p < info.Partitions; p++ {
			tp := rlog.TopicPartition{Topic: topic, Partition: p}
			start, end, err := l.Offsets(ctx, tp)
			if err != nil {
				return false, false, err
			}
			pc := s.parts[tp]
			if pc != nil && (pc.start != start || pc.pos > end) {
				return false, true, nil // retention deleted records we counted
			}
			if pc == nil {
				pc = &partCount{start: start, pos: start}
				s.parts[tp] = pc
			}
			n, pos, done, err := readRange(ctx, l, tp, pc.pos, end, deadline, 1000, func(recs []rlog.Record) {
				for i := range recs {
					s.add(&recs[i])
				}
			})
			pc.n, pc.pos = pc.n+n, pos
			switch {
			case errors.Is(err, rlog.ErrOffsetOutOfRange):
				return false, true, nil
			case err != nil:
				return false, false, err
			case !done:
				return false, false, nil
			}
		}
	}
	return true, false, nil
}

type deadLetterAnswer struct {
	Topics []string `json:"topics"`
	// Reasons count the records in the dead-letter topics by reason code
	// and job; SinceStart the engine's counter since this process started.
	Reasons    []deadReason `json:"reasons"`
	Complete   bool         `json:"complete"`
	Reason     string       `json:"reason,omitempty"`
	Job        string       `json:"job,omitempty"`
	Records    []deadRecord `json:"records"`
	SinceStart float64      `json:"since_start"`
}

type deadReason struct {
	Reason     string  `json:"reason"`
	Job        string  `json:"job"`
	Count      int64   `json:"count"`
	SinceStart float64 `json:"since_start"`
}

// deadLetters is GET /api/deadletters?reason=&job=&limit=50: dead letters
// by reason, and the latest records (of a reason, of a job), newest first.
func (c *Console) deadLetters(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	limit, err := queryInt(r, "limit", 50, 1, keepLatest)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	reason, job := r.URL.Query().Get("reason"), r.URL.Query().Get("job")
	topicSet := map[string]bool{}
	var topics []string
	for _, j := range c.jobs {
		if dl := j.graph.DeadLetter; dl != "" && !topicSet[dl] {
			topicSet[dl] = true
			topics = append(topics, dl)
		}
	}
	if len(topics) == 0 {
		topics = []string{"dirty_data"}
	}
	sort.Strings(topics)
	complete, err := c.dead.scan(ctx, c.o.Log, topics, time.Now().Add(c.o.ScanBudget))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ans := deadLetterAnswer{Topics: topics, Complete: complete, Reason: reason, Job: job, Reasons: []deadReason{}, Records: []deadRecord{}}
	metric := map[reasonJob]float64{}
	cur, _ := c.sampler.window()
	for name, m := range cur.jobs {
		for code, n := range m.deadLetters {
			metric[reasonJob{code, name}] += n
			ans.SinceStart += n
		}
	}
	c.dead.mu.Lock()
	seen := map[reasonJob]bool{}
	for k, n := range c.dead.counts {
		seen[k] = true
		ans.Reasons = append(ans.Reasons, deadReason{Reason: k.reason, Job: k.job, Count: n, SinceStart: metric[k]})
	}
	for k, n := range metric {
		if !seen[k] {
			ans.Reasons = append(ans.Reasons, deadReason{Reason: k.reason, Job: k.job, SinceStart: n})
		}
	}
	src := c.dead.latest
	if reason != "" {
		src = c.dead.recent[reason]
	}
	for i := len(src) - 1; i >= 0 && len(ans.Records) < limit; i-- {
		if job == "" || src[i].Job == job {
			ans.Records = append(ans.Records, src[i])
		}
	}
	c.dead.mu.Unlock()
	sort.Slice(ans.Reasons, func(a, b int) bool {
		x, y := ans.Reasons[a], ans.Reasons[b]
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		if x.Reason != y.Reason {
			return x.Reason < y.Reason
		}
		return x.Job < y.Job
	})
	writeJSON(w, http.StatusOK, ans)
}
