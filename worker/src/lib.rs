//! SAFAPAC worker: runs calculations for the queue and from the command line.

pub mod calc_cmd;
