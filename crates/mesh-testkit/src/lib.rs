//! Test fixtures made fresh in each test: certificate authorities and
//! server certificates (ECDSA or RSA), and signing keys with their JSON Web
//! Key Set to sign access tokens. Nothing secret is kept in the repository.
//!
//! Also what several test files would otherwise each write again: the
//! `mesh-server` binary as a child process ([`process`]) and the generated
//! gRPC clients used without the SDK ([`raw`]).

pub mod kdc;
pub mod process;
pub mod raw;
pub mod rng;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::json;
/// Claims are JSON values; re-exported so tests can adjust them.
pub use serde_json::{self, Value};

/// The kind of key a certificate or token key uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256.
    Ec,
    /// RSA, 2048 bits.
    Rsa,
}

fn rsa_private_key() -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key")
}

fn key_pair(kind: KeyKind) -> KeyPair {
    match kind {
        KeyKind::Ec => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("an EC key"),
        KeyKind::Rsa => {
            let pem = rsa_private_key()
                .to_pkcs8_pem(Default::default())
                .expect("PKCS#8 PEM");
            KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).expect("an RSA key pair")
        }
    }
}

/// A certificate authority that issues server certificates.
pub struct CertificateAuthority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl CertificateAuthority {
    pub fn new(name: &str) -> CertificateAuthority {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, key_pair(KeyKind::Ec)).expect("a CA");
        CertificateAuthority { issuer }
    }

    /// The CA certificate, for clients to trust.
    pub fn root_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `hosts` (DNS names or IP addresses).
    pub fn server_certificate(&self, hosts: &[&str], kind: KeyKind) -> ServerCertificate {
        let names: Vec<String> = hosts.iter().map(|host| host.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("server parameters");
        params.distinguished_name.push(DnType::CommonName, hosts[0]);
        let key = key_pair(kind);
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("a server certificate");
        ServerCertificate {
            cert_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

pub struct ServerCertificate {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A key that signs access tokens, with its public half as a JWK.
pub struct TokenKey {
    kid: String,
    algorithm: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

impl TokenKey {
    pub fn new(kind: KeyKind, kid: &str) -> TokenKey {
        match kind {
            KeyKind::Rsa => {
                let private = rsa_private_key();
                let pem = private
                    .to_pkcs8_pem(Default::default())
                    .expect("PKCS#8 PEM");
                TokenKey {
                    kid: kid.to_string(),
                    algorithm: Algorithm::RS256,
                    encoding: EncodingKey::from_rsa_pem(pem.as_bytes())
                        .expect("an RSA signing key"),
                    jwk: json!({
                        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                        "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
                        "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
                    }),
                }
            }
            KeyKind::Ec => {
                let pair =
                    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("an EC key");
                // Uncompressed point: 0x04, then x and y, 32 bytes each.
                let point = pair.public_key_raw();
                TokenKey {
                    kid: kid.to_string(),
                    algorithm: Algorithm::ES256,
                    encoding: EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes())
                        .expect("an EC signing key"),
                    jwk: json!({
                        "kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256",
                        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
                    }),
                }
            }
        }
    }

    /// A token with these claims, signed by this key.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("a signed token")
    }

    /// A token with these claims, signed by this key, whose header marks
    /// the extensions `critical` as ones the recipient must understand
    /// (`crit`, RFC 7515 §4.1.11).
    pub fn sign_with_critical(&self, claims: &Value, critical: &[&str]) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        header.crit = Some(critical.iter().map(|name| name.to_string()).collect());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("a signed token")
    }
}

/// The JSON Web Key Set publishing these keys.
pub fn key_set(keys: &[&TokenKey]) -> String {
    json!({ "keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>() }).to_string()
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64
}

/// Claims of a token for `subject`, valid from now for `lifetime_s` seconds
/// (negative: already expired).
pub fn claims(issuer: &str, audience: &str, subject: &str, lifetime_s: i64) -> Value {
    let now = now();
    json!({
        "iss": issuer, "aud": audience, "sub": subject,
        "name": format!("{subject} (display)"),
        "iat": now, "nbf": now.min(now + lifetime_s), "exp": now + lifetime_s,
    })
}

/// An unsigned token (`alg: none`), as an attacker would send.
pub fn unsigned_token(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}
