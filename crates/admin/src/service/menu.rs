//! Menu rules: the vben5 sidebar of the current user, the menu tree, and menu writes with
//! FBA's checks (unique non-button title, existing parent, no self-parent — and, beyond FBA, no
//! descendant as parent, which would make both menus vanish from every tree).
//!
//! After a change that can alter what users may see or do (update, delete), the cached users
//! (`fba:user:{uid}`) of the roles granting the menu are dropped and the RBAC policy is reloaded
//! here and announced to the other replicas, so the change applies to the next request
//! everywhere. Writes commit before that happens.

use std::collections::HashSet;

use fba_common::security::{CurrentUser, Security};
use fba_common::tree::{TreeNode, build_tree};
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use crate::crud;
use crate::error::AdminError;
use crate::model::sys_menu;
use crate::schema::menu::{MenuDetail, MenuFilter, MenuTree, SidebarNode, ValidMenu};

/// Menus nested as FBA's `GetMenuTree` (`children: null` on leaves).
pub fn menu_tree(menus: Vec<sys_menu::Model>) -> Vec<MenuTree> {
    fn convert(node: TreeNode<sys_menu::Model>) -> MenuTree {
        let children =
            (!node.children.is_empty()).then(|| node.children.into_iter().map(convert).collect());
        MenuTree {
            menu: MenuDetail::from(node.item),
            children,
        }
    }
    build_tree(menus, |m| (m.id, m.parent_id))
        .into_iter()
        .map(convert)
        .collect()
}

fn sidebar_tree(menus: Vec<sys_menu::Model>) -> Vec<SidebarNode> {
    fn convert(node: TreeNode<sys_menu::Model>) -> SidebarNode {
        let mut out = SidebarNode::from(node.item);
        out.children = node.children.into_iter().map(convert).collect();
        out
    }
    build_tree(menus, |m| (m.id, m.parent_id))
        .into_iter()
        .map(convert)
        .collect()
}

/// The vben5 sidebar of `user`: every non-button menu for a superuser; otherwise the
/// non-button menus granted by the user's enabled roles (ids from the cached user, so one
/// query). A user whose enabled roles grant no menu gets `[]` (FBA returns every menu then).
///
/// # Errors
/// A database failure.
pub async fn sidebar(
    state: &AppState,
    security: &Security,
    user: &CurrentUser,
) -> AppResult<Vec<SidebarNode>> {
    let all = sidebar_menus(state, security).await?;
    let menus = if user.is_superuser {
        all.as_ref().clone()
    } else {
        let ids: HashSet<i64> = user
            .enabled_roles()
            .flat_map(|r| r.menus.iter().map(|m| m.id))
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        all.iter()
            .filter(|m| ids.contains(&m.id))
            .cloned()
            .collect()
    };
    Ok(sidebar_tree(menus))
}

/// Every sidebar menu (types 0, 1, 3, 4 in `sort` order), from the in-process cache while the
/// RBAC generation is unchanged (every menu or role change bumps it on every replica).
async fn sidebar_menus(
    state: &AppState,
    security: &Security,
) -> AppResult<std::sync::Arc<Vec<sys_menu::Model>>> {
    const KEY: &str = "admin.sidebar_menus";
    let generation = security.rbac.generation();
    if let Some(menus) = state.local.get::<Vec<sys_menu::Model>>(KEY, generation) {
        return Ok(menus);
    }
    let menus = std::sync::Arc::new(crud::menu::sidebar(&state.db, None).await?);
    state
        .local
        .put(KEY, generation, std::sync::Arc::clone(&menus));
    Ok(menus)
}

/// One menu.
///
/// # Errors
/// 404 `菜单不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<MenuDetail> {
    sys_menu::Entity::get(db, pk)
        .await?
        .map(MenuDetail::from)
        .ok_or_else(|| AdminError::MenuNotFound.into())
}

/// The menu tree matching `filter`.
///
/// # Errors
/// A database failure.
pub async fn tree<C: ConnectionTrait>(db: &C, filter: &MenuFilter) -> AppResult<Vec<MenuTree>> {
    Ok(menu_tree(crud::menu::list(db, filter).await?))
}

/// Creates a menu.
///
/// # Errors
/// 409 `菜单标题已存在`, 404 `父级菜单不存在`; a database failure.
pub async fn create(state: &AppState, security: &Security, menu: ValidMenu) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if crud::menu::get_by_title(&txn, &menu.title).await?.is_some() {
        return Err(AdminError::MenuTitleTaken.into());
    }
    // FBA checks the parent only for a truthy id: 0 is stored as given (and shown as a root).
    if let Some(parent) = menu.parent_id.filter(|p| *p != 0)
        && sys_menu::Entity::get(&txn, parent).await?.is_none()
    {
        return Err(AdminError::MenuParentNotFound.into());
    }
    crud::menu::create(&txn, id, &menu).await?;
    txn.commit().await?;
    // No role holds the new menu yet, but cached sidebars (a superuser's) must show it.
    security.rbac.policy_changed(&state.kv).await
}

/// Updates menu `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `菜单不存在` / `父级菜单不存在`, 409 `菜单标题已存在`, 403 `禁止关联自身为父级`
/// (itself or one of its descendants); a database or Kv failure.
pub async fn update(
    state: &AppState,
    security: &Security,
    pk: i64,
    menu: ValidMenu,
) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = sys_menu::Entity::get(&txn, pk)
        .await?
        .ok_or(AdminError::MenuNotFound)?;
    if current.title != menu.title && crud::menu::get_by_title(&txn, &menu.title).await?.is_some() {
        return Err(AdminError::MenuTitleTaken.into());
    }
    if let Some(parent) = menu.parent_id.filter(|p| *p != 0) {
        if sys_menu::Entity::get(&txn, parent).await?.is_none() {
            return Err(AdminError::MenuParentNotFound.into());
        }
        if super::is_self_or_descendant(crud::menu::parent_links(&txn).await?, pk, parent) {
            return Err(AdminError::MenuSelfParent.into());
        }
    }
    let count = crud::menu::update(&txn, pk, &menu).await?;
    let users = crud::menu::user_ids_by_menu(&txn, pk).await?;
    txn.commit().await?;
    super::access::access_changed(state, security, &users).await?;
    Ok(count)
}

/// Deletes menu `pk` and its role links; returns the menus deleted (0 → FBA's soft failure).
///
/// # Errors
/// 409 `菜单下存在子菜单，无法删除`; a database or Kv failure.
pub async fn delete(state: &AppState, security: &Security, pk: i64) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    if crud::menu::has_children(&txn, pk).await? {
        return Err(AdminError::MenuHasChildren.into());
    }
    // Collected before the role links go (FBA looks after deleting them and finds nobody).
    let users = crud::menu::user_ids_by_menu(&txn, pk).await?;
    let count = crud::menu::delete(&txn, pk).await?;
    txn.commit().await?;
    if count > 0 {
        super::access::access_changed(state, security, &users).await?;
    }
    Ok(count)
}
