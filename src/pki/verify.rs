//! Chain verification by rustls-webpki: does the server chain lead to a CA in the bundle?

use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};

/// How a chain verification ended, in terms a check can explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainOutcome {
    Verified,
    /// No CA in the bundle issued the chain's top certificate.
    UnknownIssuer,
    Expired,
    NotYetValid,
    BadSignature,
    /// The leaf's extended key usage does not allow TLS server authentication.
    NotForServerAuth,
    /// A signature algorithm or key size the verifier refuses (SHA-1, RSA under 2048 bits).
    UnsupportedAlgorithm,
    /// The leaf is a CA certificate.
    LeafIsCa,
    /// Some other defect, described by the verifier.
    Other(String),
}

/// Verifies `leaf` (with `intermediates`) against `anchors` at Unix time `now`, for TLS server use.
pub fn server_chain(leaf: &[u8], intermediates: &[Vec<u8>], anchors: &[Vec<u8>], now: i64) -> ChainOutcome {
    let anchor_ders: Vec<CertificateDer<'_>> = anchors.iter().map(|d| CertificateDer::from(d.as_slice())).collect();
    let trust_anchors: Vec<_> = anchor_ders.iter().filter_map(|d| webpki::anchor_from_trusted_cert(d).ok()).collect();
    if trust_anchors.is_empty() {
        return ChainOutcome::UnknownIssuer;
    }
    let intermediate_ders: Vec<CertificateDer<'_>> =
        intermediates.iter().map(|d| CertificateDer::from(d.as_slice())).collect();
    let leaf_der = CertificateDer::from(leaf);
    let end_entity = match webpki::EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return ChainOutcome::Other(format!("{e:?}")),
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(now.max(0) as u64));
    let result = end_entity.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &trust_anchors,
        &intermediate_ders,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    );
    match result {
        Ok(_) => ChainOutcome::Verified,
        Err(e) => classify(e),
    }
}

fn classify(error: webpki::Error) -> ChainOutcome {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => ChainOutcome::UnknownIssuer,
        E::CertExpired { .. } => ChainOutcome::Expired,
        E::CertNotValidYet { .. } => ChainOutcome::NotYetValid,
        E::InvalidSignatureForPublicKey => ChainOutcome::BadSignature,
        E::RequiredEkuNotFoundContext(_) => ChainOutcome::NotForServerAuth,
        E::CaUsedAsEndEntity => ChainOutcome::LeafIsCa,
        E::UnsupportedSignatureAlgorithmContext(_) | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            ChainOutcome::UnsupportedAlgorithm
        }
        other => ChainOutcome::Other(format!("{other:?}")),
    }
}
