//! HTTPS certificates: user-supplied PEM files, or a local CA generated once under
//! `<data_dir>/tls/` (`ca.pem` to give to clients, `server.pem` + `server.key` for the
//! listener; keys 0600). SDKs that insist on HTTPS (the secrets client) trust `ca.pem`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::config::{TlsSource, write_private_file};

/// The files the HTTPS listener uses.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
    /// The generated CA certificate clients should trust, for a local CA.
    pub ca: Option<PathBuf>,
}

/// Resolves the TLS files, generating the local CA and certificate when missing.
/// `https_addr` is added to the certificate's names when it is not a wildcard address.
pub fn prepare(source: &TlsSource, https_addr: Option<SocketAddr>) -> anyhow::Result<TlsFiles> {
    match source {
        TlsSource::Files { cert, key } => Ok(TlsFiles { cert: cert.clone(), key: key.clone(), ca: None }),
        TlsSource::LocalCa(dir) => {
            let files =
                TlsFiles { cert: dir.join("server.pem"), key: dir.join("server.key"), ca: Some(dir.join("ca.pem")) };
            if !(files.cert.exists() && files.key.exists() && dir.join("ca.pem").exists()) {
                generate_local_ca(dir, https_addr)?;
            }
            Ok(files)
        }
    }
}

fn generate_local_ca(dir: &Path, https_addr: Option<SocketAddr>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "keyward local CA");
    dn.push(DnType::OrganizationName, "keyward");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca_params.self_signed(&ca_key)?;

    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    if let Some(addr) = https_addr {
        let ip = addr.ip();
        if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
            names.push(ip.to_string());
        }
    }
    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "keyward server");
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let issuer = Issuer::new(ca_params, ca_key);
    let server_cert = params.signed_by(&server_key, &issuer)?;

    write_private_file(&dir.join("server.key"), server_key.serialize_pem().as_bytes())?;
    std::fs::write(dir.join("server.pem"), format!("{}{}", server_cert.pem(), ca_cert.pem()))?;
    std::fs::write(dir.join("ca.pem"), ca_cert.pem())?;
    // The CA key is not kept: nothing else is ever signed with it, so it cannot leak.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let src = TlsSource::LocalCa(dir.path().join("tls"));
        let f = prepare(&src, Some("127.0.0.1:8443".parse().unwrap())).unwrap();
        let ca = std::fs::read_to_string(f.ca.as_ref().unwrap()).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        let f2 = prepare(&src, None).unwrap();
        assert_eq!(std::fs::read_to_string(f2.ca.unwrap()).unwrap(), ca);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&f.key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
