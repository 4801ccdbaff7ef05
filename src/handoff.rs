//! Renders and writes the hand-off of INTEROP.md.
