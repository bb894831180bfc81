//! `/api/v1/auth/*`: registration, email verification, login, token refresh and logout.

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};
use chrono::Utc;
use safapac_db::models::User;
use safapac_db::tokens::{NewRefreshToken, RotateOutcome};
use safapac_db::users::{NewAccount, NewVerificationToken, RegisterOutcome, VerifyOutcome};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::extract::AuthUser;
use crate::auth::tokens::{TokenKind, digest, random_token};
use crate::error::{ApiError, ErrorBody, FieldError, ValidationErrorBody};
use crate::json_body::{JsonBody, Validate};
use crate::limits::Policy;
use crate::wire::check_name;

const MAX_PASSWORD_CHARS: usize = 128;
const MIN_PASSWORD_CHARS: usize = 8;
/// Login accepts longer input than registration allows, so a long wrong password is a
/// plain 401, but not unbounded input.
const MAX_LOGIN_PASSWORD_CHARS: usize = 1024;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub name: String,
    pub email: String,
    pub password: String,
    /// `student` or `researcher`.
    pub occupation: String,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    /// Also accepted as `refresh_token`.
    #[serde(alias = "refresh_token")]
    pub refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyEmailRequest {
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ResendVerificationRequest {
    pub email: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterResponse {
    pub message: &'static str,
    pub requires_verification: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// `CORE`, `ADVANCE` or `ROADSHOW`.
    pub access_level: String,
    /// `student`, `researcher` or null.
    pub occupation: Option<String>,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        UserResponse {
            id: user.id,
            name: user.name,
            email: user.email,
            access_level: user.access_level,
            occupation: user.occupation,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    pub user: UserResponse,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyEmailResponse {
    pub message: &'static str,
    pub verified: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MessageResponse {
    pub message: &'static str,
}

/// Trimmed and lower-cased, so case variants are one account.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately plain syntax check: one `@`, a dotted domain, no spaces or angle brackets.
/// Whether the address exists is proven by the verification mail.
fn check_email(field: &str, email: &str, errors: &mut Vec<FieldError>) {
    let email = email.trim();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if !valid {
        errors.push(FieldError::body(
            field,
            "value is not a valid email address",
            "value_error",
        ));
    }
}

impl Validate for RegisterRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_name("name", &self.name, 100, &mut errors);
        // The name goes into emails: no markup, no control characters.
        if self
            .name
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>'))
        {
            errors.push(FieldError::body(
                "name",
                "Name must not contain control characters or angle brackets",
                "value_error",
            ));
        }
        check_email("email", &self.email, &mut errors);
        let length = self.password.chars().count();
        if length < MIN_PASSWORD_CHARS {
            errors.push(FieldError::body(
                "password",
                format!("String should have at least {MIN_PASSWORD_CHARS} characters"),
                "string_too_short",
            ));
        } else if length > MAX_PASSWORD_CHARS {
            errors.push(FieldError::body(
                "password",
                format!("String should have at most {MAX_PASSWORD_CHARS} characters"),
                "string_too_long",
            ));
        }
        if !matches!(self.occupation.as_str(), "student" | "researcher") {
            errors.push(FieldError::body(
                "occupation",
                "Input should be 'student' or 'researcher'",
                "literal_error",
            ));
        }
        errors
    }
}

impl Validate for LoginRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let length = self.password.chars().count();
        if length == 0 || length > MAX_LOGIN_PASSWORD_CHARS {
            errors.push(FieldError::body(
                "password",
                format!("String should have 1 to {MAX_LOGIN_PASSWORD_CHARS} characters"),
                "string_length",
            ));
        }
        if self.email.len() > 254 {
            errors.push(FieldError::body(
                "email",
                "String should have at most 254 characters",
                "string_too_long",
            ));
        }
        errors
    }
}

impl Validate for RefreshRequest {
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

impl Validate for VerifyEmailRequest {
    fn validate(&self) -> Vec<FieldError> {
        if self.token.is_empty() {
            vec![FieldError::body(
                "token",
                "String should have at least 1 character",
                "string_too_short",
            )]
        } else {
            Vec::new()
        }
    }
}

impl Validate for ResendVerificationRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_email("email", &self.email, &mut errors);
        errors
    }
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

const REGISTERED: &str =
    "Registration received. Please check your inbox for a link to verify your email address.";

/// Answers identically whether or not the address already has an account: an existing
/// unverified account gets new credentials and a new link, a verified one a notice mail.
/// Every path spends one password hash, so timing does not tell either.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = RegisterResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    body: JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let password_hash = state.passwords.hash(request.password).await?;
    let token = random_token()?;
    let account = NewAccount {
        name: request.name.trim().to_owned(),
        email: normalize_email(&request.email),
        password_hash,
        occupation: request.occupation,
    };
    let stored_token = NewVerificationToken {
        token_hash: digest(&token),
        expires_at: Utc::now() + chrono_duration(state.config.verification_token_ttl),
    };
    let mut conn = state.conn().await?;
    match safapac_db::users::register(&mut conn, account, stored_token).await? {
        RegisterOutcome::VerificationPending(user) => {
            state
                .mailer
                .send_verification(&user.name, &user.email, &token);
        }
        RegisterOutcome::AlreadyVerified(user) => {
            state
                .mailer
                .send_already_registered(&user.name, &user.email);
        }
    }
    Ok(no_store(HttpResponse::Created().json(RegisterResponse {
        message: REGISTERED,
        requires_verification: true,
    })))
}

#[utoipa::path(
    post, path = "/api/v1/auth/verify-email", tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, body = VerifyEmailResponse),
        (status = 400, description = "Unknown, used or expired token; `detail` contains `expired`", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: JsonBody<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    match safapac_db::users::verify_email(&mut conn, &digest(&body.0.token)).await? {
        VerifyOutcome::Verified => Ok(HttpResponse::Ok().json(VerifyEmailResponse {
            message: "Email verified successfully. You can now log in.",
            verified: true,
        })),
        VerifyOutcome::AlreadyVerified => Ok(HttpResponse::Ok().json(VerifyEmailResponse {
            message: "Email already verified. You can log in.",
            verified: true,
        })),
        VerifyOutcome::Expired => Err(ApiError::BadRequest(
            "Verification link has expired. Please request a new one.",
        )),
        VerifyOutcome::Unknown => Err(ApiError::BadRequest(
            "Invalid or expired verification link. Please request a new one.",
        )),
    }
}

/// The same answer for unknown, verified and unverified addresses.
#[utoipa::path(
    post, path = "/api/v1/auth/resend-verification", tag = "auth",
    request_body = ResendVerificationRequest,
    responses(
        (status = 200, body = MessageResponse),
        (status = 422, body = ValidationErrorBody),
    )
)]
pub async fn resend_verification(
    state: web::Data<AppState>,
    body: JsonBody<ResendVerificationRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = random_token()?;
    let stored_token = NewVerificationToken {
        token_hash: digest(&token),
        expires_at: Utc::now() + chrono_duration(state.config.verification_token_ttl),
    };
    let mut conn = state.conn().await?;
    let email = normalize_email(&body.0.email);
    if let Some(user) =
        safapac_db::users::renew_verification(&mut conn, &email, stored_token).await?
    {
        state
            .mailer
            .send_verification(&user.name, &user.email, &token);
    }
    Ok(HttpResponse::Ok().json(MessageResponse {
        message: "If an account with this email exists and is not yet verified, a new \
                  verification email has been sent.",
    }))
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "Unknown email or wrong password", body = ErrorBody),
        (status = 403, description = "Email not verified; `detail` contains `verify your email`", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let user = {
        let mut conn = state.conn().await?;
        safapac_db::users::find_by_email(&mut conn, &normalize_email(&request.email)).await?
    };
    let matches = state
        .passwords
        .verify(
            request.password,
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let user = match user {
        Some(user) if matches => user,
        _ => return Err(ApiError::Unauthorized("Invalid email or password")),
    };
    if !user.email_verified {
        return Err(ApiError::Forbidden(
            "Please verify your email before logging in.",
        ));
    }
    let family = Uuid::new_v4();
    let refresh = state.tokens.refresh_token(user.id, family)?;
    let access_token = state.tokens.access_token(user.id)?;
    let mut conn = state.conn().await?;
    safapac_db::tokens::insert(
        &mut conn,
        &NewRefreshToken {
            id: refresh.jti,
            user_id: user.id,
            family_id: family,
            token_hash: digest(&refresh.token),
            expires_at: refresh.expires_at,
        },
    )
    .await?;
    Ok(no_store(HttpResponse::Ok().json(LoginResponse {
        access_token,
        refresh_token: refresh.token,
        token_type: "bearer",
        user: user.into(),
    })))
}

/// Rotates the refresh token. An already rotated token presented again after the grace
/// window revokes its whole family.
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.0.refresh_token;
    let claims = state
        .tokens
        .decode(&presented, TokenKind::Refresh)
        .map_err(|_| ApiError::Unauthorized("Invalid or expired refresh token"))?;
    let family = claims
        .fam
        .ok_or(ApiError::Unauthorized("Invalid refresh token"))?;
    if let Err(refused) = state
        .limits
        .admit(Policy::RefreshSession, format!("session:{family}"))
        .await
    {
        return Ok(refused);
    }
    let successor = state.tokens.refresh_token(claims.sub, family)?;
    let grace = chrono_duration(state.config.refresh_reuse_grace);
    let mut conn = state.conn().await?;
    let outcome = safapac_db::tokens::rotate(
        &mut conn,
        &digest(&presented),
        NewRefreshToken {
            id: successor.jti,
            user_id: claims.sub,
            family_id: family,
            token_hash: digest(&successor.token),
            expires_at: successor.expires_at,
        },
        grace,
    )
    .await?;
    match outcome {
        RotateOutcome::Rotated(user) => Ok(no_store(HttpResponse::Ok().json(TokenPair {
            access_token: state.tokens.access_token(user.id)?,
            refresh_token: successor.token,
            token_type: "bearer",
        }))),
        RotateOutcome::ReuseDetected => {
            tracing::warn!(user_id = %claims.sub, family_id = %family, "refresh token reused; family revoked");
            Err(ApiError::Unauthorized("Invalid refresh token"))
        }
        RotateOutcome::Rejected => Err(ApiError::Unauthorized("Invalid refresh token")),
    }
}

/// Revokes the refresh-token family of the given token: every refresh token from that login
/// stops working. Access tokens expire on their own.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not a valid refresh token", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.0.refresh_token;
    state
        .tokens
        .decode(&presented, TokenKind::Refresh)
        .map_err(|_| ApiError::Unauthorized("Invalid or expired refresh token"))?;
    let mut conn = state.conn().await?;
    safapac_db::tokens::revoke_family(&mut conn, &digest(&presented)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserResponse),
        (status = 401, body = ErrorBody),
    )
)]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let user = safapac_db::users::find_by_id(&mut conn, user.id)
        .await?
        .ok_or(ApiError::Unauthorized("Invalid authentication credentials"))?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

fn chrono_duration(duration: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
