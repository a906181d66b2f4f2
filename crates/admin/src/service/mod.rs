//! Business rules and transactions of the admin core, composed from [`crate::crud`] calls on
//! `&impl ConnectionTrait`. No HTTP types.

pub mod access;
pub mod auth;
pub mod auth_store;
pub mod captcha;
pub mod data_permission;
pub mod data_rule;
pub mod data_scope;
pub mod dept;
pub mod login_log;
pub mod menu;
pub mod monitor;
pub mod opera_log;
pub mod password_policy;
pub mod role;
pub mod session_monitor;
pub mod token;
pub mod upload;
pub mod user;
pub mod user_me;

/// Whether `candidate` is `id` itself or one of its descendants, walking up `parent_links`
/// (`(id, parent_id)` of every row of a tree table); an existing cycle that does not reach `id`
/// ends the walk.
/// At most `max` characters, without NUL characters: a text fitted to its column, so one odd
/// request value cannot make PostgreSQL or MySQL refuse the insert.
pub(crate) fn fit(s: &str, max: usize) -> String {
    s.chars().filter(|c| *c != '\0').take(max).collect()
}

pub(crate) fn is_self_or_descendant(
    parent_links: Vec<(i64, Option<i64>)>,
    id: i64,
    candidate: i64,
) -> bool {
    let parents: std::collections::HashMap<i64, Option<i64>> = parent_links.into_iter().collect();
    let mut cur = Some(candidate);
    let mut steps = 0usize;
    while let Some(c) = cur {
        if c == id {
            return true;
        }
        steps += 1;
        if steps > parents.len() {
            break;
        }
        cur = parents.get(&c).copied().flatten();
    }
    false
}
