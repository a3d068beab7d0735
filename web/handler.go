package web

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/warehouse/ads"
)

// Options configure the handler.
type Options struct {
	// Querier reads the DWS tables. Nil: the API answers 503 (no OLAP
	// database configured) and the page says so in every card.
	Querier olap.Querier
	// Location decides the default day (today in the business time zone,
	// SPEC §0); default Asia/Shanghai.
	Location *time.Location
	// Now is the clock for the default day; default time.Now.
	Now func() time.Time
	// QueryTimeout bounds one indicator query; default 10 s.
	QueryTimeout time.Duration
	// Logger gets query failures (the client gets them too, as JSON).
	Logger *slog.Logger
	// Assets are the page's files; default Assets(). Tests hide vendor/
	// to see the page a fresh clone serves.
	Assets fs.FS
}

// Validate fills defaults.
func (o *Options) Validate() error {
	if o.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return errors.New("web: Asia/Shanghai time zone unavailable: set Options.Location")
		}
		o.Location = loc
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.QueryTimeout < 0 {
		return errors.New("web: QueryTimeout must not be negative")
	}
	if o.QueryTimeout == 0 {
		o.QueryTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Assets == nil {
		o.Assets = Assets()
	}
	return nil
}

// Handler serves /dashboard/ and /api/ads[/<name>]. Mount it at both
// prefixes (Register does).
type Handler struct {
	o   Options
	mux *http.ServeMux
}

// New returns the handler.
func New(o Options) (*Handler, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	h := &Handler{o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("/api/ads", getOnly(h.list))
	h.mux.HandleFunc("/api/ads/{name}", getOnly(h.indicator))
	h.mux.Handle("GET /dashboard/", http.StripPrefix("/dashboard/", http.FileServerFS(o.Assets)))
	h.mux.Handle("GET /dashboard", http.RedirectHandler("/dashboard/", http.StatusMovedPermanently))
	// Anything else under the API is a JSON 404, not the mux's text one.
	h.mux.HandleFunc("/api/ads/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API path: "+r.URL.Path)
	})
	return h, nil
}

// Register mounts h on mux at /dashboard and /api/ads.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, p := range []string{"/dashboard", "/dashboard/", "/api/ads", "/api/ads/"} {
		mux.Handle(p, h)
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"today":      ads.Today(h.o.Now(), h.o.Location),
		"zone":       h.o.Location.String(),
		"indicators": ads.Indicators(),
		"charts":     hasCharts(h.o.Assets),
	})
}

// answer is GET /api/ads/<name>.
type answer struct {
	Name  string    `json:"name"`
	Title string    `json:"title"`
	Chart ads.Chart `json:"chart"`
	Date  string    `json:"date"`
	// Today is the current business day; Zone its time zone and Time the
	// time of day there when the figures were read (HH:mm:ss): the page
	// shows hours in the warehouse's zone, not the browser's.
	Today   string   `json:"today"`
	Zone    string   `json:"zone"`
	Time    string   `json:"time"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

func (h *Handler) indicator(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ind, ok := ads.Lookup(name)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown indicator "+name+" (GET /api/ads lists them)")
		return
	}
	now := h.o.Now().In(h.o.Location)
	today := ads.Today(now, h.o.Location)
	day := r.URL.Query().Get("date")
	if day == "" {
		day = today
	}
	day, err := ads.ParseDay(day)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if h.o.Querier == nil {
		writeError(w, http.StatusServiceUnavailable, "no OLAP database configured: the DWS tables are not readable")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.QueryTimeout)
	defer cancel()
	res, err := ads.Query(ctx, h.o.Querier, name, day)
	if err != nil {
		h.o.Logger.Warn("indicator query failed", "indicator", name, "date", day, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, answer{Name: name, Title: ind.Title, Chart: ind.Chart, Date: day,
		Today: today, Zone: h.o.Location.String(), Time: now.Format(time.TimeOnly), Columns: res.Columns, Rows: res.Rows})
}

// getOnly answers other methods with a JSON 405 (the mux's would be text).
func getOnly(f http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed: the API is read-only")
			return
		}
		f(w, r)
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg, "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// Live figures: never serve a cached answer.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
