//! JWTs (HS256) for access and refresh, and the random email-verification tokens.
//!
//! Claims stay plain ASCII (UUIDs and integers): the dashboard decodes `exp` itself with a
//! plain base64 decoder.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    /// Checked on every use: a refresh token is never accepted as an access token.
    #[serde(rename = "type")]
    pub kind: TokenKind,
    /// Refresh-token family (refresh tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("signing a token failed")]
    Encode(#[source] jsonwebtoken::errors::Error),
}

/// A freshly signed refresh token and what must be stored about it.
pub struct IssuedRefreshToken {
    pub token: String,
    pub jti: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl TokenIssuer {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> TokenIssuer {
        // Only HS256 is accepted, so `alg: none` and algorithm-confusion tokens fail.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenIssuer {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }

    pub fn access_token(&self, user_id: Uuid) -> Result<String, TokenError> {
        let now = Utc::now();
        self.sign(&Claims {
            sub: user_id,
            exp: expiry(now, self.access_ttl).timestamp(),
            iat: now.timestamp(),
            jti: Uuid::new_v4(),
            kind: TokenKind::Access,
            fam: None,
        })
    }

    pub fn refresh_token(
        &self,
        user_id: Uuid,
        family: Uuid,
    ) -> Result<IssuedRefreshToken, TokenError> {
        let now = Utc::now();
        let expires_at = expiry(now, self.refresh_ttl);
        let jti = Uuid::new_v4();
        let token = self.sign(&Claims {
            sub: user_id,
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti,
            kind: TokenKind::Refresh,
            fam: Some(family),
        })?;
        Ok(IssuedRefreshToken {
            token,
            jti,
            expires_at,
        })
    }

    fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(TokenError::Encode)
    }

    /// Verifies signature, expiry and kind.
    pub fn decode(&self, token: &str, expected: TokenKind) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        if data.claims.kind != expected {
            return Err(TokenError::Invalid("wrong token type".into()));
        }
        if expected == TokenKind::Refresh && data.claims.fam.is_none() {
            return Err(TokenError::Invalid("refresh token without family".into()));
        }
        Ok(data.claims)
    }
}

fn expiry(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX)
}

/// SHA-256 of a token: the only form in which tokens are stored.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// 32 random bytes, URL-safe base64 without padding (43 characters).
pub fn random_token() -> Result<String, TokenError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(
            &[7u8; 32],
            Duration::from_secs(60),
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn kinds_are_not_interchangeable() {
        let issuer = issuer();
        let user = Uuid::new_v4();
        let access = issuer.access_token(user).unwrap();
        let refresh = issuer.refresh_token(user, Uuid::new_v4()).unwrap().token;
        assert_eq!(issuer.decode(&access, TokenKind::Access).unwrap().sub, user);
        assert!(issuer.decode(&access, TokenKind::Refresh).is_err());
        assert!(issuer.decode(&refresh, TokenKind::Access).is_err());
        assert!(issuer.decode(&refresh, TokenKind::Refresh).is_ok());
    }

    #[test]
    fn payload_decodes_with_a_plain_base64_alphabet() {
        let token = issuer().access_token(Uuid::new_v4()).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        assert!(
            !payload.contains('-') && !payload.contains('_'),
            "{payload}"
        );
    }

    #[test]
    fn verification_tokens_are_43_url_safe_characters() {
        let token = random_token().unwrap();
        assert_eq!(token.len(), 43);
        assert_ne!(token, random_token().unwrap());
        assert_eq!(digest(&token).len(), 32);
    }
}
