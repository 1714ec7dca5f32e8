//! Panics kept where they happen: a panic in a source task ends that task only, its pane
//! shows the error, and the screen is never drawn over.
//!
//! * The panic hook ([`install_hook`]) tells apart the thread that owns the terminal from
//!   the others. On the terminal's thread the cockpit cannot go on: the terminal is restored
//!   first, then the panic is printed as usual. On any other thread (a source task on a
//!   runtime worker) the panic is written to the log file in the data folder only, never
//!   to the screen the cockpit draws, and raw mode stays on.
//! * [`spawn`] runs a source task so that a panic in it becomes a message for its pane
//!   ([`SourceErrorKind::Other`], the panic's text, where the details are), and the rest of
//!   the cockpit keeps working.

use crate::source::{SourceError, SourceErrorKind};
use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use tokio::task::JoinHandle;

static TERMINAL_THREAD: OnceLock<ThreadId> = OnceLock::new();
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Install the hook, with the current thread as the one that owns the terminal. `restore`
/// is the hook to run for a panic on that thread (it restores the terminal, then prints).
pub fn install_hook(restore: Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync>) {
    let _ = TERMINAL_THREAD.set(std::thread::current().id());
    std::panic::set_hook(Box::new(move |info| {
        if Some(&std::thread::current().id()) == TERMINAL_THREAD.get() {
            restore(info);
            return;
        }
        let text = describe(info);
        tracing::error!(panic = %text, "a background task panicked");
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(text);
        }
    }));
}

/// The last panic seen off the terminal's thread, as the log file has it.
pub fn last_panic() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|l| l.clone())
}

/// `message at src/file.rs:12:5`.
fn describe(info: &std::panic::PanicHookInfo<'_>) -> String {
    let msg = payload_text(info.payload());
    match info.location() {
        Some(l) => format!("{msg} at {}:{}:{}", l.file(), l.line(), l.column()),
        None => msg,
    }
}

/// The text a panic was raised with.
pub fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// The error a pane shows for a task that panicked.
pub fn panic_error(payload: &(dyn std::any::Any + Send)) -> SourceError {
    let text = crate::model::text::sanitize(&payload_text(payload));
    SourceError::new(
        SourceErrorKind::Other,
        format!("the source stopped on an internal error: {text}"),
    )
    .with_hint("the details are in warroom.log in the data folder; the other panes keep working")
}

/// Spawn a source task; when it panics, `failed` makes the message its pane receives from
/// the error, sent on `tx`.
pub fn spawn<F, M>(
    fut: F,
    tx: tokio::sync::mpsc::Sender<M>,
    failed: impl FnOnce(SourceError) -> M + Send + 'static,
) -> JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
    M: Send + 'static,
{
    tokio::spawn(async move {
        use futures_util::FutureExt;
        if let Err(p) = std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            let _ = tx.send(failed(panic_error(p.as_ref()))).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_task_becomes_its_panes_error() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // This test's thread is the terminal's: a panic elsewhere must not come here.
        install_hook(Box::new(|_| panic!("the terminal's hook ran for a worker's panic")));
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let got = rt.block_on(async move {
            let t = spawn(
                async {
                    let v: Vec<u8> = Vec::new();
                    let _ = v[std::hint::black_box(usize::MAX / 2)];
                },
                tx,
                Err::<(), SourceError>,
            );
            let msg = rx.recv().await;
            let _ = t.await;
            msg
        });
        let e = got.expect("a message for the pane").expect_err("an error");
        assert_eq!(e.kind, SourceErrorKind::Other);
        assert!(e.message.contains("internal error: index out of bounds"), "{e:?}");
        assert!(e.hint.unwrap().contains("warroom.log"));
        let logged = last_panic().expect("logged");
        assert!(
            logged.contains("index out of bounds") && logged.contains("contain.rs"),
            "{logged}"
        );
        // The runtime keeps working after it.
        assert_eq!(rt.block_on(async { tokio::spawn(async { 7 }).await.unwrap() }), 7);
        let _ = std::panic::take_hook();
    }
}
