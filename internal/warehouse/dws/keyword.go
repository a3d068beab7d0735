package dws

import (
	"strings"
	"sync"
	"unicode"

	"github.com/go-ego/gse"
)

// The segmenter's simplified-Chinese dictionary is embedded in gse (no
// file or network access) and takes about 2 s and 100 MB to load, so it is
// loaded once per process, on first use, and shared: Cut only reads it.
var (
	segOnce sync.Once
	seg     gse.Segmenter
	segErr  error
)

func segmenter() (*gse.Segmenter, error) {
	segOnce.Do(func() { seg, segErr = gse.NewEmbed("zh_s") })
	return &seg, segErr
}

// splitKeyword cuts a search keyword into words ("小米手机" -> 小米, 手机),
// lower-cased by gse, dropping tokens that are only spaces or punctuation.
func splitKeyword(kw string) ([]string, error) {
	s, err := segmenter()
	if err != nil {
		return nil, err
	}
	var words []string
	for _, w := range s.Cut(kw) {
		w = strings.TrimSpace(w)
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue
		}
		words = append(words, w)
	}
	return words, nil
}
