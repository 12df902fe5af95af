//! Wire contracts of the Alibaba Cloud KMS API 2016-01-20, shared by the server and the SDK.
//!
//! - [`form`]: form/query decoding and the signing percent-encoding.
//! - [`signature`]: V1 (HMAC-SHA1), ACS3-HMAC-SHA256 and ACS4-HMAC-SHA256 request signatures.
//! - [`params`]: the merged request parameters and typed accessors.
//! - [`codes`]: the error codes, HTTP statuses and messages of ALIBABA.md §3.2.
//! - [`time`]: the wire time format `yyyy-MM-ddTHH:mm:ssZ`.
//! - [`huawei`]: the Huawei Cloud KMS API v1.0 (SDK-HMAC-SHA256 signature, `KMS.xxxx` codes).

pub mod codes;
pub mod form;
pub mod huawei;
pub mod params;
pub mod signature;
pub mod time;
