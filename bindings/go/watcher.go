package shieldwatch

import (
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/terok-ai/libshieldwatch/bindings/go/internal/swc"
)

// Watcher follows one container's state directory and yields its events.
//
// A Watcher is safe for concurrent use: the C handle is entered under a
// mutex, concurrent Next (or ReadJSON) calls are served one at a time, and
// Close may be called from any goroutine, also while another one waits.
type Watcher struct {
	// mu guards the C handle: libshieldwatch handles are one-thread-at-a-time.
	mu    sync.Mutex
	c     *cStream                 // nil once closed
	h     swc.Struct_SS_sw_watcher // nil once closed, and for a Host's stream
	evOut swc.Struct_SS_sw_event   // sw_event ** holder for sw_next_event
	fd    atomic.Int64             // sw_fd(h), -1 once closed

	// file is a CLOEXEC, non-blocking dup of the library's epoll fd,
	// registered with the Go netpoller; rc is its RawConn.
	file *os.File
	rc   syscall.RawConn

	reader    chan struct{} // one-slot semaphore: one Next or ReadJSON waits at a time
	done      chan struct{} // closed by Close
	closed    atomic.Bool
	closeOnce sync.Once
	cleanup   runtime.Cleanup
}

// cStream is the C handle behind an event loop (a Watcher, or a Host's):
// the calls the loop makes on it.
type cStream struct {
	poll  func() int
	next  func(swc.Struct_SS_sw_event) int
	read  func([]byte) int // sw_read_json: polls itself when nothing is queued
	close func()
}

// handles is what the cleanup of an unreachable, unclosed Watcher frees.
type handles struct {
	c     *cStream
	evOut swc.Struct_SS_sw_event
}

func freeHandles(hs handles) {
	hs.c.close()
	if hs.evOut != nil {
		swc.Delete_sw_event_out(hs.evOut)
	}
}

// Open starts watching stateDir for container. Only lines appended after
// Open returns are reported.
//
// It fails with an error matching ErrTier when stateDir/dns.tier is missing
// or not "dnsmasq", and with one wrapping syscall.ENOENT or syscall.ENOTDIR
// for a bad stateDir. The *Error carries the library's one-line reason
// (sw_open_explain), naming the file or step that failed.
func Open(stateDir, container string, opts ...Option) (*Watcher, error) {
	if err := checkString("open", stateDir); err != nil {
		return nil, err
	}
	if err := checkString("open", container); err != nil {
		return nil, err
	}
	o, err := newCOptions(opts)
	if err != nil {
		return nil, err
	}
	defer swc.Sw_options_free(o)

	out := swc.New_sw_watcher_out()
	if out.Swigcptr() == 0 {
		return nil, &Error{Op: "open", Path: stateDir, Err: syscall.ENOMEM}
	}
	defer swc.Delete_sw_watcher_out(out)
	reason := swc.NewSwc_reason()
	defer swc.DeleteSwc_reason(reason)
	if rc := swc.Swc_open_explain(stateDir, container, o, out, reason); rc < 0 {
		return nil, &Error{Op: "open", Path: stateDir, Reason: reason.GetText(), Err: syscall.Errno(-rc)}
	}
	h := swc.Sw_watcher_out_value(out)
	w, err := newStream(&cStream{
		poll:  func() int { return swc.Sw_poll(h) },
		next:  func(ev swc.Struct_SS_sw_event) int { return swc.Sw_next_event(h, ev) },
		read:  func(p []byte) int { return int(swc.Sw_read_json(h, p)) },
		close: func() { swc.Sw_close(h) },
	}, swc.Sw_fd(h), stateDir, container)
	if err != nil {
		return nil, err
	}
	w.h = h
	return w, nil
}

// newStream wraps a C handle (taking it over: freed on failure) and its
// pollable fd in the event loop a Watcher and a Host share.
func newStream(c *cStream, libfd int, stateDir, container string) (*Watcher, error) {
	hs := handles{c: c}
	fail := func(err error) (*Watcher, error) {
		freeHandles(hs)
		return nil, err
	}
	if hs.evOut = swc.New_sw_event_out(); hs.evOut.Swigcptr() == 0 {
		hs.evOut = nil
		return fail(&Error{Op: "open", Path: stateDir, Err: syscall.ENOMEM})
	}
	if libfd < 0 {
		return fail(errorFromCode("fd", stateDir, libfd))
	}

	// Our own descriptor for the library's epoll file: closing it (on Close)
	// never touches the library's fd, and it can be non-blocking and
	// registered with the netpoller without the library noticing.
	// O_NONBLOCK lives on the shared file description; epoll_wait ignores it.
	dup, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(libfd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return fail(&Error{Op: "dup fd", Path: stateDir, Err: errno})
	}
	if err := syscall.SetNonblock(int(dup), true); err != nil {
		syscall.Close(int(dup))
		errno, _ := err.(syscall.Errno)
		return fail(&Error{Op: "set non-blocking", Path: stateDir, Err: errno})
	}
	file := os.NewFile(dup, "shieldwatch:"+container)
	// Only a file registered with the netpoller supports deadlines: this
	// proves Next will park on the netpoller instead of holding a thread.
	if err := file.SetReadDeadline(time.Time{}); err != nil {
		file.Close()
		return fail(&Error{Op: "register fd with the Go netpoller", Path: stateDir, Err: syscall.EINVAL})
	}
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return fail(&Error{Op: "raw conn", Path: stateDir, Err: syscall.EINVAL})
	}

	w := &Watcher{
		c:      hs.c,
		evOut:  hs.evOut,
		file:   file,
		rc:     rc,
		reader: make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	w.fd.Store(int64(libfd))
	// A Watcher dropped without Close still releases the C handle (the
	// *os.File has its own cleanup for the dup).
	w.cleanup = runtime.AddCleanup(w, freeHandles, hs)
	return w, nil
}

// Fd returns the library's pollable epoll fd (sw_fd), or -1 after Close.
// It is owned by the Watcher: never close it. Next already waits on it; Fd
// is for hosts that drive their own event loop. Note that the Watcher sets
// O_NONBLOCK on the underlying open file description.
func (w *Watcher) Fd() int {
	return int(w.fd.Load())
}

// Next returns the next event, waiting until one arrives, ctx is done
// (it then returns ctx.Err()) or the Watcher is closed (ErrClosed). On a
// Watcher opened WithJSONStream it fails with an error wrapping
// syscall.EOPNOTSUPP: use ReadJSON.
//
// Waiting parks the goroutine on the Go netpoller; it holds no OS thread.
// Concurrent calls are served one at a time, each event to one caller.
func (w *Watcher) Next(ctx context.Context) (Event, error) {
	var ev Event
	err := w.wait(ctx, func() (bool, error) {
		n, err := w.take(func() (int, error) { return w.pollNext(&ev) })
		return n > 0, err
	})
	return ev, err
}

// ReadJSON reads the JSON-lines stream of a Watcher opened WithJSONStream:
// it waits as Next does until bytes are queued, ctx is done or the Watcher
// is closed, then copies up to len(p) of them into p and returns how many
// (n > 0, nil). When none are queued, the read itself processes what is
// ready (sw_read_json does sw_poll's work); no separate poll runs. Each
// event is its JSON line (Event.JSON) and '\n'; a line may be split
// between calls, as with read(2) on a pipe, but no byte is lost or
// repeated. Concurrent calls are served one at a time, so a line may be
// split between callers: read from one goroutine to keep lines whole.
// An empty p returns 0, nil at once. Without WithJSONStream it fails with
// an error wrapping syscall.EOPNOTSUPP.
func (w *Watcher) ReadJSON(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := w.wait(ctx, func() (bool, error) {
		var err error
		// One sw_read_json per attempt and no sw_poll: reading what it
		// processed in the same call saves the library an eventfd write
		// and read per wakeup.
		n, err = w.take(func() (int, error) { return count("read json", w.c.read(p)) })
		return n > 0, err
	})
	return n, err
}

// JSONReader returns ReadJSON bound to ctx as an io.Reader, e.g. for
// io.Copy or a bufio.Scanner; its Read fails with ctx.Err() once ctx is
// done and with ErrClosed after Close.
func (w *Watcher) JSONReader(ctx context.Context) io.Reader {
	return jsonReader{ctx, w}
}

// jsonReader is the io.Reader JSONReader returns.
type jsonReader struct {
	ctx context.Context
	w   *Watcher
}

func (r jsonReader) Read(p []byte) (int, error) { return r.w.ReadJSON(r.ctx, p) }

// wait calls try (which takes what is queued, under mu) until it reports
// success or an error, parking on the netpoller while nothing is ready; it
// returns try's error, ctx.Err() or ErrClosed.
func (w *Watcher) wait(ctx context.Context, try func() (bool, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case w.reader <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.done:
		return ErrClosed
	}
	defer func() { <-w.reader }()

	// Fast path: something already queued or ready, without touching the
	// netpoller or arming a deadline.
	if ok, err := try(); ok || err != nil {
		return err
	}

	// Cancellation: ctx being done moves the read deadline into the past,
	// which wakes the parked RawConn.Read. The deadline belongs to the
	// file, hence the one-reader semaphore above.
	if err := w.file.SetReadDeadline(time.Time{}); err != nil {
		return w.waitErr(ctx, err)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		w.file.SetReadDeadline(time.Unix(1, 0))
	})

	var (
		got   bool
		cbErr error
	)
	// RawConn.Read calls the function, and while it returns false waits
	// until the netpoller reports the fd readable (or the deadline passes,
	// or the file is closed), then calls it again.
	rerr := w.rc.Read(func(uintptr) bool {
		got, cbErr = try()
		return got || cbErr != nil
	})
	if !stop() {
		<-fired // the deadline is set; the next wait clears it
	}

	switch {
	case got:
		return nil
	case cbErr != nil:
		return cbErr
	default:
		return w.waitErr(ctx, rerr)
	}
}

// waitErr maps an error from waiting on the file to the API's errors.
func (w *Watcher) waitErr(ctx context.Context, err error) error {
	if w.closed.Load() {
		return ErrClosed
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil {
		err = errors.New("wait ended without an event") // not reached
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &Error{Op: "wait", Err: errno}
	}
	return err
}

// take calls fetch (Next's or ReadJSON's: the count it took, 0 when
// nothing is queued, or an error) under mu.
func (w *Watcher) take(fetch func() (int, error)) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.c == nil {
		return 0, ErrClosed
	}
	return fetch()
}

// count maps a library call's result (a count or a negative errno) for op.
func count(op string, rc int) (int, error) {
	if rc < 0 {
		return 0, errorFromCode(op, "", rc)
	}
	return rc, nil
}

// pollNext is Next's fetch, under mu: sw_next_event, running sw_poll first
// when nothing is queued.
func (w *Watcher) pollNext(ev *Event) (int, error) {
	rc := w.nextEvent(ev)
	for attempt := 0; rc == 0 && attempt < 3; attempt++ {
		n := w.c.poll()
		if n < 0 {
			return 0, errorFromCode("poll", "", n)
		}
		if n > 0 {
			rc = w.nextEvent(ev)
			break
		}
		// Nothing queued. The library promises sw_poll drains all ready
		// work; only if the fd still reads as ready, poll again (bounded)
		// rather than park on an edge that may not come.
		if !readableNow(int(w.fd.Load())) {
			break
		}
	}
	return count("next event", rc)
}

// nextEvent is sw_next_event, copying the event into *ev and freeing it
// while mu still guards evOut.
func (w *Watcher) nextEvent(ev *Event) int {
	rc := w.c.next(w.evOut)
	if rc > 0 {
		cev := swc.Sw_event_out_value(w.evOut)
		*ev = eventFromC(cev)
		swc.Sw_event_free(cev)
	}
	return rc
}

// readableNow polls fd with a zero timeout.
func readableNow(fd int) bool {
	type pollFd struct {
		fd      int32
		events  int16
		revents int16
	}
	const pollIn = 0x1
	p := pollFd{fd: int32(fd), events: pollIn}
	n, _, errno := syscall.Syscall(syscall.SYS_POLL, uintptr(unsafe.Pointer(&p)), 1, 0)
	return errno == 0 && n == 1 && p.revents&pollIn != 0
}

// All iterates over events until ctx is done or the Watcher is closed:
//
//	for ev, err := range w.All(ctx) {
//		if err != nil { ... ; break }
//		...
//	}
//
// A failure is yielded once, as the last pair: ctx.Err() after
// cancellation, ErrClosed after Close, or the library's error.
func (w *Watcher) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := w.Next(ctx)
			if err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// SourceStatus reports whether source (one of SourceDNS, SourceAudit,
// SourceNFLOG) runs: nil when it does, else why not (an error wrapping
// syscall.ENOTCONN when it was not requested).
func (w *Watcher) SourceStatus(source Source) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.h == nil {
		return ErrClosed
	}
	return errorFromCode("source status", "", swc.Sw_source_status(w.h, uint(source)))
}

// Stat identifies a Watcher counter (sw_stat_id); the Stat* constants are
// generated from the C header (vocab_gen.go).
type Stat int

// Stat returns a counter; 0 for an unknown one or after Close.
func (w *Watcher) Stat(s Stat) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.h == nil {
		return 0
	}
	return swc.Sw_stat(w.h, swc.Enum_SS_sw_stat_id(s))
}

// Close releases the Watcher: its descriptors, the C handle and queued
// events. A Next or ReadJSON waiting in another goroutine returns ErrClosed
// promptly. Close is idempotent; later calls return nil.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		close(w.done)
		w.fd.Store(-1)
		// Closing the file evicts it from the netpoller, which wakes a
		// parked Next; os.File.Close returns once that Read has let go of
		// the descriptor. It must not run under mu: the Read callback may
		// be waiting for mu.
		w.file.Close()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.cleanup.Stop()
		freeHandles(handles{w.c, w.evOut})
		w.c, w.h, w.evOut = nil, nil, nil
	})
	return nil
}

// Version returns the C library's version, "MAJOR.MINOR.PATCH".
func Version() string {
	return swc.Sw_version()
}
