/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shieldwatch._sw: a thin CPython wrapper of the libshieldwatch C API.
 *
 * The idiomatic layer (the .py files next to this one) builds on it. Every
 * libshieldwatch call here runs with the GIL held, which is what serializes
 * the one-thread-at-a-time handles; none of them blocks (sw_poll never
 * blocks, audit writes are one write(2) to a regular file). The only call
 * made without the GIL is poll(2) in Handle.wait() and sw_open_explain()
 * on a handle nobody else can see yet.
 *
 * Closing while another thread waits: wait() counts itself as a waiter and
 * also polls a private eventfd. close() marks the watcher closing and, when
 * waiters exist, signals the eventfd and leaves the release to the last
 * waiter, so no fd is closed (and its number reused) under a poll(2) that
 * still uses it. hold()/release() let the asyncio layer do the same while
 * its fds are registered with the event loop.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libshieldwatch.h>

static PyObject *ErrorType;       /* shieldwatch.Error(OSError) */
static PyObject *TierErrorType;   /* shieldwatch.TierError(Error) */
static PyObject *ClosedErrorType; /* shieldwatch.ClosedError(Error, ValueError) */

/* Raises Error (TierError for SW_ETIER) for a library code (either sign).
 * reason NULL or "" means sw_strerror(); filename may be NULL. */
static PyObject *raise_code(int code, const char *reason, PyObject *filename) {
  int err = code < 0 ? -code : code;
  PyObject *type = err == SW_ETIER ? TierErrorType : ErrorType;
  if (reason == NULL || reason[0] == '\0') reason = sw_strerror(err);
  PyObject *inst = filename != NULL
                       ? PyObject_CallFunction(type, "isO", err, reason, filename)
                       : PyObject_CallFunction(type, "is", err, reason);
  if (inst != NULL) {
    PyErr_SetObject(type, inst);
    Py_DECREF(inst);
  }
  return NULL;
}

/* A Python int as a C int; -1 with an exception set on error. */
static int int_arg(PyObject *arg, int *out) {
  long v = PyLong_AsLong(arg);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (v < INT_MIN || v > INT_MAX) {
    PyErr_SetString(PyExc_OverflowError, "value out of range for a C int");
    return -1;
  }
  *out = (int)v;
  return 0;
}

static PyObject *raise_closed(const char *what) {
  PyObject *inst = PyObject_CallFunction(ClosedErrorType, "is", EBADF, what);
  if (inst != NULL) {
    PyErr_SetObject(ClosedErrorType, inst);
    Py_DECREF(inst);
  }
  return NULL;
}

/* ------------------------------------------------------------------ Event */

typedef struct {
  PyObject_HEAD
  const sw_event *ev;
  PyObject *owner; /* NULL: ev is ours to free; else the capsule owning ev */
} EventObject;

static PyTypeObject EventType;

/* A new instance of `type` (EventType or a subclass) wrapping ev. Takes ev
 * (owner NULL) or borrows it from owner. */
static PyObject *event_wrap(PyTypeObject *type, const sw_event *ev, PyObject *owner) {
  EventObject *self = (EventObject *)type->tp_alloc(type, 0);
  if (self == NULL) {
    if (owner == NULL) sw_event_free((sw_event *)ev);
    return NULL;
  }
  self->ev = ev;
  Py_XINCREF(owner);
  self->owner = owner;
  return (PyObject *)self;
}

static void event_dealloc(EventObject *self) {
  PyTypeObject *tp = Py_TYPE(self);
  if (self->owner == NULL)
    sw_event_free((sw_event *)self->ev);
  else
    Py_DECREF(self->owner);
  tp->tp_free((PyObject *)self);
}

/* The getset closure of a string field points at its accessor here. */
typedef const char *(*str_getter)(const sw_event *);
static str_getter str_getters[] = {
    sw_event_ts,     sw_event_source,     sw_event_action, sw_event_container,
    sw_event_domain, sw_event_query_type, sw_event_dest,   sw_event_detail,
    sw_event_cursor, sw_event_member,
};
#define GETTER(i) ((void *)&str_getters[i])

/* Core fields: always strings. */
static PyObject *event_get_str(EventObject *self, void *closure) {
  return PyUnicode_FromString((*(str_getter *)closure)(self->ev));
}

/* Optional string fields: None when the library has "" (absent). */
static PyObject *event_get_opt_str(EventObject *self, void *closure) {
  const char *s = (*(str_getter *)closure)(self->ev);
  if (s[0] == '\0') Py_RETURN_NONE;
  return PyUnicode_FromString(s);
}

static PyObject *event_get_port(EventObject *self, void *closure) {
  (void)closure;
  int v = sw_event_port(self->ev);
  if (v == 0) Py_RETURN_NONE;
  return PyLong_FromLong(v);
}

static PyObject *event_get_proto(EventObject *self, void *closure) {
  (void)closure;
  int v = sw_event_proto(self->ev);
  if (v == 0) Py_RETURN_NONE;
  return PyLong_FromLong(v);
}

static PyObject *event_get_uid(EventObject *self, void *closure) {
  (void)closure;
  int64_t v = sw_event_uid(self->ev);
  if (v < 0) Py_RETURN_NONE;
  return PyLong_FromLongLong(v);
}

static PyObject *event_get_gid(EventObject *self, void *closure) {
  (void)closure;
  int64_t v = sw_event_gid(self->ev);
  if (v < 0) Py_RETURN_NONE;
  return PyLong_FromLongLong(v);
}

static PyObject *event_get_icmp_type(EventObject *self, void *closure) {
  (void)closure;
  int v = sw_event_icmp_type(self->ev);
  if (v < 0) Py_RETURN_NONE;
  return PyLong_FromLong(v);
}

static PyObject *event_get_suppressed(EventObject *self, void *closure) {
  (void)closure;
  return PyLong_FromUnsignedLongLong(sw_event_suppressed(self->ev));
}

static PyObject *event_to_json(EventObject *self, PyObject *unused) {
  (void)unused;
  size_t len = 0;
  const char *j = sw_event_json(self->ev, &len);
  return PyUnicode_DecodeUTF8(j, (Py_ssize_t)len, "strict");
}

static PyObject *event_bytes(EventObject *self, PyObject *unused) {
  (void)unused;
  size_t len = 0;
  const char *j = sw_event_json(self->ev, &len);
  return PyBytes_FromStringAndSize(j, (Py_ssize_t)len);
}

static PyMethodDef event_methods[] = {
    {"to_json", (PyCFunction)event_to_json, METH_NOARGS,
     "to_json() -> str\n--\n\nThe event as one JSON object without a newline: the library's "
     "serialization (sw_event_json), decoded from UTF-8 unchanged; bytes(event) gives the "
     "same bytes."},
    {"__bytes__", (PyCFunction)event_bytes, METH_NOARGS,
     "The library's JSON for the event (sw_event_json), byte for byte."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef event_getset[] = {
    {"ts_text", (getter)event_get_str, NULL,
     "The timestamp exactly as the library formats it (RFC 3339, UTC, microseconds).",
     GETTER(0)},
    {"source", (getter)event_get_str, NULL, "\"dns\", \"audit\", \"nflog\" or \"watch\".",
     GETTER(1)},
    {"action", (getter)event_get_str, NULL, "What happened, e.g. \"blocked_query\".",
     GETTER(2)},
    {"container", (getter)event_get_str, NULL, "The container the event belongs to.",
     GETTER(3)},
    {"domain", (getter)event_get_opt_str, NULL, "The queried or resolved domain, or None.",
     GETTER(4)},
    {"query_type", (getter)event_get_opt_str, NULL, "The DNS query type (\"A\", ...), or None.",
     GETTER(5)},
    {"dest", (getter)event_get_opt_str, NULL, "The destination address or name, or None.",
     GETTER(6)},
    {"detail", (getter)event_get_opt_str, NULL, "Free-form detail, or None.",
     GETTER(7)},
    {"port", (getter)event_get_port, NULL, "Destination port, or None.", NULL},
    {"proto", (getter)event_get_proto, NULL, "IP protocol number (6 tcp, 17 udp, ...), or None.",
     NULL},
    {"uid", (getter)event_get_uid, NULL, "Sending socket's uid, or None.", NULL},
    {"gid", (getter)event_get_gid, NULL, "Sending socket's gid, or None.", NULL},
    {"icmp_type", (getter)event_get_icmp_type, NULL, "ICMP type, or None.", NULL},
    {"suppressed", (getter)event_get_suppressed, NULL,
     "Dedup: how many more occurrences of its key this event stands for (0: none).", NULL},
    {"cursor", (getter)event_get_opt_str, NULL,
     "Where to resume after this event (dns and audit events), or None; pass it back as "
     "dns_cursor / audit_cursor.",
     GETTER(8)},
    {"member", (getter)event_get_str, NULL,
     "The name the container was opened or added under: container, except for an audit line "
     "naming another container. Store the cursor under it.",
     GETTER(9)},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject EventType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shieldwatch._sw.Event",
    .tp_basicsize = sizeof(EventObject),
    .tp_dealloc = (destructor)event_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "One event of the stream (a read-only view of an sw_event).",
    .tp_methods = event_methods,
    .tp_getset = event_getset,
    /* no tp_new: only the library makes events */
};

/* Checks that `type` is EventType or a subclass; returns it borrowed. */
static PyTypeObject *event_type_arg(PyObject *type) {
  if (type == NULL || type == Py_None) return &EventType;
  if (!PyType_Check(type) || !PyType_IsSubtype((PyTypeObject *)type, &EventType)) {
    PyErr_SetString(PyExc_TypeError, "event_type must be a subclass of _sw.Event");
    return NULL;
  }
  return (PyTypeObject *)type;
}

/* ---------------------------------------------------------------- options */

/* Optional unsigned option: None leaves the library default. */
static int opt_u32(PyObject *v, const char *name, int *set, uint32_t *out) {
  *set = 0;
  if (v == NULL || v == Py_None) return 0;
  unsigned long x = PyLong_AsUnsignedLong(v);
  if (x == (unsigned long)-1 && PyErr_Occurred()) {
    PyErr_Format(PyExc_ValueError, "%s must be a non-negative integer", name);
    return -1;
  }
  if (x > UINT32_MAX) {
    PyErr_Format(PyExc_ValueError, "%s is out of range", name);
    return -1;
  }
  *set = 1;
  *out = (uint32_t)x;
  return 0;
}

static int opt_u64(PyObject *v, const char *name, int *set, uint64_t *out) {
  *set = 0;
  if (v == NULL || v == Py_None) return 0;
  unsigned long long x = PyLong_AsUnsignedLongLong(v);
  if (x == (unsigned long long)-1 && PyErr_Occurred()) {
    PyErr_Format(PyExc_ValueError, "%s must be a non-negative integer below 2**64", name);
    return -1;
  }
  *set = 1;
  *out = x;
  return 0;
}

/* Converter for a path that may be None. */
static int fs_or_none(PyObject *arg, void *addr) {
  if (arg == NULL) { /* cleanup call */
    Py_CLEAR(*(PyObject **)addr);
    return 1;
  }
  if (arg == Py_None) {
    *(PyObject **)addr = NULL;
    return 1;
  }
  return PyUnicode_FSConverter(arg, addr);
}

static int options_fail(int rc, const char *name) {
  PyErr_Format(PyExc_ValueError, "%s: %s", name, sw_strerror(rc));
  return -1;
}

/* New sw_options from the keyword options every handle takes (one parser
 * for Watcher, Host and Host.add); NULL with an exception on error. */
static sw_options *options_from_kwargs(PyObject *kwds) {
  static char *kwlist[] = {"sources", "dedup_ms", "dedup_once", "nflog_group", "netns",
                           "nflog_required", "nflog_actions", "max_line", "domain_map_size",
                           "dns_seed_bytes", "dns_cursor", "audit_cursor", "json_cursor",
                           "json_stream", NULL};
  unsigned sources = SW_SOURCE_ALL;
  PyObject *dedup_ms = NULL, *nflog_actions = NULL, *max_line = NULL, *domain_map_size = NULL;
  PyObject *dns_seed_bytes = NULL, *netns = NULL;
  const char *dns_cursor = NULL, *audit_cursor = NULL;
  int nflog_group = 100, nflog_required = 0, dedup_once = 0, json_cursor = 0, json_stream = 0;
  PyObject *empty = PyTuple_New(0);
  if (empty == NULL) return NULL;
  int ok = PyArg_ParseTupleAndKeywords(empty, kwds, "|$IOpiO&pOOOOzzpp:options", kwlist, &sources,
                                       &dedup_ms, &dedup_once, &nflog_group, fs_or_none, &netns,
                                       &nflog_required, &nflog_actions, &max_line,
                                       &domain_map_size, &dns_seed_bytes, &dns_cursor,
                                       &audit_cursor, &json_cursor, &json_stream);
  Py_DECREF(empty);
  if (!ok) return NULL;
  sw_options *o = sw_options_new();
  if (o == NULL) {
    Py_XDECREF(netns);
    PyErr_NoMemory();
    return NULL;
  }
  int rc, set;
  uint32_t v;
  uint64_t v64;
#define FAIL(expr)  \
  do {              \
    if (expr) goto fail; \
  } while (0)
  FAIL((rc = sw_options_set_sources(o, sources)) < 0 && options_fail(rc, "sources"));
  FAIL(opt_u32(dedup_ms, "dedup_ms", &set, &v) < 0);
  FAIL(set && (rc = sw_options_set_dedup_window_ms(o, v)) < 0 && options_fail(rc, "dedup_ms"));
  FAIL(dedup_once && (rc = sw_options_set_dedup_mode(o, SW_DEDUP_ONCE)) < 0 &&
       options_fail(rc, "dedup_once"));
  if (nflog_group < 0 || nflog_group > UINT16_MAX) {
    PyErr_SetString(PyExc_ValueError, "nflog_group must be in 0..65535");
    goto fail;
  }
  FAIL((rc = sw_options_set_nflog_group(o, (uint16_t)nflog_group)) < 0 &&
       options_fail(rc, "nflog_group"));
  FAIL(netns != NULL && (rc = sw_options_set_netns(o, PyBytes_AS_STRING(netns))) < 0 &&
       options_fail(rc, "netns"));
  FAIL((rc = sw_options_set_nflog_required(o, nflog_required)) < 0 &&
       options_fail(rc, "nflog_required"));
  if (nflog_actions != NULL && nflog_actions != Py_None) {
    PyObject *items = PyMapping_Items(nflog_actions);
    if (items == NULL) goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
      const char *prefix, *action;
      if (!PyArg_ParseTuple(PyList_GET_ITEM(items, i), "ss;nflog_actions maps str to str",
                            &prefix, &action) ||
          ((rc = sw_options_set_nflog_action(o, prefix, action)) < 0 &&
           options_fail(rc, "nflog_actions"))) {
        Py_DECREF(items);
        goto fail;
      }
    }
    Py_DECREF(items);
  }
  FAIL(opt_u32(max_line, "max_line", &set, &v) < 0);
  FAIL(set && (rc = sw_options_set_max_line(o, v)) < 0 && options_fail(rc, "max_line"));
  FAIL(opt_u32(domain_map_size, "domain_map_size", &set, &v) < 0);
  FAIL(set && (rc = sw_options_set_domain_map_size(o, v)) < 0 &&
       options_fail(rc, "domain_map_size"));
  FAIL(opt_u64(dns_seed_bytes, "dns_seed_bytes", &set, &v64) < 0);
  FAIL(set && (rc = sw_options_set_dns_seed_bytes(o, v64)) < 0 &&
       options_fail(rc, "dns_seed_bytes"));
  FAIL((rc = sw_options_set_cursor(o, SW_SOURCE_DNS, dns_cursor)) < 0 &&
       options_fail(rc, "dns_cursor"));
  FAIL((rc = sw_options_set_cursor(o, SW_SOURCE_AUDIT, audit_cursor)) < 0 &&
       options_fail(rc, "audit_cursor"));
  FAIL((rc = sw_options_set_json_cursor(o, json_cursor)) < 0 && options_fail(rc, "json_cursor"));
  FAIL((rc = sw_options_set_json_stream(o, json_stream)) < 0 && options_fail(rc, "json_stream"));
#undef FAIL
  Py_XDECREF(netns);
  return o;
fail:
  Py_XDECREF(netns);
  sw_options_free(o);
  return NULL;
}

/* Splits `event_type` off the keywords: a new dict without it in *rest. */
static PyTypeObject *take_event_type(PyObject *kwds, PyObject **rest) {
  *rest = kwds ? PyDict_Copy(kwds) : PyDict_New();
  if (*rest == NULL) return NULL;
  PyObject *type = PyDict_GetItemString(*rest, "event_type"); /* borrowed */
  PyTypeObject *result = event_type_arg(type);
  if (result != NULL && type != NULL && PyDict_DelItemString(*rest, "event_type") < 0) return NULL;
  return result;
}

/* ----------------------------------------------------------------- Handle */

/* What differs between an sw_watcher and an sw_host; the rest (waiting,
 * closing while another thread waits, taking events, reading the JSON
 * stream) is shared. */
struct handle_ops {
  int (*poll)(void *h);
  int (*next)(void *h, sw_event **ev);
  ssize_t (*read_json)(void *h, char *buf, size_t len);
  uint64_t (*stat)(const void *h, sw_stat_id id);
  void (*close)(void *h);
};

typedef struct {
  PyObject_HEAD
  void *h;              /* the sw_watcher or sw_host; NULL once released */
  const struct handle_ops *ops;
  int fd;               /* its pollable fd, -1 once released */
  int wakefd;           /* eventfd signalled by close(); -1 once released */
  int waiters;          /* threads in wait() plus hold()s */
  int closing;          /* close() was called */
  PyTypeObject *event_type;
} HandleObject;

static void handle_release(HandleObject *self) {
  if (self->h != NULL) self->ops->close(self->h);
  self->h = NULL;
  self->fd = -1;
  if (self->wakefd >= 0) close(self->wakefd);
  self->wakefd = -1;
}

/* Fills a freshly allocated handle object; takes h (closing it on error). */
static PyObject *handle_init(PyTypeObject *type, void *h, const struct handle_ops *ops, int fd,
                             PyTypeObject *event_type) {
  int wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0 || wakefd < 0) {
    int err = fd < 0 ? -fd : errno;
    ops->close(h);
    if (wakefd >= 0) close(wakefd);
    return raise_code(err, NULL, NULL);
  }
  HandleObject *self = (HandleObject *)type->tp_alloc(type, 0);
  if (self == NULL) {
    ops->close(h);
    close(wakefd);
    return NULL;
  }
  self->h = h;
  self->ops = ops;
  self->fd = fd;
  self->wakefd = wakefd;
  Py_INCREF(event_type);
  self->event_type = event_type;
  return (PyObject *)self;
}

static void handle_dealloc(HandleObject *self) {
  /* A waiter holds a reference, so nobody waits any more. */
  handle_release(self);
  Py_XDECREF(self->event_type);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The handle for an operation, or NULL with ClosedError. */
static void *handle_get(HandleObject *self) {
  if (self->closing || self->h == NULL) {
    raise_closed("handle is closed");
    return NULL;
  }
  return self->h;
}

static PyObject *handle_close(HandleObject *self, PyObject *unused) {
  (void)unused;
  if (self->closing) Py_RETURN_NONE;
  self->closing = 1;
  if (self->waiters > 0) {
    uint64_t one = 1;
    /* Cannot fail: the counter is written once, far below its maximum. */
    ssize_t n = write(self->wakefd, &one, sizeof one);
    (void)n;
  } else {
    handle_release(self);
  }
  Py_RETURN_NONE;
}

/* A waiter leaves; the last one out finishes a close() made meanwhile. */
static void handle_unwait(HandleObject *self) {
  if (--self->waiters == 0 && self->closing) handle_release(self);
}

static PyObject *handle_fileno(HandleObject *self, PyObject *unused) {
  (void)unused;
  if (handle_get(self) == NULL) return NULL;
  return PyLong_FromLong(self->fd);
}

static PyObject *handle_get_closed(HandleObject *self, void *closure) {
  (void)closure;
  return PyBool_FromLong(self->closing);
}

/* One poll, then every queued event as a list. */
static PyObject *handle_poll(HandleObject *self, PyObject *unused) {
  (void)unused;
  void *h = handle_get(self);
  if (h == NULL) return NULL;
  int n = self->ops->poll(h);
  if (n < 0) return raise_code(n, NULL, NULL);
  PyObject *list = PyList_New(0);
  if (list == NULL) return NULL;
  for (;;) {
    sw_event *ev = NULL;
    int rc = self->ops->next(h, &ev);
    if (rc == 0) break;
    if (rc < 0) {
      Py_DECREF(list);
      return raise_code(rc, NULL, NULL);
    }
    PyObject *obj = event_wrap(self->event_type, ev, NULL);
    if (obj == NULL || PyList_Append(list, obj) < 0) {
      Py_XDECREF(obj);
      Py_DECREF(list);
      return NULL;
    }
    Py_DECREF(obj);
  }
  return list;
}

static PyObject *handle_take(HandleObject *self, PyObject *unused) {
  (void)unused;
  void *h = handle_get(self);
  if (h == NULL) return NULL;
  sw_event *ev = NULL;
  int rc = self->ops->next(h, &ev);
  if (rc == 0) {
    int n = self->ops->poll(h);
    if (n < 0) return raise_code(n, NULL, NULL);
    if (n == 0) Py_RETURN_NONE;
    rc = self->ops->next(h, &ev);
  }
  if (rc < 0) return raise_code(rc, NULL, NULL);
  if (rc == 0) Py_RETURN_NONE;
  return event_wrap(self->event_type, ev, NULL);
}

/* Up to len bytes of the handle's JSON stream into buf; 0 when there are
 * none now, -1 with an exception. One call: when none are queued, the
 * library's read does sw_poll()'s work itself, and a poll here would be
 * wasted. */
static Py_ssize_t handle_read(HandleObject *self, char *buf, size_t len) {
  void *h = handle_get(self);
  if (h == NULL) return -1;
  ssize_t n = self->ops->read_json(h, buf, len);
  if (n < 0) {
    raise_code((int)n, NULL, NULL);
    return -1;
  }
  return n;
}

static PyObject *handle_read_json(HandleObject *self, PyObject *arg) {
  Py_ssize_t size = PyLong_AsSsize_t(arg);
  if (size == -1 && PyErr_Occurred()) return NULL;
  if (size <= 0) { /* as an empty buffer in readinto() */
    PyErr_SetString(PyExc_ValueError, "size must be positive");
    return NULL;
  }
  PyObject *out = PyBytes_FromStringAndSize(NULL, size);
  if (out == NULL) return NULL;
  Py_ssize_t n = handle_read(self, PyBytes_AS_STRING(out), (size_t)size);
  if (n < 0) {
    Py_DECREF(out);
    return NULL;
  }
  _PyBytes_Resize(&out, n); /* on failure: out NULL, MemoryError set */
  return out;
}

static PyObject *handle_readinto(HandleObject *self, PyObject *arg) {
  Py_buffer view;
  if (PyObject_GetBuffer(arg, &view, PyBUF_WRITABLE) < 0) return NULL;
  if (view.len == 0) { /* 0 would read as "nothing now": a waiting caller would spin */
    PyBuffer_Release(&view);
    PyErr_SetString(PyExc_ValueError, "buffer is empty");
    return NULL;
  }
  Py_ssize_t n = handle_read(self, view.buf, (size_t)view.len);
  PyBuffer_Release(&view);
  return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

static PyObject *handle_wait(HandleObject *self, PyObject *arg) {
  int timeout_ms;
  if (int_arg(arg, &timeout_ms) < 0) return NULL;
  if (self->closing || self->h == NULL) Py_RETURN_FALSE;
  struct pollfd pfd[2] = {{self->fd, POLLIN, 0}, {self->wakefd, POLLIN, 0}};
  int r, err;
  self->waiters++;
  Py_INCREF(self); /* the last waiter may release the handle */
  Py_BEGIN_ALLOW_THREADS
  r = poll(pfd, 2, timeout_ms);
  err = errno;
  Py_END_ALLOW_THREADS
  PyObject *result;
  if (r < 0 && err == EINTR) {
    /* A signal handler ran (it may have called close()): report a wake,
     * the caller re-checks and waits again. */
    result = PyErr_CheckSignals() < 0 ? NULL : PyBool_FromLong(!self->closing);
  } else if (r < 0) {
    result = raise_code(err, NULL, NULL);
  } else {
    result = PyBool_FromLong(r > 0 && !self->closing);
  }
  handle_unwait(self);
  Py_DECREF(self);
  return result;
}

static PyObject *handle_hold(HandleObject *self, PyObject *unused) {
  (void)unused;
  if (handle_get(self) == NULL) return NULL;
  self->waiters++;
  return PyLong_FromLong(self->wakefd);
}

static PyObject *handle_unhold(HandleObject *self, PyObject *unused) {
  (void)unused;
  if (self->waiters <= 0) {
    PyErr_SetString(PyExc_RuntimeError, "release() without hold()");
    return NULL;
  }
  handle_unwait(self);
  Py_RETURN_NONE;
}

static PyObject *handle_stat(HandleObject *self, PyObject *arg) {
  long id = PyLong_AsLong(arg);
  if (id == -1 && PyErr_Occurred()) return NULL;
  void *h = handle_get(self);
  if (h == NULL) return NULL;
  return PyLong_FromUnsignedLongLong(self->ops->stat(h, (sw_stat_id)id));
}

static PyMethodDef handle_methods[] = {
    {"close", (PyCFunction)handle_close, METH_NOARGS,
     "Marks the handle closed; releases it now, or when the last waiter leaves."},
    {"fileno", (PyCFunction)handle_fileno, METH_NOARGS, "The pollable fd."},
    {"poll", (PyCFunction)handle_poll, METH_NOARGS,
     "Polls once, then returns every queued event as a list. Never blocks."},
    {"take", (PyCFunction)handle_take, METH_NOARGS,
     "The next queued event (polling when none is queued), or None."},
    {"read_json", (PyCFunction)handle_read_json, METH_O,
     "read_json(size) -> bytes: up to size bytes of the JSON-lines stream, processing what is "
     "ready when none are queued (no poll() needed), b\"\" when none are now. Never blocks. "
     "sw_read_json() / sw_host_read_json()."},
    {"readinto", (PyCFunction)handle_readinto, METH_O,
     "readinto(buffer) -> int: read_json() into a writable buffer; the bytes stored."},
    {"wait", (PyCFunction)handle_wait, METH_O,
     "wait(timeout_ms) -> bool: poll(2) on the fd without the GIL; False on timeout or "
     "once closing. -1 waits forever."},
    {"hold", (PyCFunction)handle_hold, METH_NOARGS,
     "Counts the caller as a waiter (close() then defers the release) and returns the "
     "eventfd that close() signals."},
    {"release", (PyCFunction)handle_unhold, METH_NOARGS, "Ends a hold()."},
    {"stat", (PyCFunction)handle_stat, METH_O, "sw_stat() / sw_host_stat()."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef handle_getset[] = {
    {"closed", (getter)handle_get_closed, NULL, "True once close() was called.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject HandleType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shieldwatch._sw.Handle",
    .tp_basicsize = sizeof(HandleObject),
    .tp_dealloc = (destructor)handle_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "What a Watcher and a Host share: the fd, polling, waiting, closing.",
    .tp_methods = handle_methods,
    .tp_getset = handle_getset,
};

/* ---------------------------------------------------------------- Watcher */

static int w_poll(void *h) { return sw_poll(h); }
static int w_next(void *h, sw_event **ev) { return sw_next_event(h, ev); }
static ssize_t w_read_json(void *h, char *buf, size_t len) { return sw_read_json(h, buf, len); }
static uint64_t w_stat(const void *h, sw_stat_id id) { return sw_stat(h, id); }
static void w_close(void *h) { sw_close(h); }
static const struct handle_ops watcher_ops = {w_poll, w_next, w_read_json, w_stat, w_close};

static PyObject *watcher_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
  PyObject *state_dir = NULL, *rest = NULL, *result = NULL;
  const char *container;
  sw_options *o = NULL;
  if (!PyArg_ParseTuple(args, "O&s:Watcher", PyUnicode_FSConverter, &state_dir, &container))
    return NULL;
  PyTypeObject *event_type = take_event_type(kwds, &rest);
  if (event_type == NULL || (o = options_from_kwargs(rest)) == NULL) goto done;
  sw_watcher *w = NULL;
  char reason[512] = "";
  const char *dir = PyBytes_AS_STRING(state_dir);
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = sw_open_explain(dir, container, o, &w, reason, sizeof reason);
  Py_END_ALLOW_THREADS
  if (rc < 0) {
    PyObject *fname = PyUnicode_DecodeFSDefault(dir);
    raise_code(rc, reason, fname);
    Py_XDECREF(fname);
    goto done;
  }
  result = handle_init(type, w, &watcher_ops, sw_fd(w), event_type);
done:
  sw_options_free(o);
  Py_XDECREF(rest);
  Py_XDECREF(state_dir);
  return result;
}

static PyObject *watcher_source_status(HandleObject *self, PyObject *arg) {
  unsigned long bit = PyLong_AsUnsignedLong(arg);
  if (bit == (unsigned long)-1 && PyErr_Occurred()) return NULL;
  sw_watcher *w = handle_get(self);
  if (w == NULL) return NULL;
  return PyLong_FromLong(sw_source_status(w, (unsigned)bit));
}

static PyMethodDef watcher_methods[] = {
    {"source_status", (PyCFunction)watcher_source_status, METH_O, "sw_source_status()."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject WatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shieldwatch._sw.Watcher",
    .tp_basicsize = sizeof(HandleObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An sw_watcher handle: Watcher(state_dir, container, **options).",
    .tp_methods = watcher_methods,
    .tp_base = &HandleType,
    .tp_new = watcher_new,
};

/* ------------------------------------------------------------------- Host */

static int h_poll(void *h) { return sw_host_poll(h); }
static int h_next(void *h, sw_event **ev) { return sw_host_next_event(h, ev); }
static ssize_t h_read_json(void *h, char *buf, size_t len) {
  return sw_host_read_json(h, buf, len);
}
static uint64_t h_stat(const void *h, sw_stat_id id) { return sw_host_stat(h, id); }
static void h_close(void *h) { sw_host_close(h); }
static const struct handle_ops host_ops = {h_poll, h_next, h_read_json, h_stat, h_close};

static PyObject *host_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
  PyObject *rest = NULL, *result = NULL;
  sw_options *o = NULL;
  if (!PyArg_ParseTuple(args, ":Host")) return NULL;
  PyTypeObject *event_type = take_event_type(kwds, &rest);
  if (event_type == NULL || (o = options_from_kwargs(rest)) == NULL) goto done;
  sw_host *h = NULL;
  int rc = sw_host_new(o, &h);
  if (rc < 0) {
    raise_code(rc, NULL, NULL);
    goto done;
  }
  result = handle_init(type, h, &host_ops, sw_host_fd(h), event_type);
done:
  sw_options_free(o);
  Py_XDECREF(rest);
  return result;
}

/* add(state_dir, container, **options) */
static PyObject *host_add(HandleObject *self, PyObject *args, PyObject *kwds) {
  PyObject *state_dir = NULL, *result = NULL;
  const char *container;
  sw_options *o = NULL;
  if (!PyArg_ParseTuple(args, "O&s:add", PyUnicode_FSConverter, &state_dir, &container))
    return NULL;
  sw_host *h = handle_get(self);
  /* No keywords: the host's defaults (NULL options). */
  if (h == NULL || (kwds != NULL && PyDict_Size(kwds) > 0 &&
                    (o = options_from_kwargs(kwds)) == NULL))
    goto done;
  char reason[512] = "";
  const char *dir = PyBytes_AS_STRING(state_dir);
  int rc = sw_host_add_explain(h, dir, container, o, reason, sizeof reason);
  if (rc < 0) {
    PyObject *fname = PyUnicode_DecodeFSDefault(dir);
    raise_code(rc, reason, fname);
    Py_XDECREF(fname);
    goto done;
  }
  result = Py_None;
  Py_INCREF(result);
done:
  sw_options_free(o);
  Py_XDECREF(state_dir);
  return result;
}

static PyObject *host_remove(HandleObject *self, PyObject *arg) {
  const char *container = PyUnicode_AsUTF8(arg);
  if (container == NULL) return NULL;
  sw_host *h = handle_get(self);
  if (h == NULL) return NULL;
  int rc = sw_host_remove(h, container);
  if (rc < 0) return raise_code(rc, NULL, NULL);
  Py_RETURN_NONE;
}

static PyObject *host_follow(HandleObject *self, PyObject *arg) {
  PyObject *root = NULL;
  if (!PyUnicode_FSConverter(arg, &root)) return NULL;
  sw_host *h = handle_get(self);
  int rc = h == NULL ? 0 : sw_host_follow(h, PyBytes_AS_STRING(root));
  PyObject *result = NULL;
  if (h != NULL && rc < 0) {
    PyObject *fname = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(root));
    raise_code(rc, NULL, fname);
    Py_XDECREF(fname);
  } else if (h != NULL) {
    result = Py_None;
    Py_INCREF(result);
  }
  Py_DECREF(root);
  return result;
}

static PyObject *host_size(HandleObject *self, PyObject *unused) {
  (void)unused;
  sw_host *h = handle_get(self);
  if (h == NULL) return NULL;
  return PyLong_FromSize_t(sw_host_size(h));
}

static PyObject *host_source_status(HandleObject *self, PyObject *args) {
  const char *container;
  unsigned int bit;
  if (!PyArg_ParseTuple(args, "sI:source_status", &container, &bit)) return NULL;
  sw_host *h = handle_get(self);
  if (h == NULL) return NULL;
  return PyLong_FromLong(sw_host_source_status(h, container, bit));
}

static PyMethodDef host_methods[] = {
    {"add", (PyCFunction)(void (*)(void))host_add, METH_VARARGS | METH_KEYWORDS,
     "add(state_dir, container, **options): sw_host_add_explain()."},
    {"remove", (PyCFunction)host_remove, METH_O, "sw_host_remove()."},
    {"follow", (PyCFunction)host_follow, METH_O, "sw_host_follow()."},
    {"size", (PyCFunction)host_size, METH_NOARGS, "sw_host_size()."},
    {"source_status", (PyCFunction)host_source_status, METH_VARARGS,
     "source_status(container, source): sw_host_source_status()."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject HostType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shieldwatch._sw.Host",
    .tp_basicsize = sizeof(HandleObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An sw_host handle: Host(**default options).",
    .tp_methods = host_methods,
    .tp_base = &HandleType,
    .tp_new = host_new,
};

/* --------------------------------------------------------------- AuditLog */

typedef struct {
  PyObject_HEAD
  sw_audit_log *log; /* NULL once closed */
} AuditLogObject;

static PyObject *auditlog_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"path", NULL};
  PyObject *path = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&:AuditLog", kwlist, PyUnicode_FSConverter,
                                   &path))
    return NULL;
  sw_audit_log *log = NULL;
  int rc = sw_audit_open(PyBytes_AS_STRING(path), &log);
  if (rc < 0) {
    PyObject *fname = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(path));
    Py_DECREF(path);
    raise_code(rc, NULL, fname);
    Py_XDECREF(fname);
    return NULL;
  }
  Py_DECREF(path);
  AuditLogObject *self = (AuditLogObject *)type->tp_alloc(type, 0);
  if (self == NULL) {
    sw_audit_close(log);
    return NULL;
  }
  self->log = log;
  return (PyObject *)self;
}

static void auditlog_dealloc(AuditLogObject *self) {
  sw_audit_close(self->log);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static sw_audit_log *auditlog_handle(AuditLogObject *self) {
  if (self->log == NULL) raise_closed("audit log is closed");
  return self->log;
}

static PyObject *auditlog_write(AuditLogObject *self, PyObject *args) {
  const char *container, *action, *dest = NULL, *detail = NULL;
  if (!PyArg_ParseTuple(args, "ssz|z:write", &container, &action, &dest, &detail)) return NULL;
  sw_audit_log *log = auditlog_handle(self);
  if (log == NULL) return NULL;
  int rc = sw_audit_write(log, container, action, dest, detail);
  if (rc < 0) return raise_code(rc, NULL, NULL);
  Py_RETURN_NONE;
}

static PyObject *auditlog_set_enabled(AuditLogObject *self, PyObject *arg) {
  int on = PyObject_IsTrue(arg);
  if (on < 0) return NULL;
  sw_audit_log *log = auditlog_handle(self);
  if (log == NULL) return NULL;
  int rc = sw_audit_set_enabled(log, on);
  if (rc < 0) return raise_code(rc, NULL, NULL);
  Py_RETURN_NONE;
}

static PyObject *auditlog_close(AuditLogObject *self, PyObject *unused) {
  (void)unused;
  sw_audit_close(self->log);
  self->log = NULL;
  Py_RETURN_NONE;
}

static PyMethodDef auditlog_methods[] = {
    {"write", (PyCFunction)auditlog_write, METH_VARARGS,
     "write(container, action, dest, detail): sw_audit_write()."},
    {"set_enabled", (PyCFunction)auditlog_set_enabled, METH_O, "sw_audit_set_enabled()."},
    {"close", (PyCFunction)auditlog_close, METH_NOARGS, "sw_audit_close(); idempotent."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AuditLogType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "shieldwatch._sw.AuditLog",
    .tp_basicsize = sizeof(AuditLogObject),
    .tp_dealloc = (destructor)auditlog_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An sw_audit_log handle.",
    .tp_methods = auditlog_methods,
    .tp_new = auditlog_new,
};

/* ---------------------------------------------------------------- module */

static void event_list_destroy(PyObject *capsule) {
  sw_event_list_free(PyCapsule_GetPointer(capsule, "shieldwatch.event_list"));
}

static PyObject *mod_audit_tail(PyObject *mod, PyObject *args, PyObject *kwds) {
  (void)mod;
  static char *kwlist[] = {"path", "n", "event_type", NULL};
  PyObject *path = NULL, *event_type_obj = NULL;
  Py_ssize_t n;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&n|O:audit_tail", kwlist,
                                   PyUnicode_FSConverter, &path, &n, &event_type_obj))
    return NULL;
  PyTypeObject *event_type = event_type_arg(event_type_obj);
  if (event_type == NULL || n < 0) {
    if (event_type != NULL) PyErr_SetString(PyExc_ValueError, "n must be >= 0");
    Py_DECREF(path);
    return NULL;
  }
  sw_event_list *list = NULL;
  int rc;
  const char *p = PyBytes_AS_STRING(path);
  Py_BEGIN_ALLOW_THREADS
  rc = sw_audit_tail(p, (size_t)n, &list);
  Py_END_ALLOW_THREADS
  if (rc < 0) {
    PyObject *fname = PyUnicode_DecodeFSDefault(p);
    Py_DECREF(path);
    raise_code(rc, NULL, fname);
    Py_XDECREF(fname);
    return NULL;
  }
  Py_DECREF(path);
  /* The events are borrowed from the list: the capsule frees it after the
   * last Event referring to it. */
  PyObject *owner = PyCapsule_New(list, "shieldwatch.event_list", event_list_destroy);
  if (owner == NULL) {
    sw_event_list_free(list);
    return NULL;
  }
  size_t size = sw_event_list_size(list);
  PyObject *out = PyList_New((Py_ssize_t)size);
  for (size_t i = 0; out != NULL && i < size; i++) {
    PyObject *obj = event_wrap(event_type, sw_event_list_get(list, i), owner);
    if (obj == NULL) Py_CLEAR(out);
    else PyList_SET_ITEM(out, (Py_ssize_t)i, obj);
  }
  Py_DECREF(owner);
  return out;
}

static PyObject *mod_version(PyObject *mod, PyObject *unused) {
  (void)mod, (void)unused;
  return PyUnicode_FromString(sw_version());
}

static PyObject *mod_strerror(PyObject *mod, PyObject *arg) {
  (void)mod;
  int code;
  if (int_arg(arg, &code) < 0) return NULL;
  return PyUnicode_FromString(sw_strerror(code));
}

static PyMethodDef module_methods[] = {
    {"version", (PyCFunction)mod_version, METH_NOARGS, "sw_version()."},
    {"strerror", (PyCFunction)mod_strerror, METH_O, "sw_strerror()."},
    {"audit_tail", (PyCFunction)(void (*)(void))mod_audit_tail, METH_VARARGS | METH_KEYWORDS,
     "audit_tail(path, n, event_type=None) -> list: sw_audit_tail()."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "shieldwatch._sw",
    .m_doc = "Thin wrapper of the libshieldwatch C API; use the shieldwatch package.",
    .m_size = -1,
    .m_methods = module_methods,
};

static int add_type(PyObject *m, PyTypeObject *type, const char *name) {
  if (PyType_Ready(type) < 0) return -1;
  Py_INCREF(type);
  if (PyModule_AddObject(m, name, (PyObject *)type) < 0) {
    Py_DECREF(type);
    return -1;
  }
  return 0;
}

static int add_exception(PyObject *m, PyObject **slot, const char *qualname, const char *doc,
                         PyObject *bases) {
  *slot = PyErr_NewExceptionWithDoc(qualname, doc, bases, NULL);
  if (*slot == NULL) return -1;
  Py_INCREF(*slot);
  if (PyModule_AddObject(m, strrchr(qualname, '.') + 1, *slot) < 0) {
    Py_DECREF(*slot);
    return -1;
  }
  return 0;
}

PyMODINIT_FUNC PyInit__sw(void) {
  PyObject *m = PyModule_Create(&module_def);
  if (m == NULL) return NULL;
  if (add_type(m, &EventType, "Event") < 0 || add_type(m, &HandleType, "Handle") < 0 ||
      add_type(m, &WatcherType, "Watcher") < 0 || add_type(m, &HostType, "Host") < 0 ||
      add_type(m, &AuditLogType, "AuditLog") < 0)
    goto fail;
  if (add_exception(m, &ErrorType, "shieldwatch.Error",
                    "A libshieldwatch failure: an OSError whose errno is the library's code "
                    "and whose strerror is its reason.",
                    PyExc_OSError) < 0)
    goto fail;
  if (add_exception(m, &TierErrorType, "shieldwatch.TierError",
                    "The state directory's dns.tier is missing or not \"dnsmasq\" "
                    "(errno SW_ETIER).",
                    ErrorType) < 0)
    goto fail;
  PyObject *bases = PyTuple_Pack(2, ErrorType, PyExc_ValueError);
  if (bases == NULL) goto fail;
  int rc = add_exception(m, &ClosedErrorType, "shieldwatch.ClosedError",
                         "An operation on a closed Watcher, Host or AuditLog (errno EBADF); also "
                         "a ValueError, like I/O on a closed file.",
                         bases);
  Py_DECREF(bases);
  if (rc < 0) goto fail;
  if (PyModule_AddIntConstant(m, "SOURCE_DNS", SW_SOURCE_DNS) < 0 ||
      PyModule_AddIntConstant(m, "SOURCE_AUDIT", SW_SOURCE_AUDIT) < 0 ||
      PyModule_AddIntConstant(m, "SOURCE_NFLOG", SW_SOURCE_NFLOG) < 0 ||
      PyModule_AddIntConstant(m, "SOURCE_ALL", SW_SOURCE_ALL) < 0 ||
      PyModule_AddIntConstant(m, "ETIER", SW_ETIER) < 0 ||
      PyModule_AddIntConstant(m, "STAT_EVENTS", SW_STAT_EVENTS) < 0 ||
      PyModule_AddIntConstant(m, "STAT_DNS_LINES", SW_STAT_DNS_LINES) < 0 ||
      PyModule_AddIntConstant(m, "STAT_AUDIT_LINES", SW_STAT_AUDIT_LINES) < 0 ||
      PyModule_AddIntConstant(m, "STAT_AUDIT_SKIPPED", SW_STAT_AUDIT_SKIPPED) < 0 ||
      PyModule_AddIntConstant(m, "STAT_LINES_TOO_LONG", SW_STAT_LINES_TOO_LONG) < 0 ||
      PyModule_AddIntConstant(m, "STAT_NFLOG_PACKETS", SW_STAT_NFLOG_PACKETS) < 0 ||
      PyModule_AddIntConstant(m, "STAT_NFLOG_LOST", SW_STAT_NFLOG_LOST) < 0 ||
      PyModule_AddIntConstant(m, "STAT_DEDUPED", SW_STAT_DEDUPED) < 0 ||
      PyModule_AddIntConstant(m, "STAT_RESCANS", SW_STAT_RESCANS) < 0)
    goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
