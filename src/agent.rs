//! Policy: cmdline → local volumes → network → hand-off, within one deadline.
