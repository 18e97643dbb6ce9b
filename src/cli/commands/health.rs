//! `fluidity health --server URL`: exit 0 when the server answers SERVING to a gRPC
//! health check, 1 otherwise; the container image's HEALTHCHECK uses it (no gRPC tool
//! is in the image).

use crate::args::HealthArgs;
use crate::Exit;
use anyhow::{anyhow, Result};
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
    let runtime = crate::runtime()?;
    let answer = runtime.block_on(async {
        tokio::time::timeout(
            Duration::from_secs_f64(args.timeout),
            fluidity::client::healthy(&endpoint, &args.service),
        )
        .await
    });
    let what = if args.service.is_empty() {
        "the server"
    } else {
        args.service.as_str()
    };
    match answer {
        Ok(Ok(true)) => {
            println!("{what} at {} is serving", endpoint.url);
            Ok(Exit::Planned)
        }
        Ok(Ok(false)) => Err(anyhow!("{what} at {} is not serving", endpoint.url)),
        Ok(Err(e)) => Err(anyhow!("{e}")),
        Err(_) => Err(anyhow!(
            "no answer from {} within {} s",
            endpoint.url,
            args.timeout
        )),
    }
}
