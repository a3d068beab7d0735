package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rtdw/rtdw/internal/httpguard"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/remote"
)

// serveHTTP serves, behind httpguard (timeouts, bodies in flight,
// --auth-token; /healthz open), the web console of a process holding the
// data dir (cs: its jobs, topics, dead letters, SQL editor; the dashboard
// when cs.dashboard), /metrics and /api/log/ (topic commands of the data
// dir go through the process). It returns the bound address (useful with
// port 0) and a stop function the caller must run before closing l, so no
// request reaches a closed log.
func serveHTTP(addr string, reg *prometheus.Registry, l rlog.Log, g *globals, cs consoleSetup) (string, func(), error) {
	mux := http.NewServeMux()
	closeConsole, err := mountConsole(mux, reg, l, g, cs)
	if err != nil {
		return "", nil, err
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mountProfiles(mux)
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	mux.Handle("/api/log/", remote.Handler(l, token))
	mux.Handle("/api/dim/", dimHandler(cs.dims, token))
	// Only /api/log/produce (behind its process token) reads a large body.
	o := g.guard()
	o.MaxBody = remote.MaxRequestBody
	bound, stopServer, err := startServer(addr, mux, o)
	if err != nil {
		closeConsole()
		return "", nil, err
	}
	// Topic commands run while we hold the data dir find us here: address
	// and token, written atomically, readable by the data dir's owner only.
	addrPath := filepath.Join(g.dataDir, addrFile)
	if err := writeFileAtomic(addrPath, []byte(bound+"\n"+token+"\n"), 0o600); err != nil {
		g.logger.Warn("cannot advertise the HTTP address for topic commands", "err", err)
	}
	stop := func() {
		os.Remove(addrPath)
		stopServer()
		closeConsole()
	}
	return bound, stop, nil
}

// serveConsole serves the web console and /metrics of a process that
// holds no data dir (a cluster-mode worker) behind httpguard.
func serveConsole(addr string, reg *prometheus.Registry, l rlog.Log, g *globals, cs consoleSetup) (string, func(), error) {
	mux := http.NewServeMux()
	closeConsole, err := mountConsole(mux, reg, l, g, cs)
	if err != nil {
		return "", nil, err
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mountProfiles(mux)
	bound, stopServer, err := startServer(addr, mux, g.guard())
	if err != nil {
		closeConsole()
		return "", nil, err
	}
	return bound, func() {
		stopServer()
		closeConsole()
	}, nil
}

// mountProfiles serves Go's profiles of the process under /debug/pprof/
// (go tool pprof http://ADDR/debug/pprof/heap; .../profile?seconds=20 for
// CPU, within the server's 60 s write timeout), behind the same guard and
// token as every endpoint. The command line is left out: it may carry
// secrets.
func mountProfiles(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// startServer serves h on addr behind httpguard (o) and returns the bound
// address (useful with port 0) and a stop function: a graceful shutdown
// of at most 2 s.
func startServer(addr string, h http.Handler, o httpguard.Options) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("http: %w (use --http-addr to pick another address)", err)
	}
	srv := httpguard.NewServer(addr, h, o)
	go srv.Serve(ln)
	return ln.Addr().String(), func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}, nil
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
