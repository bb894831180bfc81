//! The shared HTTP harness lives in `safapac-testkit`; the suites import it from here.

pub use safapac_testkit::app::*;
