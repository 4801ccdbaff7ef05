//! Pure sans-I/O DHCPv4 client (RFC 2131): packets and a clock in, packets and
//! actions out.
