//! Command-line parsing for people and tests.
