//! Refresh-token families: issue, rotate with reuse detection, revoke.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::DbError;
use crate::models::{RefreshToken, User};
use crate::schema::{refresh_tokens as rt, users};

/// A refresh token to store: only its SHA-256 digest.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    /// The token's `jti`.
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum RotateOutcome {
    /// The successor was stored; the account is still allowed to sign in.
    Rotated(User),
    /// Unknown, expired, revoked or mismatching token, or an account that may no longer sign
    /// in: nothing changed.
    Rejected,
    /// An already rotated token came back after the grace window: the family was revoked,
    /// because either the legitimate client or a thief holds a copy.
    ReuseDetected,
}

pub async fn insert(conn: &mut AsyncPgConnection, token: &NewRefreshToken) -> Result<(), DbError> {
    diesel::insert_into(rt::table)
        .values((
            rt::id.eq(token.id),
            rt::user_id.eq(token.user_id),
            rt::family_id.eq(token.family_id),
            rt::token_hash.eq(&token.token_hash),
            rt::expires_at.eq(token.expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces the presented token by `successor` (same family and user).
///
/// Within `grace` after a token was rotated, presenting it again yields another successor
/// instead of a revocation: the dashboard may fire two refreshes at once with the same token.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    presented_hash: &[u8],
    successor: NewRefreshToken,
    grace: Duration,
) -> Result<RotateOutcome, DbError> {
    let presented_hash = presented_hash.to_vec();
    conn.transaction::<_, DbError, _>(async move |conn| {
        let current: Option<RefreshToken> = rt::table
            .filter(rt::token_hash.eq(&presented_hash))
            .select(RefreshToken::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(current) = current else {
            return Ok(RotateOutcome::Rejected);
        };
        let now = Utc::now();
        if current.family_id != successor.family_id
            || current.user_id != successor.user_id
            || current.revoked_at.is_some()
            || current.expires_at <= now
        {
            return Ok(RotateOutcome::Rejected);
        }
        let first_rotation = match current.rotated_at {
            Some(rotated_at) if now - rotated_at > grace => {
                revoke_family_by_id(conn, current.family_id, now).await?;
                return Ok(RotateOutcome::ReuseDetected);
            }
            Some(_) => false,
            None => true,
        };
        let user: Option<User> = users::table
            .find(current.user_id)
            .select(User::as_select())
            .first(conn)
            .await
            .optional()?;
        let Some(user) = user.filter(|u| u.email_verified) else {
            return Ok(RotateOutcome::Rejected);
        };
        insert(conn, &successor).await?;
        if first_rotation {
            diesel::update(rt::table.find(current.id))
                .set((rt::rotated_at.eq(now), rt::replaced_by.eq(successor.id)))
                .execute(conn)
                .await?;
        }
        Ok(RotateOutcome::Rotated(user))
    })
    .await
}

/// Revokes the family of the presented token (logout). Returns whether a token matched.
pub async fn revoke_family(
    conn: &mut AsyncPgConnection,
    presented_hash: &[u8],
) -> Result<bool, DbError> {
    let family: Option<Uuid> = rt::table
        .filter(rt::token_hash.eq(presented_hash))
        .select(rt::family_id)
        .first(conn)
        .await
        .optional()?;
    match family {
        Some(family) => {
            revoke_family_by_id(conn, family, Utc::now()).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

async fn revoke_family_by_id(
    conn: &mut AsyncPgConnection,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(
        rt::table
            .filter(rt::family_id.eq(family_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now))
    .execute(conn)
    .await?;
    Ok(())
}
