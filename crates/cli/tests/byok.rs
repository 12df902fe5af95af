//! Bring Your Own Key from the command line, as a user runs it: `keyward key import` against a
//! `keyward server --dev` child process (symmetric default keys, RSA/EC/SM2 keys of a software
//! instance, `--expire-at`, the binding rule, `key delete-material`), and `keyward byok wrap`
//! offline, checked by unwrapping its output with the `openssl` command line. Key material and
//! wrapping keys come from `openssl`; SM2 ciphertexts are converted from raw C1C3C2 to OpenSSL's
//! ASN.1 form by a converter written here.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const OAEP256_OPTS: &str = "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256";
const COMPOSITE: &str = "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD";
/// 2100-01-01T00:00:00Z.
const Y2100: i64 = 4_102_444_800;

// ---- the server and the CLI -----------------------------------------------------------------

struct Server {
    child: Child,
    http: String,
    data: PathBuf,
    ak: String,
    sk: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path) -> Server {
    let data = dir.join("data");
    let (ak, sk) = ("LTAIbyokclitest", "byok-cli-test-secret-0123456789");
    let mut child = Command::new(BIN)
        .args(["server", "--dev", "--http-addr", "127.0.0.1:0", "--https-addr", "off", "--data-dir"])
        .arg(&data)
        .env("KEYWARD_BOOTSTRAP_ACCESS_KEY_ID", ak)
        .env("KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET", sk)
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_DELETION_SWEEP_SECS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let (mut http, mut seen) = (String::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "server did not become ready: {seen:?}");
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("server exited early: {seen:?}");
        }
        let line = line.trim_end().to_string();
        if let Some(a) = line.strip_prefix("keyward: listening http ") {
            http = format!("http://{a}");
        }
        let ready = line == "keyward: ready";
        seen.push(line);
        if ready {
            break;
        }
    }
    assert!(!http.is_empty(), "{seen:?}");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    Server { child, http, data, ak: ak.into(), sk: sk.into() }
}

/// Runs `keyward ARGS` with the server's credentials in the environment (when given).
fn keyward(args: &[&str], server: Option<&Server>) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("KEYWARD_ENDPOINT")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("KEYWARD_CA_FILE")
        .env_remove("KEYWARD_DATABASE_URL");
    if let Some(s) = server {
        cmd.env("ALIBABA_CLOUD_ACCESS_KEY_ID", &s.ak).env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &s.sk);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl Server {
    /// `keyward key ARGS --endpoint … --output json`, which must succeed.
    fn key(&self, args: &[&str]) -> Value {
        let (ok, out, err) = self.key_raw(args);
        assert!(ok, "keyward key {args:?} failed: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// `keyward key ARGS --endpoint … --output json`, which must fail; returns stderr.
    fn key_err(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.key_raw(args);
        assert!(!ok, "keyward key {args:?} should have failed: {out}");
        err
    }

    fn key_raw(&self, args: &[&str]) -> (bool, String, String) {
        let full = [&["key"][..], args, &["--endpoint", self.http.as_str(), "--output", "json"]].concat();
        keyward(&full, Some(self))
    }

    fn describe(&self, id: &str) -> Value {
        self.key(&["describe", id])["KeyMetadata"].clone()
    }

    fn create_external(&self, spec: &str, instance: Option<&str>) -> String {
        let mut args = vec!["create", "--origin", "EXTERNAL", "--spec", spec];
        if let Some(i) = instance {
            args.extend(["--instance-id", i]);
        }
        let meta = self.key(&args)["KeyMetadata"].clone();
        assert_eq!(meta["KeyState"], "PendingImport", "{meta}");
        meta["KeyId"].as_str().unwrap().to_string()
    }

    fn create_instance(&self) -> String {
        let data = self.data.to_str().unwrap();
        let args = [
            "admin",
            "--data-dir",
            data,
            "instance",
            "create",
            "--type",
            "software",
            "--key-quota",
            "50",
            "--output",
            "json",
        ];
        let (ok, out, err) = keyward(&args, None);
        assert!(ok, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["KmsInstanceId"].as_str().unwrap().to_string()
    }

    /// `keyward key import`; checks the summary and returns it.
    fn import(&self, id: &str, material: &Path, extra: &[&str]) -> Value {
        let m = material.to_str().unwrap();
        let out = self.key(&[&["import", "--key-id", id, "--material", m][..], extra].concat());
        assert_eq!(out["KeyId"], id, "{out}");
        assert!(out["RequestId"].as_str().is_some_and(|r| r.len() == 36), "{out}");
        out
    }

    fn import_err(&self, id: &str, material: &Path, extra: &[&str]) -> String {
        let m = material.to_str().unwrap();
        self.key_err(&[&["import", "--key-id", id, "--material", m][..], extra].concat())
    }

    fn client(&self) -> keyward_client::Client {
        keyward_client::Client::new(keyward_client::ClientConfig {
            endpoint: self.http.clone(),
            access_key_id: self.ak.clone(),
            access_key_secret: self.sk.clone(),
            ca_file: None,
            timeout: Duration::from_secs(30),
        })
        .unwrap()
    }
}

// ---- openssl ----------------------------------------------------------------------------------

/// Runs a bash script (errexit, pipefail) in `dir`; returns stdout.
fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .current_dir(dir)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "script failed:\n{script}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn genpkey_args(spec: &str) -> &'static str {
    match spec {
        "RSA_2048" => "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
        "RSA_3072" => "-algorithm RSA -pkeyopt rsa_keygen_bits:3072",
        "EC_P256" => "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
        "EC_P256K" => "-algorithm EC -pkeyopt ec_paramgen_curve:secp256k1",
        "EC_SM2" => "-algorithm EC -pkeyopt ec_paramgen_curve:SM2",
        other => panic!("no genpkey for {other}"),
    }
}

/// A fresh private key as `NAME.p8` (PKCS#8 DER) and `NAME.pem` (PKCS#8 PEM).
fn pkcs8(dir: &Path, spec: &str, name: &str) -> (PathBuf, PathBuf) {
    sh(
        dir,
        &format!(
            "openssl genpkey {} 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -outform DER -out {name}.p8\n\
             openssl pkey -inform DER -in {name}.p8 -out {name}.pem\n",
            genpkey_args(spec)
        ),
    );
    let pem = std::fs::read_to_string(dir.join(format!("{name}.pem"))).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    (dir.join(format!("{name}.p8")), dir.join(format!("{name}.pem")))
}

fn rand(dir: &Path, n: usize, name: &str) -> PathBuf {
    sh(dir, &format!("openssl rand -out {name} {n}"));
    dir.join(name)
}

/// The SM2 private scalar d of `NAME.pem` (from its SEC1 `ECPrivateKey` DER).
fn sm2_scalar(dir: &Path, pem: &str) -> Vec<u8> {
    sh(dir, &format!("openssl ec -in {pem} -outform DER -out sec1.der 2>/dev/null"));
    let der = std::fs::read(dir.join("sec1.der")).unwrap();
    assert_eq!([der[0], der[2], der[3], der[4], der[5], der[6]], [0x30, 0x02, 0x01, 0x01, 0x04, 0x20], "{der:02x?}");
    der[7..39].to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Raw C1C3C2 SM2 ciphertext (0x04 ‖ x ‖ y ‖ C3 ‖ C2) → GM/T 0009 DER
/// SEQUENCE { INTEGER x, INTEGER y, OCTET STRING C3, OCTET STRING C2 }, which openssl reads.
fn sm2_raw_to_der(raw: &[u8]) -> Vec<u8> {
    assert!(raw.len() > 97 && raw[0] == 0x04, "not raw C1C3C2: {raw:02x?}");
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match value.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(value);
        out
    }
    fn integer(be: &[u8]) -> Vec<u8> {
        let start = be.iter().position(|&b| b != 0).unwrap_or(be.len() - 1);
        let mut v = be[start..].to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        tlv(0x02, &v)
    }
    let body = [integer(&raw[1..33]), integer(&raw[33..65]), tlv(0x04, &raw[65..97]), tlv(0x04, &raw[97..])].concat();
    tlv(0x30, &body)
}

/// `keyward byok wrap ARGS`: success → the decoded EncryptedKeyMaterial.
fn wrap(args: &[&str]) -> Vec<u8> {
    let (ok, out, err) = keyward(&[&["byok", "wrap"][..], args].concat(), None);
    assert!(ok, "byok wrap {args:?} failed: {err}");
    assert_eq!(out.lines().count(), 1, "one line of base64: {out:?}");
    B64.decode(out.trim_end()).unwrap_or_else(|e| panic!("not base64 ({e}): {out}"))
}

fn wrap_err(args: &[&str]) -> String {
    let (ok, out, err) = keyward(&[&["byok", "wrap"][..], args].concat(), None);
    assert!(!ok, "byok wrap {args:?} should have failed: {out}");
    assert!(out.is_empty(), "no output on failure: {out}");
    err
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

// ---- keyward key import -----------------------------------------------------------------------

#[test]
fn key_import_symmetric_default_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = start(d);

    // AES-256 with the default wrapping (RSAES_OAEP_SHA_256).
    let id = server.create_external("Aliyun_AES_256", None);
    let m = rand(d, 32, "KeyMaterial.bin");
    let out = server.import(&id, &m, &[]);
    assert_eq!(out["KeyState"], "Enabled", "{out}");
    assert_eq!(out["MaterialExpireTime"], "", "{out}");
    assert_eq!(out["WrappingAlgorithm"], "RSAES_OAEP_SHA_256", "{out}");
    let meta = server.describe(&id);
    assert_eq!((meta["KeyState"].as_str(), meta["Origin"].as_str()), (Some("Enabled"), Some("EXTERNAL")), "{meta}");
    assert_eq!(meta["MaterialExpireTime"], "");

    // The same material again, with an expiry (Unix seconds, then the time format).
    let out = server.import(&id, &m, &["--expire-at", &Y2100.to_string()]);
    assert_eq!(out["MaterialExpireTime"], "2100-01-01T00:00:00Z", "{out}");
    assert_eq!(server.describe(&id)["MaterialExpireTime"], "2100-01-01T00:00:00Z");
    let out =
        server.import(&id, &m, &["--expire-at", "2099-06-30T12:34:56Z", "--wrapping-algorithm", "RSAES_PKCS1_V1_5"]);
    assert_eq!(
        (out["KeyState"].as_str(), out["MaterialExpireTime"].as_str()),
        (Some("Enabled"), Some("2099-06-30T12:34:56Z"))
    );
    assert_eq!(out["WrappingAlgorithm"], "RSAES_PKCS1_V1_5");
    // Back to "never".
    assert_eq!(server.import(&id, &m, &["--expire-at", "0"])["MaterialExpireTime"], "");

    // Different material: InvalidKeyMaterial; the key is unchanged.
    let other = rand(d, 32, "other.bin");
    let err = server.import_err(&id, &other, &[]);
    assert!(err.contains("InvalidKeyMaterial"), "{err}");
    assert_eq!(server.describe(&id)["KeyState"], "Enabled");

    // Expiry in the past: refused by the server; an unreadable time: refused locally.
    let err = server.import_err(&id, &m, &["--expire-at", "1000000000"]);
    assert!(err.contains("InvalidParameter") && err.contains("KeyMaterialExpireUnix"), "{err}");
    let err = server.import_err(&id, &m, &["--expire-at", "tomorrow"]);
    assert!(err.contains("--expire-at") && err.contains("yyyy-MM-ddTHH:mm:ssZ"), "{err}");
    // Wrong size for the key spec.
    let short = rand(d, 16, "short.bin");
    let err = server.import_err(&id, &short, &[]);
    assert!(err.contains("Aliyun_AES_256"), "{err}");

    // delete-material: PendingImport; the binding survives; the same material comes back.
    server.key(&["delete-material", &id]);
    let meta = server.describe(&id);
    assert_eq!((meta["KeyState"].as_str(), meta["MaterialExpireTime"].as_str()), (Some("PendingImport"), Some("")));
    let err = server.import_err(&id, &other, &[]);
    assert!(err.contains("InvalidKeyMaterial"), "{err}");
    assert_eq!(server.import(&id, &m, &["--wrapping-algorithm", "RSAES_OAEP_SHA_1"])["KeyState"], "Enabled");

    // Every default-key wrapping for AES-128 and SM4 (16-byte material).
    for spec in ["Aliyun_AES_128", "Aliyun_SM4"] {
        for alg in ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5", "SM2PKE"] {
            let id = server.create_external(spec, None);
            let m = rand(d, 16, "m16.bin");
            let out = server.import(&id, &m, &["--wrapping-algorithm", alg]);
            assert_eq!((out["KeyState"].as_str(), out["WrappingAlgorithm"].as_str()), (Some("Enabled"), Some(alg)));
            assert_eq!(server.describe(&id)["KeySpec"], spec);
            let other = rand(d, 16, "o16.bin");
            let err = server.import_err(&id, &other, &["--wrapping-algorithm", alg]);
            assert!(err.contains("InvalidKeyMaterial"), "{spec} {alg}: {err}");
        }
    }

    // The endpoint from KEYWARD_ENDPOINT; an unknown algorithm; a wrapping the key does not take.
    let id = server.create_external("Aliyun_AES_256", None);
    let out = Command::new(BIN)
        .args(["key", "import", "--key-id", &id, "--material", p(&m), "--output", "json"])
        .env("KEYWARD_ENDPOINT", &server.http)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &server.ak)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &server.sk)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Two keys hold the same material.
    assert_eq!(server.describe(&id)["KeyState"], "Enabled");
    let id = server.create_external("Aliyun_AES_256", None);
    let err = server.import_err(&id, &m, &["--wrapping-algorithm", "RSAES_OAEP_SHA_512"]);
    assert!(err.contains("unknown wrapping algorithm"), "{err}");
    let err = server.import_err(&id, &m, &["--wrapping-algorithm", COMPOSITE]);
    assert!(err.contains("cannot wrap") || err.contains("InvalidParameter"), "{err}");
    assert_eq!(server.describe(&id)["KeyState"], "PendingImport");

    // Not EXTERNAL: Unsupported.Origin for import and delete-material.
    let normal = server.key(&["create"])["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let err = server.import_err(&normal, &m, &[]);
    assert!(err.contains("Unsupported.Origin"), "{err}");
    let err = server.key_err(&["delete-material", &normal]);
    assert!(err.contains("Unsupported.Origin"), "{err}");

    // PendingDeletion: Rejected.StateModifiedFailed.
    server.key(&["schedule-deletion", &id, "--days", "7"]);
    let err = server.import_err(&id, &m, &[]);
    assert!(err.contains("Rejected.StateModifiedFailed"), "{err}");
}

#[test]
fn key_import_instance_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = start(d);
    let inst = server.create_instance();

    // RSA_2048 and EC_P256 (and EC_P256K), from PKCS#8 DER and from PEM: the same key in either
    // encoding is the same material.
    for spec in ["RSA_2048", "EC_P256", "EC_P256K"] {
        let (der, pem) = pkcs8(d, spec, "target");
        let (other_der, other_pem) = pkcs8(d, spec, "other");
        for (first, second) in [(&der, &pem), (&pem, &der)] {
            let id = server.create_external(spec, Some(&inst));
            let out = server.import(&id, first, &[]);
            assert_eq!(out["KeyState"], "Enabled", "{spec}: {out}");
            assert_eq!(out["WrappingAlgorithm"], COMPOSITE, "{out}");
            let meta = server.describe(&id);
            assert_eq!(meta["DKMSInstanceId"], inst.as_str());
            assert_eq!(meta["KeySpec"], spec);
            let out = server.import(&id, second, &["--expire-at", "2100-01-01T00:00:00Z"]);
            assert_eq!(out["MaterialExpireTime"], "2100-01-01T00:00:00Z", "{out}");
            for other in [&other_der, &other_pem] {
                let err = server.import_err(&id, other, &[]);
                assert!(err.contains("InvalidKeyMaterial"), "{spec}: {err}");
            }
            server.key(&["delete-material", &id]);
            assert_eq!(server.describe(&id)["KeyState"], "PendingImport");
            assert_eq!(server.import(&id, second, &[])["KeyState"], "Enabled");
        }
    }

    // A key of another spec or a traditional key file is refused before anything is sent.
    let id = server.create_external("RSA_2048", Some(&inst));
    let (p256, _) = pkcs8(d, "EC_P256", "p256");
    let err = server.import_err(&id, &p256, &[]);
    assert!(err.contains("RSA_2048"), "{err}");
    sh(
        d,
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | openssl pkey -traditional -out trad.pem",
    );
    let err = server.import_err(&id, &d.join("trad.pem"), &[]);
    assert!(err.contains("traditional") && err.contains("pkcs8 -topk8"), "{err}");
    assert_eq!(server.describe(&id)["KeyState"], "PendingImport");

    // EC_SM2: SM2PKE_SM4_ECB by default, DER and PEM.
    let (sm2_der, sm2_pem) = pkcs8(d, "EC_SM2", "sm2");
    let (sm2_other, _) = pkcs8(d, "EC_SM2", "sm2other");
    let id = server.create_external("EC_SM2", Some(&inst));
    let out = server.import(&id, &sm2_der, &[]);
    assert_eq!(
        (out["KeyState"].as_str(), out["WrappingAlgorithm"].as_str()),
        (Some("Enabled"), Some("SM2PKE_SM4_ECB"))
    );
    assert_eq!(server.import(&id, &sm2_pem, &[])["KeyState"], "Enabled");
    let err = server.import_err(&id, &sm2_other, &[]);
    assert!(err.contains("InvalidKeyMaterial"), "{err}");

    // Symmetric keys of an instance: RSAES_OAEP_SHA_256 (default) and RSAES_PKCS1_V1_5, not SHA-1.
    for (spec, n) in [("Aliyun_AES_256", 32), ("Aliyun_SM4", 16)] {
        let m = rand(d, n, "sym.bin");
        let id = server.create_external(spec, Some(&inst));
        assert_eq!(server.import(&id, &m, &[])["KeyState"], "Enabled");
        let out = server.import(&id, &m, &["--wrapping-algorithm", "RSAES_PKCS1_V1_5"]);
        assert_eq!(out["WrappingAlgorithm"], "RSAES_PKCS1_V1_5");
        let err = server.import_err(&id, &m, &["--wrapping-algorithm", "RSAES_OAEP_SHA_1"]);
        assert!(err.contains("InvalidParameter") && err.contains("WrappingAlgorithm"), "{err}");
    }
}

// ---- keyward byok wrap, offline ---------------------------------------------------------------

#[test]
fn byok_wrap_rsa_unwraps_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A wrapping key pair of our own; the public key as DER, PEM and base64 text.
    sh(
        d,
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out wrap.pem 2>/dev/null\n\
         openssl pkey -in wrap.pem -pubout -outform DER -out pub.der\n\
         openssl pkey -in wrap.pem -pubout -out pub.pem\n\
         base64 -w0 pub.der > pub.b64\n",
    );
    let m32 = rand(d, 32, "m32.bin");
    let m16 = rand(d, 16, "m16.bin");
    for (alg, opts) in [
        ("RSAES_OAEP_SHA_256", OAEP256_OPTS),
        ("RSAES_OAEP_SHA_1", "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1"),
        ("RSAES_PKCS1_V1_5", "-pkeyopt rsa_padding_mode:pkcs1"),
    ] {
        for public in ["pub.der", "pub.pem", "pub.b64"] {
            let pk = d.join(public);
            for (material, spec) in [(&m32, None), (&m16, Some("Aliyun_SM4")), (&m16, None)] {
                let mut args = vec!["--public-key", p(&pk), "--algorithm", alg, "--material", p(material)];
                if let Some(s) = spec {
                    args.extend(["--key-spec", s]);
                }
                let blob = wrap(&args);
                assert_eq!(blob.len(), 256, "{alg}");
                std::fs::write(d.join("e.bin"), &blob).unwrap();
                sh(d, &format!("openssl pkeyutl -decrypt -inkey wrap.pem -in e.bin -out back.bin {opts}"));
                assert_eq!(
                    std::fs::read(d.join("back.bin")).unwrap(),
                    std::fs::read(material).unwrap(),
                    "{alg} {public}"
                );
            }
        }
        // Randomised padding: two wraps differ.
        let pk = d.join("pub.der");
        let args = ["--public-key", p(&pk), "--algorithm", alg, "--material", p(&m32)];
        assert_ne!(wrap(&args), wrap(&args), "{alg}");
    }

    // The composite for asymmetric material: OAEP-SHA256(AES key) ‖ AES-256-ECB-PKCS7(PKCS#8).
    for spec in ["RSA_2048", "RSA_3072", "EC_P256", "EC_P256K"] {
        let (der, pem) = pkcs8(d, spec, "target");
        for (input, key_spec) in [(&der, None), (&pem, None), (&der, Some(spec))] {
            let pk = d.join("pub.der");
            let mut args = vec!["--public-key", p(&pk), "--algorithm", COMPOSITE, "--private-key-pkcs8", p(input)];
            if let Some(s) = key_spec {
                args.extend(["--key-spec", s]);
            }
            let blob = wrap(&args);
            let want = std::fs::read(&der).unwrap();
            assert_eq!(blob.len(), 256 + (want.len() / 16 + 1) * 16, "{spec}");
            std::fs::write(d.join("aes.wrapped"), &blob[..256]).unwrap();
            std::fs::write(d.join("body.bin"), &blob[256..]).unwrap();
            sh(
                d,
                &format!(
                    "openssl pkeyutl -decrypt -inkey wrap.pem -in aes.wrapped -out aes.key {OAEP256_OPTS}\n\
                     test $(stat -c %s aes.key) -eq 32\n\
                     openssl enc -d -aes-256-ecb -K $(xxd -p -c 64 aes.key) -in body.bin -out back.p8\n"
                ),
            );
            assert_eq!(std::fs::read(d.join("back.p8")).unwrap(), want, "{spec} from {}", input.display());
        }
    }
}

#[test]
fn byok_wrap_sm2_unwraps_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sh(
        d,
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out wrap.pem\n\
         openssl pkey -in wrap.pem -pubout -outform DER -out pub.der\n",
    );
    let pk = d.join("pub.der");

    // SM2PKE of symmetric material: raw C1C3C2 (1 + 64 + 32 + n bytes).
    for (n, spec) in [(16, "Aliyun_SM4"), (16, "Aliyun_AES_128"), (32, "Aliyun_AES_256")] {
        let m = rand(d, n, "m.bin");
        let blob = wrap(&["--public-key", p(&pk), "--algorithm", "SM2PKE", "--material", p(&m), "--key-spec", spec]);
        assert_eq!(blob.len(), 1 + 64 + 32 + n, "{spec}");
        std::fs::write(d.join("c.der"), sm2_raw_to_der(&blob)).unwrap();
        sh(d, "openssl pkeyutl -decrypt -inkey wrap.pem -in c.der -out back.bin");
        assert_eq!(std::fs::read(d.join("back.bin")).unwrap(), std::fs::read(&m).unwrap(), "{spec}");
    }

    // SM2PKE_SM4_ECB: raw C1C3C2(SM4 key) (113 B) ‖ SM4-ECB-NoPadding(d) (32 B).
    let (der, pem) = pkcs8(d, "EC_SM2", "target");
    let want = sm2_scalar(d, "target.pem");
    for input in [&der, &pem] {
        let blob = wrap(&["--public-key", p(&pk), "--algorithm", "SM2PKE_SM4_ECB", "--private-key-pkcs8", p(input)]);
        assert_eq!(blob.len(), 145);
        std::fs::write(d.join("c.der"), sm2_raw_to_der(&blob[..113])).unwrap();
        std::fs::write(d.join("body.bin"), &blob[113..]).unwrap();
        sh(
            d,
            "openssl pkeyutl -decrypt -inkey wrap.pem -in c.der -out sm4.key\n\
             test $(stat -c %s sm4.key) -eq 16\n\
             openssl enc -d -sm4-ecb -nopad -K $(xxd -p -c 32 sm4.key) -in body.bin -out d.bin\n",
        );
        let got = std::fs::read(d.join("d.bin")).unwrap();
        assert_eq!(hex(&got), hex(&want), "from {}", input.display());
    }
}

#[test]
fn byok_wrap_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sh(
        d,
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out wrap.pem 2>/dev/null\n\
         openssl pkey -in wrap.pem -pubout -outform DER -out pub.der\n\
         openssl pkey -in wrap.pem -traditional -out trad_rsa.pem\n\
         openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl ec -out trad_ec.pem 2>/dev/null\n",
    );
    assert!(std::fs::read_to_string(d.join("trad_rsa.pem")).unwrap().starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(std::fs::read_to_string(d.join("trad_ec.pem")).unwrap().starts_with("-----BEGIN EC PRIVATE KEY-----"));
    let pk = d.join("pub.der");
    let pk = p(&pk);
    let m32 = rand(d, 32, "m32.bin");
    let m20 = rand(d, 20, "m20.bin");
    let (p256, _) = pkcs8(d, "EC_P256", "p256");

    let err = wrap_err(&["--public-key", pk, "--algorithm", "RSAES_OAEP_SHA_512", "--material", p(&m32)]);
    assert!(err.contains("unknown wrapping algorithm") && err.contains("RSAES_OAEP_SHA_512"), "{err}");
    for trad in ["trad_rsa.pem", "trad_ec.pem"] {
        let f = d.join(trad);
        let err = wrap_err(&["--public-key", pk, "--algorithm", COMPOSITE, "--private-key-pkcs8", p(&f)]);
        assert!(err.contains("traditional private key") && err.contains("openssl pkcs8 -topk8"), "{trad}: {err}");
    }
    let err = wrap_err(&["--public-key", pk, "--algorithm", "RSAES_OAEP_SHA_256", "--material", p(&m20)]);
    assert!(err.contains("16 or 32 bytes"), "{err}");
    let err = wrap_err(&[
        "--public-key",
        pk,
        "--algorithm",
        "RSAES_OAEP_SHA_256",
        "--material",
        p(&m32),
        "--key-spec",
        "AES",
    ]);
    assert!(err.contains("unknown key spec"), "{err}");
    // Material that does not fit the named key spec, or the algorithm.
    let err = wrap_err(&[
        "--public-key",
        pk,
        "--algorithm",
        "RSAES_OAEP_SHA_256",
        "--material",
        p(&m32),
        "--key-spec",
        "Aliyun_SM4",
    ]);
    assert!(err.contains("Aliyun_SM4"), "{err}");
    let err = wrap_err(&[
        "--public-key",
        pk,
        "--algorithm",
        COMPOSITE,
        "--private-key-pkcs8",
        p(&p256),
        "--key-spec",
        "RSA_2048",
    ]);
    assert!(err.contains("RSA_2048"), "{err}");
    let err = wrap_err(&["--public-key", pk, "--algorithm", COMPOSITE, "--material", p(&m32)]);
    assert!(err.contains("cannot wrap"), "{err}");
    // An RSA public key for an SM2 algorithm.
    let err = wrap_err(&["--public-key", pk, "--algorithm", "SM2PKE", "--material", p(&m32)]);
    assert!(err.contains("SM2"), "{err}");
    // Files that do not exist; neither --material nor --private-key-pkcs8 (a usage error).
    let err = wrap_err(&["--public-key", "/nonexistent/pub.der", "--algorithm", "SM2PKE", "--material", p(&m32)]);
    assert!(err.contains("cannot read") && err.contains("/nonexistent/pub.der"), "{err}");
    let (ok, _, err) = keyward(&["byok", "wrap", "--public-key", pk, "--algorithm", "SM2PKE"], None);
    assert!(!ok && err.contains("--material"), "{err}");
    let (ok, _, err) = keyward(
        &[
            "byok",
            "wrap",
            "--public-key",
            pk,
            "--algorithm",
            "SM2PKE",
            "--material",
            p(&m32),
            "--private-key-pkcs8",
            p(&p256),
        ],
        None,
    );
    assert!(!ok && err.contains("cannot be used with"), "{err}");
}

/// `keyward byok wrap` output imported through the API (GetParametersForImport and
/// ImportKeyMaterial with the Rust SDK): the offline path a user takes to an air-gapped machine.
#[test]
fn byok_wrap_output_imports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = start(d);
    let inst = server.create_instance();
    let client = server.client();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    let (rsa, _) = pkcs8(d, "RSA_2048", "rsa");
    let (sm2, _) = pkcs8(d, "EC_SM2", "sm2");
    let m32 = rand(d, 32, "m32.bin");
    let m16 = rand(d, 16, "m16.bin");
    // (key spec, instance?, wrapping key spec, algorithm, material flag, material, public key form)
    let cases = [
        ("Aliyun_AES_256", false, "RSA_2048", "RSAES_OAEP_SHA_1", "--material", &m32, "der"),
        ("Aliyun_SM4", false, "EC_SM2", "SM2PKE", "--material", &m16, "b64"),
        ("Aliyun_AES_128", true, "RSA_2048", "RSAES_PKCS1_V1_5", "--material", &m16, "pem"),
        ("RSA_2048", true, "RSA_2048", COMPOSITE, "--private-key-pkcs8", &rsa, "b64"),
        ("EC_SM2", true, "EC_SM2", "SM2PKE_SM4_ECB", "--private-key-pkcs8", &sm2, "der"),
    ];
    for (spec, in_instance, wspec, alg, flag, material, form) in cases {
        let id = server.create_external(spec, in_instance.then_some(inst.as_str()));
        let call = |action: &str, params: &[(&str, String)]| rt.block_on(client.call(action, params));
        let params = call(
            "GetParametersForImport",
            &[("KeyId", id.clone()), ("WrappingKeySpec", wspec.into()), ("WrappingAlgorithm", alg.into())],
        )
        .unwrap();
        let public_b64 = params["PublicKey"].as_str().unwrap().to_string();
        let token = params["ImportToken"].as_str().unwrap().to_string();
        let pk = d.join(format!("wrapping.{form}"));
        match form {
            "der" => std::fs::write(&pk, B64.decode(&public_b64).unwrap()).unwrap(),
            "b64" => std::fs::write(&pk, &public_b64).unwrap(),
            _ => {
                let lines: Vec<String> =
                    public_b64.as_bytes().chunks(64).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
                let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"));
                std::fs::write(&pk, pem).unwrap();
            }
        }
        let blob = wrap(&["--public-key", p(&pk), "--algorithm", alg, flag, p(material), "--key-spec", spec]);
        let import = |blob: &[u8], token: &str| {
            call(
                "ImportKeyMaterial",
                &[
                    ("KeyId", id.clone()),
                    ("EncryptedKeyMaterial", B64.encode(blob)),
                    ("ImportToken", token.to_string()),
                ],
            )
        };
        import(&blob, &token).unwrap_or_else(|e| panic!("{spec} {alg}: {e}"));
        assert_eq!(server.describe(&id)["KeyState"], "Enabled", "{spec} {alg}");
        // A wrap for a second call's public key, sent with the first call's token.
        let again = call(
            "GetParametersForImport",
            &[("KeyId", id.clone()), ("WrappingKeySpec", wspec.into()), ("WrappingAlgorithm", alg.into())],
        )
        .unwrap();
        std::fs::write(d.join("again.b64"), again["PublicKey"].as_str().unwrap()).unwrap();
        let blob2 =
            wrap(&["--public-key", p(&d.join("again.b64")), "--algorithm", alg, flag, p(material), "--key-spec", spec]);
        let err = import(&blob2, &token).unwrap_err().to_string();
        assert!(err.contains("InvalidImportToken"), "{spec} {alg}: {err}");
        import(&blob2, again["ImportToken"].as_str().unwrap()).unwrap();
    }
}
