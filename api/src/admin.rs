//! `safapac-api create-admin --email …`: makes an administrator account, or promotes an
//! existing one. The password never comes from the command line (it would end up in shell
//! history and `ps`): it is read from `SAFAPAC_ADMIN_PASSWORD` or standard input.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use safapac_db::DbError;
use safapac_db::schema::users;

use crate::auth::password::{PasswordError, PasswordHasher};
use crate::json_body::Validate as _;
use crate::routes::auth::RegisterRequest;

pub const PASSWORD_VAR: &str = "SAFAPAC_ADMIN_PASSWORD";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    Created,
    /// The account existed: it is now an administrator with a verified address; its password
    /// is unchanged.
    Promoted,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    #[error("invalid account: {0}")]
    Invalid(String),
    #[error("no password: set {PASSWORD_VAR} or pipe it to standard input")]
    NoPassword,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// Creates `email` as an administrator (with `name` and the password from `password`, asked
/// for only when the account is new), or promotes it.
pub async fn create_admin(
    pool: &safapac_db::DbPool,
    hasher: &PasswordHasher,
    email: &str,
    name: &str,
    password: impl FnOnce() -> Option<String>,
) -> Result<AdminOutcome, CreateAdminError> {
    let email = email.trim().to_lowercase();
    let mut conn = pool.get().await.map_err(DbError::from)?;
    if let Some(user) = safapac_db::users::find_by_email(&mut conn, &email).await? {
        diesel::update(users::table.find(user.id))
            .set((
                users::is_admin.eq(true),
                users::email_verified.eq(true),
                users::updated_at.eq(Utc::now()),
            ))
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        return Ok(AdminOutcome::Promoted);
    }
    let password = password().ok_or(CreateAdminError::NoPassword)?;
    let request = RegisterRequest {
        name: name.to_owned(),
        email: email.clone(),
        password,
        occupation: "researcher".to_owned(),
    };
    let problems = request.validate();
    if !problems.is_empty() {
        let text: Vec<String> = problems
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    p.loc.last().map_or(String::new(), |l| l.to_string()),
                    p.msg
                )
            })
            .collect();
        return Err(CreateAdminError::Invalid(text.join("; ")));
    }
    let password_hash = hasher.hash(request.password).await?;
    diesel::insert_into(users::table)
        .values((
            users::id.eq(uuid::Uuid::new_v4()),
            users::name.eq(&request.name),
            users::email.eq(&email),
            users::password_hash.eq(&password_hash),
            users::occupation.eq(&request.occupation),
            users::email_verified.eq(true),
            users::is_admin.eq(true),
        ))
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
    Ok(AdminOutcome::Created)
}

/// The password from [`PASSWORD_VAR`], else the first line of standard input.
pub fn read_password() -> Option<String> {
    if let Ok(password) = std::env::var(PASSWORD_VAR)
        && !password.is_empty()
    {
        return Some(password);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    (!password.is_empty()).then_some(password)
}
