//! The pure rules of the one-stop shop (DESIGN §3): no IO, no async.
