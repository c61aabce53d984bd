package shieldwatch

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stateDir is a container state directory laid out as the shield writes it.
type stateDir struct {
	t   testing.TB
	dir string
}

// newStateDir creates dns.tier ("dnsmasq"), an empty dnsmasq.log and
// audit.jsonl, and profile.domains listing the allowed domains.
func newStateDir(t testing.TB, allowed ...string) *stateDir {
	t.Helper()
	s := &stateDir{t: t, dir: t.TempDir()}
	s.write("dns.tier", "dnsmasq\n")
	s.write("dnsmasq.log", "")
	s.write("audit.jsonl", "")
	s.write("profile.domains", strings.Join(allowed, "\n")+"\n")
	return s
}

func (s *stateDir) path(name string) string { return filepath.Join(s.dir, name) }

func (s *stateDir) write(name, content string) {
	s.t.Helper()
	if err := os.WriteFile(s.path(name), []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stateDir) appendLines(name string, lines ...string) {
	s.t.Helper()
	f, err := os.OpenFile(s.path(name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			s.t.Fatal(err)
		}
	}
}

// query appends a dnsmasq query line for domain.
func (s *stateDir) query(qtype, domain string) {
	s.t.Helper()
	s.appendLines("dnsmasq.log",
		fmt.Sprintf("Nov 22 13:30:01 dnsmasq[9605]: query[%s] %s from 127.0.0.1", qtype, domain))
}

// audit appends raw audit.jsonl lines.
func (s *stateDir) audit(lines ...string) {
	s.t.Helper()
	s.appendLines("audit.jsonl", lines...)
}

// fileSources are the sources every test can run unprivileged and in
// parallel (NFLOG binds a group, one socket per namespace).
var fileSources = WithSources(SourceDNS | SourceAudit)

func openWatcher(t testing.TB, s *stateDir, container string, opts ...Option) *Watcher {
	t.Helper()
	w, err := Open(s.dir, container, append([]Option{fileSources}, opts...)...)
	if err != nil {
		t.Fatalf("Open(%s): %v", s.dir, err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// nextWithin returns the next event or fails the test after d.
func nextWithin(t testing.TB, w *Watcher, d time.Duration) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	ev, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev
}

// expectNone fails when an event arrives within d.
func expectNone(t testing.TB, w *Watcher, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if ev, err := w.Next(ctx); err == nil {
		t.Fatalf("unexpected event %s", ev.JSON())
	} else if err != context.DeadlineExceeded {
		t.Fatalf("Next: %v, want context.DeadlineExceeded", err)
	}
}

// readLinesWithin reads n JSON lines with read (a ReadJSON) through a 7-byte
// buffer, so that lines are split between calls, or fails the test after d.
// The bytes read must end where the n-th line does.
func readLinesWithin(t testing.TB, read func(context.Context, []byte) (int, error), n int, d time.Duration) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var got []byte
	p := make([]byte, 7)
	for bytes.Count(got, []byte("\n")) < n {
		k, err := read(ctx, p)
		if err != nil {
			t.Fatalf("ReadJSON after %q: %v", got, err)
		}
		if k <= 0 || k > len(p) {
			t.Fatalf("ReadJSON = %d into %d bytes", k, len(p))
		}
		got = append(got, p[:k]...)
	}
	lines, ok := strings.CutSuffix(string(got), "\n")
	if !ok {
		t.Fatalf("stream does not end with line %d: %q", n, got)
	}
	return strings.Split(lines, "\n")
}

// forbidPoll fails the test when w's handle is sw_poll'ed: a JSON stream
// must be read with sw_read_json alone, which does sw_poll's work itself.
func forbidPoll(t testing.TB, w *Watcher) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.c.poll = func() int {
		t.Error("sw_poll called on a JSON stream")
		return 0
	}
}

// procThreads is the Threads: line of /proc/self/status.
func procThreads(t testing.TB) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads: line in /proc/self/status")
	return 0
}

// openFds counts the entries of /proc/self/fd.
func openFds(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
