package segment

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/go-ego/gse"
)

// A small dictionary whose cuts can be worked out by hand. Loaded words
// and frequencies: ab 10 (the "AB" line repeats it, lower-cased, and is
// ignored), d 2 (one rune: counted as 2), 中国 100, 中国人 50, 人 2 (one
// rune), 国人 40; "c 1" is below the minimum, "x" has no frequency and
// "e f" an unparsable one. Total 204; a word costs log2(204/freq): ab 4.35,
// d 6.67, 中国 1.03, 中国人 2.03, 人 6.67, 国人 2.35; a unit alone 32.
const smallDict = "ab 10 n\nAB 20\nc 1\nd 5 n\n中国 100\n中国人 50 n\n人 3\n国人 40\nx\ne f\n"

func TestParseSmall(t *testing.T) {
	d, err := Parse(smallDict)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 6 {
		t.Errorf("Len() = %d, want 6", d.Len())
	}
	for w, want := range map[string]float32{"ab": 4.35, "d": 6.67, "中国": 1.03, "中国人": 2.03, "人": 6.67, "国人": 2.35} {
		got, ok := d.lookup(w)
		if !ok || got < want-0.01 || got > want+0.01 {
			t.Errorf("cost of %q = %v, %v, want %v", w, got, ok, want)
		}
	}
	for _, w := range []string{"AB", "c", "x", "e", "中", "a"} {
		if _, ok := d.lookup(w); ok {
			t.Errorf("%q is in the dictionary", w)
		}
	}
	for in, want := range map[string][]string{
		"中国人":      {"中国人"},      // 2.03 < 中国+人 7.70
		"国人中国":     {"国人", "中国"}, // 3.38
		"中国人人":     {"中国人", "人"}, // 8.70 < 中国+人+人 14.37
		"AB中国":     {"ab", "中国"}, // the run "AB" is one unit, lower-cased
		"abd":      {"abd"},      // one unit, not a word: alone
		"ab d, 中x": {"ab", " ", "d", ",", " ", "中", "x"},
		"x中国y":     {"x", "中国", "y"},
		"Ωmega中":   {"Ωmega", "中"}, // two-byte letters join the run, only ASCII is lower-cased
		"ａｂ":       {"ａ", "ｂ"},     // full-width letters are units of their own
		"":         nil,
	} {
		if got := d.Cut(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Cut(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustDefault(t testing.TB) *Dict {
	t.Helper()
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDefault(t *testing.T) {
	d := mustDefault(t)
	// gse's s_1.txt has 352,279 lines, a few of them the same word in
	// other capitals.
	if n := d.Len(); n < 350_000 || n > 352_279 {
		t.Errorf("Len() = %d, want about 352,000 words", n)
	}
	if d.maxUnits < 8 {
		t.Errorf("maxUnits = %d", d.maxUnits)
	}
	if s := d.Size(); s > 12<<20 {
		t.Errorf("Size() = %d bytes, want at most 12 MiB", s)
	}
	// A frequent word costs less than a rare one.
	common, ok1 := d.lookup("手机")
	rare, ok2 := d.lookup("笔记本")
	if !ok1 || !ok2 || common >= rare {
		t.Errorf("cost 手机 %v %v, 笔记本 %v %v", common, ok1, rare, ok2)
	}
}

func TestCut(t *testing.T) {
	d := mustDefault(t)
	for in, want := range map[string][]string{
		"小米手机":          {"小米", "手机"},
		"苹果手机":          {"苹果", "手机"},
		"女士连衣裙夏季新款":     {"女士", "连衣裙", "夏季", "新款"},
		"iPhone14 Pro":  {"iphone14", " ", "pro"},
		"华为Mate60Pro手机": {"华为", "mate60pro", "手机"},
		"Apple, 口红":     {"apple", ",", " ", "口红"},
		"ＰＳ５游戏机":        {"Ｐ", "Ｓ", "５", "游戏机"},
		"":              nil,
	} {
		if got := d.Cut(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Cut(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every byte of the input is in exactly one word, in order, ASCII letters
// lower-cased.
func TestCutCoversInput(t *testing.T) {
	d := mustDefault(t)
	r := rand.New(rand.NewPCG(1, 2))
	words := sampleWords(r, 2000)
	for i := 0; i < 2000; i++ {
		s := randomKeyword(r, words)
		got := d.Cut(s)
		if strings.Join(got, "") != asciiLower(s) {
			t.Fatalf("Cut(%q) = %q: not the input", s, got)
		}
		for _, w := range got {
			if w == "" {
				t.Fatalf("Cut(%q) = %q: an empty word", s, got)
			}
		}
	}
}

func asciiLower(s string) string { return string(appendLower(nil, s)) }

// ecommerceKeywords are search keywords as shoppers type them: brands,
// products, models, sizes, mixed scripts and punctuation.
var ecommerceKeywords = []string{
	"图书", "小米", "手机", "电视", "口红", "ps5", "联想", "笔记本", "衬衫", "苹果手机",
	"小米手机", "华为手机", "iPhone14 Pro", "iPhone 14 Pro Max", "iphone15promax", "华为Mate60 Pro", "华为mate60pro",
	"小米13Ultra", "红米K60", "荣耀Magic5", "OPPO Find X6", "vivo X90", "三星Galaxy S23", "一加11",
	"RTX4090显卡", "显卡", "机械键盘", "无线鼠标", "游戏本", "轻薄本", "MacBook Air M2", "联想拯救者Y9000P",
	"戴尔显示器27寸", "4K显示器", "55英寸电视", "海信电视65寸", "TCL电视", "索尼PS5光驱版", "Switch OLED",
	"蓝牙耳机", "无线蓝牙耳机", "AirPods Pro2", "降噪耳机", "智能手表", "Apple Watch S9", "小米手环8",
	"充电宝20000毫安", "数据线type-c", "快充头65W", "手机壳", "钢化膜", "平板电脑", "iPad Air5",
	"口红正品", "迪奥口红999", "YSL小金条", "兰蔻小黑瓶", "雅诗兰黛面霜", "防晒霜SPF50", "洗面奶男",
	"卸妆水", "面膜补水保湿", "香水女士持久", "眼影盘", "粉底液", "护手霜",
	"衬衫男长袖", "白衬衫女", "连衣裙夏", "女士连衣裙", "夏季新款连衣裙", "牛仔裤男", "运动鞋", "男士运动鞋",
	"耐克运动鞋", "阿迪达斯跑鞋", "李宁篮球鞋", "安踏", "羽绒服女中长款", "T恤", "纯棉T恤男", "卫衣", "休闲裤",
	"冰箱", "海尔冰箱双开门", "美的空调1.5匹", "格力空调", "洗衣机滚筒10公斤", "扫地机器人", "电饭煲",
	"空气炸锅", "电动牙刷", "吹风机", "净水器", "热水器", "微波炉", "吸尘器",
	"儿童图书", "绘本", "小说", "三体", "考研英语", "Python编程", "钢琴",
	"猫粮", "狗粮", "猫砂", "奶粉1段", "纸尿裤L码", "婴儿推车", "玩具车", "乐高积木",
	"大米5kg", "食用油", "牛奶", "咖啡豆", "茶叶", "白酒", "红酒", "零食大礼包", "坚果",
	"手机 5G", "华为手机 5G", "Apple, 口红", "「小米」手机！", "口红、眼影", "iPhone/iPad", "100元以下",
	"2023新款", "双11", "618活动", "包邮", "正品保证", "旗舰店", "自营",
	"ＰＳ５", "ｉＰｈｏｎｅ", "Café", "NIKE Air Max 90", "Ωmega", "  小米  ", "\t手机\n",
}

var (
	brands   = []string{"小米", "华为", "苹果", "联想", "三星", "荣耀", "OPPO", "vivo", "戴尔", "索尼", "海尔", "美的", "格力", "耐克", "李宁", "兰蔻"}
	products = []string{"手机", "笔记本", "电视", "耳机", "平板", "手表", "冰箱", "空调", "洗衣机", "运动鞋", "衬衫", "口红", "充电器", "路由器", "显示器", "音箱"}
	suffixes = []string{"", "新款", "官方旗舰店", "2023", " Pro", "正品", "二手", "配件"}
)

// keywordCorpus is ecommerceKeywords and brand x product (x suffix)
// combinations, a few hundred keywords.
func keywordCorpus() []string {
	kws := append([]string(nil), ecommerceKeywords...)
	for i, b := range brands {
		for j, p := range products {
			kws = append(kws, b+p+suffixes[(i+j)%len(suffixes)])
		}
	}
	return kws
}

// sampleWords picks n words of gse's word list.
func sampleWords(r *rand.Rand, n int) []string {
	lines := strings.Split(zhS, "\n")
	words := make([]string, 0, n)
	for len(words) < n {
		if w, _, ok := strings.Cut(lines[r.IntN(len(lines))], " "); ok {
			words = append(words, w)
		}
	}
	return words
}

// randomKeyword strings dictionary words, pieces of them, ASCII letters
// and digits, spaces and punctuation together.
func randomKeyword(r *rand.Rand, words []string) string {
	var b strings.Builder
	for range 1 + r.IntN(6) {
		switch r.IntN(8) {
		case 0, 1, 2:
			b.WriteString(words[r.IntN(len(words))])
		case 3:
			w := []rune(words[r.IntN(len(words))])
			b.WriteString(string(w[r.IntN(len(w)):]))
		case 4:
			b.WriteString([]string{"Pro", "max", "5G", "iPhone", "X", "256GB", "k60", "A1"}[r.IntN(8)])
		case 5:
			b.WriteString(strings.Repeat("0123456789"[r.IntN(10):][:1], 1+r.IntN(3)))
		case 6:
			b.WriteString([]string{" ", ",", "，", "！", "、", "-", "/", "(", "）", "·"}[r.IntN(10)])
		case 7:
			b.WriteString([]string{"Ｐ", "５", "é", "Ω", "\xff", "の", "한"}[r.IntN(7)])
		}
	}
	return b.String()
}

// The segmenter gives gse v0.80.3's cuts (Segmenter.Cut over
// NewEmbed("zh_s"), which the keyword job used before), on typical
// keywords and on random strings of dictionary words, ASCII and
// punctuation.
func TestCutAgreesWithGse(t *testing.T) {
	d := mustDefault(t)
	g, err := gse.NewEmbed("zh_s")
	if err != nil {
		t.Fatal(err)
	}
	compare := func(name string, kws []string) {
		agree := 0
		for _, kw := range kws {
			want := g.Cut(kw)
			if len(want) == 0 {
				want = nil
			}
			if got := d.Cut(kw); reflect.DeepEqual(got, want) {
				agree++
			} else {
				t.Errorf("Cut(%q) = %q, gse %q", kw, got, want)
			}
		}
		t.Logf("%s: %d of %d cuts agree with gse (%.1f %%)", name, agree, len(kws), 100*float64(agree)/float64(len(kws)))
	}
	corpus := keywordCorpus()
	if len(corpus) < 300 {
		t.Fatalf("corpus of %d keywords", len(corpus))
	}
	compare("e-commerce keywords", corpus)

	r := rand.New(rand.NewPCG(3, 4))
	words := sampleWords(r, 5000)
	random := make([]string, 5000)
	for i := range random {
		random[i] = randomKeyword(r, words)
	}
	compare("random strings", random)
}
