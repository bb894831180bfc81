//! The limited operations and their defaults (docs/api.md, "Rate limits").

use std::time::Duration;

use super::settings::Quota;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    Login,
    Register,
    /// Per client address: a generous ceiling (many sessions may share an office address).
    Refresh,
    /// Per session (refresh-token family), charged by the handler once the token is known.
    RefreshSession,
    VerifyEmail,
    ResendVerification,
    Calculate,
    CalculateSync,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);

impl Policy {
    pub const ALL: [Policy; 8] = [
        Policy::Login,
        Policy::Register,
        Policy::Refresh,
        Policy::RefreshSession,
        Policy::VerifyEmail,
        Policy::ResendVerification,
        Policy::Calculate,
        Policy::CalculateSync,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// Name in Redis keys, metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Login => "login",
            Policy::Register => "register",
            Policy::Refresh => "refresh",
            Policy::RefreshSession => "refresh_session",
            Policy::VerifyEmail => "verify_email",
            Policy::ResendVerification => "resend_verification",
            Policy::Calculate => "calculate",
            Policy::CalculateSync => "calculate_sync",
        }
    }

    /// The variable that overrides [`Policy::default_quota`].
    pub fn env_var(self) -> &'static str {
        match self {
            Policy::Login => "SAFAPAC_RATE_LOGIN",
            Policy::Register => "SAFAPAC_RATE_REGISTER",
            Policy::Refresh => "SAFAPAC_RATE_REFRESH",
            Policy::RefreshSession => "SAFAPAC_RATE_REFRESH_SESSION",
            Policy::VerifyEmail => "SAFAPAC_RATE_VERIFY_EMAIL",
            Policy::ResendVerification => "SAFAPAC_RATE_RESEND_VERIFICATION",
            Policy::Calculate => "SAFAPAC_RATE_CALCULATE",
            Policy::CalculateSync => "SAFAPAC_RATE_CALCULATE_SYNC",
        }
    }

    pub fn default_quota(self) -> Quota {
        match self {
            Policy::Login => Quota::new(5, MINUTE),
            Policy::Register | Policy::ResendVerification => Quota::new(3, HOUR),
            // The dashboard refreshes on every page load and every 401, and logs its user
            // out when a refresh fails: a session is limited at a rate no person reloading
            // pages reaches, an address only against floods.
            Policy::Refresh => Quota::new(600, MINUTE),
            Policy::RefreshSession => Quota::new(60, MINUTE),
            Policy::VerifyEmail | Policy::Calculate | Policy::CalculateSync => {
                Quota::new(10, MINUTE)
            }
        }
    }

    /// Calculations are also counted per account, so one user behind many addresses cannot
    /// multiply their share.
    pub fn per_user(self) -> bool {
        matches!(self, Policy::Calculate | Policy::CalculateSync)
    }
}
