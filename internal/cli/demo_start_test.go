package cli

import (
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/mock"
)

// A live demo's shop began its day liveBackfill ago (not before
// midnight), so that what the dashboard shows is there at once: the
// events up to now, written without waiting, hold orders, provinces and
// refunds.
func TestDemoLiveStartHasFiguresAtOnce(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, loc)
	now := day.Add(15 * time.Hour)
	if got, want := liveStart(now, day), now.Add(-liveBackfill).UnixMilli(); got != want {
		t.Errorf("start %v, want %v", time.UnixMilli(got), time.UnixMilli(want))
	}
	if got := liveStart(day.Add(10*time.Minute), day); got != day.UnixMilli() {
		t.Errorf("start at 00:10 is %v, want midnight", time.UnixMilli(got).In(loc))
	}
	// The default live shop (100000 sessions) of a few seeds: orders,
	// payments and refunds before now.
	for seed := int64(1); seed <= 3; seed++ {
		start := liveStart(now, day)
		shop, err := mock.NewShop(mock.ShopConfig{Seed: seed, Date: day.Format("2006-01-02"), Location: loc, Start: start,
			Sessions: 100_000, Users: 1000})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for {
			ev, ok := shop.Next()
			if !ok || ev.TS > now.UnixMilli() {
				break
			}
			if ev.Txn != nil {
				for _, c := range ev.Txn.Changes {
					seen[c.Table.Name] = true
				}
			}
		}
		for _, table := range []string{"order_info", "payment_info", "order_refund_info"} {
			if !seen[table] {
				t.Errorf("seed %d: no %s in the first %v", seed, table, liveBackfill)
			}
		}
	}
}
