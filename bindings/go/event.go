package shieldwatch

import (
	"encoding/json"
	"time"

	"github.com/terok-ai/libshieldwatch/bindings/go/internal/swc"
)

// Event is one thing the shield blocked or recorded. Field names, JSON keys
// and omission rules are the library's: ts, source, action and container
// are always present; the others only when set. Uid, gid and icmp_type are
// -1 ("absent") in C and nil here.
//
// The JSON form is the library's: JSON() returns the line sw_event_json
// made, and json.Marshal(ev) emits those same bytes (up to encoding/json's
// HTML-safe escaping of <, >, &, U+2028 and U+2029, which a json.Encoder
// with SetEscapeHTML(false) leaves alone). There is no second serializer in
// Go; only an Event built by hand in Go, which has no library line, is
// encoded by encoding/json from the struct tags.
type Event struct {
	TS        string      `json:"ts"`                   // RFC 3339 UTC with microseconds; see Time
	Source    EventSource `json:"source"`               // EventSourceDNS, EventSourceAudit, ...
	Action    Action      `json:"action"`               // e.g. ActionBlockedQuery, ActionSetup
	Container string      `json:"container"`            // the container watched / named in the audit line
	Domain    string      `json:"domain,omitempty"`     // queried or resolved domain
	QueryType string      `json:"query_type,omitempty"` // DNS query type, e.g. "A", "AAAA"
	Dest      string      `json:"dest,omitempty"`       // destination address
	Detail    string      `json:"detail,omitempty"`     // free-form detail
	Port      int         `json:"port,omitempty"`       // destination port; 0 when absent
	Proto     int         `json:"proto,omitempty"`      // IP protocol number; 0 when absent
	UID       *int64      `json:"uid,omitempty"`        // socket owner uid; nil when absent
	GID       *int64      `json:"gid,omitempty"`        // socket owner gid; nil when absent
	ICMPType  *int        `json:"icmp_type,omitempty"`  // ICMP/ICMPv6 type; nil when absent
	// Dedup: this event also stands for Suppressed more occurrences of its
	// key that were not emitted (see WithDedupWindow); 0 when absent.
	Suppressed uint64 `json:"suppressed,omitempty"`
	// Cursor is where to resume after this event (dns and audit events; ""
	// otherwise): store it and pass it back with WithCursor. Not in the JSON.
	Cursor string `json:"-"`
	// Member is the name the container was opened or added under: Container
	// except for an audit line naming another container. Store Cursor under
	// it (Host.Add takes it back). Not in the JSON.
	Member string `json:"-"`

	raw string // sw_event_json's text, for events that came from the library
}

// JSON returns the library's own JSON line for the event (no newline), as
// sw_event_json made it; "" for an Event built in Go.
func (e Event) JSON() string {
	return e.raw
}

// Time parses TS, RFC 3339 with an offset written "Z" or "+00:00".
func (e Event) Time() (time.Time, error) {
	return time.Parse(time.RFC3339Nano, e.TS)
}

// MarshalJSON returns the library's line for an event that came from the
// library; an Event built in Go is encoded from its struct tags.
func (e Event) MarshalJSON() ([]byte, error) {
	if e.raw != "" {
		return []byte(e.raw), nil
	}
	type fields Event // the same tags, without this method
	return json.Marshal(fields(e))
}

// eventFromC copies a library event (owned or borrowed) into Go memory.
func eventFromC(ev swc.Struct_SS_sw_event) Event {
	e := Event{
		TS:         swc.Sw_event_ts(ev),
		Source:     EventSource(swc.Sw_event_source(ev)),
		Action:     Action(swc.Sw_event_action(ev)),
		Container:  swc.Sw_event_container(ev),
		Domain:     swc.Sw_event_domain(ev),
		QueryType:  swc.Sw_event_query_type(ev),
		Dest:       swc.Sw_event_dest(ev),
		Detail:     swc.Sw_event_detail(ev),
		Port:       swc.Sw_event_port(ev),
		Proto:      swc.Sw_event_proto(ev),
		Suppressed: swc.Sw_event_suppressed(ev),
		Cursor:     swc.Sw_event_cursor(ev),
		Member:     swc.Sw_event_member(ev),
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
