//! `AuthUser`: the bearer-token check in front of every protected route.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::AppState;
use crate::auth::tokens::TokenKind;
use crate::error::ApiError;

/// The caller, authenticated by an access token whose account still exists and is verified.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub is_admin: bool,
}

const NOT_AUTHENTICATED: &str = "Not authenticated";
const INVALID_CREDENTIALS: &str = "Invalid authentication credentials";

fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized(NOT_AUTHENTICATED))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(ApiError::Unauthorized(NOT_AUTHENTICATED))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::Unauthorized(NOT_AUTHENTICATED));
    }
    Ok(token)
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            let missing = ApiError::Internal(anyhow::anyhow!("AppState is not registered"));
            return Box::pin(async move { Err(missing) });
        };
        // The token is checked synchronously, so a bad token answers 401 before the body
        // is even read.
        let claims = bearer_token(req).and_then(|token| {
            state
                .tokens
                .decode(token, TokenKind::Access)
                .map_err(|_| ApiError::Unauthorized(INVALID_CREDENTIALS))
        });
        Box::pin(async move {
            let claims = claims?;
            if let Some(user) = state.accounts.get(claims.sub) {
                return Ok(user);
            }
            let mut conn = state.conn().await?;
            let Some(user) = safapac_db::users::find_by_id(&mut conn, claims.sub)
                .await?
                .filter(|user| user.email_verified)
            else {
                state.accounts.forget(claims.sub);
                return Err(ApiError::Unauthorized(INVALID_CREDENTIALS));
            };
            let user = AuthUser {
                id: user.id,
                is_admin: user.is_admin,
            };
            state.accounts.remember(user);
            Ok(user)
        })
    }
}
