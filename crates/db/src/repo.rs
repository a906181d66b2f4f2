//! The generic repository (STYLE.md point 12): the queries every table with an `i64` `id`
//! column repeats — get by id or by a unique column, list, page, existing and linked ids,
//! delete, update, replace link rows — written once as default methods of [`Repository`];
//! plus [`total_from_page`] (when a page shows its own total) and [`group_links`] (link rows
//! to per-owner lists), for queries that page or join by hand.
//!
//! A table costs its entity, one `impl Repository` naming the id column, and only the queries
//! that differ. This module owns no entity and no business rule; transactions are the caller's
//! (every method takes `&impl ConnectionTrait`, a pool or a transaction).

use std::collections::{HashMap, HashSet};
use std::future::Future;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationDef, Select, Value,
};

/// Generic queries on an entity whose rows are identified by an `i64` column
/// ([`id_column`](Repository::id_column)). Implement it with that one method; every other
/// method has a default.
///
/// The methods taking a list of ids or keys run no statement when it is empty. The futures
/// are `Send`, so they can be awaited inside spawned tasks.
pub trait Repository: EntityTrait {
    /// The `id` column (the single-column primary key).
    fn id_column() -> Self::Column;

    /// The row with `id`.
    ///
    /// # Errors
    /// A database failure.
    fn get<C: ConnectionTrait>(
        db: &C,
        id: i64,
    ) -> impl Future<Output = Result<Option<Self::Model>, DbErr>> + Send {
        async move { Self::find().filter(Self::id_column().eq(id)).one(db).await }
    }

    /// The row whose column `col` equals `value` (a unique column: the first match
    /// otherwise).
    ///
    /// # Errors
    /// A database failure.
    fn get_by<C: ConnectionTrait>(
        db: &C,
        col: Self::Column,
        value: impl Into<Value> + Send,
    ) -> impl Future<Output = Result<Option<Self::Model>, DbErr>> + Send {
        async move { Self::find().filter(col.eq(value)).one(db).await }
    }

    /// Every row, in id order.
    ///
    /// # Errors
    /// A database failure.
    fn list<C: ConnectionTrait>(
        db: &C,
    ) -> impl Future<Output = Result<Vec<Self::Model>, DbErr>> + Send {
        async move { Self::find().order_by_asc(Self::id_column()).all(db).await }
    }

    /// The rows whose column `col` is one of `keys` (e.g. the link rows of some owners), in id
    /// order.
    ///
    /// # Errors
    /// A database failure.
    fn list_where_in<C: ConnectionTrait>(
        db: &C,
        col: Self::Column,
        keys: &[i64],
    ) -> impl Future<Output = Result<Vec<Self::Model>, DbErr>> + Send {
        async move {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            Self::find()
                .filter(col.is_in(keys.iter().copied()))
                .order_by_asc(Self::id_column())
                .all(db)
                .await
        }
    }

    /// The rows with these ids that exist, in id order.
    ///
    /// # Errors
    /// A database failure.
    fn get_many<C: ConnectionTrait>(
        db: &C,
        ids: &[i64],
    ) -> impl Future<Output = Result<Vec<Self::Model>, DbErr>> + Send {
        Self::list_where_in(db, Self::id_column(), ids)
    }

    /// The rows joined through `via` (the relation from this entity to a link table) whose
    /// link column `owner_col` is `owner_id`, each once: e.g. the rules of a scope through
    /// `sys_data_scope_rule`. A select, to order and run.
    fn linked_through(
        via: RelationDef,
        owner_col: impl ColumnTrait,
        owner_id: i64,
    ) -> Select<Self> {
        Self::find()
            .join(JoinType::InnerJoin, via)
            .filter(owner_col.eq(owner_id))
            .distinct()
    }

    /// One page of `select` (already filtered and ordered) and the number of rows it matches;
    /// `offset` `None` (a page past any table) or at/after the end is a page with no items.
    /// The `COUNT` query is skipped when the page itself shows the total (a short, non-empty
    /// page, or an empty first page: [`total_from_page`]).
    ///
    /// # Errors
    /// A database failure.
    fn page<C: ConnectionTrait>(
        db: &C,
        select: Select<Self>,
        offset: Option<u64>,
        limit: u64,
    ) -> impl Future<Output = Result<(Vec<Self::Model>, u64), DbErr>> + Send
    where
        Self::Model: Sync,
    {
        async move {
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
    }

    /// Which of `ids` are ids of existing rows.
    ///
    /// # Errors
    /// A database failure.
    fn existing_ids<C: ConnectionTrait>(
        db: &C,
        ids: &[i64],
    ) -> impl Future<Output = Result<Vec<i64>, DbErr>> + Send {
        async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let id = Self::id_column();
            Self::find()
                .select_only()
                .column(id)
                .filter(id.is_in(ids.iter().copied()))
                .into_tuple::<i64>()
                .all(db)
                .await
        }
    }

    /// The distinct values of column `out` of the rows whose column `key` is one of `keys`
    /// (e.g. the users of some roles through `sys_user_role`).
    ///
    /// # Errors
    /// A database failure.
    fn linked_ids<C: ConnectionTrait>(
        db: &C,
        out: Self::Column,
        key: Self::Column,
        keys: &[i64],
    ) -> impl Future<Output = Result<Vec<i64>, DbErr>> + Send {
        async move {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            Self::find()
                .select_only()
                .column(out)
                .filter(key.is_in(keys.iter().copied()))
                .distinct()
                .into_tuple::<i64>()
                .all(db)
                .await
        }
    }

    /// Deletes the rows whose column `col` is one of `ids`; returns how many there were.
    ///
    /// # Errors
    /// A database failure.
    fn delete_where_in<C: ConnectionTrait>(
        db: &C,
        col: Self::Column,
        ids: &[i64],
    ) -> impl Future<Output = Result<u64, DbErr>> + Send {
        async move {
            if ids.is_empty() {
                return Ok(0);
            }
            let res = Self::delete_many()
                .filter(col.is_in(ids.iter().copied()))
                .exec(db)
                .await?;
            Ok(res.rows_affected)
        }
    }

    /// Deletes the rows with these ids; returns how many there were.
    ///
    /// # Errors
    /// A database failure.
    fn delete_ids<C: ConnectionTrait>(
        db: &C,
        ids: &[i64],
    ) -> impl Future<Output = Result<u64, DbErr>> + Send {
        Self::delete_where_in(db, Self::id_column(), ids)
    }

    /// Deletes every row; returns how many there were.
    ///
    /// # Errors
    /// A database failure.
    fn delete_all<C: ConnectionTrait>(db: &C) -> impl Future<Output = Result<u64, DbErr>> + Send {
        async move { Ok(Self::delete_many().exec(db).await?.rows_affected) }
    }

    /// Sets the columns `changes` holds (those not `NotSet`) on the row with `id`; returns the
    /// rows changed.
    ///
    /// # Errors
    /// A database failure.
    fn update_by_id<C: ConnectionTrait>(
        db: &C,
        id: i64,
        changes: Self::ActiveModel,
    ) -> impl Future<Output = Result<u64, DbErr>> + Send
    where
        Self::ActiveModel: Send,
    {
        async move {
            let res = Self::update_many()
                .set(changes)
                .filter(Self::id_column().eq(id))
                .exec(db)
                .await?;
            Ok(res.rows_affected)
        }
    }

    /// Replaces the link rows of the owner row `owner_id` with one row per target of
    /// `target_ids`, repeats dropped (first kept): the link table's rows whose `owner_col` is
    /// `owner_id` are deleted, then rows (`owner_col`, `target_col`) = (`owner_id`, target) are
    /// inserted (other columns left to the database, e.g. the link's own id).
    ///
    /// Call it inside a transaction: the owner's row is locked first (`SELECT … FOR UPDATE`
    /// on PostgreSQL and MySQL; SQLite's write transaction is already exclusive), so two
    /// concurrent replacements run one after the other and the last one wins, instead of the
    /// second inserting links the first just inserted (a unique-key violation).
    ///
    /// # Errors
    /// A database failure, or [`DbErr::Type`] when a column is not an integer column.
    fn replace_links<Col, L, C>(
        db: &C,
        owner_id: i64,
        owner_col: Col,
        target_col: Col,
        target_ids: &[i64],
    ) -> impl Future<Output = Result<(), DbErr>> + Send
    where
        Col: ColumnTrait<EntityName = L>,
        L: EntityTrait<Column = Col>,
        L::ActiveModel: Send,
        C: ConnectionTrait,
    {
        async move {
            let id = Self::id_column();
            Self::find()
                .select_only()
                .column(id)
                .filter(id.eq(owner_id))
                .lock_exclusive()
                .into_tuple::<i64>()
                .one(db)
                .await?;
            L::delete_many()
                .filter(owner_col.eq(owner_id))
                .exec(db)
                .await?;
            let mut seen = HashSet::new();
            let mut rows = Vec::new();
            for target in target_ids.iter().copied().filter(|id| seen.insert(*id)) {
                let mut row = <L::ActiveModel as ActiveModelTrait>::default();
                row.try_set(owner_col, owner_id.into())?;
                row.try_set(target_col, target.into())?;
                rows.push(row);
            }
            if !rows.is_empty() {
                L::insert_many(rows).exec_without_returning(db).await?;
            }
            Ok(())
        }
    }
}

/// The total a page of `len` items at `offset` shows by itself: a short page that is not past
/// the end (or an empty first page) ends the table. `None` means a `COUNT` is needed.
pub fn total_from_page(len: usize, offset: u64, limit: u64) -> Option<u64> {
    let len = len as u64;
    (len < limit && (len > 0 || offset == 0)).then_some(offset + len)
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

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveValue::Set, DatabaseConnection, Schema};

    use super::*;
    use crate::testing::TestDatabase;

    mod owner {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "repo_owner")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: i64,
            pub name: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    mod link {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "repo_link")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub owner_id: i64,
            pub target_id: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    impl Repository for owner::Entity {
        fn id_column() -> owner::Column {
            owner::Column::Id
        }
    }

    impl Repository for link::Entity {
        fn id_column() -> link::Column {
            link::Column::Id
        }
    }

    /// A fresh database with owners 1..=5 named `o1`..`o5`, inserted in reverse order.
    async fn seeded() -> (TestDatabase, DatabaseConnection) {
        let test_db = TestDatabase::create_from_env().await.unwrap();
        let db = test_db.connect().await.unwrap();
        let schema = Schema::new(db.get_database_backend());
        for table in [
            schema.create_table_from_entity(owner::Entity),
            schema.create_table_from_entity(link::Entity),
        ] {
            db.execute(&table).await.unwrap();
        }
        let owners = (1..=5).rev().map(|id| owner::ActiveModel {
            id: Set(id),
            name: Set(format!("o{id}")),
        });
        owner::Entity::insert_many(owners)
            .exec_without_returning(&db)
            .await
            .unwrap();
        (test_db, db)
    }

    fn ids(models: &[owner::Model]) -> Vec<i64> {
        models.iter().map(|m| m.id).collect()
    }

    #[test]
    fn short_pages_show_the_total() {
        assert_eq!(total_from_page(3, 0, 10), Some(3));
        assert_eq!(total_from_page(0, 0, 10), Some(0));
        assert_eq!(total_from_page(4, 20, 10), Some(24));
        // A full page, or an empty page past the first, needs a COUNT.
        assert_eq!(total_from_page(10, 0, 10), None);
        assert_eq!(total_from_page(0, 20, 10), None);
    }

    #[test]
    fn links_group_by_owner_without_repeats() {
        let targets: HashMap<i64, (i64, &str)> =
            [(1, (1, "a")), (2, (2, "b")), (3, (3, "c"))].into();
        let grouped = group_links([(7, 3), (7, 1), (7, 3), (8, 9), (9, 2)], &targets, |t| t.0);
        assert_eq!(grouped[&7], vec![(1, "a"), (3, "c")]);
        assert_eq!(grouped[&9], vec![(2, "b")]);
        assert!(!grouped.contains_key(&8));
    }

    #[tokio::test]
    async fn reads_find_rows_by_id_and_column_in_id_order() {
        let (test_db, db) = seeded().await;
        assert_eq!(
            owner::Entity::get(&db, 2).await.unwrap().unwrap().name,
            "o2"
        );
        assert!(owner::Entity::get(&db, 9).await.unwrap().is_none());
        let by_name = owner::Entity::get_by(&db, owner::Column::Name, "o4").await;
        assert_eq!(by_name.unwrap().unwrap().id, 4);
        assert_eq!(
            ids(&owner::Entity::list(&db).await.unwrap()),
            [1, 2, 3, 4, 5]
        );
        let many = owner::Entity::get_many(&db, &[4, 9, 2]).await.unwrap();
        assert_eq!(ids(&many), [2, 4]);
        assert!(owner::Entity::get_many(&db, &[]).await.unwrap().is_empty());
        let mut found = owner::Entity::existing_ids(&db, &[5, 7, 1]).await.unwrap();
        found.sort_unstable();
        assert_eq!(found, [1, 5]);
        assert!(
            owner::Entity::existing_ids(&db, &[])
                .await
                .unwrap()
                .is_empty()
        );
        let _ = db.close().await;
        test_db.drop_database().await;
    }

    #[tokio::test]
    async fn pages_count_only_when_the_page_does_not_show_the_total() {
        let (test_db, db) = seeded().await;
        let select = || owner::Entity::find().order_by_desc(owner::Column::Id);
        let (items, total) = owner::Entity::page(&db, select(), Some(0), 2)
            .await
            .unwrap();
        assert_eq!((ids(&items), total), (vec![5, 4], 5));
        let (items, total) = owner::Entity::page(&db, select(), Some(4), 2)
            .await
            .unwrap();
        assert_eq!((ids(&items), total), (vec![1], 5));
        let (items, total) = owner::Entity::page(&db, select(), Some(10), 2)
            .await
            .unwrap();
        assert_eq!((items.len(), total), (0, 5));
        let (items, total) = owner::Entity::page(&db, select(), None, 2).await.unwrap();
        assert_eq!((items.len(), total), (0, 5));
        let _ = db.close().await;
        test_db.drop_database().await;
    }

    #[tokio::test]
    async fn writes_update_delete_and_replace_links() {
        let (test_db, db) = seeded().await;
        let rename = owner::ActiveModel {
            name: Set("renamed".into()),
            ..Default::default()
        };
        assert_eq!(
            owner::Entity::update_by_id(&db, 3, rename).await.unwrap(),
            1
        );
        assert_eq!(
            owner::Entity::get(&db, 3).await.unwrap().unwrap().name,
            "renamed"
        );

        owner::Entity::replace_links(
            &db,
            1,
            link::Column::OwnerId,
            link::Column::TargetId,
            &[4, 2, 4],
        )
        .await
        .unwrap();
        owner::Entity::replace_links(&db, 2, link::Column::OwnerId, link::Column::TargetId, &[2])
            .await
            .unwrap();
        let targets = |owner: i64| {
            let db = &db;
            async move {
                let mut t = link::Entity::linked_ids(
                    db,
                    link::Column::TargetId,
                    link::Column::OwnerId,
                    &[owner],
                )
                .await
                .unwrap();
                t.sort_unstable();
                t
            }
        };
        assert_eq!(targets(1).await, [2, 4]);
        let rows = link::Entity::list_where_in(&db, link::Column::OwnerId, &[1]).await;
        let rows: Vec<(i64, i64)> = rows
            .unwrap()
            .iter()
            .map(|l| (l.owner_id, l.target_id))
            .collect();
        assert_eq!(rows, [(1, 4), (1, 2)], "link rows in id (insertion) order");
        owner::Entity::replace_links(&db, 1, link::Column::OwnerId, link::Column::TargetId, &[5])
            .await
            .unwrap();
        assert_eq!(targets(1).await, [5]);
        // Distinct over several keys: both owners link target 2 once each → one 2.
        owner::Entity::replace_links(
            &db,
            1,
            link::Column::OwnerId,
            link::Column::TargetId,
            &[2, 3],
        )
        .await
        .unwrap();
        let mut both =
            link::Entity::linked_ids(&db, link::Column::TargetId, link::Column::OwnerId, &[1, 2])
                .await
                .unwrap();
        both.sort_unstable();
        assert_eq!(both, [2, 3]);
        let via = owner::Entity::belongs_to(link::Entity)
            .from(owner::Column::Id)
            .to(link::Column::OwnerId)
            .into();
        let linking_2 = owner::Entity::linked_through(via, link::Column::TargetId, 2)
            .order_by_asc(owner::Column::Id)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(ids(&linking_2), [1, 2], "each owner once");

        let deleted = link::Entity::delete_where_in(&db, link::Column::OwnerId, &[1]).await;
        assert_eq!(deleted.unwrap(), 2);
        assert_eq!(owner::Entity::delete_ids(&db, &[1, 2, 9]).await.unwrap(), 2);
        assert_eq!(owner::Entity::delete_ids(&db, &[]).await.unwrap(), 0);
        assert_eq!(ids(&owner::Entity::list(&db).await.unwrap()), [3, 4, 5]);
        assert_eq!(owner::Entity::delete_all(&db).await.unwrap(), 3);
        let _ = db.close().await;
        test_db.drop_database().await;
    }
}
