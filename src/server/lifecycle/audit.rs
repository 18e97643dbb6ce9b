//! GetAuditLog, VerifyAudit.

use super::{page_size, status, LifecycleService};
use crate::wire::lifecycle::audit_to_proto;
use crate::wire::proto::*;
use tonic::{Request, Status};

impl LifecycleService {
    pub(super) async fn get_audit_log_call(
        &self,
        request: Request<GetAuditLogRequest>,
    ) -> Result<GetAuditLogResponse, Status> {
        let store = self.store()?;
        let r = request.into_inner();
        let entries = store
            .audit_log(r.after_seq, page_size(r.page_size))
            .await
            .map_err(status)?;
        Ok(GetAuditLogResponse {
            entries: entries.iter().map(audit_to_proto).collect(),
        })
    }

    pub(super) async fn verify_audit_call(
        &self,
        _request: Request<VerifyAuditRequest>,
    ) -> Result<VerifyAuditResponse, Status> {
        let store = self.store()?;
        let found = store.verify().await.map_err(status)?;
        let last_hash = match found.first_broken {
            None if found.entries > 0 => store
                .audit_log(found.entries - 1, 1)
                .await
                .map_err(status)?
                .pop()
                .map(|e| e.hash)
                .unwrap_or_default(),
            _ => String::new(),
        };
        let (first_broken_seq, problem) = found.first_broken.unwrap_or((0, String::new()));
        Ok(VerifyAuditResponse {
            entries: found.entries,
            first_broken_seq,
            problem,
            altered_plans: found.altered_plans,
            last_hash,
            records_differ: found.records_differ,
        })
    }
}
