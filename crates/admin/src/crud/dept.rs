//! Queries on `sys_dept` (and the users of a department). Departments with `del_flag = true`
//! are deleted: every query here ignores them. (The [`fba_db::Repository`] methods do not: a
//! user's detail shows its department whatever its flag.)

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition,
    ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use crate::model::{sys_dept, sys_user};
use crate::schema::dept::{DeptFilter, ValidDept};

/// The departments not deleted.
fn live() -> Select<sys_dept::Entity> {
    sys_dept::Entity::find().filter(sys_dept::Column::DelFlag.eq(false))
}

/// The department with `id`, unless deleted (FBA's `dept_dao.get`).
///
/// # Errors
/// A database failure.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<sys_dept::Model>, DbErr> {
    live().filter(sys_dept::Column::Id.eq(id)).one(db).await
}

/// The department named exactly `name`, among those not deleted.
///
/// # Errors
/// A database failure.
pub async fn get_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<sys_dept::Model>, DbErr> {
    live().filter(sys_dept::Column::Name.eq(name)).one(db).await
}

/// The departments not deleted that match `filter` and the data-permission condition
/// `data_filter`, in `sort` order (then id).
///
/// # Errors
/// A database failure.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &DeptFilter,
    data_filter: Condition,
) -> Result<Vec<sys_dept::Model>, DbErr> {
    let mut q = live();
    if let Some(name) = &filter.name {
        q = q.filter(sys_dept::Column::Name.contains(name.as_str()));
    }
    if let Some(leader) = &filter.leader {
        q = q.filter(sys_dept::Column::Leader.contains(leader.as_str()));
    }
    if let Some(phone) = &filter.phone {
        q = q.filter(sys_dept::Column::Phone.starts_with(phone.as_str()));
    }
    if let Some(status) = filter.status {
        q = q.filter(sys_dept::Column::Status.eq(status));
    }
    q.filter(data_filter)
        .order_by_asc(sys_dept::Column::Sort)
        .order_by_asc(sys_dept::Column::Id)
        .all(db)
        .await
}

/// `(id, parent_id)` of every department not deleted.
///
/// # Errors
/// A database failure.
pub async fn parent_links<C: ConnectionTrait>(db: &C) -> Result<Vec<(i64, Option<i64>)>, DbErr> {
    live()
        .select_only()
        .column(sys_dept::Column::Id)
        .column(sys_dept::Column::ParentId)
        .into_tuple::<(i64, Option<i64>)>()
        .all(db)
        .await
}

/// The columns of a department that its body sets (the others `NotSet`).
fn fields(dept: &ValidDept) -> sys_dept::ActiveModel {
    sys_dept::ActiveModel {
        name: Set(dept.name.clone()),
        sort: Set(dept.sort),
        leader: Set(dept.leader.clone()),
        phone: Set(dept.phone.clone()),
        email: Set(dept.email.clone()),
        status: Set(dept.status),
        parent_id: Set(dept.parent_id),
        ..Default::default()
    }
}

/// Inserts a department; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    dept: &ValidDept,
) -> Result<sys_dept::Model, DbErr> {
    sys_dept::ActiveModel {
        id: id.map_or(NotSet, Set),
        del_flag: Set(false),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..fields(dept)
    }
    .insert(db)
    .await
}

/// Overwrites department `id` (unless deleted) with `dept`; returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(db: &C, id: i64, dept: &ValidDept) -> Result<u64, DbErr> {
    update_live(db, id, fields(dept)).await
}

/// Marks department `id` deleted (`del_flag = true`); returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn soft_delete<C: ConnectionTrait>(db: &C, id: i64) -> Result<u64, DbErr> {
    let am = sys_dept::ActiveModel {
        del_flag: Set(true),
        ..Default::default()
    };
    update_live(db, id, am).await
}

/// Sets the columns `changes` holds, and `updated_time`, on department `id` unless deleted;
/// returns the rows changed.
async fn update_live<C: ConnectionTrait>(
    db: &C,
    id: i64,
    mut changes: sys_dept::ActiveModel,
) -> Result<u64, DbErr> {
    changes.updated_time = Set(Some(Utc::now()));
    let res = sys_dept::Entity::update_many()
        .set(changes)
        .filter(sys_dept::Column::Id.eq(id))
        .filter(sys_dept::Column::DelFlag.eq(false))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Whether any department not deleted has `id` as parent.
///
/// # Errors
/// A database failure.
pub async fn has_children<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(live()
        .filter(sys_dept::Column::ParentId.eq(id))
        .count(db)
        .await?
        > 0)
}

/// Ids of the users of department `id` (whatever their status).
///
/// # Errors
/// A database failure.
pub async fn user_ids<C: ConnectionTrait>(db: &C, id: i64) -> Result<Vec<i64>, DbErr> {
    sys_user::Entity::find()
        .select_only()
        .column(sys_user::Column::Id)
        .filter(sys_user::Column::DeptId.eq(id))
        .into_tuple::<i64>()
        .all(db)
        .await
}
