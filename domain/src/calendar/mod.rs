//! Time as the one-stop shop counts it: the lunar calendar, public holidays and
//! working time.

mod astronomy;
pub mod lunar;
