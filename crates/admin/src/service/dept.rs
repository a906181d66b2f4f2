//! Department rules: one department, the department tree a user may see (filters plus the
//! data-permission filter on model `Dept`), and department writes with FBA's checks (unique
//! name among departments not deleted, existing parent, no self-parent — and, beyond FBA, no
//! descendant as parent, which would make both departments vanish from every tree). Delete is
//! logical (`del_flag = true`) and refused while the department has users or children.
//!
//! Beyond FBA (Appendix A, quirk 17): after an update commits, the cached users of the
//! department (`fba:user:{uid}`) are dropped, so a locked or renamed department applies to their
//! next request. (A delete needs no such step: it is refused while the department has users.)

use fba_common::security::{CurrentUser, invalidate_user};
use fba_common::tree::{TreeNode, build_tree};
use fba_common::{AppResult, AppState};
use sea_orm::ConnectionTrait;

use super::data_permission;
use crate::crud;
use crate::error::AdminError;
use crate::model::sys_dept;
use crate::schema::dept::{DeptDetail, DeptFilter, DeptTree, ValidDept};

async fn require<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<sys_dept::Model> {
    crud::dept::get(db, pk)
        .await?
        .ok_or_else(|| AdminError::DeptNotFound.into())
}

/// One department (deleted ones count as missing).
///
/// # Errors
/// 404 `部门不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<DeptDetail> {
    Ok(DeptDetail::from(require(db, pk).await?))
}

/// Departments nested as FBA's `GetDeptTree` (`children: null` on leaves); a department whose
/// parent is not in `depts` is a root.
pub fn dept_tree(depts: Vec<sys_dept::Model>) -> Vec<DeptTree> {
    fn convert(node: TreeNode<sys_dept::Model>) -> DeptTree {
        let children =
            (!node.children.is_empty()).then(|| node.children.into_iter().map(convert).collect());
        DeptTree {
            dept: DeptDetail::from(node.item),
            children,
        }
    }
    build_tree(depts, |d| (d.id, d.parent_id))
        .into_iter()
        .map(convert)
        .collect()
}

/// The tree of the departments `user` may see (FBA's data permission on `Dept`) that match
/// `filter`.
///
/// # Errors
/// A database failure.
pub async fn tree<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    filter: &DeptFilter,
) -> AppResult<Vec<DeptTree>> {
    let data_filter = data_permission::filter(user, &[&data_permission::DEPT]);
    Ok(dept_tree(crud::dept::list(db, filter, data_filter).await?))
}

/// Creates a department.
///
/// # Errors
/// 409 `部门名称已存在`, 404 `父级部门不存在`; a database failure.
pub async fn create(state: &AppState, dept: ValidDept) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if crud::dept::get_by_name(&txn, &dept.name).await?.is_some() {
        return Err(AdminError::DeptNameTaken.into());
    }
    if let Some(parent) = dept.parent_id
        && crud::dept::get(&txn, parent).await?.is_none()
    {
        return Err(AdminError::DeptParentNotFound.into());
    }
    crud::dept::create(&txn, id, &dept).await?;
    txn.commit().await?;
    Ok(())
}

/// Drops the cached users `user_ids`.
async fn invalidate_users(state: &AppState, user_ids: &[i64]) -> AppResult<()> {
    for &uid in user_ids {
        invalidate_user(state, uid).await?;
    }
    Ok(())
}

/// Updates department `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `部门不存在` / `父级部门不存在`, 409 `部门名称已存在`, 403 `禁止关联自身为父级`
/// (itself or one of its descendants); a database or Kv failure.
pub async fn update(state: &AppState, pk: i64, dept: ValidDept) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = require(&txn, pk).await?;
    if current.name != dept.name && crud::dept::get_by_name(&txn, &dept.name).await?.is_some() {
        return Err(AdminError::DeptNameTaken.into());
    }
    // FBA checks the parent only for a truthy id: 0 is stored as given (and shown as a root).
    if let Some(parent) = dept.parent_id.filter(|p| *p != 0) {
        if crud::dept::get(&txn, parent).await?.is_none() {
            return Err(AdminError::DeptParentNotFound.into());
        }
        if super::is_self_or_descendant(crud::dept::parent_links(&txn).await?, pk, parent) {
            return Err(AdminError::DeptSelfParent.into());
        }
    }
    let count = crud::dept::update(&txn, pk, &dept).await?;
    let users = crud::dept::user_ids(&txn, pk).await?;
    txn.commit().await?;
    invalidate_users(state, &users).await?;
    Ok(count)
}

/// Deletes department `pk` logically; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `部门不存在`, 409 `部门下存在用户，无法删除` / `部门下存在子部门，无法删除`; a database
/// failure.
pub async fn delete(state: &AppState, pk: i64) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    require(&txn, pk).await?;
    if !crud::dept::user_ids(&txn, pk).await?.is_empty() {
        return Err(AdminError::DeptHasUsers.into());
    }
    if crud::dept::has_children(&txn, pk).await? {
        return Err(AdminError::DeptHasChildren.into());
    }
    let count = crud::dept::soft_delete(&txn, pk).await?;
    txn.commit().await?;
    Ok(count)
}
