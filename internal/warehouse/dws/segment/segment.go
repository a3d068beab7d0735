// Package segment cuts Chinese text, such as e-commerce search keywords,
// into words ("小米手机" -> 小米, 手机), with the simplified-Chinese word
// list and frequencies of github.com/go-ego/gse ("zh_s", embedded in that
// module) held in a compact form.
//
// It gives the same cuts as gse v0.80.3's Segmenter.Cut(s) (its default,
// shortest-path mode, no HMM) over the dictionary gse.NewEmbed("zh_s")
// loads, but keeps the dictionary as one byte blob of the words with
// offsets, word costs and a hash table (about 9 MB of heap) instead of
// gse's cedar trie and per-word token tables (about 130 MB), and builds it
// in a twentieth of the time (no search-mode sub-segmentation of every
// word, no HMM model).
//
// The algorithm (the one gse took over from sego):
//
//   - The text is split into units: a run of letters and digits encoded in
//     one or two UTF-8 bytes (Latin, Greek, Cyrillic, ...) is one unit,
//     lower-cased (ASCII only); every other rune (a Han character, a
//     space, punctuation, a full-width letter) is a unit of its own.
//   - A word of the dictionary, split the same way, matches a sequence of
//     units with the same bytes. Each word costs log2(total frequency) -
//     log2(its frequency), as float32; a unit no one-unit word matches can
//     also be taken alone at cost 32.
//   - The cut is the sequence of words and single units covering the text
//     with the least total cost (Viterbi from left to right; on a tie, the
//     word found first, i.e. starting earlier, wins).
package segment

import (
	"errors"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// pseudoCost is the cost of a unit taken alone when no one-unit word of
// the dictionary matches it (gse: a pseudo token of distance 32).
const pseudoCost float32 = 32

// minFreq is the lowest frequency a dictionary line may have to be
// loaded (gse: Segmenter.MinTokenFreq's default); one-rune words count
// as minFreq whatever their line says.
const minFreq = 2.0

// Dict is a word list with costs, read-only once built, so one Dict may
// be shared by any number of goroutines. The words are looked up in an
// open-addressing hash table of word numbers (linear probing, at most half
// full), each slot keeping a few bits of its word's hash to skip most
// byte comparisons.
type Dict struct {
	blob     []byte    // the words, lower-cased (ASCII), back to back
	off      []uint32  // word i is blob[off[i]:off[i+1]]
	cost     []float32 // word i costs cost[i]
	slots    []uint32  // 0: empty; else hash tag << idxBits | word number + 1
	idxBits  uint
	seed     maphash.Seed
	maxUnits int // the most units in one word
}

// Len is the number of distinct words.
func (d *Dict) Len() int { return len(d.cost) }

// Size is the dictionary's resident size in bytes.
func (d *Dict) Size() int { return cap(d.blob) + 4*(cap(d.off)+cap(d.cost)+cap(d.slots)) }

var defaultDict = sync.OnceValues(func() (*Dict, error) {
	if zhS == "" {
		return nil, errors.New("segment: the gse module has no embedded zh_s dictionary (built with the \"ne\" tag?)")
	}
	return Parse(zhS)
})

// Default is the dictionary of gse's embedded "zh_s" word list, built on
// first use (about 0.1 s) and shared.
func Default() (*Dict, error) { return defaultDict() }

// Parse builds a dictionary from a word list in gse's format: one word a
// line, "word frequency [part of speech]", fields separated by single
// spaces. Lines with fewer than two fields, an unparsable frequency or one
// below 2 are skipped, as gse does; a word listed twice (after
// lower-casing) keeps its first line.
func Parse(src string) (*Dict, error) {
	lines := strings.Count(src, "\n") + 1
	if lines >= 1<<28 || len(src) > math.MaxUint32 {
		return nil, errors.New("segment: dictionary too large")
	}
	d := &Dict{
		blob:    make([]byte, 0, len(src)*3/5), // about the words' share of a line
		off:     make([]uint32, 1, lines+1),
		idxBits: uint(bits.Len(uint(lines))),
		seed:    maphash.MakeSeed(),
	}
	d.slots = make([]uint32, 2*lines+1)
	freqs := make([]float64, 0, lines)
	var total float64
	for len(src) > 0 {
		line := src
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = ""
		}
		word, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue // one field: no frequency
		}
		freqText, _, _ := strings.Cut(rest, " ")
		word = strings.TrimSpace(word)
		freq, err := strconv.ParseFloat(strings.TrimSpace(freqText), 64)
		if err != nil || freq < minFreq {
			continue
		}
		if utf8.RuneCountInString(word) < 2 {
			freq = minFreq
		}
		w := word
		if hasUpper(w) {
			w = string(appendLower(nil, w))
		}
		slot, found := d.find(w)
		if found {
			continue // listed before: the first line wins
		}
		d.blob = append(d.blob, w...)
		d.slots[slot] = d.tag(w)<<d.idxBits | uint32(len(freqs)+1)
		d.off = append(d.off, uint32(len(d.blob)))
		freqs = append(freqs, freq)
		total += freq
		d.maxUnits = max(d.maxUnits, countUnits(w))
	}
	d.blob = slices.Clip(d.blob)
	d.off = slices.Clip(d.off)
	d.cost = make([]float32, len(freqs))
	logTotal := float32(math.Log2(total))
	for i, f := range freqs {
		d.cost[i] = logTotal - float32(math.Log2(f))
	}
	return d, nil
}

func (d *Dict) hash(w string) uint64 { return maphash.String(d.seed, w) }

// tag is the hash bits a slot keeps beside the word number.
func (d *Dict) tag(w string) uint32 { return uint32(d.hash(w) >> (32 + d.idxBits)) }

// find is the slot of word w, or the empty slot where it would go.
func (d *Dict) find(w string) (slot int, found bool) {
	h := d.hash(w)
	tag := uint32(h >> (32 + d.idxBits))
	n := uint64(len(d.slots))
	i := int((h & math.MaxUint32) * n >> 32)
	for {
		s := d.slots[i]
		if s == 0 {
			return i, false
		}
		if s>>d.idxBits == tag {
			k := s&(1<<d.idxBits-1) - 1
			if string(d.blob[d.off[k]:d.off[k+1]]) == w {
				return i, true
			}
		}
		if i++; i == len(d.slots) {
			i = 0
		}
	}
}

// lookup is the cost of word w, if the dictionary has it.
func (d *Dict) lookup(w string) (float32, bool) {
	slot, found := d.find(w)
	if !found {
		return 0, false
	}
	return d.cost[d.slots[slot]&(1<<d.idxBits-1)-1], true
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// appendLower appends s with ASCII upper-case letters lower-cased.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// alnum reports whether a rune of size bytes joins a letter-and-digit run.
func alnum(r rune, size int) bool {
	return size <= 2 && (unicode.IsLetter(r) || unicode.IsNumber(r))
}

// appendUnits appends the end offset of each unit of s to dst.
func appendUnits(dst []int, s string) []int {
	inRun := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		a := alnum(r, size)
		if inRun && !a {
			dst = append(dst, i) // the run ends before this rune
		}
		inRun = a
		i += size
		if !a {
			dst = append(dst, i)
		}
	}
	if inRun {
		dst = append(dst, len(s))
	}
	return dst
}

func countUnits(s string) int {
	var buf [32]int
	return len(appendUnits(buf[:0], s))
}

type jump struct {
	cost  float32 // least cost of a cut of the units up to here, 0 if none yet
	units int     // units in the cut's last word
}

func (j *jump) update(base, cost float32, units int) {
	if c := base + cost; j.cost == 0 || j.cost > c {
		j.cost, j.units = c, units
	}
}

// Cut cuts s into words, lower-casing ASCII letters; every byte of s is in
// exactly one word (spaces and punctuation are words of their own).
func (d *Dict) Cut(s string) []string {
	if s == "" {
		return nil
	}
	low := s // the words are substrings of low
	if hasUpper(s) {
		low = string(appendLower(make([]byte, 0, len(s)), s))
	}
	var ends [32]int
	unitEnd := appendUnits(ends[:0], low)
	var jumps [32]jump
	var j []jump
	if len(unitEnd) > len(jumps) {
		j = make([]jump, len(unitEnd))
	} else {
		j = jumps[:len(unitEnd)]
	}
	start := func(u int) int {
		if u == 0 {
			return 0
		}
		return unitEnd[u-1]
	}

	for cur := range unitEnd {
		var base float32
		if cur > 0 {
			base = j[cur-1].cost
		}
		// The words that start at unit cur, shortest first.
		oneUnitWord := false
		from := start(cur)
		for u := cur; u < min(cur+d.maxUnits, len(unitEnd)); u++ {
			if cost, ok := d.lookup(low[from:unitEnd[u]]); ok {
				j[u].update(base, cost, u-cur+1)
				oneUnitWord = oneUnitWord || u == cur
			}
		}
		if !oneUnitWord {
			j[cur].update(base, pseudoCost, 1)
		}
	}

	n := 0
	for u := len(unitEnd) - 1; u >= 0; u -= j[u].units {
		n++
	}
	words := make([]string, n)
	for u := len(unitEnd) - 1; u >= 0; u -= j[u].units {
		n--
		words[n] = low[start(u-j[u].units+1):unitEnd[u]]
	}
	return words
}
