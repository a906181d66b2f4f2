//! An HMAC-only crypto provider for `jsonwebtoken`.
//!
//! FBA signs with HS256 (`TOKEN_ALGORITHM` allows HS256/384/512). jsonwebtoken's bundled
//! providers pull in RSA, ECDSA and EdDSA (or a C build of aws-lc); this one needs only `hmac`
//! and `sha2`, which keeps the build lean.

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::{Sha256, Sha384, Sha512};

macro_rules! hmac_impl {
    ($name:ident, $alg:expr, $digest:ty) => {
        struct $name(Hmac<$digest>);

        impl signature::Signer<Vec<u8>> for $name {
            fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
                let mut mac = self.0.clone();
                mac.update(msg);
                Ok(mac.finalize().into_bytes().to_vec())
            }
        }

        impl signature::Verifier<Vec<u8>> for $name {
            fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
                let mut mac = self.0.clone();
                mac.update(msg);
                mac.verify_slice(sig).map_err(signature::Error::from_source)
            }
        }

        impl JwtSigner for $name {
            fn algorithm(&self) -> Algorithm {
                $alg
            }
        }

        impl JwtVerifier for $name {
            fn algorithm(&self) -> Algorithm {
                $alg
            }
        }
    };
}

hmac_impl!(Hs256, Algorithm::HS256, Sha256);
hmac_impl!(Hs384, Algorithm::HS384, Sha384);
hmac_impl!(Hs512, Algorithm::HS512, Sha512);

fn key_error() -> Error {
    Error::from(ErrorKind::InvalidKeyFormat)
}

fn hmac_of(alg: &Algorithm, key: &[u8]) -> Result<Box<dyn HmacBoth>, Error> {
    Ok(match alg {
        Algorithm::HS256 => Box::new(Hs256(Hmac::new_from_slice(key).map_err(|_| key_error())?)),
        Algorithm::HS384 => Box::new(Hs384(Hmac::new_from_slice(key).map_err(|_| key_error())?)),
        Algorithm::HS512 => Box::new(Hs512(Hmac::new_from_slice(key).map_err(|_| key_error())?)),
        _ => return Err(Error::from(ErrorKind::InvalidAlgorithm)),
    })
}

trait HmacBoth: JwtSigner + JwtVerifier {
    fn into_signer(self: Box<Self>) -> Box<dyn JwtSigner>;
    fn into_verifier(self: Box<Self>) -> Box<dyn JwtVerifier>;
}

impl<T: JwtSigner + JwtVerifier + 'static> HmacBoth for T {
    fn into_signer(self: Box<Self>) -> Box<dyn JwtSigner> {
        self
    }
    fn into_verifier(self: Box<Self>) -> Box<dyn JwtVerifier> {
        self
    }
}

fn signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    Ok(hmac_of(alg, key.as_bytes())?.into_signer())
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    Ok(hmac_of(alg, key.try_get_as_bytes()?)?.into_verifier())
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: jsonwebtoken::crypto::KeyUtils::new_unimplemented(),
};

/// Installs the HMAC provider as jsonwebtoken's process default (once; later calls are no-ops).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = PROVIDER.install_default();
    });
}
