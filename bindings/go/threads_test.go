package shieldwatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const inotifyInstances = "/proc/sys/fs/inotify/max_user_instances"

// ensureInotifyInstances makes room for n more inotify instances (one per
// watcher): the Linux default of 128 per user is far below 1,000. As root
// the limit is raised for the test and restored afterwards. It reports
// whether the room is there; without it the caller opens what it can.
func ensureInotifyInstances(t *testing.T, n int) bool {
	t.Helper()
	b, err := os.ReadFile(inotifyInstances)
	if err != nil {
		t.Logf("cannot read %s: %v", inotifyInstances, err)
		return false
	}
	old := strings.TrimSpace(string(b))
	limit, err := strconv.Atoi(old)
	if err != nil {
		t.Fatal(err)
	}
	need := n + 256 // what other processes of this user may hold
	if limit >= need {
		return true
	}
	if err := os.WriteFile(inotifyInstances, []byte(strconv.Itoa(need)), 0); err != nil {
		t.Logf("%s is %d, %d watchers need about %d and raising it failed: %v",
			inotifyInstances, limit, n, need, err)
		return false
	}
	t.Logf("raised %s from %s to %d for this test", inotifyInstances, old, need)
	t.Cleanup(func() { os.WriteFile(inotifyInstances, []byte(old), 0) })
	return true
}

// 1,000 watchers, each with a goroutine waiting in Next, must cost
// goroutines, not OS threads: Next parks on the netpoller.
func TestManyIdleWatchersBoundedThreads(t *testing.T) {
	n := 1000
	if testing.Short() {
		t.Skip("-short")
	}
	roomy := ensureInotifyInstances(t, n)
	runtime.GC()
	fdsBefore := openFds(t)
	threadsBefore := procThreads(t)

	dirs := make([]*stateDir, n)
	watchers := make([]*Watcher, n)
	for i := range n {
		dirs[i] = newStateDir(t)
		w, err := Open(dirs[i].dir, fmt.Sprintf("c%d", i), fileSources)
		if err != nil {
			// Unprivileged with the default inotify limit: still check the
			// thread bound with as many watchers as the limit allows.
			if !roomy && errors.Is(err, syscall.EMFILE) && i >= 50 {
				t.Logf("inotify instance limit reached: continuing with %d watchers instead of %d", i, n)
				n, dirs, watchers = i, dirs[:i], watchers[:i]
				break
			}
			closeAll(watchers[:i])
			t.Fatalf("Open #%d: %v", i, err)
		}
		watchers[i] = w
	}
	fdsOpen := openFds(t)

	ctx, cancel := context.WithCancel(context.Background())
	results := make([]chan Event, n)
	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		errs    []error
		stopped bool
	)
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			wg.Wait()
			closeAll(watchers)
		}
	}
	defer stop()
	for i, w := range watchers {
		results[i] = make(chan Event, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ev, err := w.Next(ctx)
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						errMu.Lock()
						errs = append(errs, fmt.Errorf("watcher %d: Next = %w", i, err))
						errMu.Unlock()
					}
					return
				}
				results[i] <- ev
			}
		}()
	}
	// Let every goroutine reach the netpoller, then measure threads and the
	// CPU spent while idle (a busy-looping wait would show there).
	time.Sleep(time.Second)
	cpuBefore := cpuTime(t)
	time.Sleep(time.Second)
	idleCPU := cpuTime(t) - cpuBefore
	threadsIdle := procThreads(t)
	t.Logf("%d idle watchers: OS threads %d before, %d while all wait in Next (GOMAXPROCS=%d, goroutines=%d); CPU over 1s idle: %v; fds %d -> %d (%.1f per watcher)",
		n, threadsBefore, threadsIdle, runtime.GOMAXPROCS(0), runtime.NumGoroutine(), idleCPU,
		fdsBefore, fdsOpen, float64(fdsOpen-fdsBefore)/float64(n))
	if idleCPU > 250*time.Millisecond {
		t.Errorf("idle watchers used %v CPU in 1s", idleCPU)
	}
	if limit := threadsBefore + 32; threadsIdle > limit {
		t.Fatalf("%d OS threads with %d idle watchers (started with %d): waiting holds threads",
			threadsIdle, n, threadsBefore)
	}

	// The parked watchers are live: a line in some logs wakes exactly those.
	woken := []int{0, 1, n / 2, n - 2, n - 1}
	for _, i := range woken {
		dirs[i].query("A", fmt.Sprintf("w%d.example.com", i))
	}
	for _, i := range woken {
		select {
		case ev := <-results[i]:
			if want := fmt.Sprintf("w%d.example.com", i); ev.Domain != want || ev.Container != fmt.Sprintf("c%d", i) {
				t.Errorf("watcher %d got %s", i, ev.JSON())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("watcher %d: no event", i)
		}
	}
	if got := procThreads(t); got > threadsBefore+32 {
		t.Errorf("%d OS threads after wake-ups", got)
	}

	stop()
	for _, err := range errs {
		t.Error(err)
	}
	runtime.GC()
	if fdsAfter := openFds(t); fdsAfter != fdsBefore {
		t.Errorf("open fds: %d before, %d after closing %d watchers", fdsBefore, fdsAfter, n)
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// closeAll closes watchers from a few goroutines: closing an inotify
// instance with marks takes the kernel ~10 ms (mark teardown waits for an
// SRCU grace period), which adds up to 10 s for 1,000 serial closes.
func closeAll(watchers []*Watcher) {
	var wg sync.WaitGroup
	const workers = 32
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < len(watchers); i += workers {
				if watchers[i] != nil {
					watchers[i].Close()
				}
			}
		}()
	}
	wg.Wait()
}
