package httpguard

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:80": true, "[::1]:8080": true, "localhost:8088": true, "LOCALHOST:1": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.1.2.3:8080": false, "example.com:80": false, "[fe80::1%eth0]:80": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestWarnExposed(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	if WarnExposed(l, "127.0.0.1:0", "") || buf.Len() != 0 {
		t.Fatalf("loopback warned: %q", buf.String())
	}
	if !WarnExposed(l, "0.0.0.0:8080", "") || !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "without a token") ||
		!strings.Contains(buf.String(), "--auth-token") || !strings.Contains(buf.String(), "addr=0.0.0.0:8080") {
		t.Fatalf("no token: %q", buf.String())
	}
	buf.Reset()
	if !WarnExposed(l, ":8080", "tok") || !strings.Contains(buf.String(), "plain HTTP") {
		t.Fatalf("with a token: %q", buf.String())
	}
	// NewServer warns by itself.
	buf.Reset()
	NewServer("0.0.0.0:0", http.NotFoundHandler(), Options{Logger: l})
	if !strings.Contains(buf.String(), "without a token") {
		t.Fatalf("NewServer did not warn: %q", buf.String())
	}
}
