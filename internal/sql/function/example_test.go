package function_test

import (
	"fmt"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/function"
)

func ExampleRegisterFunc() {
	// mask_phone(phone) for SQL: 13812345678 -> 138****5678.
	function.RegisterFunc("mask_phone", row.StringType, func(args []row.Value) (row.Value, error) {
		p := args[0].Str()
		if len(p) != 11 {
			return row.String(p), nil
		}
		return row.String(p[:3] + "****" + p[7:]), nil
	}, row.StringType)

	// What the expression compiler does with mask_phone(phone_num):
	f, _ := function.Lookup("MASK_PHONE")
	b, err := f.Bind(&function.Env{}, []function.Arg{{Type: row.StringType}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, phone := range []row.Value{row.String("13812345678"), row.Null()} {
		v, _ := b.Eval([]row.Value{phone})
		fmt.Println(v)
	}
	fmt.Println(b.Type)
	_, err = f.Bind(&function.Env{}, []function.Arg{{Type: row.IntType}})
	fmt.Println(err)
	// Output:
	// 138****5678
	// NULL
	// STRING
	// MASK_PHONE expects (STRING), got (INT)
}

func ExampleRegisterTableFunc() {
	// split_words(text): one row per word, for LATERAL TABLE(split_words(keyword)).
	function.RegisterTableFunc("split_words", []row.Column{{Name: "word", Type: row.StringType}},
		func(args []row.Value, emit func(vals ...row.Value)) error {
			if args[0].IsNull() {
				return nil
			}
			for _, w := range strings.Fields(args[0].Str()) {
				emit(row.String(w))
			}
			return nil
		}, row.StringType)

	tf, _ := function.LookupTable("SPLIT_WORDS")
	cols, eval, err := tf.Bind(&function.Env{}, []function.Arg{{Type: row.StringType}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cols[0].Name, cols[0].Type)
	_ = eval([]row.Value{row.String("xiaomi  phone 5g")}, func(vals ...row.Value) {
		fmt.Println(vals[0])
	})
	// Output:
	// word STRING
	// xiaomi
	// phone
	// 5g
}
