package applog

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rtdw/rtdw/internal/log/embedded"
)

// BenchmarkPostOneLine: clients POST one app-log line each, 1 to 64
// in parallel, to a collector on an embedded log that fsyncs (as an app
// fleet's SDKs flushing small batches). Every answer is a durable commit;
// compare lines/s between the two.
func BenchmarkPostOneLine(b *testing.B) {
	line := `{"common":{"mid":"mid_1","uid":"1","ar":"110000","ch":"xiaomi","vc":"v2.1.134","is_new":"0","md":"Xiaomi 9","os":"Android 11.0","ba":"Xiaomi","sid":"s1"},"page":{"page_id":"home","during_time":1000},"ts":1717200000000}` + "\n"
	for _, clients := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			l, err := embedded.Open(embedded.Options{Dir: b.TempDir(), RetentionInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			c, err := New(context.Background(), Options{Log: l})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			srv := httptest.NewServer(c.Handler(HTTPOptions{}))
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			work := make(chan struct{})
			var wg sync.WaitGroup
			var failed sync.Once
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						resp, err := hc.Post(srv.URL+"/applog", "application/json", strings.NewReader(line))
						if err == nil {
							io.Copy(io.Discard, resp.Body) // so the connection is reused
							resp.Body.Close()
						}
						if err != nil || resp.StatusCode != http.StatusOK {
							failed.Do(func() { b.Errorf("post: %v %v", err, resp) })
						}
					}
				}()
			}
			for b.Loop() {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
