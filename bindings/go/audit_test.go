package shieldwatch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestAuditLogRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit log mode: %v %v", st.Mode(), err)
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.LogEvent("c1", "setup", "", ""))
	must(l.LogEvent("c1", "allow", "192.0.2.1", `why: "because" <&>`))
	l.SetEnabled(false)
	must(l.LogEvent("c1", "hidden", "", "")) // succeeds, writes nothing
	l.SetEnabled(true)
	must(l.LogEvent("c2", "teardown", "", "done"))

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 3 || strings.Contains(string(data), "hidden") {
		t.Fatalf("file holds %d lines:\n%s", n, data)
	}

	evs, err := l.Tail(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("Tail(10) = %d events", len(evs))
	}
	want := []Event{
		{Source: "audit", Container: "c1", Action: "setup"},
		{Source: "audit", Container: "c1", Action: "allow", Dest: "192.0.2.1", Detail: `why: "because" <&>`},
		{Source: "audit", Container: "c2", Action: "teardown", Detail: "done"},
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, ev := range evs {
		if _, err := ev.Time(); err != nil {
			t.Errorf("event %d ts %q: %v", i, ev.TS, err)
		}
		got := ev
		got.TS, got.raw = "", ""
		if got.Source != want[i].Source || got.Container != want[i].Container || got.Action != want[i].Action ||
			got.Dest != want[i].Dest || got.Detail != want[i].Detail {
			t.Errorf("event %d = %s, want %+v", i, ev.JSON(), want[i])
		}
		if b, _ := ev.MarshalJSON(); string(b) != ev.JSON() {
			t.Errorf("event %d: MarshalJSON %s != library %s", i, b, ev.JSON())
		}
		if !strings.Contains(lines[i], `"action":"`+string(want[i].Action)+`"`) {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}

	last, err := l.Tail(1)
	if err != nil || len(last) != 1 || last[0].Action != "teardown" {
		t.Fatalf("Tail(1) = %v, %v", last, err)
	}
	none, err := l.Tail(0)
	if err != nil || len(none) != 0 {
		t.Fatalf("Tail(0) = %v, %v", none, err)
	}
	if _, err := l.Tail(-1); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Tail(-1) = %v", err)
	}

	must(l.Close())
	must(l.Close()) // idempotent
	if err := l.LogEvent("c1", "late", "", ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("LogEvent after Close = %v", err)
	}
	l.SetEnabled(true) // no-op after Close
	// Tail reads the file by path; it works after Close.
	if evs, err := l.Tail(10); err != nil || len(evs) != 3 {
		t.Fatalf("Tail after Close = %d, %v", len(evs), err)
	}
}

func TestAuditLogErrors(t *testing.T) {
	if _, err := OpenAuditLog(filepath.Join(t.TempDir(), "missing", "audit.jsonl")); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("OpenAuditLog(missing dir) = %v", err)
	}
	evs, err := TailAudit(filepath.Join(t.TempDir(), "none.jsonl"), 5)
	if err != nil || len(evs) != 0 {
		t.Fatalf("TailAudit(missing file) = %v, %v", evs, err)
	}
	l, err := OpenAuditLog(filepath.Join(t.TempDir(), "a.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.LogEvent("", "setup", "", ""); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("empty container: %v", err)
	}
	if err := l.LogEvent("c1", "", "", ""); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("empty action: %v", err)
	}
}

// The writer and the watcher agree: what LogEvent appends to a state
// directory's audit.jsonl comes out of Next, and equals what Tail reads.
func TestAuditLogToWatcher(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1")
	l, err := OpenAuditLog(s.path("audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	var wg sync.WaitGroup
	for _, a := range []string{"one", "two", "three"} {
		wg.Add(1)
		go func() { defer wg.Done(); l.LogEvent("c1", a, "", "concurrent") }()
	}
	wg.Wait()
	seen := map[Action]string{}
	for range 3 {
		ev := nextWithin(t, w, 5*time.Second)
		if ev.Source != "audit" || ev.Detail != "concurrent" {
			t.Fatalf("got %s", ev.JSON())
		}
		seen[ev.Action] = ev.JSON()
	}
	tail, err := l.Tail(3)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range tail {
		if seen[ev.Action] != ev.JSON() {
			t.Errorf("watcher saw %s, Tail read %s", seen[ev.Action], ev.JSON())
		}
	}
}
