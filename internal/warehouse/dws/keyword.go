package dws

import (
	"strings"
	"unicode"

	"github.com/rtdw/rtdw/internal/warehouse/dws/segment"
)

// splitKeyword cuts a search keyword into words ("小米手机" -> 小米, 手机),
// ASCII letters lower-cased, dropping tokens that are only spaces or
// punctuation. The segmenter's dictionary (gse's embedded simplified-
// Chinese word list, about 9 MB in memory) is built once per process, on
// first use (about 0.1 s), and shared: Cut only reads it.
func splitKeyword(kw string) ([]string, error) {
	d, err := segment.Default()
	if err != nil {
		return nil, err
	}
	var words []string
	for _, w := range d.Cut(kw) {
		w = strings.TrimSpace(w)
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue
		}
		words = append(words, w)
	}
	return words, nil
}
