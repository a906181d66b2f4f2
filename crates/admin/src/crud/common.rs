//! Generic queries shared by the crud modules (STYLE.md point 12): one page of a select, ids
//! found through a column, delete and update by column, replace the link rows of an owner and
//! group linked rows by owner.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Select,
};

/// One page of `select` (already filtered and ordered) and the number of rows it matches;
/// `offset` `None` (a page past any table) or at/after the end is a page with no items. The
/// `COUNT` query is skipped when the page itself shows the total (a short, non-empty page, or
/// an empty first page).
///
/// # Errors
/// A database failure.
pub async fn paginate<C, E>(
    db: &C,
    select: Select<E>,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<E::Model>, u64), DbErr>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Sync,
{
    let Some(offset) = offset else {
        return Ok((Vec::new(), select.count(db).await?));
    };
    let items = select.clone().offset(offset).limit(limit).all(db).await?;
    let total = match total_from_page(items.len(), offset, limit) {
        Some(total) => total,
        None => select.count(db).await?,
    };
    Ok((items, total))
}

/// The total a page of `len` items at `offset` shows by itself: a short page that is not past
/// the end (or an empty first page) ends the table. `None` means a `COUNT` is needed.
pub fn total_from_page(len: usize, offset: u64, limit: u64) -> Option<u64> {
    let len = len as u64;
    (len < limit && (len > 0 || offset == 0)).then_some(offset + len)
}

/// Which of `ids` are ids (column `id_col`) of existing rows of `E`.
///
/// # Errors
/// A database failure.
pub async fn existing_ids<E, C>(db: &C, id_col: E::Column, ids: &[i64]) -> Result<Vec<i64>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    E::find()
        .select_only()
        .column(id_col)
        .filter(id_col.is_in(ids.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// The distinct values of column `out` of the rows of `E` whose column `key` is one of `keys`
/// (e.g. the users of some roles through `sys_user_role`).
///
/// # Errors
/// A database failure.
pub async fn linked_ids<E, C>(
    db: &C,
    out: E::Column,
    key: E::Column,
    keys: &[i64],
) -> Result<Vec<i64>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    E::find()
        .select_only()
        .column(out)
        .filter(key.is_in(keys.iter().copied()))
        .distinct()
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Deletes the rows of `E` whose column `col` is one of `ids`; returns how many there were.
///
/// # Errors
/// A database failure.
pub async fn delete_where_in<E, C>(db: &C, col: E::Column, ids: &[i64]) -> Result<u64, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    if ids.is_empty() {
        return Ok(0);
    }
    let res = E::delete_many()
        .filter(col.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Sets the columns `changes` holds on the row whose column `id_col` is `id`; returns the
/// rows changed.
///
/// # Errors
/// A database failure.
pub async fn update_by_id<A, C>(
    db: &C,
    id_col: <A::Entity as EntityTrait>::Column,
    id: i64,
    changes: A,
) -> Result<u64, DbErr>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let res = A::Entity::update_many()
        .set(changes)
        .filter(id_col.eq(id))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Replaces the link rows of owner `owner_id` (column `owner_col` of `A`'s entity) with one
/// row per target of `target_ids`, repeats dropped (first kept); `row(owner_id, target_id)`
/// builds a row.
///
/// Call it inside a transaction: the owner's row (column `owner_pk` of `O`) is locked first
/// (`SELECT … FOR UPDATE` on PostgreSQL and MySQL; SQLite's write transaction is already
/// exclusive), so two concurrent replacements run one after the other and the last one wins,
/// instead of the second inserting links the first just inserted (a unique-key violation).
///
/// # Errors
/// A database failure.
pub async fn replace_links<O, A, C>(
    db: &C,
    owner_pk: O::Column,
    owner_col: <A::Entity as EntityTrait>::Column,
    owner_id: i64,
    target_ids: &[i64],
    row: impl Fn(i64, i64) -> A,
) -> Result<(), DbErr>
where
    O: EntityTrait,
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    O::find()
        .select_only()
        .column(owner_pk)
        .filter(owner_pk.eq(owner_id))
        .lock_exclusive()
        .into_tuple::<i64>()
        .one(db)
        .await?;
    A::Entity::delete_many()
        .filter(owner_col.eq(owner_id))
        .exec(db)
        .await?;
    let mut seen = HashSet::new();
    let rows: Vec<A> = target_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .map(|target| row(owner_id, target))
        .collect();
    if !rows.is_empty() {
        A::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Groups `targets` by owner along `links` (`(owner id, target id)` pairs): each owner's list
/// without repeats, sorted by `id`; owners without an existing target are absent.
pub fn group_links<M: Clone>(
    links: impl IntoIterator<Item = (i64, i64)>,
    targets: &HashMap<i64, M>,
    id: impl Fn(&M) -> i64,
) -> HashMap<i64, Vec<M>> {
    let mut out: HashMap<i64, Vec<M>> = HashMap::new();
    for (owner, target) in links {
        if let Some(model) = targets.get(&target) {
            let list = out.entry(owner).or_default();
            if !list.iter().any(|m| id(m) == id(model)) {
                list.push(model.clone());
            }
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(&id);
    }
    out
}
