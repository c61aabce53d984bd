package shieldwatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func newHost(t testing.TB) *Host {
	t.Helper()
	h, err := NewHost(WithSources(SourceDNS | SourceAudit))
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// nextAction returns the next event whose action is action, or fails.
func nextAction(t testing.TB, h *Host, action Action, d time.Duration) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		ev, err := h.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", action, err)
		}
		if ev.Action == action {
			return ev
		}
	}
}

func TestHostAddNextRemove(t *testing.T) {
	h := newHost(t)
	a, b := newStateDir(t), newStateDir(t)
	if err := h.Add(a.dir, "alpha"); err != nil {
		t.Fatal(err)
	}
	if err := h.Add(b.dir, "beta"); err != nil {
		t.Fatal(err)
	}
	if err := h.Add(b.dir, "beta"); !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("second Add = %v, want EEXIST", err)
	}
	if h.Len() != 2 {
		t.Fatalf("Len = %d", h.Len())
	}
	b.query("A", "from.beta")
	ev := nextAction(t, h, "blocked_query", 5*time.Second)
	if ev.Container != "beta" || ev.Domain != "from.beta" {
		t.Fatalf("got %s", ev.JSON())
	}
	if err := h.Remove("beta"); err != nil {
		t.Fatal(err)
	}
	if ev := nextAction(t, h, "container_removed", 5*time.Second); ev.Container != "beta" {
		t.Fatalf("got %s", ev.JSON())
	}
	if err := h.Remove("beta"); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("Remove again = %v, want ENOENT", err)
	}
	b.query("A", "after.removal")
	a.query("A", "from.alpha")
	if ev := nextAction(t, h, "blocked_query", 5*time.Second); ev.Container != "alpha" {
		t.Fatalf("got %s, want alpha's query only", ev.JSON())
	}
	notier := t.TempDir()
	if err := h.Add(notier, "x"); !errors.Is(err, ErrTier) {
		t.Fatalf("Add without tier = %v, want ErrTier", err)
	}
}

func TestHostFollowPicksUpNewContainers(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "containers"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHost(t)
	if err := h.Follow(root); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "containers", "late")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dns.tier"), []byte("dnsmasq\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := nextAction(t, h, "container_added", 5*time.Second); ev.Container != "late" {
		t.Fatalf("got %s", ev.JSON())
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if ev := nextAction(t, h, "container_removed", 5*time.Second); ev.Container != "late" {
		t.Fatalf("got %s", ev.JSON())
	}
}

// More containers than the default fs.inotify.max_user_instances, with one
// goroutine and a handful of fds.
func TestHostManyContainersOneGoroutine(t *testing.T) {
	fds := openFds(t)
	h := newHost(t)
	dirs := make([]*stateDir, 300)
	for i := range dirs {
		dirs[i] = newStateDir(t)
		if err := h.Add(dirs[i].dir, fmt.Sprintf("c%d", i)); err != nil {
			t.Fatalf("Add %d: %v", i, err)
		}
	}
	if n := openFds(t) - fds; n > 4 { // epoll, inotify, eventfd, the netpoller's dup
		t.Errorf("300 containers hold %d fds, want <= 4", n)
	}
	dirs[299].query("A", "last.one")
	if ev := nextAction(t, h, "blocked_query", 5*time.Second); ev.Container != "c299" {
		t.Fatalf("got %s", ev.JSON())
	}
}

func TestHostCloseWakesNext(t *testing.T) {
	h := newHost(t)
	errc := make(chan error, 1)
	go func() {
		_, err := h.Next(context.Background())
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	h.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return after Close")
	}
	if err := h.Add(t.TempDir(), "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close = %v", err)
	}
	if h.Len() != 0 {
		t.Fatal("Len after Close")
	}
}
