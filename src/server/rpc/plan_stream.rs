//! PlanStream: many scenarios on one stream, each planned as it arrives and
//! answered as soon as it is planned, never more in flight than there are solve
//! slots; the client going away cancels every solve still running.

use crate::server::metrics::Method;
use crate::server::service::{caller_of, deadline_of, PlanningService};
use crate::wire::proto::{PlanRequest, PlanResponse};
use crate::wire::status::to_plan_error;
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

impl PlanningService {
    /// Plans each message of the stream as it arrives (at most as many at once as
    /// there are solve slots) and answers each as soon as it is planned.
    pub(in crate::server) fn plan_stream_call(
        &self,
        request: Request<Streaming<PlanRequest>>,
    ) -> Result<Response<ReceiverStream<Result<PlanResponse, Status>>>, Status> {
        let deadline = deadline_of(&request);
        let caller = caller_of(&request);
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(64);
        let service = Arc::new(PlanningService {
            config: self.config.clone(),
            pool: self.pool.clone(),
        });
        // One stream never floods the shared queue by itself: it keeps at most as many
        // scenarios in flight as there are solve slots.
        let in_flight = Arc::new(Semaphore::new(self.config.max_concurrent_solves.max(1)));
        tokio::spawn(
            async move {
                // Each message is planned in a task this driver owns: when the client
                // goes away (the response stream is dropped, so `tx` closes), the
                // driver returns and dropping `plans` aborts every task, whose
                // `CancelOnDrop` guards then stop their solves.
                let mut plans = tokio::task::JoinSet::new();
                let mut reading = true;
                loop {
                    if !reading && plans.is_empty() {
                        // Every answer sent: dropping `tx` ends the response stream.
                        return;
                    }
                    tokio::select! {
                        _ = tx.closed() => return,
                        Some(_) = plans.join_next(), if !plans.is_empty() => continue,
                        message = inbound.next(), if reading => {
                            let request = match message {
                                Some(Ok(request)) => request,
                                Some(Err(status)) => {
                                    let _ = tx.send(Err(crate::wire::status::from_transport(status))).await;
                                    return;
                                }
                                None => {
                                    reading = false;
                                    continue;
                                }
                            };
                            let slot = tokio::select! {
                                _ = tx.closed() => return,
                                slot = in_flight.clone().acquire_owned() => slot,
                            };
                            let Ok(slot) = slot else { return };
                            let (service, tx, caller) = (service.clone(), tx.clone(), caller.clone());
                            plans.spawn(
                                async move {
                                    let _slot = slot;
                                    let id = request.id.clone();
                                    let planned = service.plan_one(request, deadline, &caller).await;
                                    service.count(Method::PlanStream, &planned);
                                    let answer = match planned {
                                        Ok(response) => response,
                                        Err(status) => PlanResponse {
                                            id,
                                            plan: None,
                                            error: Some(to_plan_error(&status)),
                                        },
                                    };
                                    let _ = tx.send(Ok(answer)).await;
                                }
                                .in_current_span(),
                            );
                        }
                    }
                }
            }
            .in_current_span(),
        );
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
