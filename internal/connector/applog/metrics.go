package applog

import "github.com/prometheus/client_golang/prometheus"

// metrics are the collector's counters on /metrics. input is "http" or "file".
type metrics struct {
	lines      *prometheus.CounterVec // input
	bad        *prometheus.CounterVec // input, reason
	bytes      *prometheus.CounterVec // input
	requests   *prometheus.CounterVec // code
	duplicates prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtdw_applog_lines_total", Help: "App-log lines committed (good and bad), by input.",
		}, []string{"input"}),
		bad: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtdw_applog_bad_lines_total", Help: "App-log lines written to the dead-letter topic, by input and reason.",
		}, []string{"input", "reason"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtdw_applog_bytes_total", Help: "Bytes of committed app-log lines (with their newlines), by input.",
		}, []string{"input"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtdw_applog_http_requests_total", Help: "POST /applog requests by response status code.",
		}, []string{"code"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rtdw_applog_duplicate_requests_total", Help: "Requests not written again because their X-Request-Id was already committed.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.lines, m.bad, m.bytes, m.requests, m.duplicates)
	}
	return m
}

func (m *metrics) count(input string, b *batch) {
	if b.lines == 0 {
		return
	}
	m.lines.WithLabelValues(input).Add(float64(b.lines))
	m.bytes.WithLabelValues(input).Add(float64(b.bytes))
	for reason, n := range b.bad {
		m.bad.WithLabelValues(input, reason).Add(float64(n))
	}
}
