// Package httpguard hardens the HTTP servers rtdw runs against hostile or
// broken clients. One concern per file:
//
//   - server.go: NewServer, an http.Server with every timeout set (a
//     client that dribbles its headers or body is cut off after
//     ReadHeaderTimeout / ReadTimeout, one that reads the answer slowly
//     after WriteTimeout, an idle keep-alive connection after IdleTimeout)
//     and the middlewares below in front of the handler.
//   - limit.go: LimitBodies, a cap on request bodies in flight (503 with
//     Retry-After beyond it, before any byte is read) and on their size
//     (413), so memory is bounded by MaxInFlight × MaxBody whatever the
//     clients send.
//   - rate.go: a body must keep arriving at a minimum rate after a grace
//     period (ErrSlowBody, answer 408), so a dribbling client gives its
//     in-flight slot back after seconds, not after ReadTimeout.
//   - auth.go: RequireToken, a shared secret (Authorization: Bearer, or
//     ?token= in a browser link, kept as a cookie) compared in constant time.
//   - health.go: /healthz, answered without the token (liveness only).
//   - exposed.go: WarnExposed, a warning when a server listens beyond
//     loopback.
package httpguard
