package mock

import (
	"fmt"
	"sort"
	"sync"
)

// The shop's catalogue, read from the embedded seed rows: what the
// simulator sells and which promotions apply.

type skuItem struct {
	id, spu, tm, cat3 int64
	price             int64 // hundredths
	name, img         string
	activity          *activityDef // nil: in no activity
}

type activityRule struct {
	id         int64
	condAmount int64 // hundredths (type 3101)
	condNum    int64 // items (type 3102)
	benefit    int64 // hundredths off (3101)
	discount   int64 // "zhe" in hundredths: 900 pays 90% (3102)
}

type activityDef struct {
	id    int64
	typ   string         // 3101 full reduction, 3102 quantity discount
	rules []activityRule // ascending by condition
}

type couponDef struct {
	id         int64
	typ        string // 3201 amount threshold, 3203 cash voucher
	condAmount int64  // hundredths, 0 if none
	benefit    int64  // hundredths off
	rangeType  string // 3301 category3, 3302 trademark, 3303 spu
	rangeID    int64
}

// covers tells whether the coupon applies to s.
func (c *couponDef) covers(s *skuItem) bool {
	switch c.rangeType {
	case "3301":
		return s.cat3 == c.rangeID
	case "3302":
		return s.tm == c.rangeID
	case "3303":
		return s.spu == c.rangeID
	}
	return false
}

type catalogue struct {
	skus       []*skuItem // index id-1
	activities []*activityDef
	coupons    []*couponDef // index id-1
}

var (
	catOnce sync.Once
	catVal  *catalogue
)

func shopCatalogue() *catalogue {
	catOnce.Do(func() {
		c, err := loadCatalogue()
		if err != nil {
			panic(err) // embedded seed: any test run catches it
		}
		catVal = c
	})
	return catVal
}

func loadCatalogue() (*catalogue, error) {
	c := &catalogue{}
	rows := map[string][]Row{}
	for _, st := range Seed() {
		rows[st.Table.Name] = st.Rows
	}
	get := func(table string, r Row, col string) Value { return r[TableByName(table).Col(col)] }
	for _, r := range rows["sku_info"] {
		s := &skuItem{
			id:    get("sku_info", r, "id").Int64(),
			spu:   get("sku_info", r, "spu_id").Int64(),
			tm:    get("sku_info", r, "tm_id").Int64(),
			cat3:  get("sku_info", r, "category3_id").Int64(),
			price: get("sku_info", r, "price").Int64(),
			name:  get("sku_info", r, "sku_name").String(),
			img:   get("sku_info", r, "sku_default_img").String(),
		}
		if s.id != int64(len(c.skus)+1) {
			return nil, fmt.Errorf("mock: sku ids must be 1..N in order, got %d", s.id)
		}
		c.skus = append(c.skus, s)
	}
	if len(c.skus) != numSkus {
		return nil, fmt.Errorf("mock: %d skus in the seed, the log simulator assumes %d", len(c.skus), numSkus)
	}
	byID := map[int64]*activityDef{}
	for _, r := range rows["activity_info"] {
		a := &activityDef{id: get("activity_info", r, "id").Int64(), typ: get("activity_info", r, "activity_type").String()}
		byID[a.id] = a
		c.activities = append(c.activities, a)
	}
	for _, r := range rows["activity_rule"] {
		a := byID[get("activity_rule", r, "activity_id").Int64()]
		if a == nil {
			return nil, fmt.Errorf("mock: activity_rule of an unknown activity")
		}
		a.rules = append(a.rules, activityRule{
			id:         get("activity_rule", r, "id").Int64(),
			condAmount: get("activity_rule", r, "condition_amount").Int64(),
			condNum:    get("activity_rule", r, "condition_num").Int64(),
			benefit:    get("activity_rule", r, "benefit_amount").Int64(),
			discount:   get("activity_rule", r, "benefit_discount").Int64(),
		})
	}
	for _, a := range c.activities {
		sort.Slice(a.rules, func(i, j int) bool {
			return a.rules[i].condAmount+a.rules[i].condNum < a.rules[j].condAmount+a.rules[j].condNum
		})
	}
	for _, r := range rows["activity_sku"] {
		a := byID[get("activity_sku", r, "activity_id").Int64()]
		sid := get("activity_sku", r, "sku_id").Int64()
		if a == nil || sid < 1 || sid > int64(len(c.skus)) || c.skus[sid-1].activity != nil {
			return nil, fmt.Errorf("mock: activity_sku row for sku %d is invalid (unknown, or sku in two activities)", sid)
		}
		c.skus[sid-1].activity = a
	}
	for _, r := range rows["coupon_info"] {
		cp := &couponDef{
			id:         get("coupon_info", r, "id").Int64(),
			typ:        get("coupon_info", r, "coupon_type").String(),
			condAmount: get("coupon_info", r, "condition_amount").Int64(),
			benefit:    get("coupon_info", r, "benefit_amount").Int64(),
			rangeType:  get("coupon_info", r, "range_type").String(),
		}
		if cp.id != int64(len(c.coupons)+1) {
			return nil, fmt.Errorf("mock: coupon ids must be 1..N in order")
		}
		c.coupons = append(c.coupons, cp)
	}
	for _, r := range rows["coupon_range"] {
		id := get("coupon_range", r, "coupon_id").Int64()
		if id < 1 || id > int64(len(c.coupons)) {
			return nil, fmt.Errorf("mock: coupon_range of unknown coupon %d", id)
		}
		c.coupons[id-1].rangeID = get("coupon_range", r, "range_id").Int64()
	}
	if len(c.coupons) != numCoupons || len(c.activities) != numActivities {
		return nil, fmt.Errorf("mock: seed has %d coupons and %d activities, the log simulator assumes %d and %d",
			len(c.coupons), len(c.activities), numCoupons, numActivities)
	}
	return c, nil
}

// splitProRata splits total (hundredths) over weights in proportion, each
// share rounded HALF_UP to a hundredth, the last share absorbing the rounding
// so that the shares sum to total exactly (SPEC §6).
func splitProRata(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum == 0 || len(weights) == 0 {
		return out
	}
	var given int64
	for i, w := range weights[:len(weights)-1] {
		// HALF_UP of total*w/sum for non-negative integers.
		out[i] = (2*total*w + sum) / (2 * sum)
		given += out[i]
	}
	out[len(out)-1] = total - given
	return out
}

// halfUpDiv returns a/b rounded HALF_UP (a, b >= 0, b > 0).
func halfUpDiv(a, b int64) int64 { return (2*a + b) / (2 * b) }
