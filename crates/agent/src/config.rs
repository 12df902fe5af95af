//! Agent settings, loaded once in layers: defaults < TOML file < environment < command-line flags.
//!
//! The file uses the section and key names of the Alibaba KMS Agent (`[Server]`, `[Cache]`,
//! `[Kms]`, PascalCase keys; ALIBABA.md §7) and is read strictly: an unknown section or key is an
//! error naming its line. The raw file is then turned into a validated [`Settings`].
//!
//! Credentials: the pair `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET` from
//! the environment wins over `[Kms] AccessKeyId`/`AccessKeySecret` from the file (the usual
//! precedence, and the Alibaba default credential chain starts with these variables). The pair is
//! taken as a unit: setting only one of the two variables is an error. The SSRF token is read
//! here too (see [`crate::token`]), so a missing token stops the agent before it listens.
//!
//! Secrets (the AccessKey secret, the token) are zeroized on drop and redacted in `Debug`; TOML
//! errors are reported by line and column without echoing the offending text.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::http::HeaderName;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::token::{Token, TokenError};

/// Default `[Server] HttpPort` (the Alibaba KMS Agent's port).
pub const DEFAULT_PORT: u16 = 2025;
/// Default and upper bound of `[Server] MaxConn`.
pub const DEFAULT_MAX_CONN: usize = 800;
/// Upper bound of `[Server] MaxConn`.
pub const MAX_MAX_CONN: usize = 1000;
/// Default and upper bound of `[Cache] Size`.
pub const MAX_CACHE_SIZE: usize = 1000;
/// Default `[Cache] TtlSeconds`.
pub const DEFAULT_TTL_SECONDS: u64 = 300;
/// Upper bound of `[Cache] TtlSeconds` (one day).
pub const MAX_TTL_SECONDS: u64 = 86_400;
/// Default `[Cache] MaxStaleSeconds` (one hour; 0 disables stale-on-error).
pub const DEFAULT_MAX_STALE_SECONDS: u64 = 3600;
/// Upper bound of `[Cache] MaxStaleSeconds` (one week).
pub const MAX_MAX_STALE_SECONDS: u64 = 7 * 86_400;
/// Default `[Kms] TimeoutSeconds`.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 10;
/// Environment variable holding the AccessKey id.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable holding the AccessKey secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";

fn default_ssrf_headers() -> Vec<String> {
    vec!["X-KMS-Token".into(), "X-Vault-Token".into()]
}

fn default_ssrf_env() -> Vec<String> {
    vec!["KMS_TOKEN".into(), "KMS_SESSION_TOKEN".into(), "KMS_CONTAINER_AUTHORIZATION_TOKEN".into()]
}

/// The TOML file as written by a user; every key is optional.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `[Server]`.
    #[serde(default, rename = "Server")]
    pub server: RawServer,
    /// `[Cache]`.
    #[serde(default, rename = "Cache")]
    pub cache: RawCache,
    /// `[Kms]`.
    #[serde(default, rename = "Kms")]
    pub kms: RawKms,
}

/// `[Server]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawServer {
    /// Listening port on the loopback interface (0 = any free port).
    pub http_port: Option<u16>,
    /// Loopback address to bind (127.0.0.0/8 or ::1); default 127.0.0.1.
    pub bind_address: Option<String>,
    /// Headers that may carry the SSRF token.
    #[serde(rename = "SSRFHeaders")]
    pub ssrf_headers: Option<Vec<String>>,
    /// Environment variables the token is read from, first set one wins.
    #[serde(rename = "SSRFEnvVariables")]
    pub ssrf_env_variables: Option<Vec<String>>,
    /// Prefix of the path form `GET {PathPrefix}NAME`.
    pub path_prefix: Option<String>,
    /// Concurrent connections served; more are answered 429 and closed.
    pub max_conn: Option<usize>,
}

/// `[Cache]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawCache {
    /// Entries kept (least recently used evicted first).
    pub size: Option<usize>,
    /// Freshness of an entry, in seconds (0 = always ask the server, keep the value for stale-on-error).
    pub ttl_seconds: Option<u64>,
    /// How long after expiry an entry may still be served when the server is unreachable.
    pub max_stale_seconds: Option<u64>,
}

/// `[Kms]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawKms {
    /// `https://host:port` (or `http://`) of the keyward server.
    pub endpoint: Option<String>,
    /// PEM CA file to trust for HTTPS (the server's local CA).
    pub ca_file: Option<PathBuf>,
    /// AccessKey id (the environment wins).
    pub access_key_id: Option<String>,
    /// AccessKey secret (the environment wins).
    pub access_key_secret: Option<String>,
    /// Request timeout towards the server, in seconds.
    pub timeout_seconds: Option<u64>,
}

/// Command-line overrides (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--port`.
    pub port: Option<u16>,
    /// `--endpoint`.
    pub endpoint: Option<String>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
}

/// A configuration error; messages never contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the agent config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("agent config {path}: line {line}, column {column}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range or malformed.
    #[error("agent config: {0}")]
    Invalid(String),
    /// No usable SSRF token.
    #[error(transparent)]
    Token(#[from] TokenError),
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

/// A string that is zeroized on drop and redacted in `Debug`.
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// The value; use only to hand it to the SDK.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How to reach the server.
#[derive(Debug)]
pub struct KmsSettings {
    /// `https://host:port` or `http://host:port`.
    pub endpoint: String,
    /// Extra CA to trust.
    pub ca_file: Option<PathBuf>,
    /// AccessKey id.
    pub access_key_id: String,
    /// AccessKey secret.
    pub access_key_secret: SecretString,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Validated settings.
#[derive(Debug)]
pub struct Settings {
    /// Loopback address and port to listen on.
    pub listen: SocketAddr,
    /// Headers that may carry the token (lowercase).
    pub ssrf_headers: Vec<HeaderName>,
    /// The SSRF token.
    pub token: Token,
    /// Prefix of the path form, starting and ending with `/`.
    pub path_prefix: String,
    /// Concurrent connection cap.
    pub max_conn: usize,
    /// Cache capacity.
    pub cache_size: NonZeroUsize,
    /// Entry freshness.
    pub ttl: Duration,
    /// Stale-on-error window after expiry (zero: disabled).
    pub max_stale: Duration,
    /// The server.
    pub kms: KmsSettings,
}

fn parse_error(path: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let (line, column) = match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        }
        None => (0, 0),
    };
    // `message()` is the bare reason; the `Display` of the error would quote the source line,
    // which may hold the AccessKey secret.
    ConfigError::Parse { path: path.to_string(), line, column, message: e.message().trim().to_string() }
}

/// Parses the TOML text of a config file (`path` only names it in errors).
pub fn parse(path: &str, text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| parse_error(path, text, &e))
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

fn seconds(name: &str, value: Option<u64>, default: u64, min: u64, max: u64) -> Result<Duration, ConfigError> {
    let v = value.unwrap_or(default);
    if !(min..=max).contains(&v) {
        return Err(invalid(format!("{name} = {v} is out of range {min}..={max}")));
    }
    Ok(Duration::from_secs(v))
}

impl Settings {
    /// Loads the file (if any), the process environment and `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_with_env(file, overrides, |k| std::env::var(k).ok())
    }

    /// [`Settings::load`] with an explicit environment (tests).
    pub fn load_with_env(
        file: Option<&Path>,
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let raw = match file {
            None => RawConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
                parse(&path.display().to_string(), &text)?
            }
        };
        Self::from_raw(raw, overrides, env)
    }

    /// Validates `raw`, applying the environment and `overrides`.
    pub fn from_raw(
        raw: RawConfig,
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let RawConfig { server, cache, kms } = raw;

        // [Server]
        let ip: IpAddr = match &server.bind_address {
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(a) => a.parse().map_err(|_| invalid(format!("BindAddress {a:?} is not an IP address")))?,
        };
        if !is_loopback(ip) {
            return Err(invalid(format!(
                "BindAddress {ip} is not a loopback address: the agent serves plaintext secrets and only \
                 listens on 127.0.0.0/8 or ::1"
            )));
        }
        let port = overrides.port.or(server.http_port).unwrap_or(DEFAULT_PORT);
        let header_names = server.ssrf_headers.unwrap_or_else(default_ssrf_headers);
        if header_names.is_empty() {
            return Err(invalid("SSRFHeaders must name at least one header"));
        }
        let ssrf_headers = header_names
            .iter()
            .map(|h| {
                HeaderName::from_bytes(h.as_bytes())
                    .map_err(|_| invalid(format!("SSRFHeaders: {h:?} is not a valid header name")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let env_vars = server.ssrf_env_variables.unwrap_or_else(default_ssrf_env);
        if env_vars.is_empty() || env_vars.iter().any(|v| v.is_empty() || v.contains('=')) {
            return Err(invalid("SSRFEnvVariables must be a non-empty list of variable names"));
        }
        let path_prefix = server.path_prefix.unwrap_or_else(|| "/v1/".to_string());
        if !path_prefix.starts_with('/') || !path_prefix.ends_with('/') || path_prefix.len() < 2 {
            return Err(invalid(format!("PathPrefix {path_prefix:?} must start and end with '/', e.g. \"/v1/\"")));
        }
        if path_prefix.contains(['?', '#', '%']) || path_prefix.chars().any(char::is_whitespace) {
            return Err(invalid(format!("PathPrefix {path_prefix:?} must be a plain path")));
        }
        let max_conn = server.max_conn.unwrap_or(DEFAULT_MAX_CONN);
        if !(1..=MAX_MAX_CONN).contains(&max_conn) {
            return Err(invalid(format!("MaxConn = {max_conn} is out of range 1..={MAX_MAX_CONN}")));
        }

        // [Cache]
        let size = cache.size.unwrap_or(MAX_CACHE_SIZE);
        let cache_size = NonZeroUsize::new(size)
            .filter(|n| n.get() <= MAX_CACHE_SIZE)
            .ok_or_else(|| invalid(format!("[Cache] Size = {size} is out of range 1..={MAX_CACHE_SIZE}")))?;
        let ttl = seconds("[Cache] TtlSeconds", cache.ttl_seconds, DEFAULT_TTL_SECONDS, 0, MAX_TTL_SECONDS)?;
        let max_stale = seconds(
            "[Cache] MaxStaleSeconds",
            cache.max_stale_seconds,
            DEFAULT_MAX_STALE_SECONDS,
            0,
            MAX_MAX_STALE_SECONDS,
        )?;

        // [Kms]
        let endpoint = overrides
            .endpoint
            .clone()
            .or(kms.endpoint)
            .ok_or_else(|| invalid("[Kms] Endpoint (or --endpoint) is required, e.g. https://127.0.0.1:8443"))?;
        let scheme_ok = ["https://", "http://"].iter().any(|s| endpoint.to_ascii_lowercase().starts_with(s));
        if !scheme_ok || endpoint.split_once("://").is_none_or(|(_, rest)| rest.trim_end_matches('/').is_empty()) {
            return Err(invalid(format!("[Kms] Endpoint {endpoint:?} must be https://host:port (or http://)")));
        }
        let ca_file = overrides.ca_file.clone().or(kms.ca_file);
        let timeout = seconds("[Kms] TimeoutSeconds", kms.timeout_seconds, DEFAULT_TIMEOUT_SECONDS, 1, 300)?;
        let (access_key_id, access_key_secret) = match (env(ENV_ACCESS_KEY_ID), env(ENV_ACCESS_KEY_SECRET)) {
            (Some(id), Some(secret)) => (id, Zeroizing::new(secret)),
            (Some(_), None) | (None, Some(_)) => {
                return Err(invalid(format!("set both {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET}, or neither")));
            }
            (None, None) => match (kms.access_key_id, kms.access_key_secret) {
                (Some(id), Some(secret)) => (id, Zeroizing::new(secret)),
                (None, None) => {
                    return Err(invalid(format!(
                        "credentials missing: set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET}, or [Kms] \
                         AccessKeyId and AccessKeySecret"
                    )));
                }
                _ => return Err(invalid("[Kms] AccessKeyId and AccessKeySecret must be set together")),
            },
        };
        if access_key_id.is_empty() || access_key_secret.is_empty() {
            return Err(invalid("the AccessKey id and secret must not be empty"));
        }

        let token = Token::from_env(&env_vars, &env)?;
        Ok(Self {
            listen: SocketAddr::new(ip, port),
            ssrf_headers,
            token,
            path_prefix,
            max_conn,
            cache_size,
            ttl,
            max_stale,
            kms: KmsSettings {
                endpoint,
                ca_file,
                access_key_id,
                access_key_secret: SecretString(access_key_secret),
                timeout,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const FULL: &str = r#"
[Server]
HttpPort = 3025
BindAddress = "::1"
SSRFHeaders = ["X-My-Token"]
SSRFEnvVariables = ["MY_TOKEN"]
PathPrefix = "/secrets/"
MaxConn = 10

[Cache]
Size = 50
TtlSeconds = 60
MaxStaleSeconds = 0

[Kms]
Endpoint = "https://kms.local:8443"
CaFile = "/etc/keyward/ca.pem"
AccessKeyId = "LTAIfile"
AccessKeySecret = "file-secret-value"
TimeoutSeconds = 3
"#;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn load(text: &str, envs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_raw(parse("agent.toml", text)?, &Overrides::default(), env(envs))
    }

    const MIN: &str = "[Kms]\nEndpoint = \"https://127.0.0.1:8443\"\nAccessKeyId = \"id\"\nAccessKeySecret = \"sk\"\n";

    #[test]
    fn defaults_follow_the_alibaba_agent() {
        let s = load(MIN, &[("KMS_TOKEN", "t")]).unwrap();
        assert_eq!(s.listen, "127.0.0.1:2025".parse().unwrap());
        assert_eq!(s.ssrf_headers, ["x-kms-token", "x-vault-token"]);
        assert_eq!(s.path_prefix, "/v1/");
        assert_eq!(s.max_conn, 800);
        assert_eq!(s.cache_size.get(), 1000);
        assert_eq!(s.ttl, Duration::from_secs(300));
        assert_eq!(s.max_stale, Duration::from_secs(3600));
        assert_eq!(s.kms.timeout, Duration::from_secs(10));
        assert!(s.token.verify(b"t"));
        for var in ["KMS_SESSION_TOKEN", "KMS_CONTAINER_AUTHORIZATION_TOKEN"] {
            assert!(load(MIN, &[(var, "t2")]).unwrap().token.verify(b"t2"));
        }
    }

    #[test]
    fn every_key_is_read() {
        let s = load(FULL, &[("MY_TOKEN", "tok")]).unwrap();
        assert_eq!(s.listen, "[::1]:3025".parse().unwrap());
        assert_eq!(s.ssrf_headers, ["x-my-token"]);
        assert_eq!(s.path_prefix, "/secrets/");
        assert_eq!((s.max_conn, s.cache_size.get()), (10, 50));
        assert_eq!((s.ttl, s.max_stale), (Duration::from_secs(60), Duration::ZERO));
        assert_eq!(s.kms.endpoint, "https://kms.local:8443");
        assert_eq!(s.kms.ca_file.as_deref(), Some(Path::new("/etc/keyward/ca.pem")));
        assert_eq!((s.kms.access_key_id.as_str(), s.kms.access_key_secret.expose()), ("LTAIfile", "file-secret-value"));
        assert_eq!(s.kms.timeout, Duration::from_secs(3));
        // KMS_TOKEN is not in this file's SSRFEnvVariables.
        assert!(matches!(load(FULL, &[("KMS_TOKEN", "tok")]), Err(ConfigError::Token(_))));
    }

    #[test]
    fn flags_win_over_the_file_and_env_credentials_over_the_file() {
        let o = Overrides {
            port: Some(0),
            endpoint: Some("http://127.0.0.1:9".into()),
            ca_file: Some(PathBuf::from("/tmp/ca.pem")),
        };
        let e = env(&[("MY_TOKEN", "tok"), (ENV_ACCESS_KEY_ID, "LTAIenv"), (ENV_ACCESS_KEY_SECRET, "env-secret")]);
        let s = Settings::from_raw(parse("f", FULL).unwrap(), &o, e).unwrap();
        assert_eq!(s.listen.port(), 0);
        assert_eq!(s.kms.endpoint, "http://127.0.0.1:9");
        assert_eq!(s.kms.ca_file.as_deref(), Some(Path::new("/tmp/ca.pem")));
        assert_eq!((s.kms.access_key_id.as_str(), s.kms.access_key_secret.expose()), ("LTAIenv", "env-secret"));

        let half = load(FULL, &[("MY_TOKEN", "tok"), (ENV_ACCESS_KEY_ID, "LTAIenv")]).unwrap_err();
        assert!(half.to_string().contains("set both"), "{half}");
        let none = load("[Kms]\nEndpoint = \"https://h:1\"\n", &[("KMS_TOKEN", "t")]).unwrap_err();
        assert!(none.to_string().contains("credentials missing"), "{none}");
    }

    #[test]
    fn strict_parsing_names_the_line_and_never_echoes_secrets() {
        let e = load("[Server]\nHttpPort = 1\nColour = \"red\"\n", &[]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("line 3") && msg.contains("Colour"), "{msg}");
        let e = load("[Log]\nLevel = \"info\"\n", &[]).unwrap_err();
        assert!(e.to_string().contains("Log"), "{e}");
        let e = load("[Server]\nHttpPort = \"2025\"\n", &[]).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        // A malformed secret line: the error does not quote it.
        let e = load("[Kms]\nAccessKeySecret = hunter2-secret\n", &[]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn out_of_range_and_malformed_values_are_refused() {
        let with = |extra: &str| load(&format!("{MIN}{extra}"), &[("KMS_TOKEN", "t")]);
        for (bad, needle) in [
            ("[Server]\nBindAddress = \"0.0.0.0\"\n", "loopback"),
            ("[Server]\nBindAddress = \"192.168.1.2\"\n", "loopback"),
            ("[Server]\nBindAddress = \"localhost\"\n", "not an IP"),
            ("[Server]\nMaxConn = 0\n", "MaxConn"),
            ("[Server]\nMaxConn = 1001\n", "MaxConn"),
            ("[Server]\nPathPrefix = \"v1/\"\n", "PathPrefix"),
            ("[Server]\nPathPrefix = \"/v1\"\n", "PathPrefix"),
            ("[Server]\nSSRFHeaders = []\n", "SSRFHeaders"),
            ("[Server]\nSSRFHeaders = [\"bad header\"]\n", "SSRFHeaders"),
            ("[Server]\nSSRFEnvVariables = []\n", "SSRFEnvVariables"),
            ("[Cache]\nSize = 0\n", "Size"),
            ("[Cache]\nSize = 1001\n", "Size"),
            ("[Cache]\nTtlSeconds = 86401\n", "TtlSeconds"),
            ("[Cache]\nMaxStaleSeconds = 99999999\n", "MaxStaleSeconds"),
        ] {
            let e = with(bad).unwrap_err();
            assert!(e.to_string().contains(needle), "{bad}: {e}");
        }
        let e = load(
            "[Kms]\nEndpoint = \"ftp://h\"\nAccessKeyId = \"a\"\nAccessKeySecret = \"b\"\n",
            &[("KMS_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(e.to_string().contains("Endpoint"), "{e}");
        let e = load("[Kms]\nAccessKeyId = \"a\"\nAccessKeySecret = \"b\"\n", &[("KMS_TOKEN", "t")]).unwrap_err();
        assert!(e.to_string().contains("Endpoint"), "{e}");
        // Loopback addresses other than 127.0.0.1 are fine; port 0 too.
        let s = with("[Server]\nBindAddress = \"127.0.0.2\"\nHttpPort = 0\n").unwrap();
        assert_eq!(s.listen, "127.0.0.2:0".parse().unwrap());
    }

    #[test]
    fn no_token_refuses_to_start_and_debug_redacts_secrets() {
        let e = load(MIN, &[]).unwrap_err();
        assert!(matches!(e, ConfigError::Token(TokenError::NotSet(_))), "{e}");
        let s = load(MIN, &[("KMS_TOKEN", "the-ssrf-token")]).unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("the-ssrf-token") && !dbg.contains("\"sk\""), "{dbg}");
        assert!(dbg.contains("<redacted>"), "{dbg}");
    }

    #[test]
    fn files_are_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, MIN).unwrap();
        let s = Settings::load_with_env(Some(&path), &Overrides::default(), env(&[("KMS_TOKEN", "t")])).unwrap();
        assert_eq!(s.kms.access_key_id, "id");
        let e = Settings::load_with_env(Some(&dir.path().join("missing.toml")), &Overrides::default(), env(&[]))
            .unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
    }
}
