package httpguard

import (
	"log/slog"
	"net"
	"strings"
)

// Loopback reports whether a listen address (host:port) is reachable
// from this host only: a loopback IP or "localhost". An empty host or
// 0.0.0.0/:: (every interface), another IP or a host name is not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WarnExposed logs a warning when addr is reachable from other hosts and
// reports whether it is: without a token anyone who can reach it may use
// every endpoint; with one, it still crosses the network in plain HTTP.
func WarnExposed(l *slog.Logger, addr, token string) bool {
	if Loopback(addr) {
		return false
	}
	if token == "" {
		l.Warn("HTTP server listens beyond loopback without a token: anyone who can reach it can read and write through its API and dashboard; set --auth-token (or RTDW_AUTH_TOKEN, auth_token in rtdw.yaml) or listen on 127.0.0.1", "addr", addr)
	} else {
		l.Warn("HTTP server listens beyond loopback: the token and data cross the network in plain HTTP; put a TLS proxy in front of it on untrusted networks", "addr", addr)
	}
	return true
}
