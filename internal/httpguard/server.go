package httpguard

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options size a server. A zero field takes its default; a negative one
// turns that limit off (e.g. WriteTimeout -1 for an endpoint that streams
// for as long as the client listens).
type Options struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, headers and body
	// (default 60 s: a 16 MiB body needs ~280 KB/s). A client dribbling
	// its body is cut off then, whatever it still has to send.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the
	// end of its answer (default 60 s, above the longest answer rtdw
	// computes: a 30 s long-poll fetch, a 10 s dashboard query, a commit).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection waiting for its next
	// request (default 60 s).
	IdleTimeout time.Duration
	// MaxHeaderBytes caps request line + headers (default 64 KiB; a
	// negative one leaves net/http's own cap, 1 MiB).
	MaxHeaderBytes int
	// MaxInFlight caps requests with a body being served at once (default
	// 8); beyond it the answer is 503 with Retry-After, before any of the
	// body is read.
	MaxInFlight int
	// MaxBody caps one request body (default 1 MiB; 413 above). Handlers
	// may cap theirs lower, never higher.
	MaxBody int64
	// MinBodyRate (bytes/s, default 16 KiB/s) is the slowest average a
	// body may arrive at once BodyGrace (default 5 s; negative: none) has
	// passed: a client dribbling its body loses its in-flight slot then,
	// not after all of ReadTimeout.
	MinBodyRate int64
	BodyGrace   time.Duration
	// RetryAfter is the Retry-After of a 503 (default 1 s).
	RetryAfter time.Duration
	// Token, when set, is required on every request but /healthz
	// (RequireToken).
	Token string
	// Logger, when set, gets the WarnExposed warning and the server's
	// own errors.
	Logger *slog.Logger
	// BaseContext is the parent of every request's context (default
	// context.Background()).
	BaseContext context.Context
}

// Defaults.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxInFlight       = 8
	DefaultMaxBody           = 1 << 20
	DefaultRetryAfter        = time.Second
	DefaultMinBodyRate       = 16 << 10
	DefaultBodyGrace         = 5 * time.Second
)

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.RetryAfter, DefaultRetryAfter)
	def(&o.BodyGrace, DefaultBodyGrace)
	if o.MinBodyRate == 0 {
		o.MinBodyRate = DefaultMinBodyRate
	}
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	return o
}

// NewServer returns a server for addr (serve it with ListenAndServe, or
// Serve on a listener of your own) whose handler is Handler(h, o), with
// every timeout of o set. With o.Logger it warns when addr is beyond
// loopback (WarnExposed).
func NewServer(addr string, h http.Handler, o Options) *http.Server {
	o = o.withDefaults()
	// net/http: ReadTimeout and WriteTimeout are off at 0; the header and
	// idle timeouts fall back to ReadTimeout at 0 and are off below 0.
	off := func(d time.Duration, none time.Duration) time.Duration {
		if d < 0 {
			return none
		}
		return d
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           Handler(h, o),
		ReadHeaderTimeout: off(o.ReadHeaderTimeout, -1),
		ReadTimeout:       off(o.ReadTimeout, 0),
		WriteTimeout:      off(o.WriteTimeout, 0),
		IdleTimeout:       off(o.IdleTimeout, -1),
		MaxHeaderBytes:    max(o.MaxHeaderBytes, 0),
	}
	if o.BaseContext != nil {
		srv.BaseContext = func(net.Listener) context.Context { return o.BaseContext }
	}
	if o.Logger != nil {
		srv.ErrorLog = slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)
		WarnExposed(o.Logger, addr, o.Token)
	}
	return srv
}

// Handler puts the guards of o in front of h, outermost first: /healthz
// (open), the token, the body limits. Unauthenticated requests are
// refused before they take an in-flight slot or have a byte of body read.
func Handler(h http.Handler, o Options) http.Handler {
	o = o.withDefaults()
	h = LimitBodies(h, Limits{MaxInFlight: o.MaxInFlight, MaxBody: o.MaxBody, RetryAfter: o.RetryAfter,
		MinRate: o.MinBodyRate, Grace: o.BodyGrace, ReadTimeout: o.ReadTimeout})
	h = RequireToken(h, o.Token)
	return Health(h)
}
