package shieldwatch

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// Pure Go: the encoder follows the library's rules (key order, omission,
// escaping) without the library.
func TestMarshalJSONRules(t *testing.T) {
	for _, tc := range []struct {
		ev   Event
		want string
	}{
		{Event{TS: "t", Source: "dns", Action: "blocked_query", Container: "c"},
			`{"ts":"t","source":"dns","action":"blocked_query","container":"c"}`},
		{Event{}, `{"ts":"","source":"","action":"","container":""}`},
		{Event{TS: "t", Source: "nflog", Action: "a", Container: "c", Domain: "d", QueryType: "A",
			Dest: "192.0.2.1", Detail: "x", Port: 53, Proto: 17, UID: ptr(int64(0)), GID: ptr(int64(1000)), ICMPType: ptr(0)},
			`{"ts":"t","source":"nflog","action":"a","container":"c","domain":"d","query_type":"A","dest":"192.0.2.1","detail":"x","port":53,"proto":17,"uid":0,"gid":1000,"icmp_type":0}`},
		// C's "absent" -1 is omitted even when set through a pointer.
		{Event{UID: ptr(int64(-1)), GID: ptr(int64(-1)), ICMPType: ptr(-1)},
			`{"ts":"","source":"","action":"","container":""}`},
		{Event{Detail: "q\"b\\n\nr\rt\tb\bf\fz\x00d\x7f<>&\u2028\u2029é😀"},
			`{"ts":"","source":"","action":"","container":"","detail":"q\"b\\n\nr\rt\tb\u0008f\u000cz\u0000d\u007f<>&` + "\u2028\u2029é😀" + `"}`},
		// Invalid UTF-8: each bad byte becomes U+FFFD, unescaped.
		{Event{Detail: "a\xffb\xe2\x82c\xed\xa0\x80"},
			`{"ts":"","source":"","action":"","container":"","detail":"a` + "\uFFFDb\uFFFD\uFFFDc\uFFFD\uFFFD\uFFFD" + `"}`},
	} {
		b, err := tc.ev.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("MarshalJSON:\n got %s\nwant %s", b, tc.want)
		}
		if tc.ev.JSON() != tc.want {
			t.Errorf("JSON() = %s", tc.ev.JSON())
		}
	}
}

// The struct tags say the same as the hand-written encoder: for plain
// content, encoding/json's reflection (tags, omitempty) gives the same bytes.
func TestTagsMatchEncoder(t *testing.T) {
	type plain Event // same fields and tags, no MarshalJSON
	for _, ev := range []Event{
		{TS: "2026-11-22T13:30:01.000000+00:00", Source: "dns", Action: "blocked_query", Container: "c1",
			Domain: "evil.example.com", QueryType: "A"},
		{TS: "t", Source: "nflog", Action: "blocked_connection", Container: "c1", Dest: "192.0.2.7",
			Port: 5353, Proto: 17, UID: ptr(int64(0)), GID: ptr(int64(0))},
		{TS: "t", Source: "nflog", Action: "x", Container: "c1", Dest: "2001:db8::1", Proto: 58, ICMPType: ptr(128)},
	} {
		viaTags, _ := json.Marshal(plain(ev))
		viaMethod, _ := json.Marshal(ev)
		if !bytes.Equal(viaTags, viaMethod) {
			t.Errorf("tags: %s\nmethod: %s", viaTags, viaMethod)
		}
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
		// Recomputed from the fields: identical.
		if b, _ := ev.MarshalJSON(); string(b) != lib {
			t.Errorf("MarshalJSON differs:\n  go  %s\n  lib %s", b, lib)
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
		back.raw = ev.raw
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
