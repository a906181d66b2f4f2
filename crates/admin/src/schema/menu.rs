//! Menu request and response shapes: FBA's `CreateMenuParam`/`UpdateMenuParam` (validated here
//! into [`ValidMenu`]), `GetMenuDetail` ([`MenuDetail`]), `GetMenuTree` ([`MenuTree`], leaves
//! carry `"children": null`), the list filters, and the vben5 sidebar node ([`SidebarNode`],
//! ISO-8601 datetimes, a `meta` object, `children` only when non-empty).
//!
//! Limits are the `sys_menu` column sizes (title and name 64, path 200, icon 128, component
//! 256, perms 128 characters); `sort` is `0..=2^31-1`; `type` is 0..4; `status`, `display` and
//! `cache` are 0 or 1; ids are 64-bit. Text with a NUL character is refused. Every failure is a
//! 422 naming the field. The small validation helpers here are shared with
//! [`super::role`].

use chrono::{DateTime, Utc};
use fba_common::extract::FieldErrors;
use fba_common::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
// Validation helpers (shared with the role schemas)
// ---------------------------------------------------------------------------------------------

/// 422 `string_too_long` / `value_error` when `value` is longer than `max` characters (when a
/// maximum applies) or holds a NUL character.
pub(crate) fn check_text(loc: &[Value], value: &str, max: Option<usize>) -> Result<(), AppError> {
    if let Some(max) = max.filter(|m| value.chars().count() > *m) {
        return Err(AppError::validation(FieldError::new(
            "string_too_long",
            loc.to_vec(),
            Value::String(value.to_owned()),
            Some(json!({ "max_length": max })),
        )));
    }
    if value.contains('\0') {
        return Err(AppError::validation(FieldError::new(
            "value_error",
            loc.to_vec(),
            Value::String(value.to_owned()),
            Some(json!({ "error": "the text must not contain a NUL character" })),
        )));
    }
    Ok(())
}

/// `["body", field]`.
pub(crate) fn body_loc(field: &str) -> Vec<Value> {
    vec![Value::from("body"), Value::from(field)]
}

/// An integer as pydantic's lax mode reads it: a JSON integer, a float without fraction, or a
/// numeric string; the result is checked against `min..=max`.
///
/// # Errors
/// 422 `int_type` / `int_parsing` / `greater_than_equal` / `less_than_equal` at `loc`.
pub(crate) fn lax_int(loc: &[Value], input: &Value, min: i64, max: i64) -> Result<i64, AppError> {
    let err = |kind: &str, ctx: Option<Value>| {
        AppError::validation(FieldError::new(kind, loc.to_vec(), input.clone(), ctx))
    };
    let wide: i128 = match input {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i128::from(i)
            } else if let Some(u) = n.as_u64() {
                i128::from(u)
            } else {
                match n.as_f64() {
                    // Saturating cast: anything beyond i128 is out of range anyway.
                    Some(f) if f.is_finite() && f.fract() == 0.0 => f as i128,
                    _ => return Err(err("int_type", None)),
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("int_parsing", None));
            }
            // An all-digit text too long for i128 is simply out of range.
            t.parse::<i128>().unwrap_or(if t.starts_with('-') {
                i128::MIN
            } else {
                i128::MAX
            })
        }
        _ => return Err(err("int_type", None)),
    };
    if wide < i128::from(min) {
        return Err(err("greater_than_equal", Some(json!({ "ge": min }))));
    }
    if wide > i128::from(max) {
        return Err(err("less_than_equal", Some(json!({ "le": max }))));
    }
    // In range of i64 by the checks above.
    i64::try_from(wide).map_err(|_| err("int_parsing", None))
}

/// An id (any 64-bit integer).
///
/// # Errors
/// As [`lax_int`].
pub(crate) fn lax_id(loc: &[Value], input: &Value) -> Result<i64, AppError> {
    lax_int(loc, input, i64::MIN, i64::MAX)
}

/// An optional id: absent or `null` is `None`.
///
/// # Errors
/// As [`lax_int`].
pub(crate) fn lax_opt_id(loc: &[Value], input: Option<&Value>) -> Result<Option<i64>, AppError> {
    match input {
        None | Some(Value::Null) => Ok(None),
        Some(v) => lax_id(loc, v).map(Some),
    }
}

/// An int enum (`StatusType`, `MenuType`): an integer among `allowed`, else 422 `enum` with
/// pydantic's `expected` text.
///
/// # Errors
/// 422 naming the field.
pub(crate) fn int_enum(
    loc: &[Value],
    input: &Value,
    allowed: &[i32],
    expected: &str,
) -> Result<i32, AppError> {
    let enum_err = || {
        AppError::validation(FieldError::new(
            "enum",
            loc.to_vec(),
            input.clone(),
            Some(json!({ "expected": expected })),
        ))
    };
    let n = lax_int(loc, input, i64::MIN, i64::MAX).map_err(|_| enum_err())?;
    i32::try_from(n)
        .ok()
        .filter(|v| allowed.contains(v))
        .ok_or_else(enum_err)
}

/// `StatusType` (0 or 1).
///
/// # Errors
/// 422 `enum` naming the field.
pub(crate) fn status_type(loc: &[Value], input: &Value) -> Result<i32, AppError> {
    int_enum(loc, input, &[0, 1], "0 or 1")
}

/// Most ids one request may name (`pks` of a batch delete, `menus` of a role, ...): far above
/// what FBA's UI sends (a page of at most 200 rows), far below the 32 766 / 65 535 bound
/// parameters SQLite and PostgreSQL accept in one statement.
pub const MAX_IDS: usize = 10_000;

/// A list of ids (`{"menus": [..]}`, `{"pks": [..]}`): each element as [`lax_id`], the error
/// naming its index.
///
/// # Errors
/// 422 `list_type` when not a list, `too_long` beyond [`MAX_IDS`], or every bad element (as
/// pydantic lists them).
pub(crate) fn id_list(field: &str, input: &Value) -> Result<Vec<i64>, AppError> {
    let Value::Array(items) = input else {
        return Err(AppError::validation(FieldError::body(
            "list_type",
            field,
            input.clone(),
            None,
        )));
    };
    if items.len() > MAX_IDS {
        // pydantic's `too_long`; the input is not echoed back (it can be 10 000 numbers).
        return Err(AppError::validation(FieldError::body(
            "too_long",
            field,
            Value::Null,
            Some(serde_json::json!({
                "field_type": "List",
                "max_length": MAX_IDS,
                "actual_length": items.len(),
            })),
        )));
    }
    let mut errors = FieldErrors::new();
    let ids = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            errors.take(lax_id(
                &[Value::from("body"), Value::from(field), Value::from(i)],
                v,
            ))
        })
        .collect();
    errors.finish()?;
    Ok(ids)
}

/// Optional text filter of a list query: absent or empty (`title=`, what the UI sends for an
/// emptied field) means no filter.
pub(crate) fn text_filter(raw: Option<String>) -> Option<String> {
    raw.filter(|s| !s.is_empty())
}

/// Optional integer filter of a list query (`status`): absent or empty means no filter.
///
/// # Errors
/// 422 `int_parsing` naming the parameter.
pub(crate) fn int_filter(name: &str, raw: Option<String>) -> Result<Option<i32>, AppError> {
    let Some(raw) = raw.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let loc = vec![Value::from("query"), Value::from(name)];
    let n = lax_int(
        &loc,
        &Value::String(raw),
        i64::from(i32::MIN),
        i64::from(i32::MAX),
    )?;
    // In range by the bounds above.
    Ok(i32::try_from(n).ok())
}

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

    fn kind(e: AppError) -> (String, Vec<Value>) {
        match e {
            AppError::Validation(errs) => (errs[0].kind.clone(), errs[0].loc.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn lax_ints_follow_pydantic() {
        let loc = body_loc("x");
        assert_eq!(lax_id(&loc, &json!(5)).unwrap(), 5);
        assert_eq!(lax_id(&loc, &json!("7")).unwrap(), 7);
        assert_eq!(lax_id(&loc, &json!(3.0)).unwrap(), 3);
        assert_eq!(kind(lax_id(&loc, &json!(3.5)).unwrap_err()).0, "int_type");
        assert_eq!(
            kind(lax_id(&loc, &json!("a")).unwrap_err()).0,
            "int_parsing"
        );
        assert_eq!(
            kind(lax_id(&loc, &json!(9_223_372_036_854_775_808u64)).unwrap_err()).0,
            "less_than_equal"
        );
        assert_eq!(
            kind(lax_id(&loc, &json!("99999999999999999999999999999999999999999")).unwrap_err()).0,
            "less_than_equal"
        );
        assert_eq!(
            kind(lax_int(&loc, &json!(-1), 0, 10).unwrap_err()).0,
            "greater_than_equal"
        );
        assert_eq!(kind(status_type(&loc, &json!(2)).unwrap_err()).0, "enum");
    }

    #[test]
    fn id_lists_name_the_bad_index() {
        assert_eq!(id_list("menus", &json!([1, "2"])).unwrap(), vec![1, 2]);
        let (k, loc) = kind(id_list("menus", &json!([1, "x"])).unwrap_err());
        assert_eq!(k, "int_parsing");
        assert_eq!(loc, vec![json!("body"), json!("menus"), json!(1)]);
        assert_eq!(
            kind(id_list("menus", &json!(null)).unwrap_err()).0,
            "list_type"
        );
    }

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
