//! Accounts: password hashing, tokens and the authenticated-user extractor.

pub mod accounts;
pub mod extract;
pub mod password;
pub mod tokens;
