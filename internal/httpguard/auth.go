package httpguard

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// CookieName is the cookie a browser gets after opening a ?token= link,
// so the page's own requests (API calls, refreshes, links) carry the token.
const CookieName = "rtdw_token"

// QueryParam is the query parameter of a browser link with the token.
const QueryParam = "token"

// RequireToken answers 401 to a request that presents no token or another
// one than token; "" requires nothing. The token is accepted from
// "Authorization: Bearer <token>" (API clients, Prometheus), from
// ?token=<token> (a dashboard link; the answer then sets an HttpOnly,
// SameSite=Strict cookie) or from that cookie. Comparison is in constant
// time, over SHA-256 digests so the length does not leak either.
func RequireToken(h http.Handler, token string) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	ok := func(got string) bool {
		if got == "" {
			return false
		}
		d := sha256.Sum256([]byte(got))
		return subtle.ConstantTimeCompare(d[:], want[:]) == 1
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, cred, _ := strings.Cut(auth, " ")
			if strings.EqualFold(scheme, "Bearer") && ok(strings.TrimSpace(cred)) {
				h.ServeHTTP(w, r)
				return
			}
		}
		if q := r.URL.Query().Get(QueryParam); q != "" && ok(q) {
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			h.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(CookieName); err == nil && ok(c.Value) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="rtdw"`)
		http.Error(w, "401 unauthorized: this server requires its token (--auth-token, RTDW_AUTH_TOKEN or auth_token in rtdw.yaml): send \"Authorization: Bearer <token>\", or add ?token=<token> to a browser link", http.StatusUnauthorized)
	})
}

// SetToken adds token to req as "Authorization: Bearer"; "" adds nothing.
// rtdw's own clients of a running rtdw use it.
func SetToken(req *http.Request, token string) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
}
