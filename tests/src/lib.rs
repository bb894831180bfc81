//! Whole-system tests live in this package's test targets (see Cargo.toml); nothing to export.
