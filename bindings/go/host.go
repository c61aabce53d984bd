package shieldwatch

import (
	"context"
	"io"
	"iter"
	"syscall"

	"github.com/terok-ai/libshieldwatch/bindings/go/internal/swc"
)

// Host follows many containers with one handle (sw_host): one epoll fd and
// one inotify instance for all of them, so Linux's default
// fs.inotify.max_user_instances (128) is no limit, and one goroutine in
// Next serves them all. Every event names its container; membership and
// health changes are "watch" events (container_added, container_removed,
// nflog_unavailable, nflog_recovered, ...).
//
// A Host is safe for concurrent use, like a Watcher: Add and Remove may run
// while another goroutine waits in Next.
type Host struct {
	s *Watcher // the event loop; its C handle is the host
	h swc.Struct_SS_sw_host
}

// NewHost creates a host with no members. opts are the defaults: the dedup
// window of the whole stream (and WithJSONStream, for the whole stream) and
// the options of containers Follow attaches.
func NewHost(opts ...Option) (*Host, error) {
	o, err := newCOptions(opts)
	if err != nil {
		return nil, err
	}
	defer swc.Sw_options_free(o)
	out := swc.New_sw_host_out()
	if out.Swigcptr() == 0 {
		return nil, &Error{Op: "new host", Err: syscall.ENOMEM}
	}
	defer swc.Delete_sw_host_out(out)
	if rc := swc.Sw_host_new(o, out); rc < 0 {
		return nil, errorFromCode("new host", "", rc)
	}
	h := swc.Sw_host_out_value(out)
	s, err := newStream(&cStream{
		poll:  func() int { return swc.Sw_host_poll(h) },
		next:  func(ev swc.Struct_SS_sw_event) int { return swc.Sw_host_next_event(h, ev) },
		read:  func(p []byte) int { return int(swc.Sw_host_read_json(h, p)) },
		close: func() { swc.Sw_host_close(h) },
	}, swc.Sw_host_fd(h), "", "host")
	if err != nil {
		return nil, err
	}
	return &Host{s: s, h: h}, nil
}

// Add follows stateDir as container (a name unique in the host), in O(1).
// opts (none: the host's defaults) are this container's: sources, netns,
// NFLOG group, ... Errors as Open, plus syscall.EEXIST for a name already
// followed and syscall.EBUSY when another member reads the same NFLOG group
// in the same namespace and NFLOG is required.
func (h *Host) Add(stateDir, container string, opts ...Option) error {
	if err := checkString("add", stateDir); err != nil {
		return err
	}
	if err := checkString("add", container); err != nil {
		return err
	}
	var o swc.Struct_SS_sw_options
	if len(opts) > 0 {
		var err error
		if o, err = newCOptions(opts); err != nil {
			return err
		}
		defer swc.Sw_options_free(o)
	}
	return h.call(func() int { return swc.Sw_host_add(h.h, stateDir, container, o) }, "add", stateDir)
}

// Remove stops following container, in O(1): events already queued for it
// are still delivered, then a "container_removed" event, then nothing more.
// syscall.ENOENT when it is not a member.
func (h *Host) Remove(container string) error {
	if err := checkString("remove", container); err != nil {
		return err
	}
	return h.call(func() int { return swc.Sw_host_remove(h.h, container) }, "remove", container)
}

// Follow attaches every directory of root/containers whose dns.tier says
// dnsmasq, now and as they appear, and detaches them when they go.
func (h *Host) Follow(root string) error {
	if err := checkString("follow", root); err != nil {
		return err
	}
	return h.call(func() int { return swc.Sw_host_follow(h.h, root) }, "follow", root)
}

// Len returns the number of members; 0 after Close.
func (h *Host) Len() int {
	n := 0
	h.call(func() int { n = int(swc.Sw_host_size(h.h)); return 0 }, "", "")
	return n
}

// call runs fn on the C handle under the loop's mutex.
func (h *Host) call(fn func() int, op, path string) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if h.s.c == nil {
		return ErrClosed
	}
	return errorFromCode(op, path, fn())
}

// Next returns the next event of any member, as Watcher.Next: it parks the
// goroutine on the Go netpoller until one arrives, ctx is done or the Host
// is closed (ErrClosed).
func (h *Host) Next(ctx context.Context) (Event, error) { return h.s.Next(ctx) }

// ReadJSON reads the JSON-lines stream of every member of a Host created
// WithJSONStream, as Watcher.ReadJSON: when nothing is queued the read
// itself processes what is ready (sw_host_read_json), with no separate poll.
func (h *Host) ReadJSON(ctx context.Context, p []byte) (int, error) { return h.s.ReadJSON(ctx, p) }

// JSONReader returns ReadJSON bound to ctx as an io.Reader, as
// Watcher.JSONReader.
func (h *Host) JSONReader(ctx context.Context) io.Reader { return h.s.JSONReader(ctx) }

// All iterates over the events of every member, as Watcher.All.
func (h *Host) All(ctx context.Context) iter.Seq2[Event, error] { return h.s.All(ctx) }

// Fd returns the library's pollable fd (sw_host_fd), or -1 after Close.
func (h *Host) Fd() int { return h.s.Fd() }

// Close releases the host and every member; a Next waiting in another
// goroutine returns ErrClosed promptly. Idempotent.
func (h *Host) Close() error { return h.s.Close() }
