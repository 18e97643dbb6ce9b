//! `fluidity health --server URL[,URL...]`: exit 0 when every server named answers
//! SERVING to a gRPC health check, 1 otherwise, with a line per server; the container
//! image's HEALTHCHECK uses it (no gRPC tool is in the image).

use crate::args::HealthArgs;
use crate::Exit;
use anyhow::{anyhow, Result};
use fluidity::client::Endpoint;
use std::time::Duration;

pub fn run(args: HealthArgs) -> Result<Exit> {
    let endpoint = args
        .remote
        .endpoint()
        .ok_or_else(|| anyhow!("give --server URL: the server to ask"))?;
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(anyhow!(
            "--timeout must be a number of seconds above 0 and at most 3600"
        ));
    }
    let urls = fluidity::client::replicas::split(&endpoint.url)?;
    let what = subject(&args.service);
    let runtime = crate::runtime()?;
    let mut failures = Vec::new();
    for url in urls {
        let one = Endpoint {
            url,
            ..endpoint.clone()
        };
        match runtime.block_on(ask(&one, &args.service, args.timeout)) {
            Ok(()) => println!("{what} at {} is serving", one.url),
            Err(why) => failures.push(why),
        }
    }
    if failures.is_empty() {
        Ok(Exit::Planned)
    } else {
        Err(anyhow!("{}", failures.join("\n")))
    }
}

/// What is asked about, as a sentence names it.
fn subject(service: &str) -> &str {
    if service.is_empty() {
        "the server"
    } else {
        service
    }
}

/// One server's answer within `timeout` seconds, or why it is not serving.
async fn ask(endpoint: &Endpoint, service: &str, timeout: f64) -> Result<(), String> {
    let answer = tokio::time::timeout(
        Duration::from_secs_f64(timeout),
        fluidity::client::healthy(endpoint, service),
    )
    .await;
    match answer {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(format!(
            "{} at {} is not serving",
            subject(service),
            endpoint.url
        )),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "no answer from {} within {timeout} s",
            endpoint.url
        )),
    }
}
