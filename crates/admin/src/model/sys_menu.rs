//! `sys_menu`: the menu tree (directories, pages, buttons, embedded pages, external links).

use sea_orm::entity::prelude::*;

/// One menu.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_menu")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Title: an i18n key or a label.
    pub title: String,
    /// Route name.
    pub name: String,
    /// Route path.
    pub path: Option<String>,
    /// Sort order among siblings.
    pub sort: i32,
    /// Icon.
    pub icon: Option<String>,
    /// Column `type`: 0 directory, 1 menu, 2 button, 3 embedded page, 4 external link.
    pub r#type: i32,
    /// Front-end component.
    pub component: Option<String>,
    /// Permission code(s).
    pub perms: Option<String>,
    /// 0 disabled, 1 enabled.
    pub status: i32,
    /// 0 hidden, 1 shown in the sidebar.
    pub display: i32,
    /// 0 not cached, 1 kept alive.
    pub cache: i32,
    /// Target URL of an embedded page or external link.
    #[sea_orm(column_type = "Text", nullable)]
    pub link: Option<String>,
    /// Remark.
    #[sea_orm(column_type = "Text", nullable)]
    pub remark: Option<String>,
    /// Parent menu, `None` for a root.
    pub parent_id: Option<i64>,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// Logical relations of `sys_menu`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The parent menu (`parent_id` → `sys_menu.id`).
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
    /// The role links of this menu (`sys_role_menu.menu_id`).
    #[sea_orm(has_many = "super::sys_role_menu::Entity")]
    RoleMenu,
}

impl Related<super::sys_role_menu::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleMenu.def()
    }
}

impl Related<super::sys_role::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_role_menu::Relation::Role.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_role_menu::Relation::Menu.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
