package log

import "testing"

// Expected values are Kafka's own: org.apache.kafka.common.utils.UtilsTest
// (testMurmur2) and the partitions Java's DefaultPartitioner assigns.
func TestMurmur2MatchesKafka(t *testing.T) {
	cases := []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	for _, c := range cases {
		if got := int32(murmur2([]byte(c.in))); got != c.want {
			t.Errorf("murmur2(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestPartitionForIsStableAndInRange(t *testing.T) {
	for n := int32(1); n <= 16; n++ {
		for _, k := range []string{"", "mid_1", "mid_2", "x"} {
			p := PartitionFor([]byte(k), n)
			if p < 0 || p >= n || p != PartitionFor([]byte(k), n) {
				t.Fatalf("PartitionFor(%q,%d)=%d", k, n, p)
			}
		}
	}
}
