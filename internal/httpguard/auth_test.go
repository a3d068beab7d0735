package httpguard

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("page " + r.URL.Path))
	}), Options{Token: "s3cret"})
	base := "http://" + addr
	get := func(c *http.Client, url, auth string) (int, string, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp
	}
	c := http.DefaultClient
	for _, tc := range []struct {
		url, auth string
		code      int
	}{
		{"/api/x", "", 401},
		{"/api/x", "Bearer wrong", 401},
		{"/api/x", "Bearer s3cret-and-more", 401},
		{"/api/x", "Basic s3cret", 401},
		{"/api/x?token=wrong", "", 401},
		{"/metrics", "", 401},
		{"/api/x", "Bearer s3cret", 200},
		{"/api/x", "bearer s3cret", 200},
		{"/metrics", "Bearer s3cret", 200},
		{"/healthz", "", 200}, // liveness stays open
	} {
		code, body, resp := get(c, base+tc.url, tc.auth)
		if code != tc.code {
			t.Errorf("GET %s (%q): %d %q, want %d", tc.url, tc.auth, code, body, tc.code)
		}
		if code == 401 && (resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(body, "--auth-token")) {
			t.Errorf("401 without its hints: %v %q", resp.Header, body)
		}
	}
	// A dashboard link with ?token= works, and leaves a cookie so the
	// page's own requests (API calls, refreshes) need no token.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if code, body, _ := get(browser, base+"/dashboard/", ""); code != 401 {
		t.Fatalf("dashboard without the token: %d %q", code, body)
	}
	code, body, resp := get(browser, base+"/dashboard/?token=s3cret", "")
	if code != 200 || body != "page /dashboard/" {
		t.Fatalf("dashboard link: %d %q", code, body)
	}
	if sc := resp.Header.Get("Set-Cookie"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
		t.Fatalf("cookie: %q", sc)
	}
	if code, body, _ := get(browser, base+"/api/ads/x", ""); code != 200 {
		t.Fatalf("the page's API call with the cookie: %d %q", code, body)
	}
	if code, _, _ := get(http.DefaultClient, base+"/api/ads/x", ""); code != 401 {
		t.Fatalf("without the cookie: %d", code)
	}
}

// SetToken is what rtdw's clients send.
func TestSetToken(t *testing.T) {
	h := RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "tok")
	addr := serve(t, h, Options{})
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	SetToken(req, "tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	SetToken(req, "")
	if req.Header.Get("Authorization") != "" {
		t.Fatal("SetToken with no token set a header")
	}
}
