//! Seed rows other crates add to the admin tables through their module's
//! [`fba_common::module::Module::seed`]: their menus, with the permission codes their routes
//! check ([`ensure_menus`]).

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter,
};

use crate::model::sys_menu;

/// One `sys_menu` row a module needs (FBA's menu fields). As FBA's plugin scripts seed them:
/// status and cache on, shown in the sidebar unless a button, `link` empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuSeed {
    /// `name`: the route name, unique among the seeded menus; how the row is found again.
    pub name: &'static str,
    /// `title`: an i18n key for pages, a label for buttons.
    pub title: &'static str,
    /// `path`: the route path (none for buttons).
    pub path: Option<&'static str>,
    /// `sort`.
    pub sort: i32,
    /// `icon`.
    pub icon: Option<&'static str>,
    /// `type`: 0 directory, 1 menu, 2 button, 3 embedded page, 4 external link.
    pub menu_type: i32,
    /// `component`: the front-end view.
    pub component: Option<&'static str>,
    /// `perms`: the permission code(s) the module's routes check (buttons).
    pub perms: Option<&'static str>,
    /// The `name` of the parent menu (seeded before it, by FBA or by this list), `None` for a
    /// root.
    pub parent: Option<&'static str>,
}

impl MenuSeed {
    /// A button (`type` 2) named `name` under `parent`, granting `perms`.
    pub const fn button(
        name: &'static str,
        title: &'static str,
        perms: &'static str,
        parent: &'static str,
    ) -> Self {
        Self {
            name,
            title,
            path: None,
            sort: 0,
            icon: None,
            menu_type: 2,
            component: None,
            perms: Some(perms),
            parent: Some(parent),
        }
    }
}

/// Inserts the menus of `menus` whose `name` no menu has yet, in order (a parent before its
/// children); returns how many it inserted. Idempotent: a second run inserts nothing, and a
/// menu an administrator edited (same `name`) is left as it is.
///
/// # Errors
/// A database failure, or [`DbErr::RecordNotFound`] when a parent is missing.
pub async fn ensure_menus<C: ConnectionTrait>(db: &C, menus: &[MenuSeed]) -> Result<usize, DbErr> {
    let mut inserted = 0;
    for menu in menus {
        if id_of(db, menu.name).await?.is_some() {
            continue;
        }
        let parent_id = match menu.parent {
            Some(parent) => Some(id_of(db, parent).await?.ok_or_else(|| {
                DbErr::RecordNotFound(format!("parent menu {parent:?} of {:?}", menu.name))
            })?),
            None => None,
        };
        sys_menu::ActiveModel {
            id: NotSet,
            title: Set(menu.title.to_owned()),
            name: Set(menu.name.to_owned()),
            path: Set(menu.path.map(str::to_owned)),
            sort: Set(menu.sort),
            icon: Set(menu.icon.map(str::to_owned)),
            r#type: Set(menu.menu_type),
            component: Set(menu.component.map(str::to_owned)),
            perms: Set(menu.perms.map(str::to_owned)),
            status: Set(1),
            display: Set(i32::from(menu.menu_type != 2)),
            cache: Set(1),
            link: Set(Some(String::new())),
            remark: Set(None),
            parent_id: Set(parent_id),
            created_time: Set(chrono::Utc::now()),
            updated_time: Set(None),
        }
        .insert(db)
        .await?;
        inserted += 1;
    }
    Ok(inserted)
}

async fn id_of<C: ConnectionTrait>(db: &C, name: &str) -> Result<Option<i64>, DbErr> {
    Ok(sys_menu::Entity::find()
        .filter(sys_menu::Column::Name.eq(name))
        .one(db)
        .await?
        .map(|m| m.id))
}
