package shieldwatch

import (
	"runtime"
	"sync"
	"syscall"

	"github.com/terok-ai/libshieldwatch/bindings/go/internal/swc"
)

// AuditLog appends audit events to a JSON-lines file (the audit.jsonl a
// Watcher follows). Each event is one line written with a single write(2)
// in O_APPEND mode. An AuditLog is safe for concurrent use.
type AuditLog struct {
	mu      sync.Mutex // the C handle is one-thread-at-a-time
	h       swc.Struct_SS_sw_audit_log
	path    string
	cleanup runtime.Cleanup
}

// OpenAuditLog opens path for appending, creating it with mode 0600. The
// log starts enabled.
func OpenAuditLog(path string) (*AuditLog, error) {
	if err := checkString("audit open", path); err != nil {
		return nil, err
	}
	out := swc.New_sw_audit_log_out()
	if out.Swigcptr() == 0 {
		return nil, &Error{Op: "audit open", Path: path, Err: syscall.ENOMEM}
	}
	defer swc.Delete_sw_audit_log_out(out)
	if rc := swc.Sw_audit_open(path, out); rc < 0 {
		return nil, errorFromCode("audit open", path, rc)
	}
	l := &AuditLog{h: swc.Sw_audit_log_out_value(out), path: path}
	l.cleanup = runtime.AddCleanup(l, swc.Sw_audit_close, l.h)
	return l, nil
}

// Path returns the file the log appends to.
func (l *AuditLog) Path() string { return l.path }

// LogEvent appends {"ts","container","action","dest"?,"detail"?}; ts is
// the current time. container and action are required; dest and detail are
// omitted when empty. While the log is disabled it succeeds without writing.
func (l *AuditLog) LogEvent(container, action, dest, detail string) error {
	for _, s := range [...]string{container, action, dest, detail} {
		if err := checkString("audit write", s); err != nil {
			return err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h == nil {
		return ErrClosed
	}
	return errorFromCode("audit write", l.path, swc.Sw_audit_write(l.h, container, action, dest, detail))
}

// SetEnabled turns writing on or off; no-op after Close.
func (l *AuditLog) SetEnabled(enabled bool) {
	v := 0
	if enabled {
		v = 1
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h != nil {
		swc.Sw_audit_set_enabled(l.h, v) // fails only for a NULL handle
	}
}

// Tail returns the last n events of this log's file, oldest first.
func (l *AuditLog) Tail(n int) ([]Event, error) {
	return TailAudit(l.path, n)
}

// Close closes the log. It is idempotent and always returns nil.
func (l *AuditLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h != nil {
		l.cleanup.Stop()
		swc.Sw_audit_close(l.h)
		l.h = nil
	}
	return nil
}

// TailAudit reads the last n events of the audit log at path (oldest
// first). A missing file gives no events and no error.
func TailAudit(path string, n int) ([]Event, error) {
	if err := checkString("audit tail", path); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, &Error{Op: "audit tail (negative count)", Path: path, Err: syscall.EINVAL}
	}
	out := swc.New_sw_event_list_out()
	if out.Swigcptr() == 0 {
		return nil, &Error{Op: "audit tail", Path: path, Err: syscall.ENOMEM}
	}
	defer swc.Delete_sw_event_list_out(out)
	if rc := swc.Sw_audit_tail(path, int64(n), out); rc < 0 {
		return nil, errorFromCode("audit tail", path, rc)
	}
	list := swc.Sw_event_list_out_value(out)
	defer swc.Sw_event_list_free(list)
	size := swc.Sw_event_list_size(list)
	events := make([]Event, 0, size)
	for i := int64(0); i < size; i++ {
		if ev := swc.Sw_event_list_get(list, i); ev.Swigcptr() != 0 {
			events = append(events, eventFromC(ev))
		}
	}
	return events, nil
}
