//! [`AsyncWatcher`]: a [`Watcher`] as a tokio-driven
//! [`Stream`](futures_core::Stream). Needs the `tokio` feature.

use std::future::poll_fn;
use std::io;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::{Event, EventSource, Host, Options, Watcher};

/// A [`Watcher`] registered with tokio's reactor, yielding events as a
/// [`Stream`] of `io::Result<Event>` that never ends.
///
/// Tokio's readiness is edge-triggered: it reports the watcher's fd once when
/// it becomes readable. `AsyncWatcher` therefore keeps taking events
/// (`sw_next_event`, then `sw_poll` and again `sw_next_event`) until the
/// library has nothing more, and only then clears tokio's readiness and
/// waits for the next edge. Nothing already queued or already readable is
/// left behind.
///
/// Must be created inside a tokio runtime with IO enabled. Dropping it
/// deregisters the fd and closes the watcher.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use shieldwatch::{AsyncWatcher, Options};
///
/// let mut w = AsyncWatcher::open("/var/lib/shield/c1", "c1", Options::new())?;
/// loop {
///     let ev = w.recv().await?;
///     println!("{}", ev.json());
/// }
/// # }
/// ```
///
/// The same stream drives a [`Host`]: see [`AsyncHost`].
#[derive(Debug)]
pub struct AsyncWatcher<S: EventSource = Watcher> {
    inner: AsyncFd<S>,
}

/// A [`Host`] registered with tokio's reactor: a [`Stream`] of the events
/// of all its containers, as [`AsyncWatcher`] is for one.
pub type AsyncHost = AsyncWatcher<Host>;

/// How many times a fd that poll(2) still reports readable, though the
/// library produced nothing, is retried before yielding to the scheduler.
const SPIN_LIMIT: u32 = 4;

fn readable_now(fd: std::os::unix::io::RawFd) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let r = unsafe { libc::poll(&mut pfd, 1, 0) };
    r > 0 && pfd.revents & libc::POLLIN != 0
}

impl AsyncWatcher<Watcher> {
    /// [`Watcher::open`] followed by [`AsyncWatcher::new`].
    pub fn open(
        state_dir: impl AsRef<Path>,
        container: &str,
        options: Options,
    ) -> io::Result<AsyncWatcher> {
        AsyncWatcher::new(Watcher::open(state_dir, container, options)?)
    }
}

impl<S: EventSource> AsyncWatcher<S> {
    /// Registers an open watcher (or host) with the current tokio runtime.
    ///
    /// # Panics
    /// When called outside a tokio runtime with IO enabled.
    pub fn new(watcher: S) -> io::Result<AsyncWatcher<S>> {
        // SAFETY: `Watcher::as_raw_fd` returns the library's epoll fd, which
        // the handle owns and keeps open, unchanged, until the watcher is
        // dropped; the AsyncFd owns the watcher, so it deregisters first.
        let inner = unsafe { AsyncFd::register_with_interest(watcher, Interest::READABLE) }?;
        Ok(AsyncWatcher { inner })
    }

    /// The wrapped watcher (for [`Watcher::stat`], [`Watcher::source_status`]).
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }

    /// The wrapped watcher, mutably. Taking events from it directly is fine:
    /// the stream never relies on readiness it has not checked itself.
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut()
    }

    /// Deregisters from tokio and returns the watcher.
    pub fn into_inner(self) -> S {
        self.inner.into_inner()
    }

    /// Waits for the next event.
    pub async fn recv(&mut self) -> io::Result<Event> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next event; the building block of [`recv`](Self::recv)
    /// and the [`Stream`] implementation.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Event>> {
        let mut spins = 0;
        loop {
            let mut guard = match self.inner.poll_read_ready_mut(cx) {
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match guard.get_inner_mut().next_event() {
                // Readiness is kept: the next call takes the next event
                // without waiting for an edge.
                Ok(Some(ev)) => return Poll::Ready(Ok(ev)),
                // Keep readiness too, so a caller that goes on polling
                // retries rather than waiting for an edge.
                Err(e) => return Poll::Ready(Err(e)),
                Ok(None) => {
                    // Drained. If the fd still reads as ready, the library
                    // has input it has not turned into events yet: retry
                    // rather than wait for an edge that may never come.
                    if readable_now(guard.get_inner().as_raw_fd()) {
                        spins += 1;
                        if spins < SPIN_LIMIT {
                            continue;
                        }
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    // Only clears if no new edge arrived since the guard
                    // was taken (tokio tracks that), so nothing is lost.
                    guard.clear_ready();
                }
            }
        }
    }
}

impl<S: EventSource + Unpin> Stream for AsyncWatcher<S> {
    type Item = io::Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, None)
    }
}

impl<S: EventSource> AsRawFd for AsyncWatcher<S> {
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}
