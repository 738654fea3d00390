//! The national public-service portal (Cổng DVCQG), through the province's
//! integration platform: dossiers filed there delivered to us ([`dossiers`]).

pub mod dossiers;
