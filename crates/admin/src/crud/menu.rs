//! Queries on `sys_menu` (and the `sys_role_menu` rows that point at a menu). Lists are ordered
//! `sort ASC, id ASC` so ties come back the same on every database. Get and ids are
//! [`Repository`]'s.

use chrono::Utc;
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::model::{sys_menu, sys_role_menu};
use crate::schema::menu::{MENU_TYPE_BUTTON, MenuFilter, ValidMenu};

/// Menu types shown in the sidebar: directory, menu, embedded page, external link.
pub const SIDEBAR_TYPES: [i32; 4] = [0, 1, 3, 4];

/// A non-button menu titled exactly `title` (FBA's title-uniqueness rule ignores buttons).
///
/// # Errors
/// A database failure.
pub async fn get_by_title<C: ConnectionTrait>(
    db: &C,
    title: &str,
) -> Result<Option<sys_menu::Model>, DbErr> {
    sys_menu::Entity::find()
        .filter(sys_menu::Column::Title.eq(title))
        .filter(sys_menu::Column::Type.ne(MENU_TYPE_BUTTON))
        .one(db)
        .await
}

/// Every menu matching `filter`, in `sort` order.
///
/// # Errors
/// A database failure.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &MenuFilter,
) -> Result<Vec<sys_menu::Model>, DbErr> {
    let mut q = sys_menu::Entity::find();
    if let Some(title) = &filter.title {
        q = q.filter(sys_menu::Column::Title.contains(title.as_str()));
    }
    if let Some(status) = filter.status {
        q = q.filter(sys_menu::Column::Status.eq(status));
    }
    q.order_by_asc(sys_menu::Column::Sort)
        .order_by_asc(sys_menu::Column::Id)
        .all(db)
        .await
}

/// Sidebar menus (types 0, 1, 3, 4) in `sort` order: all of them when `ids` is `None`, else
/// those among `ids`. One query.
///
/// # Errors
/// A database failure.
pub async fn sidebar<C: ConnectionTrait>(
    db: &C,
    ids: Option<&[i64]>,
) -> Result<Vec<sys_menu::Model>, DbErr> {
    let mut q = sys_menu::Entity::find().filter(sys_menu::Column::Type.is_in(SIDEBAR_TYPES));
    if let Some(ids) = ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        q = q.filter(sys_menu::Column::Id.is_in(ids.iter().copied()));
    }
    q.order_by_asc(sys_menu::Column::Sort)
        .order_by_asc(sys_menu::Column::Id)
        .all(db)
        .await
}

/// Whether a menu has `parent_id` = `id`.
///
/// # Errors
/// A database failure.
pub async fn has_children<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool, DbErr> {
    Ok(sys_menu::Entity::find()
        .select_only()
        .column(sys_menu::Column::Id)
        .filter(sys_menu::Column::ParentId.eq(id))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// `(id, parent_id)` of every menu (to walk ancestor chains).
///
/// # Errors
/// A database failure.
pub async fn parent_links<C: ConnectionTrait>(db: &C) -> Result<Vec<(i64, Option<i64>)>, DbErr> {
    sys_menu::Entity::find()
        .select_only()
        .column(sys_menu::Column::Id)
        .column(sys_menu::Column::ParentId)
        .into_tuple::<(i64, Option<i64>)>()
        .all(db)
        .await
}

fn apply(am: &mut sys_menu::ActiveModel, m: &ValidMenu) {
    am.title = Set(m.title.clone());
    am.name = Set(m.name.clone());
    am.path = Set(m.path.clone());
    am.parent_id = Set(m.parent_id);
    am.sort = Set(m.sort);
    am.icon = Set(m.icon.clone());
    am.r#type = Set(m.menu_type);
    am.component = Set(m.component.clone());
    am.perms = Set(m.perms.clone());
    am.status = Set(m.status);
    am.display = Set(m.display);
    am.cache = Set(m.cache);
    am.link = Set(m.link.clone());
    am.remark = Set(m.remark.clone());
}

/// Inserts a menu; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    menu: &ValidMenu,
) -> Result<sys_menu::Model, DbErr> {
    let mut am = sys_menu::ActiveModel {
        id: id.map_or(NotSet, Set),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..Default::default()
    };
    apply(&mut am, menu);
    am.insert(db).await
}

/// Overwrites menu `id` with `menu`; returns the number of rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(db: &C, id: i64, menu: &ValidMenu) -> Result<u64, DbErr> {
    let mut am = sys_menu::ActiveModel {
        updated_time: Set(Some(Utc::now())),
        ..Default::default()
    };
    apply(&mut am, menu);
    sys_menu::Entity::update_by_id(db, id, am).await
}

/// Deletes menu `id` and its `sys_role_menu` rows; returns the number of menus deleted.
///
/// # Errors
/// A database failure.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i64) -> Result<u64, DbErr> {
    sys_role_menu::Entity::delete_where_in(db, sys_role_menu::Column::MenuId, &[id]).await?;
    sys_menu::Entity::delete_ids(db, &[id]).await
}

/// Ids of the users holding a role that grants menu `menu_id` (distinct).
///
/// # Errors
/// A database failure.
pub async fn user_ids_by_menu<C: ConnectionTrait>(db: &C, menu_id: i64) -> Result<Vec<i64>, DbErr> {
    let role_ids = sys_role_menu::Entity::linked_ids(
        db,
        sys_role_menu::Column::RoleId,
        sys_role_menu::Column::MenuId,
        &[menu_id],
    )
    .await?;
    super::role::user_ids_by_roles(db, &role_ids).await
}
