//! Wire contracts of the Huawei Cloud KMS (DEW) API v1.0 (HUAWEI.md), the second protocol:
//!
//! - [`signature`]: the `SDK-HMAC-SHA256` request signature (§2.2): parse, canonicalise, verify
//!   in constant time, and sign (for tests and clients).
//! - [`codes`]: the `KMS.xxxx` error codes with their HTTP status and message (§1.10), and the
//!   gateway's `APIGW.0301`.

pub mod codes;
pub mod signature;
