package dim

import (
	"sync"
	"time"

	dimstore "github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// Job is dim_app's name: its consumer group and checkpoint identity.
const Job = "dim_app"

// Config configures dim_app.
type Config struct {
	Store         dimstore.Store
	TopicDBFormat string // topicdb format; default auto
	BusinessDB    string // default gmall
	// Rules apply until table_process_dim rows arrive; default DefaultRules.
	Rules []Rule
	// OutOfOrderness bounds how late topic_db may be (default 3 s); records
	// no rule covers wait this long for their config row.
	OutOfOrderness time.Duration
	// MaxHold bounds, in processing time, how long such a record waits
	// when the watermark does not move (a quiet input); default 10 s.
	MaxHold time.Duration
}

// App builds dim_app:
//
//	topic_db ─ normalize ─ broadcast(table_process_dim rows) ─ route ─ write dims
func App(c Config) *stream.Job {
	if c.TopicDBFormat == "" {
		c.TopicDBFormat = "auto"
	}
	if c.BusinessDB == "" {
		c.BusinessDB = "gmall"
	}
	if c.Rules == nil {
		c.Rules = DefaultRules()
	}
	if c.OutOfOrderness == 0 {
		c.OutOfOrderness = 3 * time.Second
	}
	warned := &sync.Map{}
	j := stream.NewJob(Job)
	j.Source(ods.TopicDB, stream.EventTime(ods.EventTime(c.TopicDBFormat)), stream.OutOfOrderness(c.OutOfOrderness), ods.PlausibleTime()).
		Process("normalize", ods.NormalizeDeferring(c.TopicDBFormat)).Main().
		Broadcast("config", ods.IsConfigTable(ConfigTable)).
		Process("route", operator.Broadcast(func() operator.Rules {
			return &router{businessDB: c.BusinessDB, format: c.TopicDBFormat, norm: ods.NewNormalizer(c.TopicDBFormat),
				set: newRuleSet(c.Rules), warned: warned}
		}, c.MaxHold)).Main().
		Process("write_dims", newWriter(c.Store))
	return j
}
