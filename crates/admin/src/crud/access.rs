//! What authentication and RBAC read: the authenticated user with its dept, roles, menus and
//! data scopes (FBA's `UserInfoWithRelation`), the `(role, permission code)` rows of the casbin
//! policy, and every menu permission code.

use std::collections::HashMap;

use fba_common::security::{
    CurrentUser, UserDataRule, UserDataScope, UserDept, UserMenu, UserRole,
};
use fba_db::Repository;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::model::{
    sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_dept, sys_menu, sys_role,
    sys_role_data_scope, sys_role_menu, sys_user, sys_user_role,
};

/// The user with dept, roles, the roles' menus and data scopes with rules — FBA's
/// `UserInfoWithRelation`, as authentication caches it. Seven small queries, none per row.
///
/// # Errors
/// A database failure.
pub async fn load_current_user<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<CurrentUser>, DbErr> {
    let Some(user) = sys_user::Entity::get(db, id).await? else {
        return Ok(None);
    };
    let dept = match user.dept_id {
        Some(dept_id) => sys_dept::Entity::get(db, dept_id).await?,
        None => None,
    };
    let role_ids = sys_user_role::Entity::linked_ids(
        db,
        sys_user_role::Column::RoleId,
        sys_user_role::Column::UserId,
        &[id],
    )
    .await?;
    let roles = if role_ids.is_empty() {
        Vec::new()
    } else {
        load_roles(db, &role_ids).await?
    };
    Ok(Some(CurrentUser {
        id: user.id,
        uuid: user.uuid,
        username: user.username,
        nickname: user.nickname,
        avatar: user.avatar,
        email: user.email,
        phone: user.phone,
        status: user.status,
        is_superuser: user.is_superuser,
        is_staff: user.is_staff,
        is_multi_login: user.is_multi_login,
        join_time: user.join_time,
        last_login_time: user.last_login_time,
        last_password_changed_time: user.last_password_changed_time,
        dept_id: user.dept_id,
        dept: dept.map(|d| UserDept {
            id: d.id,
            name: d.name,
            status: d.status,
            del_flag: d.del_flag,
        }),
        roles,
    }))
}

async fn load_roles<C: ConnectionTrait>(db: &C, role_ids: &[i64]) -> Result<Vec<UserRole>, DbErr> {
    let roles = sys_role::Entity::get_many(db, role_ids).await?;
    let role_menus =
        sys_role_menu::Entity::list_where_in(db, sys_role_menu::Column::RoleId, role_ids).await?;
    let menu_ids: Vec<i64> = role_menus.iter().map(|rm| rm.menu_id).collect();
    let menus = by_id(sys_menu::Entity::get_many(db, &menu_ids).await?, |m| m.id);
    let role_scopes = sys_role_data_scope::Entity::list_where_in(
        db,
        sys_role_data_scope::Column::RoleId,
        role_ids,
    )
    .await?;
    let scope_ids: Vec<i64> = role_scopes.iter().map(|rs| rs.data_scope_id).collect();
    let scopes = by_id(
        sys_data_scope::Entity::get_many(db, &scope_ids).await?,
        |s| s.id,
    );
    let scope_rules = sys_data_scope_rule::Entity::list_where_in(
        db,
        sys_data_scope_rule::Column::DataScopeId,
        &scope_ids,
    )
    .await?;
    let rule_ids: Vec<i64> = scope_rules.iter().map(|sr| sr.data_rule_id).collect();
    let rules = by_id(sys_data_rule::Entity::get_many(db, &rule_ids).await?, |r| {
        r.id
    });
    Ok(roles
        .into_iter()
        .map(|role| {
            let mut role_menus: Vec<UserMenu> = role_menus
                .iter()
                .filter(|rm| rm.role_id == role.id)
                .filter_map(|rm| menus.get(&rm.menu_id))
                .map(|m| UserMenu {
                    id: m.id,
                    perms: m.perms.clone(),
                    status: m.status,
                    menu_type: m.r#type,
                })
                .collect();
            role_menus.sort_by_key(|m| m.id);
            let role_scopes = role_scopes
                .iter()
                .filter(|rs| rs.role_id == role.id)
                .filter_map(|rs| scopes.get(&rs.data_scope_id))
                .map(|s| UserDataScope {
                    id: s.id,
                    name: s.name.clone(),
                    status: s.status,
                    rules: scope_rules
                        .iter()
                        .filter(|sr| sr.data_scope_id == s.id)
                        .filter_map(|sr| rules.get(&sr.data_rule_id))
                        .map(|r| UserDataRule {
                            id: r.id,
                            model: r.model.clone(),
                            column: r.column.clone(),
                            operator: r.operator,
                            expression: r.expression,
                            value: r.value.clone(),
                        })
                        .collect(),
                })
                .collect();
            UserRole {
                id: role.id,
                name: role.name,
                status: role.status,
                is_filter_scopes: role.is_filter_scopes,
                menus: role_menus,
                scopes: role_scopes,
            }
        })
        .collect())
}

/// `models` keyed by id.
fn by_id<M>(models: Vec<M>, id: impl Fn(&M) -> i64) -> HashMap<i64, M> {
    models.into_iter().map(|m| (id(&m), m)).collect()
}

/// `(role id, permission code)` for every enabled menu with perms of every enabled role.
///
/// # Errors
/// A database failure.
pub async fn role_permissions<C: ConnectionTrait>(db: &C) -> Result<Vec<(i64, String)>, DbErr> {
    let roles: Vec<i64> = sys_role::Entity::find()
        .filter(sys_role::Column::Status.eq(1))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let links =
        sys_role_menu::Entity::list_where_in(db, sys_role_menu::Column::RoleId, &roles).await?;
    let menus: HashMap<i64, String> = sys_menu::Entity::find()
        .filter(sys_menu::Column::Status.eq(1))
        .filter(sys_menu::Column::Perms.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.perms.map(|p| (m.id, p)))
        .collect();
    let mut out: Vec<(i64, String)> = links
        .iter()
        .filter_map(|l| menus.get(&l.menu_id).map(|p| (l.role_id, p)))
        .flat_map(|(role, perms)| {
            perms
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(move |p| (role, p.to_owned()))
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Permission codes of every enabled menu (what a superuser has: FBA `GET /auth/codes`).
///
/// # Errors
/// A database failure.
pub async fn all_menu_codes<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let mut codes: Vec<String> = sys_menu::Entity::find()
        .filter(sys_menu::Column::Status.eq(1))
        .filter(sys_menu::Column::Perms.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.perms)
        .flat_map(|p| {
            p.split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    codes.sort();
    codes.dedup();
    Ok(codes)
}
