//! Opening a keyward data store: data dir, root key, storage backend, the service, and the
//! bootstrap admin AccessKey. Shared by `keyward server` and the `keyward admin` commands.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use keyward_core::{Kms, KmsConfig};
use keyward_crypto::{SecretBytes, random};

use crate::config::{RootKeySource, Settings, write_private_file};

/// What opening produced.
pub struct Opened {
    /// The service.
    pub kms: Arc<Kms>,
    /// A freshly generated admin AccessKey (id, secret), to be shown once.
    pub new_admin_key: Option<(String, SecretBytes)>,
    /// Whether a root key was generated now.
    pub root_key_generated: bool,
}

/// How to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `keyward server --dev`: generate a missing root key.
    Dev,
    /// `keyward server`: the root key must exist.
    Server,
    /// `keyward admin …`: the root key must exist; no bootstrap AccessKey.
    Admin,
}

/// Opens the store described by `settings`.
pub async fn open(settings: &Settings, mode: Mode) -> anyhow::Result<Opened> {
    create_private_dir(&settings.data_dir)?;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (root, root_key_generated) = match settings.read_root_key(env)? {
        Some(k) => (k, false),
        None => match (&settings.root_key, mode) {
            (RootKeySource::File(path), Mode::Dev) => {
                let key = SecretBytes::new(random::bytes(32)?);
                let hex = zeroize::Zeroizing::new(hex::encode(key.expose()));
                write_private_file(path, format!("{}\n", hex.as_str()).as_bytes())
                    .with_context(|| format!("cannot write the root key file {}", path.display()))?;
                (key, true)
            }
            (RootKeySource::File(path), _) => anyhow::bail!(
                "no root key at {}: start once with `keyward server --dev` to generate one, \
                 or point root_key_file / KEYWARD_ROOT_KEY_FILE / KEYWARD_ROOT_KEY at your key",
                path.display()
            ),
            (RootKeySource::Env, _) => anyhow::bail!("KEYWARD_ROOT_KEY is empty"),
        },
    };
    let store = keyward_store::open(&settings.database_url)
        .await
        .map_err(|e| anyhow::anyhow!(keyward_core::error::error_chain(&e)))
        .context("cannot open the database")?;
    let config = KmsConfig {
        region: settings.region.clone(),
        account_id: settings.account_id.clone(),
        // Admin commands never issue import parameters: no background key generation for them.
        wrapping_pool_size: if mode == Mode::Admin { 0 } else { settings.wrapping_key_pool },
        ..KmsConfig::default()
    };
    let kms = Kms::open(store, &root, config).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let new_admin_key = if mode == Mode::Admin {
        None
    } else {
        let fixed = settings
            .bootstrap_access_key
            .as_ref()
            .map(|(id, secret)| (id.clone(), SecretBytes::from_slice(secret.as_bytes())));
        let generated = kms.ensure_bootstrap_access_key(fixed).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some((id, secret)) = &generated {
            write_credentials(&settings.credentials_file(), id, secret)?;
        }
        generated
    };
    Ok(Opened { kms: Arc::new(kms), new_admin_key, root_key_generated })
}

/// Writes `<data-dir>/credentials` (0600) in `KEY=value` form, usable with `source`/`set -a`.
fn write_credentials(path: &Path, id: &str, secret: &SecretBytes) -> anyhow::Result<()> {
    let text = zeroize::Zeroizing::new(format!(
        "# keyward admin AccessKey, generated at first start. Keep this file private.\n\
         ALIBABA_CLOUD_ACCESS_KEY_ID={id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={}\n",
        String::from_utf8_lossy(secret.expose())
    ));
    write_private_file(path, text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
