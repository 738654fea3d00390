//! The national public-service portal (Cổng DVCQG) through the province's
//! integration platform (LGSP): the client of its protocol ([`lgsp`]), the
//! sender that keeps the portal up to date with every case change ([`sync`]),
//! and the comparison of what the portal has with what we have
//! ([`reconcile`]). Dossiers the portal delivers to us arrive at
//! `POST /portal/dossiers` (`crate::routes::portal`).

pub mod lgsp;
pub mod reconcile;
pub mod sync;
