package dim

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/warehouse/ods"
)

// Rule is one row of gmall_config.table_process_dim.
type Rule struct {
	SourceTable string   `json:"source_table" yaml:"source_table"`
	SinkTable   string   `json:"sink_table" yaml:"sink_table"`
	SinkFamily  string   `json:"sink_family" yaml:"sink_family"`
	SinkColumns []string `json:"sink_columns" yaml:"sink_columns"`
	SinkRowKey  string   `json:"sink_row_key" yaml:"sink_row_key"`
}

// ConfigTable is the config table dim_app follows.
const ConfigTable = "table_process_dim"

// Validate reports a rule that cannot route anything.
func (r Rule) Validate() error {
	switch {
	case r.SourceTable == "":
		return fmt.Errorf("config row %q: source_table is empty", r.SinkTable)
	case r.SinkTable == "":
		return fmt.Errorf("config row for %q: sink_table is empty", r.SourceTable)
	case len(r.SinkColumns) == 0:
		return fmt.Errorf("config row %q: sink_columns is empty", r.SinkTable)
	case r.SinkRowKey == "":
		return fmt.Errorf("config row %q: sink_row_key is empty", r.SinkTable)
	}
	for _, c := range r.SinkColumns {
		if c == r.SinkRowKey {
			return nil
		}
	}
	return fmt.Errorf("config row %q: sink_row_key %q is not one of sink_columns %v", r.SinkTable, r.SinkRowKey, r.SinkColumns)
}

// ruleOf reads a table_process_dim row (a topic_db data object).
func ruleOf(v *fastjson.Value) (Rule, error) {
	r := Rule{
		SourceTable: string(v.GetStringBytes("source_table")),
		SinkTable:   string(v.GetStringBytes("sink_table")),
		SinkFamily:  string(v.GetStringBytes("sink_family")),
		SinkColumns: splitColumns(string(v.GetStringBytes("sink_columns"))),
		SinkRowKey:  string(v.GetStringBytes("sink_row_key")),
	}
	if r.SinkRowKey == "" {
		r.SinkRowKey = "id"
	}
	return r, r.Validate()
}

// splitColumns splits "id, name,  x" into its column names.
func splitColumns(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func cols(s string) []string { return splitColumns(s) }

// DefaultRules are SPEC §2's config rows: what applies until config rows
// arrive from gmall_config (overridable in rtdw.yaml).
func DefaultRules() []Rule {
	rule := func(src, columns string) Rule {
		return Rule{SourceTable: src, SinkTable: "dim_" + src, SinkFamily: "info", SinkColumns: cols(columns), SinkRowKey: "id"}
	}
	dic := rule("base_dic", "dic_code,dic_name,parent_code,create_time,operate_time")
	dic.SinkRowKey = "dic_code"
	return []Rule{
		rule("activity_info", "id,activity_name,activity_type,activity_desc,start_time,end_time,create_time"),
		rule("activity_rule", "id,activity_id,activity_type,condition_amount,condition_num,benefit_amount,benefit_discount,benefit_level"),
		rule("activity_sku", "id,activity_id,sku_id,create_time"),
		rule("base_category1", "id,name"),
		rule("base_category2", "id,name,category1_id"),
		rule("base_category3", "id,name,category2_id"),
		rule("base_province", "id,name,region_id,area_code,iso_code,iso_3166_2"),
		rule("base_region", "id,region_name"),
		rule("base_trademark", "id,tm_name,logo_url"),
		rule("coupon_info", "id,coupon_name,coupon_type,condition_amount,condition_num,activity_id,benefit_amount,benefit_discount,create_time,range_type,limit_num,taken_count,start_time,end_time,operate_time,expire_time,range_desc"),
		rule("coupon_range", "id,coupon_id,range_type,range_id"),
		rule("financial_sku_cost", "id,sku_id,sku_name,busi_date,is_lastest,sku_cost,create_time"),
		rule("sku_info", "id,spu_id,price,sku_name,sku_desc,weight,tm_id,category3_id,sku_default_img,is_sale,create_time"),
		rule("spu_info", "id,spu_name,description,category3_id,tm_id"),
		rule("user_info", "id,login_name,name,user_level,birthday,gender,create_time,operate_time"),
		dic,
	}
}

// ruleSet is the broadcast state: table_process_dim rows by sink table,
// indexed by source table.
type ruleSet struct {
	*ods.ConfigRows[Rule]
	bySource map[string][]Rule
}

func newRuleSet(rules []Rule) *ruleSet {
	s := &ruleSet{ConfigRows: ods.NewConfigRows(rules, func(r Rule) string { return r.SinkTable })}
	s.index()
	return s
}

func (s *ruleSet) index() {
	s.bySource = map[string][]Rule{}
	for _, r := range s.Sorted() { // deterministic output order when a table feeds several
		s.bySource[r.SourceTable] = append(s.bySource[r.SourceTable], r)
	}
}

func (s *ruleSet) marshal() ([]byte, error) { return json.Marshal(s.ConfigRows) }

func (s *ruleSet) unmarshal(b []byte) error {
	s.ConfigRows = &ods.ConfigRows[Rule]{}
	if err := json.Unmarshal(b, s.ConfigRows); err != nil {
		return err
	}
	s.index()
	return nil
}
