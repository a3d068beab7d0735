package httpguard

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Two clients dribbling their bodies take both in-flight slots; they are
// cut off (408) once they fall below the minimum rate after the grace,
// long before ReadTimeout, and a normal upload then goes through.
func TestSlowBodiesFreeTheirSlots(t *testing.T) {
	dribbling := make(chan struct{}, 2)
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 100000 { // a dribbler, in its slot
			dribbling <- struct{}{}
		}
		n, err := io.Copy(io.Discard, r.Body)
		switch {
		case errors.Is(err, ErrSlowBody):
			http.Error(w, err.Error(), http.StatusRequestTimeout)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			fmt.Fprint(w, n)
		}
	}), Options{MaxInFlight: 2, ReadTimeout: time.Minute, MinBodyRate: 1000, BodyGrace: 200 * time.Millisecond, MaxBody: 1 << 20})

	var slow []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
		slow = append(slow, c)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond): // 50 bytes/s
			}
			for _, c := range slow {
				c.Write([]byte("x"))
			}
		}
	}()
	// Both slots are taken until the dribblers are cut off. (Uploads start
	// once both dribblers hold their slots: one sent earlier could take a
	// slot first and leave a dribbler a 503.)
	for range 2 {
		select {
		case <-dribbling:
		case <-time.After(30 * time.Second):
			t.Fatal("the dribblers never reached the handler")
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Post("http://"+addr+"/", "text/plain", bytes.NewReader(make([]byte, 512<<10)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && string(b) == fmt.Sprint(512<<10) {
			break
		}
		if resp.StatusCode != 503 || time.Now().After(deadline) {
			t.Fatalf("upload: %d %q", resp.StatusCode, b)
		}
	}
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("dribbler %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "too slowly") {
			t.Fatalf("dribbler %d: %d %q", i, resp.StatusCode, b)
		}
	}
}

// A handler that never reads the body does not leave the connection to a
// dribbler: what the server discards after it is bounded by the grace.
func TestUnreadBodyIsBounded(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ignored"))
	}), Options{ReadTimeout: time.Minute, MinBodyRate: 1000, BodyGrace: 200 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("connection of a dribbler after the answer: %v, want EOF", err)
	}
}
