package mysqlcdc

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// charsets decode MySQL's character sets other than UTF-8, by MySQL's
// names (SHOW CHARACTER SET): MySQL's latin1 is cp1252.
var charsets = map[string]encoding.Encoding{
	"latin1":  charmap.Windows1252,
	"latin2":  charmap.ISO8859_2,
	"latin5":  charmap.ISO8859_9,
	"latin7":  charmap.ISO8859_13,
	"cp1250":  charmap.Windows1250,
	"cp1251":  charmap.Windows1251,
	"cp1256":  charmap.Windows1256,
	"cp1257":  charmap.Windows1257,
	"cp850":   charmap.CodePage850,
	"cp852":   charmap.CodePage852,
	"cp866":   charmap.CodePage866,
	"koi8r":   charmap.KOI8R,
	"koi8u":   charmap.KOI8U,
	"greek":   charmap.ISO8859_7,
	"hebrew":  charmap.ISO8859_8,
	"gbk":     simplifiedchinese.GBK,
	"gb2312":  simplifiedchinese.GBK, // EUC-CN, which GBK extends
	"gb18030": simplifiedchinese.GB18030,
	"big5":    traditionalchinese.Big5,
	"sjis":    japanese.ShiftJIS,
	"cp932":   japanese.ShiftJIS,
	"ujis":    japanese.EUCJP,
	"eucjpms": japanese.EUCJP,
	"euckr":   korean.EUCKR,
	"ucs2":    unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16":   unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le": unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
}

// charsetDecoder decodes a character set's bytes to UTF-8; nil when rtdw
// does not know it (the bytes then go as they are: invalid UTF-8 becomes
// U+FFFD in the formats).
func charsetDecoder(name string) *encoding.Decoder {
	if e, ok := charsets[name]; ok {
		return e.NewDecoder()
	}
	return nil
}
