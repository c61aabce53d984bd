package shieldwatch

import (
	"errors"
	"strings"
	"syscall"

	"github.com/terok-ai/libshieldwatch/bindings/go/internal/swc"
)

// ErrTier reports that the state directory's dns.tier is missing or not
// "dnsmasq" (the library's SW_ETIER). Test with errors.Is(err, ErrTier).
var ErrTier = errors.New(`shieldwatch: dns.tier is missing or not "dnsmasq"`)

// ErrClosed is returned by operations on a closed Watcher or AuditLog,
// including a Next that was waiting when Close was called.
var ErrClosed = errors.New("shieldwatch: closed")

// etier is SW_ETIER as the C library defines it (EMEDIUMTYPE on Linux).
var etier = syscall.Errno(swc.SW_ETIER)

// Error is a failure reported by the C library.
type Error struct {
	Op     string        // the operation, e.g. "open", "poll", "audit write"
	Path   string        // the file or directory involved, if any
	Reason string        // the library's one-line reason, when it gave one (open)
	Err    syscall.Errno // the (positive) errno the library returned
}

// Error formats the failure: the library's reason when it gave one (it
// names the file or step), else the path and the library's description of
// the code.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("shieldwatch: ")
	b.WriteString(e.Op)
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
		return b.String()
	}
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(swc.Sw_strerror(int(e.Err)))
	return b.String()
}

// Unwrap exposes the errno (so errors.Is(err, syscall.ENOENT) and
// errors.As(err, &errno) work) and, for SW_ETIER, ErrTier.
func (e *Error) Unwrap() []error {
	if e.Err == etier {
		return []error{ErrTier, e.Err}
	}
	return []error{e.Err}
}

// errorFromCode turns a negative errno returned by the library into *Error.
func errorFromCode(op, path string, code int) error {
	if code >= 0 {
		return nil
	}
	return &Error{Op: op, Path: path, Err: syscall.Errno(-code)}
}

// checkString rejects a string C would silently truncate at a NUL byte.
func checkString(op, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return &Error{Op: op + " (string contains a NUL byte)", Err: syscall.EINVAL}
	}
	return nil
}
