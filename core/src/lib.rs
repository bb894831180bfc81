//! SAFAPAC calculation core: the techno-economic engine, pure and free of I/O.

pub mod master;
