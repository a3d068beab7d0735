package stream

import (
	"encoding/json"

	rlog "github.com/rtdw/rtdw/internal/log"
)

type rlogHeader = rlog.Header

func jsonMarshal(v any) []byte { b, _ := json.Marshal(v); return b }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
