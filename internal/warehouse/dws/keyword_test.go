package dws

import (
	"encoding/csv"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// Typical e-commerce search keywords, cut by hand.
func TestSplitKeywordTypical(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"小米手机", []string{"小米", "手机"}},
		{"华为手机", []string{"华为", "手机"}},
		{"苹果手机", []string{"苹果", "手机"}},
		{"联想笔记本", []string{"联想", "笔记本"}},
		{"女士连衣裙", []string{"女士", "连衣裙"}},
		{"男士运动鞋", []string{"男士", "运动鞋"}},
		{"夏季新款连衣裙", []string{"夏季", "新款", "连衣裙"}},
		{"男士衬衫", []string{"男士", "衬衫"}},
		{"无线蓝牙耳机", []string{"无线", "蓝牙", "耳机"}},
		{"洗衣机", []string{"洗衣机"}},
		// Runs of ASCII letters and digits are one word, lower-cased.
		{"iPhone14 Pro", []string{"iphone14", "pro"}},
		{"iPhone 14 Pro Max", []string{"iphone", "14", "pro", "max"}},
		{"华为Mate60 Pro", []string{"华为", "mate60", "pro"}},
		{"小米13Ultra", []string{"小米", "13ultra"}},
		{"RTX4090显卡", []string{"rtx4090", "显卡"}},
		{"PS5", []string{"ps5"}},
		{"4K电视", []string{"4k", "电视"}},
		{"55英寸电视", []string{"55", "英寸", "电视"}},
		// Spaces and punctuation, ASCII or full-width, are dropped.
		{"Apple, 口红", []string{"apple", "口红"}},
		{"「小米」手机！", []string{"小米", "手机"}},
		{"，。！", nil},
		{" ", nil},
		{"", nil},
	} {
		got, err := splitKeyword(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitKeyword(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The end-to-end oracle (internal/cli/testdata/e2e,
// dws_traffic_source_keyword_page_view_window.sql) counts the words of
// keyword_words.csv, a hand-written segmentation of every keyword the shop
// simulator searches for: the stream job must cut each keyword the same.
func TestSplitKeywordMatchesE2EKeywordWords(t *testing.T) {
	f, err := os.Open("../../cli/testdata/e2e/keyword_words.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 || !reflect.DeepEqual(recs[0], []string{"keyword", "word"}) {
		t.Fatalf("keyword_words.csv: want a keyword,word header and rows, got %q", recs)
	}
	want := map[string][]string{}
	for _, r := range recs[1:] {
		want[r[0]] = append(want[r[0]], r[1])
	}

	simulated := simulatorKeywords(t)
	if len(simulated) < 5 {
		t.Fatalf("found %d simulator keywords in internal/mock, want the list", len(simulated))
	}
	for _, kw := range simulated {
		if _, ok := want[kw]; !ok {
			t.Errorf("simulator keyword %q has no hand-written segmentation in keyword_words.csv", kw)
		}
	}
	for kw, words := range want {
		got, err := splitKeyword(kw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, words) {
			t.Errorf("splitKeyword(%q) = %q, keyword_words.csv has %q", kw, got, words)
		}
	}
}

// simulatorKeywords reads the shop simulator's search keywords, the
// string literals of searchKeywords in internal/mock/applog.go.
func simulatorKeywords(t *testing.T) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "../../mock/applog.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kws []string
	ast.Inspect(file, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if name.Name != "searchKeywords" || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.CompositeLit)
			if !ok {
				t.Fatalf("searchKeywords is not a slice literal")
			}
			for _, e := range lit.Elts {
				b, ok := e.(*ast.BasicLit)
				if !ok || b.Kind != token.STRING {
					t.Fatalf("searchKeywords holds a non-literal %T", e)
				}
				s, err := strconv.Unquote(b.Value)
				if err != nil {
					t.Fatal(err)
				}
				kws = append(kws, s)
			}
		}
		return false
	})
	return kws
}
