/* SWIG interface for the Go bindings' low-level layer (package swc).
 *
 * The wrapped declarations come verbatim from include/libshieldwatch.h via
 * %include; this file only adds what SWIG needs to call the header from Go:
 * the cgo build line, stdint mappings, and holders for the out-parameters
 * (sw_watcher **, sw_event **, ...).
 *
 * Regenerate with bindings/go/generate.sh; never edit swc.go / swc_wrap.c by
 * hand. bindings/go/check-generated.sh fails when they are stale. */
%module swc

/* Every C file in the package (the SWIG wrapper included) compiles against
 * the installed library: header path and link flags come from pkg-config. */
%insert(cgo_comment_typedefs) %{
#cgo pkg-config: libshieldwatch
%}

%{
#include <libshieldwatch.h>
%}

%include <stdint.i>
%include <cpointer.i>

/* Errno values the header names but SWIG cannot evaluate (they come from
 * <errno.h>): export them as run-time constants read from the C side. */
%constant int SW_ETIER = SW_ETIER;

/* sw_event_json's optional length out-parameter: always NULL from Go (the
 * JSON never contains a NUL byte, so strlen is exact). */
%typemap(gotype) size_t *len ""
%typemap(in, numinputs=0) size_t *len %{ $1 = NULL; %}

/* sw_read_json's (buf, len) pair is a Go []byte the library writes into in
 * place: no C copy, and cgo allows it (the bytes hold no Go pointers and C
 * keeps no reference past the call). ssize_t is long on every Linux ABI. */
%typemap(gotype) (char *buf, size_t len) "[]byte"
%typemap(in) (char *buf, size_t len) %{
  $1 = (char *)$input.array;
  $2 = (size_t)$input.len;
%}
%apply long { ssize_t };

/* Strings the library returns are borrowed from its objects: copy them
 * into Go memory. SWIG's own copier (swigCopyString) slices through an
 * unsafe.Pointer made from a uintptr, which `go vet` flags; this one is
 * vet-clean and does the same: clone the C-allocated copy SWIG's out
 * typemap made, then free it. */
%go_import("strings")
%fragment("SwcCopyString", "go_runtime") %{
func swcCopyString(s string) string {
	r := strings.Clone(s)
	Swig_free(uintptr(unsafe.Pointer(unsafe.StringData(s))))
	return r
}
%}
%typemap(goout, fragment="SwcCopyString") char *, const char *, char [ANY] %{
	$result = swcCopyString($1)
%}

/* Holders for the `T **out` parameters: new_X() allocates one, X_value()
 * reads the pointer the library stored, delete_X() frees the holder. */
%pointer_functions(sw_watcher *, sw_watcher_out);
%pointer_functions(sw_event *, sw_event_out);
%pointer_functions(sw_event_list *, sw_event_list_out);
%pointer_functions(sw_audit_log *, sw_audit_log_out);
%pointer_functions(sw_host *, sw_host_out);

/* sw_open_explain's (errbuf, errlen) pair: Go strings are immutable, so the
 * reason is written into a small C struct the Go side allocates and reads
 * (New_Swc_reason / GetText / Delete_Swc_reason). */
%ignore sw_open_explain;
%immutable swc_reason::text;
%inline %{
typedef struct swc_reason { char text[512]; } swc_reason;
static int swc_open_explain(const char *state_dir, const char *container,
                            const sw_options *opts, sw_watcher **out,
                            swc_reason *reason) {
  return sw_open_explain(state_dir, container, opts, out, reason->text,
                         sizeof reason->text);
}
%}

%include "libshieldwatch.h"
