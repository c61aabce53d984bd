package shieldwatch

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// The stream's lines are, byte for byte, the JSON of the events an ordinary
// watcher on the same directory gives, also when a read splits them, and
// ReadJSON alone delivers them: the stream handle is never sw_poll'ed.
func TestReadJSONMatchesEventJSON(t *testing.T) {
	s := newStateDir(t)
	stream := openWatcher(t, s, "c1", WithJSONStream())
	forbidPoll(t, stream)
	plain := openWatcher(t, s, "c1")

	const n = 25
	for i := range n {
		s.audit(fmt.Sprintf(`{"ts":"2026-11-22T13:30:%02dZ","container":"c1","action":"step%d","detail":"line %d"}`, i, i, i))
	}
	want := make([]string, n)
	for i := range want {
		want[i] = nextWithin(t, plain, 5*time.Second).JSON()
	}
	got := readLinesWithin(t, stream.ReadJSON, n, 5*time.Second)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	if want[n-1] == "" || want[0] == want[1] {
		t.Fatalf("events not distinct: %q", want[:2])
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if k, err := stream.ReadJSON(ctx, make([]byte, 64)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadJSON after the last line = %d, %v; want context.DeadlineExceeded", k, err)
	}
}

// Each handle refuses the other form of delivery with EOPNOTSUPP, also with
// a line pending, and still delivers its own (the line is not lost).
func TestJSONStreamWrongForm(t *testing.T) {
	s := newStateDir(t)
	stream := openWatcher(t, s, "c1", WithJSONStream())
	plain := openWatcher(t, s, "c1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	for _, pending := range []bool{false, true} {
		if pending {
			s.audit(`{"ts":"2026-11-22T13:30:01Z","container":"c1","action":"setup"}`)
			time.Sleep(100 * time.Millisecond)
		}
		if ev, err := stream.Next(ctx); !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Fatalf("Next on a JSON stream (pending %v) = %s, %v; want EOPNOTSUPP", pending, ev.JSON(), err)
		}
		if k, err := plain.ReadJSON(ctx, make([]byte, 64)); !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Fatalf("ReadJSON on an event handle (pending %v) = %d, %v; want EOPNOTSUPP", pending, k, err)
		}
	}
	var e *Error
	if _, err := plain.ReadJSON(ctx, make([]byte, 1)); !errors.As(err, &e) || e.Op != "read json" {
		t.Fatalf("ReadJSON error = %#v, want *Error for op read json", err)
	}

	line := readLinesWithin(t, stream.ReadJSON, 1, 5*time.Second)[0]
	if ev := nextWithin(t, plain, 5*time.Second); ev.Action != "setup" || line != ev.JSON() {
		t.Fatalf("stream %s, event %s", line, ev.JSON())
	}
}

// A host created WithJSONStream streams its membership events as lines too.
func TestHostJSONStream(t *testing.T) {
	h, err := NewHost(fileSources, WithJSONStream())
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	forbidPoll(t, h.s)
	a := newStateDir(t)
	if err := h.Add(a.dir, "alpha"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := h.Next(ctx); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Fatalf("Host.Next on a JSON stream = %v, want EOPNOTSUPP", err)
	}

	line := readLinesWithin(t, h.ReadJSON, 1, 5*time.Second)[0]
	var ev Event
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	if ev.Source != EventSourceWatch || ev.Action != "container_added" || ev.Container != "alpha" || ev.Detail != a.dir {
		t.Fatalf("first line %s, want alpha's container_added", line)
	}

	// The io.Reader form, through a bufio.Scanner.
	a.query("A", "from.alpha")
	sc := bufio.NewScanner(h.JSONReader(ctx))
	if !sc.Scan() {
		t.Fatalf("Scan: %v", sc.Err())
	}
	ev = Event{}
	if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Action != ActionBlockedQuery || ev.Domain != "from.alpha" {
		t.Fatalf("line %q (%v), want alpha's blocked query", sc.Bytes(), err)
	}
}

// ReadJSON with nothing queued returns on cancellation and on Close, and
// the handle still reads afterwards.
func TestReadJSONCancel(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1", WithJSONStream())
	forbidPoll(t, w)

	if k, err := w.ReadJSON(context.Background(), nil); k != 0 || err != nil {
		t.Fatalf("ReadJSON(empty) = %d, %v", k, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.ReadJSON(ctx, make([]byte, 64)); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadJSON(cancelled) = %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := w.ReadJSON(ctx, make([]byte, 64)); errc <- err }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadJSON = %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ReadJSON did not return after cancel")
	}

	s.audit(`{"ts":"2026-11-22T13:30:01Z","container":"c1","action":"after_cancel"}`)
	var ev Event
	if line := readLinesWithin(t, w.ReadJSON, 1, 5*time.Second)[0]; json.Unmarshal([]byte(line), &ev) != nil || ev.Action != "after_cancel" {
		t.Fatalf("line after cancel %q", line)
	}

	go func() { _, err := w.ReadJSON(context.Background(), make([]byte, 64)); errc <- err }()
	time.Sleep(100 * time.Millisecond)
	w.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("ReadJSON = %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ReadJSON did not return after Close")
	}
}
