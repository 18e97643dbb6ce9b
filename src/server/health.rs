//! `grpc.health.v1.Health` as its protocol (gRPC's health-checking.md) says:
//! `Check` answers a service's status, NOT_FOUND for one never registered; `Watch`
//! sends the status at once and every change after it, SERVICE_UNKNOWN for a service
//! not registered (and stays open: it may be registered later). When the server shuts
//! down every service turns NOT_SERVING and every `Watch` ends after saying so, so no
//! watcher holds the shutdown for its whole grace.

use std::collections::BTreeMap;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// What every watcher sees: each registered service's status, and whether the server
/// is shutting down.
#[derive(Debug, Clone, Default, PartialEq)]
struct State {
    services: BTreeMap<String, ServingStatus>,
    shutting_down: bool,
}

/// The server's side of health: set statuses, announce the shutdown.
#[derive(Clone)]
pub struct HealthReporter(watch::Sender<State>);

impl HealthReporter {
    /// `service` (its full name; "" for the server as a whole) now has `status`.
    pub fn set(&self, service: &str, status: ServingStatus) {
        self.0.send_modify(|state| {
            state.services.insert(service.to_string(), status);
        });
    }

    /// Every service NOT_SERVING, and every `Watch` ends once it has said so.
    pub fn shut_down(&self) {
        self.0.send_modify(|state| {
            state
                .services
                .values_mut()
                .for_each(|s| *s = ServingStatus::NotServing);
            state.shutting_down = true;
        });
    }
}

/// The health service and its reporter.
pub fn health_service() -> (HealthReporter, HealthServer<HealthService>) {
    let (sender, receiver) = watch::channel(State::default());
    (
        HealthReporter(sender),
        HealthServer::new(HealthService(receiver)),
    )
}

pub struct HealthService(watch::Receiver<State>);

fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status as i32,
    }
}

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = &request.get_ref().service;
        match self.0.borrow().services.get(service) {
            Some(status) => Ok(Response::new(response(*status))),
            None => Err(Status::not_found(format!(
                "service {service:?} is not registered"
            ))),
        }
    }

    type WatchStream = ReceiverStream<Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let service = request.into_inner().service;
        let mut states = self.0.clone();
        let (send, receive) = mpsc::channel(4);
        tokio::spawn(async move {
            let mut last = None;
            loop {
                let (status, ending) = {
                    let state = states.borrow_and_update();
                    let status = state
                        .services
                        .get(&service)
                        .copied()
                        .unwrap_or(ServingStatus::ServiceUnknown);
                    (status, state.shutting_down)
                };
                if last != Some(status) {
                    last = Some(status);
                    if send.send(Ok(response(status))).await.is_err() {
                        return;
                    }
                }
                if ending {
                    return;
                }
                tokio::select! {
                    changed = states.changed() => if changed.is_err() { return },
                    _ = send.closed() => return,
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(receive)))
    }
}
