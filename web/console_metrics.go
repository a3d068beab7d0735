package web

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rtdw/rtdw/internal/state"
)

// jobMetrics are one job's engine metrics at one instant (stream/metrics.go).
type jobMetrics struct {
	in, out, late map[string]float64 // by operator
	deadLetters   map[string]float64 // by reason code
	lag           map[lagKey]float64
	watermarks    map[int]map[int]int64 // stage → partition → epoch ms
	cpCount       uint64
	cpSum         float64 // seconds
	restarts      float64
	taskTime      map[string]float64 // busy, idle, commit: seconds
	stageBusy     map[int]float64    // stage → busy seconds
}

func newJobMetrics() *jobMetrics {
	return &jobMetrics{in: map[string]float64{}, out: map[string]float64{}, late: map[string]float64{},
		deadLetters: map[string]float64{}, lag: map[lagKey]float64{}, watermarks: map[int]map[int]int64{}, taskTime: map[string]float64{}, stageBusy: map[int]float64{}}
}

func (m *jobMetrics) minWatermark() (int64, bool) {
	var wm int64 = math.MaxInt64
	for _, parts := range m.watermarks {
		for _, v := range parts {
			wm = min(wm, v)
		}
	}
	return wm, wm != math.MaxInt64
}

// snapshot is every job's metrics at one instant.
type snapshot struct {
	at   time.Time
	jobs map[string]*jobMetrics
}

var noMetrics = newJobMetrics()

func (s *snapshot) job(name string) *jobMetrics {
	if m, ok := s.jobs[name]; ok {
		return m
	}
	return noMetrics
}

// gather reads the engine's metrics from g.
func gather(g prometheus.Gatherer, at time.Time) *snapshot {
	s := &snapshot{at: at, jobs: map[string]*jobMetrics{}}
	mfs, err := g.Gather()
	if err != nil && len(mfs) == 0 {
		return s
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := labels(m)
			job, ok := l["job"]
			if !ok {
				continue
			}
			jm := s.jobs[job]
			if jm == nil {
				jm = newJobMetrics()
				s.jobs[job] = jm
			}
			switch mf.GetName() {
			case "rtdw_records_in_total":
				jm.in[l["operator"]] += m.GetCounter().GetValue()
			case "rtdw_records_out_total":
				jm.out[l["operator"]] += m.GetCounter().GetValue()
			case "rtdw_late_records_total":
				jm.late[l["operator"]] += m.GetCounter().GetValue()
			case "rtdw_dead_letters_total":
				jm.deadLetters[l["reason"]] += m.GetCounter().GetValue()
			case "rtdw_task_restarts_total":
				jm.restarts += m.GetCounter().GetValue()
			case "rtdw_task_seconds_total":
				jm.taskTime[l["state"]] += m.GetCounter().GetValue()
			case "rtdw_stage_busy_seconds_total":
				if st, err := strconv.Atoi(l["stage"]); err == nil {
					jm.stageBusy[st] += m.GetCounter().GetValue()
				}
			case "rtdw_consumer_lag":
				p, _ := strconv.Atoi(l["partition"])
				jm.lag[lagKey{l["topic"], p}] = m.GetGauge().GetValue()
			case "rtdw_watermark_ms":
				st, err1 := strconv.Atoi(l["stage"])
				p, err2 := strconv.Atoi(l["partition"])
				if err1 != nil || err2 != nil {
					continue
				}
				if jm.watermarks[st] == nil {
					jm.watermarks[st] = map[int]int64{}
				}
				jm.watermarks[st][p] = int64(m.GetGauge().GetValue())
			case "rtdw_checkpoint_duration_seconds":
				h := m.GetHistogram()
				jm.cpCount += h.GetSampleCount()
				jm.cpSum += h.GetSampleSum()
			}
		}
	}
	return s
}

func labels(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

// sampler keeps recent snapshots (for rates) and, per job, the last
// checkpoint it saw complete.
type sampler struct {
	g    prometheus.Gatherer
	now  func() time.Time
	span time.Duration

	mu   sync.Mutex
	ring []*snapshot // oldest first, spanning window
	last map[string]lastCheckpoint
}

type lastCheckpoint struct {
	at time.Time
	ms float64
}

func newSampler(g prometheus.Gatherer, now func() time.Time, window time.Duration) *sampler {
	return &sampler{g: g, now: now, span: window, last: map[string]lastCheckpoint{}}
}

// sample takes a snapshot: a job whose checkpoint count grew since the
// previous one completed checkpoints in between, their mean duration
// being the growth of the duration sum over that of the count.
func (s *sampler) sample() {
	snap := gather(s.g, s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.ring); n > 0 {
		prev := s.ring[n-1]
		for job, m := range snap.jobs {
			p := prev.job(job)
			if m.cpCount > p.cpCount {
				s.last[job] = lastCheckpoint{at: snap.at, ms: (m.cpSum - p.cpSum) / float64(m.cpCount-p.cpCount) * 1000}
			}
		}
	}
	s.ring = append(s.ring, snap)
	for len(s.ring) > 2 && snap.at.Sub(s.ring[1].at) >= s.span {
		s.ring = s.ring[1:]
	}
}

// window returns the metrics now and the oldest sample of the rate window.
func (s *sampler) window() (cur, old *snapshot) {
	cur = gather(s.g, s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ring) == 0 {
		return cur, cur
	}
	return cur, s.ring[0]
}

func (s *sampler) lastCheckpoint(job string) (lastCheckpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.last[job]
	return l, ok
}

// stateBytes estimates the disk space of a job's keyed state: its key
// spans (state.JobSpans) in the store's tables. Writes still in the
// memtable are not counted until flushed.
func stateBytes(db *pebble.DB, job string) (uint64, error) {
	var total uint64
	for _, sp := range state.JobSpans(job) {
		n, err := db.EstimateDiskUsage(sp[0], sp[1])
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}
