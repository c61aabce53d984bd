package shieldwatch

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/terok-ai/libshieldwatch/bindings/go/internal/swc"
)

// Event is one thing the shield blocked or recorded. Field names, JSON keys
// and omission rules are the library's: ts, source, action and container
// are always present; the others only when set. Uid, gid and icmp_type are
// -1 ("absent") in C and nil here.
//
// json.Marshal(ev) produces the library's line byte for byte, except that
// encoding/json's HTML-safe mode (json.Marshal's default) rewrites <, >, &,
// U+2028 and U+2029 inside strings as \u003c, \u003e, \u0026, \u2028 and
// \u2029; a json.Encoder with SetEscapeHTML(false) reproduces the library's
// bytes for every string (followed by the Encoder's newline). ev.JSON()
// returns the library's own text.
type Event struct {
	TS        string `json:"ts"`                   // RFC 3339 UTC with microseconds
	Source    string `json:"source"`               // "dns", "audit", "nflog" or "watch"
	Action    string `json:"action"`               // e.g. "blocked_query", "setup"
	Container string `json:"container"`            // the container watched / named in the audit line
	Domain    string `json:"domain,omitempty"`     // queried or resolved domain
	QueryType string `json:"query_type,omitempty"` // DNS query type, e.g. "A", "AAAA"
	Dest      string `json:"dest,omitempty"`       // destination address
	Detail    string `json:"detail,omitempty"`     // free-form detail
	Port      int    `json:"port,omitempty"`       // destination port; 0 when absent
	Proto     int    `json:"proto,omitempty"`      // IP protocol number; 0 when absent
	UID       *int64 `json:"uid,omitempty"`        // socket owner uid; nil when absent
	GID       *int64 `json:"gid,omitempty"`        // socket owner gid; nil when absent
	ICMPType  *int   `json:"icmp_type,omitempty"`  // ICMP/ICMPv6 type; nil when absent
	// Dedup: this event also stands for Suppressed more occurrences of its
	// key that were not emitted (see WithDedupWindow); 0 when absent.
	Suppressed uint64 `json:"suppressed,omitempty"`

	raw string // sw_event_json's text, for events that came from the library
}

// JSON returns the event as one JSON object without a newline. For an event
// received from the library (Watcher.Next, Tail) it is the library's own
// serialization, kept as received; for an Event built in Go it is the same
// encoding computed from the fields.
func (e Event) JSON() string {
	if e.raw != "" {
		return e.raw
	}
	return string(e.appendJSON(nil))
}

// Time parses TS.
func (e Event) Time() (time.Time, error) {
	return time.Parse(time.RFC3339Nano, e.TS)
}

// MarshalJSON encodes the event exactly as the library does (key order,
// omission rules and string escaping); see the Event documentation for
// what encoding/json changes afterwards.
func (e Event) MarshalJSON() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, 128+len(e.Domain)+len(e.Detail))), nil
}

// appendJSON mirrors the C library's ToJson.
func (e Event) appendJSON(b []byte) []byte {
	b = append(b, `{"ts":`...)
	b = appendJSONString(b, e.TS)
	b = appendStringField(b, "source", e.Source, true)
	b = appendStringField(b, "action", e.Action, true)
	b = appendStringField(b, "container", e.Container, true)
	b = appendStringField(b, "domain", e.Domain, false)
	b = appendStringField(b, "query_type", e.QueryType, false)
	b = appendStringField(b, "dest", e.Dest, false)
	b = appendStringField(b, "detail", e.Detail, false)
	if e.Port != 0 {
		b = appendIntField(b, "port", int64(e.Port))
	}
	if e.Proto != 0 {
		b = appendIntField(b, "proto", int64(e.Proto))
	}
	if e.UID != nil && *e.UID >= 0 {
		b = appendIntField(b, "uid", *e.UID)
	}
	if e.GID != nil && *e.GID >= 0 {
		b = appendIntField(b, "gid", *e.GID)
	}
	if e.ICMPType != nil && *e.ICMPType >= 0 {
		b = appendIntField(b, "icmp_type", int64(*e.ICMPType))
	}
	if e.Suppressed > 0 {
		b = strconv.AppendUint(append(b, `,"suppressed":`...), e.Suppressed, 10)
	}
	return append(b, '}')
}

func appendStringField(b []byte, key, value string, always bool) []byte {
	if value == "" && !always {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

func appendIntField(b []byte, key string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s like the library: invalid UTF-8 bytes become
// U+FFFD (one per byte), then ", \, \n, \r, \t get short escapes and every
// other byte below 0x20, and 0x7F, becomes \u00XX. Nothing else is escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	run := 0 // start of the pending run of bytes needing no escape
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, s[run:i]...)
				b = append(b, "\uFFFD"...)
				i++
				run = i
				continue
			}
			i += n
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' && c != 0x7F {
			i++
			continue
		}
		b = append(b, s[run:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		run = i
	}
	b = append(b, s[run:]...)
	return append(b, '"')
}

// eventFromC copies a library event (owned or borrowed) into Go memory.
func eventFromC(ev swc.Struct_SS_sw_event) Event {
	e := Event{
		TS:         swc.Sw_event_ts(ev),
		Source:     swc.Sw_event_source(ev),
		Action:     swc.Sw_event_action(ev),
		Container:  swc.Sw_event_container(ev),
		Domain:     swc.Sw_event_domain(ev),
		QueryType:  swc.Sw_event_query_type(ev),
		Dest:       swc.Sw_event_dest(ev),
		Detail:     swc.Sw_event_detail(ev),
		Port:       swc.Sw_event_port(ev),
		Proto:      swc.Sw_event_proto(ev),
		Suppressed: swc.Sw_event_suppressed(ev),
		raw:        swc.Sw_event_json(ev),
	}
	if v := swc.Sw_event_uid(ev); v >= 0 {
		e.UID = &v
	}
	if v := swc.Sw_event_gid(ev); v >= 0 {
		e.GID = &v
	}
	if v := swc.Sw_event_icmp_type(ev); v >= 0 {
		e.ICMPType = &v
	}
	return e
}
