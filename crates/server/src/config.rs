//! Settings, loaded once in layers: defaults < TOML file (`--config`) < `KEYWARD_*` environment
//! < command-line flags. The raw file is read strictly (`deny_unknown_fields`) and then turned
//! into a validated [`Settings`]. Nothing else in the server reads the environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Environment variables read by [`Settings::load`], for documentation and `--help`.
pub const ENV_VARS: &[&str] = &[
    "KEYWARD_DATA_DIR",
    "KEYWARD_HTTP_ADDR",
    "KEYWARD_HTTPS_ADDR",
    "KEYWARD_ADMIN_ADDR",
    "KEYWARD_DATABASE_URL",
    "KEYWARD_ROOT_KEY_FILE",
    "KEYWARD_ROOT_KEY",
    "KEYWARD_REGION",
    "KEYWARD_ACCOUNT_ID",
    "KEYWARD_TLS_CERT_FILE",
    "KEYWARD_TLS_KEY_FILE",
    "KEYWARD_DELETION_SWEEP_SECS",
    "KEYWARD_WRAPPING_KEY_POOL",
    "KEYWARD_BOOTSTRAP_ACCESS_KEY_ID",
    "KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET",
    "KEYWARD_HUAWEI_PROJECT_ID",
    "KEYWARD_AUDIT_MAX_FILE_BYTES",
];

const BOOTSTRAP_PAIR: &str =
    "set both KEYWARD_BOOTSTRAP_ACCESS_KEY_ID and KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET, or neither";

/// The TOML file, as written by a user. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Data directory (SQLite file, root key, generated TLS files, credentials).
    pub data_dir: Option<PathBuf>,
    /// Plain HTTP listener; `"off"` disables it.
    pub http_addr: Option<String>,
    /// HTTPS listener; `"off"` disables it.
    pub https_addr: Option<String>,
    /// Admin listener (plain HTTP: `/metrics`, `/healthz`, `/readyz`); off unless set.
    pub admin_addr: Option<String>,
    /// `sqlite:PATH` or `postgres://…`; default: SQLite in the data dir.
    pub database_url: Option<String>,
    /// Root key file (64 hex chars); default `<data_dir>/root.key`.
    pub root_key_file: Option<PathBuf>,
    /// Region id used in ARNs.
    pub region: Option<String>,
    /// Account id used in ARNs.
    pub account_id: Option<String>,
    /// How often the deletion job runs, in seconds.
    pub deletion_sweep_secs: Option<u64>,
    /// Pre-generated RSA-2048 wrapping keys kept ready for GetParametersForImport.
    pub wrapping_key_pool: Option<usize>,
    /// TLS settings.
    #[serde(default)]
    pub tls: RawTls,
    /// Huawei API settings.
    #[serde(default)]
    pub huawei: RawHuawei,
    /// Audit log settings.
    #[serde(default)]
    pub audit: RawAudit,
}

/// `[audit]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// Write the audit log (`<data_dir>/audit/`); default true.
    pub enabled: Option<bool>,
    /// Rotate the live file past this size in bytes; default 64 MiB, at least 4096.
    pub max_file_bytes: Option<u64>,
}

/// `[huawei]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHuawei {
    /// The project id the Huawei API answers for (32 lower-case hex characters); default: one
    /// generated at first start and kept in the store.
    pub project_id: Option<String>,
}

/// `[tls]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    /// PEM certificate chain; when absent a local CA and certificate are generated.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    pub key_file: Option<PathBuf>,
}

/// Overrides from command-line flags (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config`.
    pub config_file: Option<PathBuf>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--http-addr`.
    pub http_addr: Option<String>,
    /// `--https-addr`.
    pub https_addr: Option<String>,
    /// `--admin-addr`.
    pub admin_addr: Option<String>,
    /// `--database-url`.
    pub database_url: Option<String>,
}

/// Where the root key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootKeySource {
    /// A file holding 64 hex characters (created 0600 in dev mode when missing).
    File(PathBuf),
    /// The `KEYWARD_ROOT_KEY` environment variable (64 hex characters).
    Env,
}

/// Where the HTTPS certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// User-supplied PEM files.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// A local CA generated under `<data_dir>/tls/`.
    LocalCa(PathBuf),
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Data directory.
    pub data_dir: PathBuf,
    /// HTTP listener, if enabled.
    pub http_addr: Option<SocketAddr>,
    /// HTTPS listener, if enabled.
    pub https_addr: Option<SocketAddr>,
    /// Admin listener (metrics and health, plain HTTP), if enabled.
    pub admin_addr: Option<SocketAddr>,
    /// Database URL.
    pub database_url: String,
    /// Root key source.
    pub root_key: RootKeySource,
    /// TLS certificate source.
    pub tls: TlsSource,
    /// Region id.
    pub region: String,
    /// Account id.
    pub account_id: String,
    /// Deletion job period (also the expiry sweeper's).
    pub deletion_sweep: std::time::Duration,
    /// Size of the RSA wrapping-key pool.
    pub wrapping_key_pool: usize,
    /// Bootstrap AccessKey id and secret from the environment, if both are set.
    pub bootstrap_access_key: Option<(String, String)>,
    /// The Huawei project id, when configured (otherwise kept in the store).
    pub huawei_project_id: Option<String>,
    /// Whether requests are audited to `<data_dir>/audit/`.
    pub audit_enabled: bool,
    /// Rotation size of the audit log.
    pub audit_max_file_bytes: u64,
}

/// A configuration problem, reported at startup.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The config file is not valid TOML of the expected shape.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A value is invalid.
    #[error("invalid setting {name}: {detail}")]
    Invalid {
        /// Setting name.
        name: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl Settings {
    /// Loads settings from the process environment.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_with_env(overrides, |k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Loads settings with an explicit environment lookup (tests).
    pub fn load_with_env(overrides: &Overrides, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw = match &overrides.config_file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                toml::from_str::<RawConfig>(&text)
                    .map_err(|e| ConfigError::Parse { path: path.clone(), message: e.to_string() })?
            }
            None => RawConfig::default(),
        };
        let pick = |flag: &Option<String>, var: &str, file: &Option<String>| {
            flag.clone().or_else(|| env(var)).or_else(|| file.clone())
        };
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| env("KEYWARD_DATA_DIR").map(PathBuf::from))
            .or(raw.data_dir)
            .unwrap_or_else(|| PathBuf::from("./keyward-data"));
        let http_addr = parse_addr(
            "http_addr",
            pick(&overrides.http_addr, "KEYWARD_HTTP_ADDR", &raw.http_addr).unwrap_or_else(|| "127.0.0.1:8080".into()),
        )?;
        let https_addr = parse_addr(
            "https_addr",
            pick(&overrides.https_addr, "KEYWARD_HTTPS_ADDR", &raw.https_addr)
                .unwrap_or_else(|| "127.0.0.1:8443".into()),
        )?;
        let admin_addr = match pick(&overrides.admin_addr, "KEYWARD_ADMIN_ADDR", &raw.admin_addr) {
            Some(v) => parse_addr("admin_addr", v)?,
            None => None,
        };
        if http_addr.is_none() && https_addr.is_none() {
            return Err(ConfigError::Invalid {
                name: "http_addr",
                detail: "at least one listener must be enabled".into(),
            });
        }
        let database_url = pick(&overrides.database_url, "KEYWARD_DATABASE_URL", &raw.database_url)
            .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("keyward.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "database_url",
                detail: "must start with sqlite:, postgres:// or postgresql://".into(),
            });
        }
        let root_key = if env("KEYWARD_ROOT_KEY").is_some() {
            RootKeySource::Env
        } else {
            RootKeySource::File(
                env("KEYWARD_ROOT_KEY_FILE")
                    .map(PathBuf::from)
                    .or(raw.root_key_file)
                    .unwrap_or_else(|| data_dir.join("root.key")),
            )
        };
        let cert = env("KEYWARD_TLS_CERT_FILE").map(PathBuf::from).or(raw.tls.cert_file);
        let key = env("KEYWARD_TLS_KEY_FILE").map(PathBuf::from).or(raw.tls.key_file);
        let tls = match (cert, key) {
            (Some(cert), Some(key)) => TlsSource::Files { cert, key },
            (None, None) => TlsSource::LocalCa(data_dir.join("tls")),
            _ => {
                return Err(ConfigError::Invalid {
                    name: "tls",
                    detail: "cert_file and key_file must be given together".into(),
                });
            }
        };
        let region = env("KEYWARD_REGION").or(raw.region).unwrap_or_else(|| "cn-hangzhou".into());
        if region.is_empty() || !region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ConfigError::Invalid { name: "region", detail: "letters, digits and '-' only".into() });
        }
        let account_id = env("KEYWARD_ACCOUNT_ID").or(raw.account_id).unwrap_or_else(|| "1000000000000000".into());
        if account_id.is_empty() || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid { name: "account_id", detail: "digits only".into() });
        }
        let sweep = match env("KEYWARD_DELETION_SWEEP_SECS") {
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| ConfigError::Invalid { name: "deletion_sweep_secs", detail: "an integer".into() })?,
            None => raw.deletion_sweep_secs.unwrap_or(60),
        };
        if sweep == 0 {
            return Err(ConfigError::Invalid { name: "deletion_sweep_secs", detail: "must be at least 1".into() });
        }
        let wrapping_key_pool = match env("KEYWARD_WRAPPING_KEY_POOL") {
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| ConfigError::Invalid { name: "wrapping_key_pool", detail: "an integer".into() })?,
            None => raw.wrapping_key_pool.unwrap_or(8),
        };
        if wrapping_key_pool > 1024 {
            return Err(ConfigError::Invalid { name: "wrapping_key_pool", detail: "at most 1024".into() });
        }
        let bootstrap_id = env("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID");
        let bootstrap_secret = env("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET");
        let bootstrap_access_key = match (bootstrap_id, bootstrap_secret) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "KEYWARD_BOOTSTRAP_ACCESS_KEY_ID",
                    detail: BOOTSTRAP_PAIR.into(),
                });
            }
        };
        let huawei_project_id = env("KEYWARD_HUAWEI_PROJECT_ID").or(raw.huawei.project_id);
        if let Some(p) = &huawei_project_id
            && (p.len() != 32 || !p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        {
            return Err(ConfigError::Invalid {
                name: "huawei.project_id",
                detail: "must be 32 lower-case hex characters".into(),
            });
        }
        let audit_max_file_bytes = match env("KEYWARD_AUDIT_MAX_FILE_BYTES") {
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| ConfigError::Invalid { name: "audit.max_file_bytes", detail: "an integer".into() })?,
            None => raw.audit.max_file_bytes.unwrap_or(crate::audit::DEFAULT_MAX_FILE_BYTES),
        };
        if audit_max_file_bytes < 4096 {
            return Err(ConfigError::Invalid { name: "audit.max_file_bytes", detail: "must be at least 4096".into() });
        }
        Ok(Self {
            data_dir,
            http_addr,
            https_addr,
            admin_addr,
            database_url,
            root_key,
            tls,
            region,
            account_id,
            deletion_sweep: std::time::Duration::from_secs(sweep),
            wrapping_key_pool,
            bootstrap_access_key,
            huawei_project_id,
            audit_enabled: raw.audit.enabled.unwrap_or(true),
            audit_max_file_bytes,
        })
    }

    /// `<data_dir>/audit`, the audit log directory.
    pub fn audit_dir(&self) -> PathBuf {
        self.data_dir.join("audit")
    }

    /// `<data_dir>/credentials`, where a generated admin AccessKey is written.
    pub fn credentials_file(&self) -> PathBuf {
        self.data_dir.join("credentials")
    }

    /// The root key from its source, as 32 bytes. `None` when the file does not exist.
    pub fn read_root_key(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<keyward_crypto::SecretBytes>, ConfigError> {
        let text = match &self.root_key {
            RootKeySource::Env => env("KEYWARD_ROOT_KEY").map(zeroize::Zeroizing::new),
            RootKeySource::File(path) => match std::fs::read_to_string(path) {
                Ok(t) => Some(zeroize::Zeroizing::new(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => return Err(ConfigError::Read { path: path.clone(), source }),
            },
        };
        let Some(text) = text else { return Ok(None) };
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or(ConfigError::Invalid { name: "root key", detail: "must be 64 hex characters (32 bytes)".into() })?;
        Ok(Some(keyward_crypto::SecretBytes::new(bytes)))
    }
}

fn parse_addr(name: &'static str, v: String) -> Result<Option<SocketAddr>, ConfigError> {
    if v.eq_ignore_ascii_case("off") || v.is_empty() {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|_| ConfigError::Invalid { name, detail: format!("{v:?} is not an address like 127.0.0.1:8080") })
}

/// Writes `contents` to `path` with mode 0600 (created new or truncated).
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(contents)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(map: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = map.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults() {
        let s = Settings::load_with_env(&Overrides::default(), env(&[])).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./keyward-data"));
        assert_eq!(s.http_addr, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(s.https_addr, Some("127.0.0.1:8443".parse().unwrap()));
        assert_eq!(s.database_url, "sqlite:./keyward-data/keyward.db");
        assert_eq!(s.root_key, RootKeySource::File(PathBuf::from("./keyward-data/root.key")));
        assert_eq!(s.tls, TlsSource::LocalCa(PathBuf::from("./keyward-data/tls")));
        assert!(s.bootstrap_access_key.is_none());
        assert_eq!(s.admin_addr, None);
    }

    #[test]
    fn admin_addr_from_file_env_or_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        std::fs::write(&file, "admin_addr = \"127.0.0.1:9100\"\n").unwrap();
        let flags = Overrides { config_file: Some(file.clone()), ..Default::default() };
        let s = Settings::load_with_env(&flags, env(&[])).unwrap();
        assert_eq!(s.admin_addr, Some("127.0.0.1:9100".parse().unwrap()));
        let s = Settings::load_with_env(&flags, env(&[("KEYWARD_ADMIN_ADDR", "127.0.0.1:9101")])).unwrap();
        assert_eq!(s.admin_addr, Some("127.0.0.1:9101".parse().unwrap()));
        let flags = Overrides { config_file: Some(file), admin_addr: Some("off".into()), ..Default::default() };
        let s = Settings::load_with_env(&flags, env(&[("KEYWARD_ADMIN_ADDR", "127.0.0.1:9101")])).unwrap();
        assert_eq!(s.admin_addr, None);
        let bad = Overrides { admin_addr: Some("metrics".into()), ..Default::default() };
        assert!(matches!(
            Settings::load_with_env(&bad, env(&[])),
            Err(ConfigError::Invalid { name: "admin_addr", .. })
        ));
        // The admin listener alone does not serve the API.
        let only_admin = Overrides {
            http_addr: Some("off".into()),
            https_addr: Some("off".into()),
            admin_addr: Some("127.0.0.1:9100".into()),
            ..Default::default()
        };
        assert!(Settings::load_with_env(&only_admin, env(&[])).is_err());
    }

    #[test]
    fn layers_file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        std::fs::write(
            &file,
            "data_dir = \"/f\"\nhttp_addr = \"127.0.0.1:1\"\nhttps_addr = \"off\"\nregion = \"cn-shanghai\"\n",
        )
        .unwrap();
        let flags = Overrides { config_file: Some(file.clone()), ..Default::default() };
        let s = Settings::load_with_env(&flags, env(&[("KEYWARD_HTTP_ADDR", "127.0.0.1:2")])).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/f"));
        assert_eq!(s.http_addr, Some("127.0.0.1:2".parse().unwrap()));
        assert_eq!(s.https_addr, None);
        assert_eq!(s.region, "cn-shanghai");
        let flags = Overrides { config_file: Some(file), http_addr: Some("127.0.0.1:3".into()), ..Default::default() };
        let s = Settings::load_with_env(&flags, env(&[("KEYWARD_HTTP_ADDR", "127.0.0.1:2")])).unwrap();
        assert_eq!(s.http_addr, Some("127.0.0.1:3".parse().unwrap()));
    }

    #[test]
    fn strict_file_and_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        std::fs::write(&file, "data_dri = \"/f\"\n").unwrap();
        let flags = Overrides { config_file: Some(file), ..Default::default() };
        assert!(matches!(Settings::load_with_env(&flags, env(&[])), Err(ConfigError::Parse { .. })));
        let bad = Overrides { http_addr: Some("nope".into()), ..Default::default() };
        assert!(matches!(Settings::load_with_env(&bad, env(&[])), Err(ConfigError::Invalid { name: "http_addr", .. })));
        assert!(
            Settings::load_with_env(&Overrides::default(), env(&[("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID", "x")])).is_err()
        );
    }

    #[test]
    fn huawei_project_id_from_file_or_env() {
        assert_eq!(Settings::load_with_env(&Overrides::default(), env(&[])).unwrap().huawei_project_id, None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        std::fs::write(&file, "[huawei]\nproject_id = \"0123456789abcdef0123456789abcdef\"\n").unwrap();
        let flags = Overrides { config_file: Some(file), ..Default::default() };
        let s = Settings::load_with_env(&flags, env(&[])).unwrap();
        assert_eq!(s.huawei_project_id.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        let s = Settings::load_with_env(&flags, env(&[("KEYWARD_HUAWEI_PROJECT_ID", &"f".repeat(32))])).unwrap();
        assert_eq!(s.huawei_project_id, Some("f".repeat(32)));
        for bad in ["{project_id}", "0123456789ABCDEF0123456789ABCDEF", "abc"] {
            let e = Settings::load_with_env(&Overrides::default(), env(&[("KEYWARD_HUAWEI_PROJECT_ID", bad)]));
            assert!(matches!(e, Err(ConfigError::Invalid { name: "huawei.project_id", .. })), "{bad}");
        }
    }

    #[test]
    fn root_key_from_env_or_file() {
        let s = Settings::load_with_env(&Overrides::default(), env(&[("KEYWARD_ROOT_KEY", "00")])).unwrap();
        assert_eq!(s.root_key, RootKeySource::Env);
        assert!(s.read_root_key(env(&[("KEYWARD_ROOT_KEY", "00")])).is_err());
        let good = "ab".repeat(32);
        assert_eq!(s.read_root_key(env(&[("KEYWARD_ROOT_KEY", &good)])).unwrap().unwrap().len(), 32);
    }
}
