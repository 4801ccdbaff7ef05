//! Pure packet views and representations (smoltcp style): bounds are checked
//! once in `new_checked`, after which no accessor panics.
pub mod dns;
