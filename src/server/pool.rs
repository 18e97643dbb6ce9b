//! The solve pool: solves run on tokio's blocking threads, at most `max_concurrent`
//! at once, with a bounded queue in front; beyond it a call is refused at once with
//! RESOURCE_EXHAUSTED instead of waiting forever. The async runtime itself never runs
//! a solve, so health checks and new calls stay answered under load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;
use tonic::Status;

use super::metrics::Metrics;

#[derive(Debug)]
pub struct SolvePool {
    permits: Arc<Semaphore>,
    queue_limit: usize,
    /// Queue depth and solves in flight live here, where the metrics read them.
    metrics: Arc<Metrics>,
}

/// Counts a call as queued until it is dropped (granted a slot, or abandoned).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a solve as in flight until it ends, even by a panic.
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SolvePool {
    pub fn new(max_concurrent: usize, queue_limit: usize, metrics: Arc<Metrics>) -> SolvePool {
        SolvePool {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            queue_limit,
            metrics,
        }
    }

    /// Runs `job` on a blocking thread once a slot is free, before `deadline`.
    pub async fn run<T: Send + 'static>(
        &self,
        deadline: Option<Instant>,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Status> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.metrics.queued.fetch_add(1, Ordering::SeqCst) >= self.queue_limit {
                    self.metrics.queued.fetch_sub(1, Ordering::SeqCst);
                    return Err(Status::resource_exhausted(format!(
                        "the server is busy: every solve slot is taken and {} calls are queued; retry later",
                        self.queue_limit
                    )));
                }
                let _queued = Queued(&self.metrics.queued);
                let acquire = self.permits.clone().acquire_owned();
                let acquired = match deadline {
                    Some(d) => tokio::time::timeout_at(d.into(), acquire)
                        .await
                        .map_err(|_| {
                            Status::deadline_exceeded(
                                "the deadline passed while the call waited for a solve slot",
                            )
                        })?,
                    None => acquire.await,
                };
                acquired.map_err(|_| Status::unavailable("the server is shutting down"))?
            }
        };
        // The permit moves into the blocking task: the slot stays taken until the solve
        // really ends, even if the caller has gone.
        let metrics = self.metrics.clone();
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            metrics.in_flight.fetch_add(1, Ordering::SeqCst);
            let _running = Running(&metrics.in_flight);
            job()
        });
        handle.await.map_err(|e| {
            if e.is_panic() {
                tracing::error!(
                    "a solve panicked; the call is answered INTERNAL and the server goes on"
                );
                Status::internal(
                    "internal error: the solver panicked (a bug in fluidity; it has been logged)",
                )
            } else {
                Status::internal("internal error: the solve was cancelled")
            }
        })
    }
}
