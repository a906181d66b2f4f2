//! Business rules and transactions of the admin core, composed from [`crate::crud`] calls on
//! `&impl ConnectionTrait`. No HTTP types.
