//! Menu request and response shapes: FBA's `CreateMenuParam`/`UpdateMenuParam` (validated here
//! into [`ValidMenu`]), `GetMenuDetail` ([`MenuDetail`]), `GetMenuTree` ([`MenuTree`], leaves
//! carry `"children": null`), the list filters, and the vben5 sidebar node ([`SidebarNode`],
//! ISO-8601 datetimes, a `meta` object, `children` only when non-empty).
//!
//! Limits are the `sys_menu` column sizes (title and name 64, path 200, icon 128, component
//! 256, perms 128 characters); `sort` is `0..=2^31-1`; `type` is 0..4; `status`, `display` and
//! `cache` are 0 or 1; ids are 64-bit. Text with a NUL character is refused. Every failure is a
//! 422 naming the field (the validators are [`fba_common::validate`]'s).

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::extract::FieldErrors;
use fba_common::validate::{
    body_loc, check_text, int_enum, int_filter, lax_int, lax_opt_id, status_type, text_filter,
};
use fba_common::validate_by_parse;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::sys_menu;

/// Longest `title` (`VARCHAR(64)`).
pub const TITLE_MAX_CHARS: usize = 64;
/// Longest `name` (`VARCHAR(64)`).
pub const NAME_MAX_CHARS: usize = 64;
/// Longest `path` (`VARCHAR(200)`).
pub const PATH_MAX_CHARS: usize = 200;
/// Longest `icon` (`VARCHAR(128)`).
pub const ICON_MAX_CHARS: usize = 128;
/// Longest `component` (`VARCHAR(256)`).
pub const COMPONENT_MAX_CHARS: usize = 256;
/// Longest `perms` (`VARCHAR(128)`).
pub const PERMS_MAX_CHARS: usize = 128;

/// Menu type of a button (`type = 2`): never in the sidebar, titles may repeat.
pub const MENU_TYPE_BUTTON: i32 = 2;
/// Menu type of an embedded page (`type = 3`): `meta.iframeSrc` carries the link.
pub const MENU_TYPE_EMBEDDED: i32 = 3;
/// Menu type of an external link (`type = 4`): `meta.link` carries the link.
pub const MENU_TYPE_LINK: i32 = 4;

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// Body of `POST /sys/menus` and `PUT /sys/menus/{pk}` as received (FBA `MenuSchemaBase`);
/// integers are kept raw and checked by [`MenuParam::parse`]. Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MenuParam {
    /// Title (an i18n key or a label).
    pub title: String,
    /// Route name.
    pub name: String,
    /// Route path.
    #[serde(default)]
    pub path: Option<String>,
    /// Parent menu id.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Value>,
    /// Sort order (≥ 0, default 0).
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub sort: Option<Value>,
    /// Icon.
    #[serde(default)]
    pub icon: Option<String>,
    /// Menu type 0..4 (required).
    #[serde(rename = "type")]
    #[schema(value_type = i32)]
    pub menu_type: Value,
    /// Front-end component.
    #[serde(default)]
    pub component: Option<String>,
    /// Permission code(s), comma-separated.
    #[serde(default)]
    pub perms: Option<String>,
    /// 0 disabled, 1 enabled (required).
    #[schema(value_type = i32)]
    pub status: Value,
    /// 0 hidden, 1 shown (required).
    #[schema(value_type = i32)]
    pub display: Value,
    /// 0 not kept alive, 1 kept alive (required).
    #[schema(value_type = i32)]
    pub cache: Value,
    /// Target URL of an embedded page or link.
    #[serde(default)]
    pub link: Option<String>,
    /// Remark.
    #[serde(default)]
    pub remark: Option<String>,
}

/// A menu body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMenu {
    /// Title.
    pub title: String,
    /// Route name.
    pub name: String,
    /// Route path.
    pub path: Option<String>,
    /// Parent id.
    pub parent_id: Option<i64>,
    /// Sort order.
    pub sort: i32,
    /// Icon.
    pub icon: Option<String>,
    /// Menu type 0..4.
    pub menu_type: i32,
    /// Component.
    pub component: Option<String>,
    /// Permission codes.
    pub perms: Option<String>,
    /// 0/1.
    pub status: i32,
    /// 0/1.
    pub display: i32,
    /// 0/1.
    pub cache: i32,
    /// Link.
    pub link: Option<String>,
    /// Remark.
    pub remark: Option<String>,
}

fn opt_text(field: &str, value: &Option<String>, max: Option<usize>) -> Result<(), AppError> {
    match value {
        Some(v) => check_text(&body_loc(field), v, max),
        None => Ok(()),
    }
}

impl MenuParam {
    /// The validated menu.
    ///
    /// # Errors
    /// 422 naming every field that is too long, holds a NUL, is out of range or not an
    /// allowed value.
    pub fn parse(self) -> Result<ValidMenu, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("title"),
            &self.title,
            Some(TITLE_MAX_CHARS),
        ));
        errors.take(check_text(
            &body_loc("name"),
            &self.name,
            Some(NAME_MAX_CHARS),
        ));
        errors.take(opt_text("path", &self.path, Some(PATH_MAX_CHARS)));
        let parent_id = errors.take(lax_opt_id(&body_loc("parent_id"), self.parent_id.as_ref()));
        let sort = match &self.sort {
            None => 0,
            Some(v) => errors.take(lax_int(&body_loc("sort"), v, 0, i64::from(i32::MAX))),
        };
        errors.take(opt_text("icon", &self.icon, Some(ICON_MAX_CHARS)));
        let menu_type = errors.take(int_enum(
            &body_loc("type"),
            &self.menu_type,
            &[0, 1, 2, 3, 4],
            "0, 1, 2, 3 or 4",
        ));
        errors.take(opt_text(
            "component",
            &self.component,
            Some(COMPONENT_MAX_CHARS),
        ));
        errors.take(opt_text("perms", &self.perms, Some(PERMS_MAX_CHARS)));
        let status = errors.take(status_type(&body_loc("status"), &self.status));
        let display = errors.take(status_type(&body_loc("display"), &self.display));
        let cache = errors.take(status_type(&body_loc("cache"), &self.cache));
        errors.take(opt_text("link", &self.link, None));
        errors.take(opt_text("remark", &self.remark, None));
        errors.finish()?;
        Ok(ValidMenu {
            title: self.title,
            name: self.name,
            path: self.path,
            parent_id,
            // In range by the bounds above.
            sort: i32::try_from(sort).unwrap_or(i32::MAX),
            icon: self.icon,
            menu_type,
            component: self.component,
            perms: self.perms,
            status,
            display,
            cache,
            link: self.link,
            remark: self.remark,
        })
    }
}

validate_by_parse!(MenuParam => ValidMenu);

/// Query of `GET /sys/menus` as received.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MenuQuery {
    /// `title` LIKE `%x%`.
    #[serde(default)]
    pub title: Option<String>,
    /// Exact `status`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
}

/// Validated filters of `GET /sys/menus`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MenuFilter {
    /// `title` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub title: Option<String>,
    /// Exact `status`.
    pub status: Option<i32>,
}

impl MenuQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `status` when it is not an integer.
    pub fn parse(self) -> Result<MenuFilter, AppError> {
        Ok(MenuFilter {
            title: text_filter(self.title),
            status: int_filter("status", self.status)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// FBA's `GetMenuDetail` (`YYYY-MM-DD HH:MM:SS` datetimes).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MenuDetail {
    /// Title.
    pub title: String,
    /// Route name.
    pub name: String,
    /// Route path.
    pub path: Option<String>,
    /// Parent id.
    pub parent_id: Option<i64>,
    /// Sort order.
    pub sort: i32,
    /// Icon.
    pub icon: Option<String>,
    /// Menu type.
    #[serde(rename = "type")]
    pub menu_type: i32,
    /// Component.
    pub component: Option<String>,
    /// Permission codes.
    pub perms: Option<String>,
    /// 0/1.
    pub status: i32,
    /// 0/1.
    pub display: i32,
    /// 0/1.
    pub cache: i32,
    /// Link.
    pub link: Option<String>,
    /// Remark.
    pub remark: Option<String>,
    /// Id.
    pub id: i64,
    /// Creation time.
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
    /// Last update.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub updated_time: Option<DateTime<Utc>>,
}

impl From<sys_menu::Model> for MenuDetail {
    fn from(m: sys_menu::Model) -> Self {
        Self {
            title: m.title,
            name: m.name,
            path: m.path,
            parent_id: m.parent_id,
            sort: m.sort,
            icon: m.icon,
            menu_type: m.r#type,
            component: m.component,
            perms: m.perms,
            status: m.status,
            display: m.display,
            cache: m.cache,
            link: m.link,
            remark: m.remark,
            id: m.id,
            created_time: m.created_time,
            updated_time: m.updated_time,
        }
    }
}

/// FBA's `GetMenuTree`: a menu and its children (`null` on leaves).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MenuTree {
    /// The menu.
    #[serde(flatten)]
    pub menu: MenuDetail,
    /// Child menus in `sort` order, `None` (JSON `null`) for a leaf.
    #[schema(no_recursion)]
    pub children: Option<Vec<MenuTree>>,
}

/// `meta` of a sidebar node (vben5 route meta).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SidebarMeta {
    /// Menu/tab/breadcrumb text (`title`).
    pub title: String,
    /// Icon.
    pub icon: Option<String>,
    /// `link` for an embedded page (type 3), else `""`.
    #[serde(rename = "iframeSrc")]
    pub iframe_src: Option<String>,
    /// `link` for an external link (type 4), else `""`.
    pub link: Option<String>,
    /// `cache` (0/1).
    #[serde(rename = "keepAlive")]
    pub keep_alive: i32,
    /// `!display`.
    #[serde(rename = "hideInMenu")]
    pub hide_in_menu: bool,
    /// `!status`: the item stays in the menu but renders the 403 page.
    #[serde(rename = "menuVisibleWithForbidden")]
    pub menu_visible_with_forbidden: bool,
}

/// One node of the vben5 sidebar: the menu's columns except those moved into `meta`, ISO-8601
/// datetimes (FBA serialises this untyped payload with pydantic's defaults), and `children`
/// only when there are some.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SidebarNode {
    /// Id.
    pub id: i64,
    /// Route name.
    pub name: String,
    /// Route path.
    pub path: Option<String>,
    /// Sort order.
    pub sort: i32,
    /// Menu type.
    #[serde(rename = "type")]
    pub menu_type: i32,
    /// Component.
    pub component: Option<String>,
    /// Permission codes.
    pub perms: Option<String>,
    /// Remark.
    pub remark: Option<String>,
    /// Parent id.
    pub parent_id: Option<i64>,
    /// Creation time (RFC 3339, UTC).
    pub created_time: DateTime<Utc>,
    /// Last update (RFC 3339, UTC).
    pub updated_time: Option<DateTime<Utc>>,
    /// vben5 route meta.
    pub meta: SidebarMeta,
    /// Child nodes; the key is absent on leaves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub children: Vec<SidebarNode>,
}

impl From<sys_menu::Model> for SidebarNode {
    fn from(m: sys_menu::Model) -> Self {
        let link_if = |t: i32| {
            if m.r#type == t {
                m.link.clone()
            } else {
                Some(String::new())
            }
        };
        let meta = SidebarMeta {
            title: m.title.clone(),
            icon: m.icon.clone(),
            iframe_src: link_if(MENU_TYPE_EMBEDDED),
            link: link_if(MENU_TYPE_LINK),
            keep_alive: m.cache,
            hide_in_menu: m.display == 0,
            menu_visible_with_forbidden: m.status == 0,
        };
        Self {
            id: m.id,
            name: m.name,
            path: m.path,
            sort: m.sort,
            menu_type: m.r#type,
            component: m.component,
            perms: m.perms,
            remark: m.remark,
            parent_id: m.parent_id,
            created_time: m.created_time,
            updated_time: m.updated_time,
            meta,
            children: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filters_mean_no_filter() {
        let f = MenuQuery {
            title: Some(String::new()),
            status: Some(String::new()),
        }
        .parse()
        .unwrap();
        assert_eq!(f, MenuFilter::default());
        assert!(
            MenuQuery {
                title: None,
                status: Some("x".into())
            }
            .parse()
            .is_err()
        );
    }
}
