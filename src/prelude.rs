//! What std's prelude has and `core`'s lacks, for the `no_std` build: modules that need it say
//! `use crate::prelude::*;` (with std it only repeats std's prelude). A file of its own so that
//! bench/shell-probe, which compiles the core's modules by `#[path]`, uses this same list.

#[allow(unused_imports)]
pub(crate) use std::{
    borrow::ToOwned,
    boxed::Box,
    format,
    string::{String, ToString},
    vec,
    vec::Vec,
};
