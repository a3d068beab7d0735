package testenv

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// cdp is a client of the Chrome DevTools Protocol over the pipe Chromium
// opens with --remote-debugging-pipe: it reads JSON messages from its fd 3
// and writes them to its fd 4, each ended by a NUL byte. Calls are
// synchronous: call sends a command and reads until its answer, keeping
// the events that come before it for wait.
type cdp struct {
	w        *os.File      // our end of Chromium's fd 3
	rf       *os.File      // our end of Chromium's fd 4
	r        *bufio.Reader // of rf
	deadline time.Time     // for every read and write
	lastID   int64
	events   []cdpMessage // read while waiting for something else
}

type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error,omitempty"`
}

func newCDP(w, r *os.File, deadline time.Time) *cdp {
	return &cdp{w: w, rf: r, r: bufio.NewReaderSize(r, 1<<20), deadline: deadline}
}

func (c *cdp) send(session, method string, params any) (int64, error) {
	c.lastID++
	if params == nil {
		params = struct{}{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return 0, err
	}
	msg, err := json.Marshal(cdpMessage{ID: c.lastID, Method: method, Params: p, SessionID: session})
	if err != nil {
		return 0, err
	}
	if err := c.w.SetWriteDeadline(c.deadline); err != nil {
		return 0, err
	}
	if _, err := c.w.Write(append(msg, 0)); err != nil {
		return 0, fmt.Errorf("sending %s: %w", method, err)
	}
	return c.lastID, nil
}

func (c *cdp) read() (cdpMessage, error) {
	var m cdpMessage
	if err := c.rf.SetReadDeadline(c.deadline); err != nil {
		return m, err
	}
	b, err := c.r.ReadBytes(0)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return m, errors.New("the browser did not answer in time")
		}
		return m, fmt.Errorf("reading from the browser: %w", err)
	}
	if err := json.Unmarshal(b[:len(b)-1], &m); err != nil {
		return m, fmt.Errorf("a message from the browser: %w: %.200q", err, b)
	}
	return m, nil
}

// call runs method in session ("" for the browser) and decodes its result
// into result (when not nil).
func (c *cdp) call(session, method string, params, result any) error {
	id, err := c.send(session, method, params)
	if err != nil {
		return err
	}
	for {
		m, err := c.read()
		if err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		switch {
		case m.ID == id:
			if m.Error != nil {
				return fmt.Errorf("%s: %s (%d) %s", method, m.Error.Message, m.Error.Code, m.Error.Data)
			}
			if result == nil {
				return nil
			}
			if err := json.Unmarshal(m.Result, result); err != nil {
				return fmt.Errorf("%s: %w", method, err)
			}
			return nil
		case m.Method != "":
			c.events = append(c.events, m)
		}
	}
}

// wait returns the parameters of the first event named method in session
// for which match (when not nil) is true, dropping the events before it.
func (c *cdp) wait(session, method string, match func(params json.RawMessage) bool) (json.RawMessage, error) {
	is := func(m cdpMessage) bool {
		return m.Method == method && m.SessionID == session && (match == nil || match(m.Params))
	}
	for i, m := range c.events {
		if is(m) {
			c.events = c.events[i+1:]
			return m.Params, nil
		}
	}
	c.events = c.events[:0]
	for {
		m, err := c.read()
		if err != nil {
			return nil, fmt.Errorf("waiting for %s: %w", method, err)
		}
		if is(m) {
			return m.Params, nil
		}
		if m.Method == "Inspector.targetCrashed" || m.Method == "Target.targetCrashed" {
			return nil, fmt.Errorf("waiting for %s: the page crashed", method)
		}
	}
}
