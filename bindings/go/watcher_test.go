package shieldwatch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Fatalf("Version() = %q", v)
	}
}

func TestBlockedQuery(t *testing.T) {
	s := newStateDir(t, "good.example.com")
	w := openWatcher(t, s, "c1")

	s.query("A", "good.example.com") // allowed: no event
	s.query("A", "evil.example.com")
	ev := nextWithin(t, w, 5*time.Second)
	if ev.Source != EventSourceDNS || ev.Action != ActionBlockedQuery || ev.Domain != "evil.example.com" ||
		ev.QueryType != "A" || ev.Container != "c1" {
		t.Fatalf("got %+v (%s)", ev, ev.JSON())
	}
	if _, err := ev.Time(); err != nil {
		t.Errorf("ts %q: %v", ev.TS, err)
	}
	if ev.UID != nil || ev.GID != nil || ev.ICMPType != nil || ev.Port != 0 || ev.Proto != 0 {
		t.Errorf("absent fields set: %+v", ev)
	}
	expectNone(t, w, 200*time.Millisecond)
	if n := w.Stat(StatDNSLines); n != 2 {
		t.Errorf("Stat(StatDNSLines) = %d, want 2", n)
	}
	if n := w.Stat(StatEvents); n != 1 {
		t.Errorf("Stat(StatEvents) = %d, want 1", n)
	}
}

func TestAuditEvent(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1")
	s.audit(`{"ts":"2026-11-22T13:30:01Z","container":"c1","action":"setup"}`)
	ev := nextWithin(t, w, 5*time.Second)
	if ev.Source != "audit" || ev.Action != "setup" || ev.Container != "c1" {
		t.Fatalf("got %s", ev.JSON())
	}
	if !strings.HasPrefix(ev.TS, "2026-11-22T13:30:01") {
		t.Errorf("ts = %q", ev.TS)
	}
}

func TestOnlyNewLines(t *testing.T) {
	s := newStateDir(t)
	s.query("A", "before.example.com")
	s.audit(`{"ts":"2026-11-22T13:30:01Z","container":"c1","action":"before"}`)
	w := openWatcher(t, s, "c1")
	expectNone(t, w, 200*time.Millisecond)
	s.query("AAAA", "after.example.com")
	if ev := nextWithin(t, w, 5*time.Second); ev.Domain != "after.example.com" || ev.QueryType != "AAAA" {
		t.Fatalf("got %s", ev.JSON())
	}
}

func TestAll(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1")
	s.query("A", "one.example.com")
	s.query("A", "two.example.com")
	s.query("A", "three.example.com")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	for ev, err := range w.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Domain)
		if len(got) == 2 {
			break
		}
	}
	if strings.Join(got, " ") != "one.example.com two.example.com" {
		t.Fatalf("got %v", got)
	}
	// Breaking out of the loop loses nothing.
	if ev := nextWithin(t, w, 5*time.Second); ev.Domain != "three.example.com" {
		t.Fatalf("got %s", ev.JSON())
	}

	// All ends with ctx.Err() once cancelled.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	var last error
	for _, err := range w.All(ctx2) {
		last = err
	}
	if !errors.Is(last, context.DeadlineExceeded) {
		t.Fatalf("All ended with %v", last)
	}
}

func TestCancel(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1")

	// Already-cancelled context: immediate.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next(cancelled) = %v", err)
	}

	// Cancelled while parked.
	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := w.Next(ctx); errc <- err }()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Next = %v, want context.Canceled", err)
		}
		t.Logf("Next returned %v after cancel", time.Since(start))
	case <-time.After(2 * time.Second):
		t.Fatal("Next did not return after cancel")
	}

	// Deadline.
	start = time.Now()
	expectNone(t, w, 150*time.Millisecond)
	if d := time.Since(start); d < 140*time.Millisecond || d > 2*time.Second {
		t.Errorf("deadline Next took %v", d)
	}

	// The watcher still works after cancellations (the read deadline is
	// reset), and nothing was lost.
	s.query("A", "after-cancel.example.com")
	if ev := nextWithin(t, w, 5*time.Second); ev.Domain != "after-cancel.example.com" {
		t.Fatalf("got %s", ev.JSON())
	}
}

func TestCloseDuringNext(t *testing.T) {
	s := newStateDir(t)
	w, err := Open(s.dir, "c1", fileSources)
	if err != nil {
		t.Fatal(err)
	}
	const waiters = 3 // one in RawConn.Read, the others queued for it
	errc := make(chan error, waiters)
	for range waiters {
		go func() { _, err := w.Next(context.Background()); errc <- err }()
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	for range waiters {
		select {
		case err := <-errc:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("Next = %v, want ErrClosed", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Next did not return after Close")
		}
	}
	t.Logf("parked Next calls returned %v after Close started", time.Since(start))
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	t.Logf("Close took %v", time.Since(start))

	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := w.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close = %v", err)
	}
	if w.Fd() != -1 {
		t.Errorf("Fd after Close = %d", w.Fd())
	}
	if err := w.SourceStatus(SourceDNS); !errors.Is(err, ErrClosed) {
		t.Errorf("SourceStatus after Close = %v", err)
	}
	if w.Stat(StatEvents) != 0 {
		t.Error("Stat after Close != 0")
	}
}

// Close racing with Next calls that are busy (events arriving): every
// Next ends with an event or ErrClosed, nothing crashes, the race detector
// stays quiet.
func TestCloseRace(t *testing.T) {
	s := newStateDir(t)
	for i := range 30 {
		w, err := Open(s.dir, "c1", fileSources)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := w.Next(context.Background())
					if err != nil {
						if !errors.Is(err, ErrClosed) {
							t.Errorf("Next = %v", err)
						}
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				s.query("A", "race.example.com")
			}
		}()
		time.Sleep(time.Duration(i%5) * time.Millisecond)
		w.Close()
		wg.Wait()
	}
}

func TestConcurrentNext(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1")
	const n = 4
	got := make(chan string, n)
	for range n {
		go func() {
			ev, err := w.Next(context.Background())
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			got <- ev.Domain
		}()
	}
	want := map[string]bool{}
	for i := range n {
		d := string(rune('a'+i)) + ".example.com"
		want[d] = true
		s.query("A", d)
	}
	for range n {
		select {
		case d := <-got:
			if !want[d] {
				t.Fatalf("unexpected or duplicate %q", d)
			}
			delete(want, d)
		case <-time.After(5 * time.Second):
			t.Fatalf("missing events: %v", want)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Run("tier missing", func(t *testing.T) {
		s := newStateDir(t)
		os.Remove(s.path("dns.tier"))
		_, err := Open(s.dir, "c1")
		if !errors.Is(err, ErrTier) || !errors.Is(err, syscall.EMEDIUMTYPE) {
			t.Fatalf("err = %v, want ErrTier", err)
		}
		var swErr *Error
		if !errors.As(err, &swErr) || swErr.Op != "open" || swErr.Path != s.dir {
			t.Fatalf("err = %#v", err)
		}
		// The library's reason names the file.
		if !strings.Contains(err.Error(), s.path("dns.tier")+" is missing") {
			t.Errorf("err = %q, want the library's reason naming dns.tier", err)
		}
		t.Logf("tier missing: %v", err)
	})
	t.Run("tier not dnsmasq", func(t *testing.T) {
		s := newStateDir(t)
		s.write("dns.tier", "unbound\n")
		_, err := Open(s.dir, "c1")
		if !errors.Is(err, ErrTier) {
			t.Fatalf("err = %v, want ErrTier", err)
		}
		if !strings.Contains(err.Error(), "says 'unbound'") {
			t.Errorf("err = %q, want the library's reason quoting dns.tier", err)
		}
	})
	t.Run("no such dir", func(t *testing.T) {
		_, err := Open(filepath.Join(t.TempDir(), "nope"), "c1")
		if !errors.Is(err, syscall.ENOENT) || errors.Is(err, ErrTier) {
			t.Fatalf("err = %v, want ENOENT", err)
		}
		var errno syscall.Errno
		if !errors.As(err, &errno) || errno != syscall.ENOENT {
			t.Fatalf("errors.As errno = %v", errno)
		}
		t.Logf("no such dir: %v", err)
	})
	t.Run("not a dir", func(t *testing.T) {
		s := newStateDir(t)
		if _, err := Open(s.path("dns.tier"), "c1"); !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("err = %v, want ENOTDIR", err)
		}
	})
	t.Run("NUL in argument", func(t *testing.T) {
		s := newStateDir(t)
		if _, err := Open(s.dir, "c\x001"); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("err = %v, want EINVAL", err)
		}
	})
	t.Run("option rejected by C", func(t *testing.T) {
		s := newStateDir(t)
		_, err := Open(s.dir, "c1", WithMaxLine(10)) // minimum is 256
		if !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("err = %v, want EINVAL", err)
		}
		t.Logf("max_line 10: %v", err)
	})
	t.Run("required NFLOG in a missing netns", func(t *testing.T) {
		s := newStateDir(t)
		bad := filepath.Join(t.TempDir(), "no-such-netns")
		_, err := Open(s.dir, "c1", WithNflogRequired(true), WithNetns(bad))
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("err = %v, want the library's reason naming %s", err, bad)
		}
		t.Logf("bad netns: %v", err)
	})
	t.Run("option rejected by Go", func(t *testing.T) {
		s := newStateDir(t)
		if _, err := Open(s.dir, "c1", WithDedupWindow(-time.Second)); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("err = %v, want EINVAL", err)
		}
	})
}

func TestOptionsAccepted(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1",
		WithDedupWindow(time.Minute),
		WithNflogGroup(4242),
		WithNflogRequired(false),
		WithNflogAction("MY_PREFIX", "my_action"),
		WithMaxLine(4096),
		WithDomainMapSize(128),
		WithDNSSeedBytes(1<<20),
	)
	// Dedup: the same blocked query twice within the window gives one event.
	s.query("A", "dup.example.com")
	s.query("A", "dup.example.com")
	if ev := nextWithin(t, w, 5*time.Second); ev.Domain != "dup.example.com" {
		t.Fatalf("got %s", ev.JSON())
	}
	expectNone(t, w, 200*time.Millisecond)
	if n := w.Stat(StatDeduped); n != 1 {
		t.Errorf("Stat(StatDeduped) = %d, want 1", n)
	}
	// Max line: a longer line is dropped and reported.
	s.query("A", strings.Repeat("x", 5000)+".example.com")
	if ev := nextWithin(t, w, 5*time.Second); ev.Action != ActionLineTooLong || ev.Source != EventSourceWatch {
		t.Fatalf("got %s", ev.JSON())
	}
	if err := w.SourceStatus(SourceDNS); err != nil {
		t.Errorf("SourceStatus(DNS) = %v", err)
	}
	if err := w.SourceStatus(SourceNFLOG); !errors.Is(err, syscall.ENOTCONN) {
		t.Errorf("SourceStatus(NFLOG) = %v, want ENOTCONN (not requested)", err)
	}
}

func TestNoFdLeak(t *testing.T) {
	s := newStateDir(t)
	// Warm up lazily created runtime descriptors (netpoller epoll, ...).
	w, err := Open(s.dir, "c1", fileSources)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	before := openFds(t)
	for i := range 50 {
		opts := []Option{fileSources}
		if i%2 == 1 {
			opts = nil // all sources: NFLOG too (or its unavailable event)
		}
		w, err := Open(s.dir, "c1", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			s.query("A", "leak.example.com")
			for nextWithin(t, w, 5*time.Second).Source != "dns" {
			}
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			w.Next(ctx) // park and wake (or take nflog_unavailable)
			cancel()
		}
		w.Close()
	}
	runtime.GC()
	if after := openFds(t); after != before {
		t.Fatalf("open fds: %d before, %d after 50 Open/Close", before, after)
	}
	t.Logf("open fds before and after 50 Open/Close: %d", before)
}

func TestUnclosedWatcherIsReleased(t *testing.T) {
	s := newStateDir(t)
	before := openFds(t)
	for range 20 {
		if _, err := Open(s.dir, "c1", fileSources); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for openFds(t) != before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if after := openFds(t); after != before {
		t.Fatalf("open fds: %d before, %d after dropping 20 watchers", before, after)
	}
}

// Many lines in bursts: every event arrives (no wake-up lost between the
// library's epoll fd and the edge-triggered netpoller), in order.
func TestBurstNoLostWakeups(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1")
	const total, burst = 5000, 250
	go func() {
		for i := 0; i < total; i += burst {
			lines := make([]string, 0, burst)
			for j := i; j < i+burst; j++ {
				lines = append(lines, fmt.Sprintf("Nov 22 13:30:01 dnsmasq[9605]: query[A] d%d.example.com from 127.0.0.1", j))
			}
			s.appendLines("dnsmasq.log", lines...)
			time.Sleep(time.Duration(i%3) * time.Millisecond)
		}
	}()
	start := time.Now()
	for i := range total {
		ev := nextWithin(t, w, 10*time.Second)
		if want := fmt.Sprintf("d%d.example.com", i); ev.Domain != want {
			t.Fatalf("event %d: domain %q, want %q", i, ev.Domain, want)
		}
	}
	t.Logf("%d events in %v", total, time.Since(start))
	expectNone(t, w, 100*time.Millisecond)
}

func TestNflogUnavailable(t *testing.T) {
	s := newStateDir(t)
	bad := filepath.Join(t.TempDir(), "no-such-netns")

	_, err := Open(s.dir, "c1", WithNetns(bad), WithNflogRequired(true))
	var swErr *Error
	if !errors.As(err, &swErr) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("required NFLOG in a missing netns: %v", err)
	}
	t.Logf("required: %v", err)

	w, err := Open(s.dir, "c1", WithNetns(bad))
	if err != nil {
		t.Fatalf("optional NFLOG: %v", err)
	}
	defer w.Close()
	ev := nextWithin(t, w, 5*time.Second)
	if ev.Source != EventSourceWatch || ev.Action != ActionNflogUnavailable || ev.Container != "c1" {
		t.Fatalf("got %s", ev.JSON())
	}
	if err := w.SourceStatus(SourceNFLOG); err == nil {
		t.Error("SourceStatus(NFLOG) = nil, want the setup failure")
	}
	// The file sources keep working.
	s.query("A", "evil.example.com")
	if ev := nextWithin(t, w, 5*time.Second); ev.Domain != "evil.example.com" {
		t.Fatalf("got %s", ev.JSON())
	}
}

// The dedup rule shared with the Rust binding (same table as its
// dedup_window_rounds_up_to_milliseconds): whole milliseconds, rounded up,
// capped at 2^32-1, so only 0 means off.
func TestDedupWindowRounding(t *testing.T) {
	for _, tc := range []struct {
		d  time.Duration
		ms uint64
	}{
		{0, 0},
		{time.Nanosecond, 1},
		{500 * time.Microsecond, 1},
		{time.Millisecond, 1},
		{1001 * time.Microsecond, 2},
		{1500 * time.Millisecond, 1500},
		{math.MaxInt64, math.MaxUint32},
	} {
		if got := dedupMillis(tc.d); got != tc.ms {
			t.Errorf("dedupMillis(%v) = %d, want %d", tc.d, got, tc.ms)
		}
	}
}

func TestResumeFromCursor(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1", WithSources(SourceAudit))
	s.audit(`{"container":"c1","action":"a1"}`, `{"container":"c1","action":"a2"}`)
	first := nextWithin(t, w, 5*time.Second)
	nextWithin(t, w, 5*time.Second)
	w.Close()
	if first.Cursor == "" || strings.Contains(first.JSON(), "cursor") {
		t.Fatalf("cursor %q, JSON %s", first.Cursor, first.JSON())
	}
	// While down; a line naming another container still belongs to c1.
	s.audit(`{"container":"other","action":"a3"}`)
	w = openWatcher(t, s, "c1", WithSources(SourceAudit), WithCursor(SourceAudit, first.Cursor))
	for _, want := range []Event{{Action: "a2", Container: "c1"}, {Action: "a3", Container: "other"}} {
		if ev := nextWithin(t, w, 5*time.Second); ev.Action != want.Action || ev.Container != want.Container || ev.Member != "c1" {
			t.Fatalf("got %s (member %q), want action %s of %s, member c1", ev.JSON(), ev.Member, want.Action, want.Container)
		}
	}
	expectNone(t, w, 200*time.Millisecond)
	if _, err := Open(s.dir, "c1", WithCursor(SourceNFLOG, "x")); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("WithCursor(SourceNFLOG) = %v, want EINVAL", err)
	}
}
