package shieldwatch

import (
	"encoding/json"
	"testing"
	"time"
)

// Counted dedup: 1 + Suppressed summed over the events equals the
// occurrences, in window and once mode.
func TestDedupCountsEveryOccurrence(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		want int // events: the first, then the held repeats as one
	}{
		{"window", []Option{WithDedupWindow(150 * time.Millisecond)}, 2},
		{"once", []Option{WithDedupWindow(150 * time.Millisecond), WithDedupOnce()}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStateDir(t)
			w := openWatcher(t, s, "c1", tc.opts...)
			const n = 25
			for range n {
				s.query("A", "dup.example.com")
			}
			var events []Event
			total := uint64(0)
			for total < n {
				ev := nextWithin(t, w, 5*time.Second)
				events = append(events, ev)
				total += 1 + ev.Suppressed
			}
			if total != n || len(events) != tc.want {
				t.Fatalf("%d events standing for %d occurrences, want %d for %d", len(events), total, tc.want, n)
			}
			last := events[len(events)-1]
			if last.Suppressed != n-2 {
				t.Errorf("Suppressed = %d, want %d", last.Suppressed, n-2)
			}
			// The Go encoding matches the library's line.
			if b, _ := json.Marshal(last); string(b) != last.JSON() {
				t.Errorf("Go %s != library %s", b, last.JSON())
			}
			if tc.name == "once" {
				s.query("A", "dup.example.com")
				if ev := nextWithin(t, w, 5*time.Second); ev.Suppressed != 0 {
					t.Errorf("a single held repeat: Suppressed = %d", ev.Suppressed)
				}
			}
			expectNone(t, w, 300*time.Millisecond)
		})
	}
}
