//! GetKmsInstanceQuotaInfos: quota and usage per resource type of an instance.

use crate::error::Error;
use crate::service::{Caller, Kms};

/// A resource type with a quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaResource {
    /// Keys (counted in key versions).
    Key,
    /// Secrets.
    Secret,
    /// Requests per second.
    Qps,
    /// Bound VPCs (always 0 used here).
    Vpc,
}

impl QuotaResource {
    /// Every resource type.
    pub const ALL: [QuotaResource; 4] = [Self::Key, Self::Secret, Self::Qps, Self::Vpc];

    /// Wire name (`key`, `secret`, `qps`, `vpc`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Secret => "secret",
            Self::Qps => "qps",
            Self::Vpc => "vpc",
        }
    }

    /// Parses a wire name, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s))
    }
}

/// One quota line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaInfo {
    /// Resource type.
    pub resource: QuotaResource,
    /// Quota.
    pub quota: i64,
    /// Used.
    pub used: i64,
}

impl Kms {
    /// Quotas of an instance, for one resource type or all.
    pub async fn get_kms_instance_quota_infos(
        &self,
        caller: &Caller,
        instance_id: &str,
        resource: Option<QuotaResource>,
    ) -> Result<Vec<QuotaInfo>, Error> {
        self.authorize_arn(caller, "kms:GetKmsInstanceQuotaInfos", &self.instance_arn(instance_id)).await?;
        let d = self.instance_details(instance_id).await?;
        let line = |r: QuotaResource| match r {
            QuotaResource::Key => QuotaInfo { resource: r, quota: d.instance.key_quota, used: d.key_versions },
            QuotaResource::Secret => QuotaInfo { resource: r, quota: d.instance.secret_quota, used: d.secrets },
            QuotaResource::Qps => QuotaInfo { resource: r, quota: d.instance.spec_qps, used: 0 },
            QuotaResource::Vpc => QuotaInfo { resource: r, quota: 0, used: 0 },
        };
        Ok(match resource {
            Some(r) => vec![line(r)],
            None => QuotaResource::ALL.into_iter().map(line).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InstanceKind;
    use crate::ops::Page;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn instances_report_their_key_usage() {
        let kms = kms().await;
        let inst = kms.create_instance(InstanceKind::Software, Some("prod".into()), 2000, 5).await.unwrap();
        assert!(inst.instance_id.starts_with("kst-"));
        let req = CreateKeyRequest { instance_id: Some(inst.instance_id.clone()), ..Default::default() };
        kms.create_key(&admin(), req).await.unwrap();
        let q = kms.get_kms_instance_quota_infos(&admin(), &inst.instance_id, Some(QuotaResource::Key)).await.unwrap();
        assert_eq!(q, vec![QuotaInfo { resource: QuotaResource::Key, quota: 5, used: 1 }]);
        assert_eq!(kms.get_kms_instance_quota_infos(&admin(), &inst.instance_id, None).await.unwrap().len(), 4);
        let list = kms.list_kms_instances(&admin(), Page { number: 1, size: 20 }).await.unwrap();
        assert_eq!(list.total, 1);
        assert!(matches!(kms.get_kms_instance(&admin(), "kst-x").await, Err(Error::InstanceNotFound)));
        assert!(kms.create_instance(InstanceKind::Hardware, None, 1000, 5).await.is_err());
    }
}
