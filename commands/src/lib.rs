//! The write side (DESIGN §1): load a stream, fold it, decide, append with the
//! expected version.
