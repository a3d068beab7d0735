package remote

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// Handler serves l's topics under /api/log/ to clients presenting token.
// The token is checked before a byte of body is read; bodies are capped
// (MaxRequestBody). Serve it behind httpguard (timeouts, bodies in flight,
// the --auth-token).
func Handler(l rlog.Log, token string) http.Handler {
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, err error) {
		code := http.StatusInternalServerError
		kind := Kind(err)
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, rlog.ErrUnknownTopic):
			code = http.StatusNotFound
		case errors.As(err, &tooBig):
			code = http.StatusRequestEntityTooLarge
		case kind != "" || errors.As(err, &syntax) || errors.As(err, &typ):
			code = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(errorJSON{Error: err.Error(), Kind: kind})
	}
	reply := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	part := func(r *http.Request) rlog.TopicPartition {
		p, _ := strconv.Atoi(r.URL.Query().Get("partition"))
		return rlog.TopicPartition{Topic: r.PathValue("topic"), Partition: int32(p)}
	}
	mux.HandleFunc("GET /api/log/topics", func(w http.ResponseWriter, r *http.Request) {
		ts, err := l.ListTopics(r.Context())
		out := make([]TopicJSON, len(ts))
		for i, t := range ts {
			out[i] = ToJSON(t)
		}
		reply(w, out, err)
	})
	mux.HandleFunc("POST /api/log/topics", func(w http.ResponseWriter, r *http.Request) {
		var t TopicJSON
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&t); err != nil {
			fail(w, err)
			return
		}
		info := fromJSON(t)
		reply(w, struct{}{}, l.CreateTopic(r.Context(), info.Name, info.TopicConfig))
	})
	mux.HandleFunc("GET /api/log/topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
		t, err := l.DescribeTopic(r.Context(), r.PathValue("topic"))
		reply(w, ToJSON(t), err)
	})
	mux.HandleFunc("GET /api/log/topics/{topic}/offsets", func(w http.ResponseWriter, r *http.Request) {
		start, end, err := l.Offsets(r.Context(), part(r))
		reply(w, OffsetsJSON{Start: start, End: end}, err)
	})
	mux.HandleFunc("GET /api/log/topics/{topic}/fetch", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		off, _ := strconv.ParseInt(q.Get("offset"), 10, 64)
		max, _ := strconv.Atoi(q.Get("max"))
		wait, _ := strconv.Atoi(q.Get("wait_ms"))
		recs, err := l.Fetch(r.Context(), part(r), off, min(max, 10000), min(time.Duration(wait)*time.Millisecond, 30*time.Second))
		if recs == nil {
			recs = []rlog.Record{}
		}
		reply(w, recs, err)
	})
	unsupported := func(w http.ResponseWriter, what string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotImplemented)
		json.NewEncoder(w).Encode(errorJSON{Error: what + ": not supported by this log"})
	}
	mux.HandleFunc("DELETE /api/log/topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
		ta, ok := l.(rlog.TopicAdmin)
		if !ok {
			unsupported(w, "delete topic")
			return
		}
		reply(w, struct{}{}, ta.DeleteTopic(r.Context(), r.PathValue("topic")))
	})
	mux.HandleFunc("PATCH /api/log/topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
		ta, ok := l.(rlog.TopicAdmin)
		if !ok {
			unsupported(w, "alter topic")
			return
		}
		var a AlterJSON
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&a); err != nil {
			fail(w, err)
			return
		}
		reply(w, struct{}{}, ta.AlterTopic(r.Context(), r.PathValue("topic"), alterFromJSON(a)))
	})
	mux.HandleFunc("GET /api/log/topics/{topic}/offset-for-time", func(w http.ResponseWriter, r *http.Request) {
		ts, err := strconv.ParseInt(r.URL.Query().Get("ts"), 10, 64)
		if err != nil {
			fail(w, err)
			return
		}
		off, err := rlog.OffsetForTime(r.Context(), l, part(r), ts)
		reply(w, offsetJSON{Offset: off}, err)
	})
	mux.HandleFunc("GET /api/log/groups", func(w http.ResponseWriter, r *http.Request) {
		gl, ok := l.(rlog.GroupLister)
		if !ok {
			unsupported(w, "list groups")
			return
		}
		gs, err := gl.ListGroups(r.Context())
		if gs == nil {
			gs = []string{}
		}
		reply(w, gs, err)
	})
	mux.HandleFunc("GET /api/log/groups/{group}/offsets", func(w http.ResponseWriter, r *http.Request) {
		gl, ok := l.(rlog.GroupLister)
		if !ok {
			unsupported(w, "group offsets")
			return
		}
		offs, err := gl.GroupOffsets(r.Context(), r.PathValue("group"))
		out := make([]GroupOffsetJSON, 0, len(offs))
		for tp, o := range offs {
			out = append(out, GroupOffsetJSON{Topic: tp.Topic, Partition: tp.Partition, Offset: o})
		}
		reply(w, out, err)
	})
	mux.HandleFunc("POST /api/log/produce", func(w http.ResponseWriter, r *http.Request) {
		var recs []rlog.Record
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody)).Decode(&recs); err != nil {
			fail(w, err)
			return
		}
		reply(w, struct{}{}, l.Produce(r.Context(), recs...))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !HasToken(r, token) {
			http.Error(w, `{"error":"missing or wrong `+TokenHeader+` (read it from the data dir's rtdw.addr)"}`, http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// HasToken reports whether r presents the serving process's token (in
// TokenHeader; constant-time compare). Other read paths into a running
// rtdw (its dimension store) check it the same way.
func HasToken(r *http.Request, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(token)) == 1
}
