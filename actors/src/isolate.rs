//! [`Isolate`]: a dedicated OS thread with its own single-threaded tokio runtime, one per
//! connector and per task.
//!
//! Why: connector code is untrusted. On its own thread, a connector that blocks (a sync driver,
//! a busy loop) stalls only itself, never the actors, the REST API or other connectors; a panic
//! is caught by the runtime and surfaces as a [`Guarded::Panicked`]; and tasks on separate
//! threads use every core. A hung isolate is abandoned after a timeout (its thread is detached),
//! so shutdown stays bounded.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// Why a guarded call did not return a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guarded {
    /// The code panicked; the panic message.
    Panicked(String),
    /// It did not finish within the timeout.
    TimedOut(Duration),
    /// The isolate is gone.
    Gone,
}

impl std::fmt::Display for Guarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Panicked(message) => write!(f, "panicked: {message}"),
            Self::TimedOut(timeout) => {
                write!(f, "did not finish within {} ms", timeout.as_millis())
            }
            Self::Gone => f.write_str("its thread is gone"),
        }
    }
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned())
}

/// A thread and a runtime. Dropping it stops the runtime (cancelling its futures at their
/// next await) and detaches the thread.
#[derive(Debug)]
pub struct Isolate {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
}

impl Isolate {
    /// Starts the thread; `name` shows up in thread dumps and panic messages. `span` (the
    /// connector's or task's identity) is entered on the thread for its whole life: every
    /// future it polls — the loop, the connector's code and whatever that spawns on the
    /// runtime — logs inside it, so no log line has to name its task by hand.
    pub fn start(name: &str, span: tracing::Span) -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        // The thread logs where its creator does (the worker's subscriber, or a test's).
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _dispatch = tracing::dispatcher::set_default(&dispatch);
                let _entered = span.enter();
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => {
                        let _ = ready_tx.send(Ok(runtime.handle().clone()));
                        runtime.block_on(async {
                            let _ = stopped.await;
                        });
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })?;
        let handle = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("isolate thread exited before starting"))??;
        Ok(Self {
            handle,
            stop: Some(stop),
        })
    }

    /// Starts `future` on the isolate now; the returned future (which does not borrow the
    /// isolate) waits at most `timeout` for its outcome.
    pub fn run<F>(
        &self,
        timeout: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Guarded>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let join = self.handle.spawn(future);
        async move {
            let abort = join.abort_handle();
            // Whoever stops waiting (a cancelled actor future) cancels the work too.
            let mut guard = AbortOnDrop(Some(join.abort_handle()));
            let outcome = tokio::time::timeout(timeout, join).await;
            guard.0 = None;
            match outcome {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) if e.is_panic() => {
                    Err(Guarded::Panicked(panic_message(e.into_panic().as_ref())))
                }
                Ok(Err(_)) => Err(Guarded::Gone),
                Err(_) => {
                    abort.abort();
                    Err(Guarded::TimedOut(timeout))
                }
            }
        }
    }

    /// Starts `future` on the isolate without waiting; await the handle for its outcome.
    pub fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }
}

impl Drop for Isolate {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Aborts an isolate task when the future waiting for it is dropped before it finished.
struct AbortOnDrop(Option<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

/// The outcome of awaiting a spawned isolate future, panics made into messages.
pub async fn join_guarded<T>(join: tokio::task::JoinHandle<T>) -> Result<T, Guarded> {
    match join.await {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => Err(Guarded::Panicked(panic_message(e.into_panic().as_ref()))),
        Err(_) => Err(Guarded::Gone),
    }
}

/// Runs a synchronous call on a short-lived thread, panic-safe and bounded — for connector
/// code the controller must call (`validate`) without risking its own thread.
pub async fn guard_blocking<T, F>(timeout: Duration, call: F) -> Result<T, Guarded>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("guarded-call".to_owned())
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)));
        });
    if spawned.is_err() {
        return Err(Guarded::Gone);
    }
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(payload))) => Err(Guarded::Panicked(panic_message(payload.as_ref()))),
        Ok(Err(_)) => Err(Guarded::Gone),
        Err(_) => Err(Guarded::TimedOut(timeout)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer into a shared buffer, for reading log lines back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Whatever runs on an isolate logs inside its span — the loop itself and tasks it
    /// spawns on the runtime — so every line names its connector and task.
    #[test]
    fn everything_on_an_isolate_logs_inside_its_span() {
        let captured = Captured::default();
        let writer = captured.clone();
        // At `warn`, as an operator might run it: the span must survive the filter.
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || writer.clone())
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let span = tracing::error_span!("task", connector = %"orders", task = 3u32);
        let isolate = Isolate::start("span-test", span).unwrap();
        let done = isolate.spawn(async {
            tracing::warn!("from the loop");
            tokio::spawn(async { tracing::warn!("from a spawned task") }).await
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert!(runtime.block_on(done).unwrap().is_ok());
        tracing::warn!("outside any isolate");
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no line with {needle:?} in {text}"))
                .to_owned()
        };
        for needle in ["from the loop", "from a spawned task"] {
            assert!(
                line(needle).contains("task{connector=orders task=3}"),
                "{}",
                line(needle)
            );
        }
        assert!(!line("outside any isolate").contains("task{"));
    }

    /// A panic becomes a value; a blocked thread becomes a timeout; neither hurts the caller.
    #[actix_rt::test]
    async fn panics_and_hangs_are_contained() {
        let isolate = Isolate::start("test-isolate", tracing::Span::none()).unwrap();
        assert_eq!(
            isolate.run(Duration::from_secs(5), async { 41 + 1 }).await,
            Ok(42)
        );
        let panicked = isolate
            .run(Duration::from_secs(5), async {
                panic!("boom");
            })
            .await;
        assert_eq!(panicked, Err::<(), _>(Guarded::Panicked("boom".into())));

        let stuck = Isolate::start("stuck-isolate", tracing::Span::none()).unwrap();
        let hung = stuck
            .run(Duration::from_millis(50), async {
                loop {
                    std::thread::park();
                }
            })
            .await;
        assert_eq!(
            hung,
            Err::<(), _>(Guarded::TimedOut(Duration::from_millis(50)))
        );
        drop(stuck);
        // The first isolate still works.
        assert_eq!(
            isolate.run(Duration::from_secs(5), async { 7 }).await,
            Ok(7)
        );
    }
}
