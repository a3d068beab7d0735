package dws

import (
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// KeywordPageViewJob counts search keyword words per window.
const KeywordPageViewJob = TableKeywordPageView

var keywordTable = &table{
	name:     TableKeywordPageView,
	dims:     []string{"keyword"},
	measures: counts("keyword_count"),
}

// KeywordPageView is dws_traffic_source_keyword_page_view_window: page
// views reached from the search page with a keyword, the keyword cut into
// words by a Chinese segmenter, one count per word.
//
//	dwd_traffic_page ─ time ─ words ─ keyBy(keyword) ─ window ─┬► dws_traffic_source_keyword_page_view_window
//	                                                           └► dirty_data (late)
func KeywordPageView(cfg Config) *stream.Job {
	c := cfg.mustValid()
	j := newJob(KeywordPageViewJob)
	j.DeadLetter = TopicDirty
	words := c.source(j, TopicTrafficPage, logTime).
		Process("time", withTime(logTime)).Main().
		Process("words", operator.FlatMap(keywordWords)).Main()
	c.windowed(words, keywordTable).To(TableKeywordPageView)
	return j
}

func keywordWords(rec *stream.Record, emit func(stream.Record)) error {
	v, _ := rec.JSON() // withTime checked it
	page := v.Get("page")
	if page == nil || page.Type() != fastjson.TypeObject {
		return stream.BadInput("missing_field", `no "page"`)
	}
	if string(page.GetStringBytes("last_page_id")) != "search" || string(page.GetStringBytes("item_type")) != "keyword" {
		return nil
	}
	kw, ok := text(page, "item")
	if !ok {
		return nil // a search that sent no keyword: nothing to count (SPEC: item not null)
	}
	words, err := splitKeyword(kw)
	if err != nil {
		return fmt.Errorf("keyword segmenter: %w", err)
	}
	for _, w := range words {
		emit(beanRecord(rec, bean{D: []string{w}, N: []int64{1}}))
	}
	return nil
}
