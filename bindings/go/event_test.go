package shieldwatch

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// An Event built in Go has no library line: JSON() is empty and
// json.Marshal encodes the struct tags (same keys and omission rules).
func TestMarshalGoBuiltEvent(t *testing.T) {
	ev := Event{TS: "2026-11-22T13:30:01.000000Z", Source: EventSourceNflog, Action: ActionBlockedConnection,
		Container: "c1", Dest: "192.0.2.7", Port: 5353, Proto: 17, UID: ptr(int64(0))}
	if ev.JSON() != "" {
		t.Errorf("JSON() = %q for a Go-built event", ev.JSON())
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ts":"2026-11-22T13:30:01.000000Z","source":"nflog","action":"blocked_connection","container":"c1","dest":"192.0.2.7","port":5353,"proto":17,"uid":0}`
	if string(b) != want {
		t.Errorf("json.Marshal:\n got %s\nwant %s", b, want)
	}
}

// Time parses the library's form and the "+00:00" form alike.
func TestEventTime(t *testing.T) {
	want := time.Date(2026, 11, 22, 13, 30, 1, 123456000, time.UTC)
	for _, ts := range []string{"2026-11-22T13:30:01.123456Z", "2026-11-22T13:30:01.123456+00:00",
		"2026-11-22T15:30:01.123456+02:00"} {
		got, err := Event{TS: ts}.Time()
		if err != nil || !got.Equal(want) {
			t.Errorf("Time(%q) = %v, %v; want %v", ts, got, err, want)
		}
	}
	if _, err := (Event{TS: "yesterday"}).Time(); err == nil {
		t.Error("Time accepted garbage")
	}
}

// Events from the library: json.Marshal(ev) and an Encoder reproduce the
// library's line (ev.JSON()); decoding the line gives back the event.
func TestJSONMatchesLibrary(t *testing.T) {
	s := newStateDir(t)
	w := openWatcher(t, s, "c1")
	s.query("A", "evil.example.com")
	s.query("AAAA", "ipv6.example.org")
	s.audit(
		`{"ts":"2026-11-22T13:30:01Z","container":"c1","action":"setup"}`,
		`{"ts":"2026-11-22T13:30:02.5Z","container":"c1","action":"allow","dest":"192.0.2.1","detail":"plain detail"}`,
		`{"ts":"2026-11-22T13:30:03Z","container":"c1","action":"note","detail":"quote \" backslash \\ nl \n tab \t bs \b ff \f nul-free \u0001 del \u007f"}`,
		`{"ts":"2026-11-22T13:30:04Z","container":"c1","action":"html","detail":"<script>a&b</script> \u2028 \u2029 é 😀"}`,
	)
	var events []Event
	for len(events) < 6 {
		events = append(events, nextWithin(t, w, 5*time.Second))
	}
	for _, ev := range events {
		lib := ev.JSON()
		if lib == "" || lib[0] != '{' {
			t.Fatalf("library JSON %q", lib)
		}
		// MarshalJSON hands out the library's bytes.
		if b, _ := ev.MarshalJSON(); string(b) != lib {
			t.Errorf("MarshalJSON differs:\n  go  %s\n  lib %s", b, lib)
		}
		// The library's timestamp parses.
		if ts, err := ev.Time(); err != nil || time.Since(ts) > time.Hour && ev.Source != EventSourceAudit {
			t.Errorf("Time(%q) = %v, %v", ev.TS, ts, err)
		}
		// json.Marshal: identical, up to its HTML-safe escaping.
		var htmlSafe bytes.Buffer
		json.HTMLEscape(&htmlSafe, []byte(lib))
		m, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, htmlSafe.Bytes()) {
			t.Errorf("json.Marshal differs:\n  go  %s\n  lib %s", m, lib)
		}
		if !strings.ContainsAny(lib, "<>&\u2028\u2029") && string(m) != lib {
			t.Errorf("json.Marshal != library line:\n  go  %s\n  lib %s", m, lib)
		}
		// Encoder without HTML escaping: byte for byte plus newline.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ev); err != nil {
			t.Fatal(err)
		}
		if buf.String() != lib+"\n" {
			t.Errorf("Encoder differs:\n  go  %s  lib %s", buf.String(), lib)
		}
		// Round trip through the tags.
		var back Event
		if err := json.Unmarshal([]byte(lib), &back); err != nil {
			t.Fatal(err)
		}
		back.raw, back.Cursor, back.Member = ev.raw, ev.Cursor, ev.Member // none is in the JSON
		if !reflect.DeepEqual(back, ev) {
			t.Errorf("round trip:\n  got  %+v\n  want %+v", back, ev)
		}
	}
	if d := events[4].Detail; !strings.Contains(d, "\"") || !strings.Contains(d, "\x7f") || !strings.Contains(d, "\b") {
		t.Errorf("detail lost characters: %q", d)
	}
	t.Logf("library line with escapes: %s", events[4].JSON())
	t.Logf("library line with HTML characters: %s", events[5].JSON())
}

// The typed constants are the header's: every SW_EVENT_SOURCE_* and
// SW_ACTION_* line, in order, with its value; every SW_STAT_* id equal to
// the C enum's value. (vocab_gen.go is generated; check-generated.sh keeps
// it current, this checks the generator.)
func TestVocabularyMatchesHeader(t *testing.T) {
	header, err := os.ReadFile("../../include/libshieldwatch.h")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^#define SW_(EVENT_SOURCE|ACTION)_[A-Z0-9_]+ +"([^"]*)"`)
	var wantSources, wantActions []string
	for _, m := range re.FindAllStringSubmatch(string(header), -1) {
		if m[1] == "ACTION" {
			wantActions = append(wantActions, m[2])
		} else {
			wantSources = append(wantSources, m[2])
		}
	}
	var gotSources, gotActions []string
	for _, s := range eventSources {
		gotSources = append(gotSources, string(s))
	}
	for _, a := range actions {
		gotActions = append(gotActions, string(a))
	}
	if !reflect.DeepEqual(gotSources, wantSources) || len(wantSources) != 4 {
		t.Errorf("sources %v, header %v", gotSources, wantSources)
	}
	if !reflect.DeepEqual(gotActions, wantActions) || len(wantActions) < 9 {
		t.Errorf("actions %v, header %v", gotActions, wantActions)
	}
	stats := regexp.MustCompile(`(?m)^\s*SW_STAT_[A-Z0-9_]+ *=`).FindAllString(string(header), -1)
	if len(statIDs) != len(stats) || len(stats) < 9 {
		t.Errorf("%d Stat constants, header has %d", len(statIDs), len(stats))
	}
	for _, s := range statIDs {
		if int(s.stat) != int(s.id) {
			t.Errorf("Stat %d != C id %d", s.stat, s.id)
		}
	}
	if !ActionBlockedQuery.Known() || Action("custom_audit_action").Known() || !EventSourceWatch.Known() {
		t.Error("Known() wrong")
	}
}
