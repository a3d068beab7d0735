package mysqlcdc

import (
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// TestTimestampRenderedInConfiguredZone: one TIMESTAMP instant, written
// three times (before the reader: the snapshot; while it streams; after a
// SET GLOBAL time_zone and a restart), is the same text every time: the
// instant in the configured zone, whatever the server's time_zone. It used
// to follow the server's zone read at start: 04:00 before, 12:00 after.
// DATETIME (no zone) is its text as written.
func TestTimestampRenderedInConfiguredZone(t *testing.T) {
	e := newEnv(t, 1)
	t.Cleanup(func() { e.db.Exec("SET GLOBAL time_zone = 'SYSTEM'") })
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	e.exec("SET GLOBAL time_zone = '+04:00'",
		`CREATE TABLE tz (id BIGINT NOT NULL PRIMARY KEY, ts TIMESTAMP NULL DEFAULT NULL,
			ts3 TIMESTAMP(3) NULL DEFAULT NULL, dt DATETIME) ENGINE=InnoDB`)
	// The instant 2026-11-21 00:00:00.250 UTC, stated in the session's zone.
	insert := func(id string) {
		e.exec("SET time_zone = '+00:00'; INSERT INTO tz VALUES (" + id +
			", '2026-11-21 00:00:00', '2026-11-21 00:00:00.250', '2026-11-21 00:00:00'); SET time_zone = DEFAULT")
	}
	insert("1") // the snapshot's row

	r := e.start(Config{Location: shanghai})
	e.caughtUp(r)
	insert("2")
	e.caughtUp(r)
	r.stop(t)

	e.exec("SET GLOBAL time_zone = '+12:00'")
	r = e.start(Config{Location: shanghai})
	e.caughtUp(r)
	insert("3")
	e.caughtUp(r)
	r.stop(t)

	// Written by hand: 00:00 UTC is 08:00 in Shanghai (+08:00, no DST).
	const want = `{"ts":"2026-11-21 08:00:00","ts3":"2026-11-21 08:00:00.250","dt":"2026-11-21 00:00:00"}`
	got := map[string]string{}
	var p fastjson.Parser
	for _, rec := range e.records() {
		v, err := p.ParseBytes(rec.Value)
		if err != nil {
			t.Fatal(err)
		}
		typ := string(v.GetStringBytes("type"))
		if typ != "insert" && typ != "bootstrap-insert" {
			continue
		}
		d := v.Get("data")
		id := d.Get("id").String()
		d.Del("id")
		got[id] = typ + " " + d.String()
	}
	for id, typ := range map[string]string{"1": "bootstrap-insert", "2": "insert", "3": "insert"} {
		if got[id] != typ+" "+want {
			t.Errorf("row %s: %s\nwant %s %s", id, got[id], typ, want)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d rows, want 3: %v", len(got), got)
	}
}

// appendTimestamp renders a snapshot's UTC text in the zone, keeping its
// fractional digits; the zero value and NULL pass as they are.
func TestAppendTimestamp(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	ny, _ := time.LoadLocation("America/New_York")
	for _, c := range []struct {
		in   string
		null bool
		loc  *time.Location
		want string
	}{
		{in: "2026-11-21 00:00:00", loc: shanghai, want: `"2026-11-21 08:00:00"`},
		{in: "2026-11-20 16:30:00.123456", loc: shanghai, want: `"2026-11-21 00:30:00.123456"`},
		{in: "2026-07-01 12:00:00.5", loc: ny, want: `"2026-07-01 08:00:00.5"`}, // EDT, -04:00
		{in: "2026-01-01 12:00:00", loc: ny, want: `"2026-01-01 07:00:00"`},     // EST, -05:00
		{in: "0000-00-00 00:00:00", loc: shanghai, want: `"0000-00-00 00:00:00"`},
		{null: true, loc: shanghai, want: `null`},
	} {
		var v []byte
		if !c.null {
			v = []byte(c.in)
		}
		if got := string(appendTimestamp(nil, v, c.loc)); got != c.want {
			t.Errorf("%q in %s: %s, want %s", c.in, c.loc, got, c.want)
		}
	}
	if got := string(appendTimestamp(nil, []byte("x"), shanghai)); got != `"x"` {
		t.Errorf("unparsable text: %s, want it kept", got)
	}
}
