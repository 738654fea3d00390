//! The read side (DESIGN §4): the projection runner and the read models built
//! from the log.
