package httpguard

import "net/http"

// HealthPath answers 200 "ok" without a token: liveness for load
// balancers and orchestrators, which reveals nothing but that the process
// serves. /metrics is not open: Prometheus sends the token
// (authorization: {credentials: <token>} in its scrape config).
const HealthPath = "/healthz"

// Health serves GET/HEAD HealthPath and passes every other request to h.
func Health(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == HealthPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Write([]byte("ok\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
