package shieldwatch

import (
	"fmt"
	"math"
	"syscall"
	"time"

	"github.com/terok-ai/libshieldwatch/bindings/go/internal/swc"
)

// Source selects event sources; combine with |.
type Source uint

// The sources a Watcher merges (SW_SOURCE_* in the C header).
const (
	SourceDNS   Source = 1 << 0 // blocked queries in the dnsmasq log
	SourceAudit Source = 1 << 1 // lines appended to audit.jsonl
	SourceNFLOG Source = 1 << 2 // packets the firewall logged to NFLOG
	SourceAll          = SourceDNS | SourceAudit | SourceNFLOG
)

// Option configures Open. Options mirror the C sw_options_set_* calls; an
// invalid value makes Open fail with an *Error wrapping EINVAL.
type Option func(*settings)

type setter struct {
	name  string
	apply func(o swc.Struct_SS_sw_options) int
}

type settings struct {
	setters []setter
	err     error // a value Go rejects before reaching C
}

func (s *settings) add(name string, apply func(o swc.Struct_SS_sw_options) int) {
	s.setters = append(s.setters, setter{name, apply})
}

func (s *settings) fail(name, msg string) {
	if s.err == nil {
		s.err = &Error{Op: "option " + name + " (" + msg + ")", Err: syscall.EINVAL}
	}
}

// WithSources selects which sources run (default SourceAll).
func WithSources(sources Source) Option {
	return func(s *settings) {
		s.add("sources", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_sources(o, uint(sources))
		})
	}
}

// WithDedupWindow deduplicates events by key (container, source, action,
// domain, query_type, dest, port, proto): the first occurrence is delivered
// and opens a window of d; repeats inside it are held back and, when the
// window closes, the last one is delivered with Suppressed = the others, so
// the sum over events of 1 + Suppressed equals the occurrences exactly. The
// library counts whole milliseconds: d is rounded up (500µs is 1ms) and
// capped at 2^32-1 ms, so only 0 (the default) disables deduplication; the
// Rust binding applies the same rule. With WithDedupOnce, d is the report
// period instead.
func WithDedupWindow(d time.Duration) Option {
	return func(s *settings) {
		if d < 0 {
			s.fail("dedup_window", "negative duration")
			return
		}
		ms := dedupMillis(d)
		s.add("dedup_window", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_dedup_window_ms(o, uint(ms))
		})
	}
}

// dedupMillis is the rule shared with the Rust binding: whole milliseconds,
// rounded up, capped at 2^32-1. d is not negative.
func dedupMillis(d time.Duration) uint64 {
	if d > math.MaxInt64-time.Millisecond { // d + 1ms - 1 would overflow
		return math.MaxUint32
	}
	return min(uint64((d+time.Millisecond-1)/time.Millisecond), math.MaxUint32)
}

// WithDedupOnce delivers each key's first occurrence only (for
// notification-style hosts): later repeats are held back and reported per
// key at most once per period (the dedup window, 60 s when unset), with
// Suppressed counting the rest. At most 65536 keys are remembered.
func WithDedupOnce() Option {
	return func(s *settings) {
		s.add("dedup_mode", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_dedup_mode(o, swc.SW_DEDUP_ONCE)
		})
	}
}

// WithNflogGroup sets the NFLOG group to bind (default 100).
func WithNflogGroup(group uint16) Option {
	return func(s *settings) {
		s.add("nflog_group", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_nflog_group(o, group)
		})
	}
}

// WithNetns opens the NFLOG socket inside the network namespace at path
// (e.g. /proc/PID/ns/net or /run/netns/NAME) instead of the caller's own.
func WithNetns(path string) Option {
	return func(s *settings) {
		if err := checkString("option netns", path); err != nil {
			s.err = err
			return
		}
		s.add("netns", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_netns(o, path)
		})
	}
}

// WithNflogRequired makes Open fail when NFLOG cannot be set up. By default
// the other sources keep working and the stream carries one
// "nflog_unavailable" event.
func WithNflogRequired(required bool) Option {
	return func(s *settings) {
		v := 0
		if required {
			v = 1
		}
		s.add("nflog_required", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_nflog_required(o, v)
		})
	}
}

// WithNflogAction maps an NFLOG log prefix (compared after trimming trailing
// spaces and colons) to an event action, adding to or replacing the
// built-in table. Repeat the option for several prefixes.
func WithNflogAction(prefix, action string) Option {
	return func(s *settings) {
		if err := checkString("option nflog_action", prefix); err != nil {
			s.err = err
			return
		}
		if err := checkString("option nflog_action", action); err != nil {
			s.err = err
			return
		}
		s.add("nflog_action", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_nflog_action(o, prefix, action)
		})
	}
}

// WithMaxLine sets the longest log line kept, in bytes (default 65536,
// minimum 256). Longer lines are dropped and reported with a
// "line_too_long" event.
func WithMaxLine(bytes int) Option {
	return func(s *settings) {
		if bytes < 0 || uint64(bytes) > math.MaxUint32 {
			s.fail("max_line", fmt.Sprintf("%d out of range", bytes))
			return
		}
		s.add("max_line", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_max_line(o, uint(bytes))
		})
	}
}

// WithDomainMapSize sets how many IP -> domain entries are kept (default
// 65536, least recently used evicted first).
func WithDomainMapSize(entries int) Option {
	return func(s *settings) {
		if entries < 0 || uint64(entries) > math.MaxUint32 {
			s.fail("domain_map_size", fmt.Sprintf("%d out of range", entries))
			return
		}
		s.add("domain_map_size", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_domain_map_size(o, uint(entries))
		})
	}
}

// WithDNSSeedBytes sets how many bytes at the end of an existing dnsmasq.log
// are read at Open to name addresses resolved before it (default 8 MiB; 0
// turns seeding off). Only used with the NFLOG source.
func WithDNSSeedBytes(bytes uint64) Option {
	return func(s *settings) {
		s.add("dns_seed_bytes", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_dns_seed_bytes(o, bytes)
		})
	}
}

// WithCursor resumes source (SourceDNS or SourceAudit) right after cursor,
// an Event.Cursor saved earlier; "" starts at the end of the file. A cursor
// that cannot be honoured makes the source read its current file from the
// start after a "gap" event saying why. Delivery is at-least-once after the
// last saved cursor (exactly-once when each event's cursor is saved as it
// is handled); see the C header.
func WithCursor(source Source, cursor string) Option {
	return func(s *settings) {
		s.add("cursor", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_cursor(o, uint(source), cursor)
		})
	}
}

// WithJSONStream makes the Watcher or Host it opens (Open, NewHost; Host.Add
// ignores it) queue its events as one stream of JSON lines, read with
// ReadJSON or JSONReader, instead of as Events: Next then fails with an
// error wrapping syscall.EOPNOTSUPP. For hosts that only pass the lines on,
// it saves building an event object per event (about a third of the
// library's CPU per NFLOG packet).
func WithJSONStream() Option {
	return func(s *settings) {
		s.add("json_stream", func(o swc.Struct_SS_sw_options) int {
			return swc.Sw_options_set_json_stream(o, 1)
		})
	}
}

// newCOptions builds a C sw_options from opts; the caller frees it.
func newCOptions(opts []Option) (swc.Struct_SS_sw_options, error) {
	var s settings
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	o := swc.Sw_options_new()
	if o.Swigcptr() == 0 {
		return nil, &Error{Op: "options", Err: syscall.ENOMEM}
	}
	for _, st := range s.setters {
		if rc := st.apply(o); rc < 0 {
			swc.Sw_options_free(o)
			return nil, errorFromCode("option "+st.name, "", rc)
		}
	}
	return o, nil
}
