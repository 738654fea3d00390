//! The national public-service portal (Cổng DVCQG), through the province's
//! integration platform: dossiers filed there delivered to us ([`dossiers`]),
//! and the state of our sync to it, for administrators ([`sync`]).

pub mod dossiers;
pub mod sync;
