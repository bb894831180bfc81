//! Accounts and email verification.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::{User, VerificationToken};
use crate::schema::{email_verification_tokens as evt, users};
use crate::{DbError, lower};

/// A registration request, already validated and with the password hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    /// Trimmed and lower-cased.
    pub email: String,
    pub password_hash: String,
    pub occupation: String,
}

/// A verification token to store: only its SHA-256 digest.
#[derive(Debug, Clone)]
pub struct NewVerificationToken {
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum RegisterOutcome {
    /// A new account, or an unverified one whose credentials were replaced (the address owner
    /// proves ownership by verifying; an earlier squatter's password stops working). The
    /// token was stored and must be mailed.
    VerificationPending(User),
    /// The address belongs to a verified account, which was left untouched.
    AlreadyVerified(User),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOutcome {
    Verified,
    /// The token was used moments ago (double click, mail scanner): answer as a success.
    AlreadyVerified,
    Expired,
    Unknown,
}

/// How long after its use a verification token still answers "already verified".
const VERIFY_REUSE_WINDOW_MINUTES: i64 = 10;

pub async fn find_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<User>, DbError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Looks a user up by normalised email.
pub async fn find_by_email(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> Result<Option<User>, DbError> {
    Ok(users::table
        .filter(lower(users::email).eq(email))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn register(
    conn: &mut AsyncPgConnection,
    account: NewAccount,
    token: NewVerificationToken,
) -> Result<RegisterOutcome, DbError> {
    conn.transaction::<_, DbError, _>(async move |conn| {
        let inserted = diesel::insert_into(users::table)
            .values((
                users::id.eq(Uuid::new_v4()),
                users::name.eq(&account.name),
                users::email.eq(&account.email),
                users::password_hash.eq(&account.password_hash),
                users::occupation.eq(&account.occupation),
            ))
            // A concurrent or earlier registration of the same address is handled below.
            .on_conflict_do_nothing()
            .returning(User::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        let user = match inserted {
            Some(user) => user,
            None => {
                let existing: User = users::table
                    .filter(lower(users::email).eq(&account.email))
                    .select(User::as_select())
                    .for_update()
                    .first(conn)
                    .await?;
                if existing.email_verified {
                    return Ok(RegisterOutcome::AlreadyVerified(existing));
                }
                diesel::update(users::table.find(existing.id))
                    .set((
                        users::name.eq(&account.name),
                        users::password_hash.eq(&account.password_hash),
                        users::occupation.eq(&account.occupation),
                        users::updated_at.eq(Utc::now()),
                    ))
                    .returning(User::as_returning())
                    .get_result(conn)
                    .await?
            }
        };
        replace_verification_token(conn, user.id, &token).await?;
        Ok(RegisterOutcome::VerificationPending(user))
    })
    .await
}

/// Issues a fresh verification token for an unverified account (older links stop working).
/// Returns the account, or `None` when the address is unknown or already verified.
pub async fn renew_verification(
    conn: &mut AsyncPgConnection,
    email: &str,
    token: NewVerificationToken,
) -> Result<Option<User>, DbError> {
    let email = email.to_owned();
    conn.transaction::<_, DbError, _>(async move |conn| {
        let user: Option<User> = users::table
            .filter(lower(users::email).eq(&email))
            .filter(users::email_verified.eq(false))
            .select(User::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if let Some(user) = &user {
            replace_verification_token(conn, user.id, &token).await?;
        }
        Ok(user)
    })
    .await
}

async fn replace_verification_token(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    token: &NewVerificationToken,
) -> Result<(), DbError> {
    diesel::delete(evt::table.filter(evt::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    diesel::insert_into(evt::table)
        .values((
            evt::id.eq(Uuid::new_v4()),
            evt::user_id.eq(user_id),
            evt::token_hash.eq(&token.token_hash),
            evt::expires_at.eq(token.expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Consumes a verification token (single use) and marks its account verified.
pub async fn verify_email(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<VerifyOutcome, DbError> {
    let token_hash = token_hash.to_vec();
    conn.transaction::<_, DbError, _>(async move |conn| {
        let token: Option<VerificationToken> = evt::table
            .filter(evt::token_hash.eq(&token_hash))
            .select(VerificationToken::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(token) = token else {
            return Ok(VerifyOutcome::Unknown);
        };
        let now = Utc::now();
        if let Some(used_at) = token.used_at {
            return Ok(
                if now - used_at <= Duration::minutes(VERIFY_REUSE_WINDOW_MINUTES) {
                    VerifyOutcome::AlreadyVerified
                } else {
                    VerifyOutcome::Unknown
                },
            );
        }
        if token.expires_at < now {
            return Ok(VerifyOutcome::Expired);
        }
        diesel::update(evt::table.find(token.id))
            .set(evt::used_at.eq(now))
            .execute(conn)
            .await?;
        diesel::update(users::table.find(token.user_id))
            .set((users::email_verified.eq(true), users::updated_at.eq(now)))
            .execute(conn)
            .await?;
        Ok(VerifyOutcome::Verified)
    })
    .await
}
