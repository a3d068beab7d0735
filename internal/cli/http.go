package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/remote"
)

type topicStat struct {
	Name       string `json:"name"`
	Partitions int32  `json:"partitions"`
	Records    int64  `json:"records"`
}

func topicStats(ctx context.Context, l rlog.Log) ([]topicStat, error) {
	topics, err := l.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	var out []topicStat
	for _, t := range topics {
		if strings.HasPrefix(t.Name, "_rtdw") {
			continue
		}
		s := topicStat{Name: t.Name, Partitions: t.Partitions}
		for p := int32(0); p < t.Partitions; p++ {
			start, end, err := l.Offsets(ctx, rlog.TopicPartition{Topic: t.Name, Partition: p})
			if err != nil {
				return nil, err
			}
			s.Records += end - start
		}
		out = append(out, s)
	}
	return out, nil
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>rtdw</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}td,th{padding:2px 12px;text-align:left}td.n{text-align:right}</style></head>
<body><h1>rtdw</h1><p>{{.Summary}}</p>
<table><tr><th>topic</th><th>partitions</th><th>records</th></tr>
{{range .Topics}}<tr><td>{{.Name}}</td><td class="n">{{.Partitions}}</td><td class="n" id="{{.Name}}">{{.Records}}</td></tr>
{{end}}</table><p><a href="/metrics">/metrics</a> · <a href="/api/topics">/api/topics</a></p></body></html>`))

// serveHTTP serves /metrics, /api/log/, /api/topics and a status page
// behind httpguard (timeouts, bodies in flight, --auth-token; /healthz
// open). It returns the bound address (useful with port 0) and a stop
// function the caller must run before closing l, so no request reaches a
// closed log.
//
// mount adds handlers (the dashboard and its API).
func serveHTTP(addr string, reg *prometheus.Registry, l rlog.Log, g *globals, mount ...func(*http.ServeMux)) (string, func(), error) {
	mux := http.NewServeMux()
	for _, m := range mount {
		m(mux)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	mux.Handle("/api/log/", remote.Handler(l, token))
	mux.HandleFunc("/api/topics", func(w http.ResponseWriter, r *http.Request) {
		stats, err := topicStats(r.Context(), l)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(stats)
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		stats, err := topicStats(r.Context(), l)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		statusPage.Execute(w, map[string]any{"Topics": stats, "Summary": summarize(reg)})
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("http: %w (use --http-addr to pick another address)", err)
	}
	// Only /api/log/produce (behind its process token) reads a large body.
	o := g.guard()
	o.MaxBody = remote.MaxRequestBody
	srv := httpguard.NewServer(addr, mux, o)
	go srv.Serve(ln)
	// Topic commands run while we hold the data dir find us here: address
	// and token, written atomically, readable by the data dir's owner only.
	addrPath := filepath.Join(g.dataDir, addrFile)
	if err := writeFileAtomic(addrPath, []byte(ln.Addr().String()+"\n"+token+"\n"), 0o600); err != nil {
		g.logger.Warn("cannot advertise the HTTP address for topic commands", "err", err)
	}
	stop := func() {
		os.Remove(addrPath)
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
	return ln.Addr().String(), stop, nil
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
