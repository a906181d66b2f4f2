//! The dict plugin's seed rows, from FBA's `plugin/dict/sql/*/init.sql`: the dict page under
//! `System` with its six buttons (the perms the write routes check), FBA's 12 dict types and
//! their 36 entries (what the UI's selects and tags read).
//!
//! Idempotent: a menu is inserted when no menu has its `name`, a type when no type has its
//! `code`, an entry when its type code has no entry with its `value`; rows an administrator
//! edited are left as they are. Ids are the database's (FBA's fixed ids 1..=12 and 1..=36
//! would collide with rows created before the plugin's first start).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use fba_admin::model::sys_menu;
use fba_admin::seed::{MenuSeed, ensure_menus};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};

use super::model::{dict_data, dict_type};

/// FBA's parent of the dict page.
const SYSTEM_MENU: &str = "System";

/// The dict page and its buttons.
const MENUS: [MenuSeed; 7] = [
    MenuSeed {
        name: "PluginDict",
        title: "dict.menu",
        path: Some("/plugins/dict"),
        sort: 8,
        icon: Some("fluent-mdl2:dictionary"),
        menu_type: 1,
        component: Some("/plugins/dict/views/index"),
        perms: None,
        parent: Some(SYSTEM_MENU),
    },
    MenuSeed::button("AddDictType", "新增类型", "dict:type:add", "PluginDict"),
    MenuSeed::button("EditDictType", "修改类型", "dict:type:edit", "PluginDict"),
    MenuSeed::button("DeleteDictType", "删除类型", "dict:type:del", "PluginDict"),
    MenuSeed::button("AddDictData", "新增数据", "dict:data:add", "PluginDict"),
    MenuSeed::button("EditDictData", "修改数据", "dict:data:edit", "PluginDict"),
    MenuSeed::button("DeleteDictData", "删除数据", "dict:data:del", "PluginDict"),
];

/// FBA's dict types: `(name, code, remark)`.
#[rustfmt::skip]
const TYPES: [(&str, &str, &str); 12] = [
    ("通用状态", "sys_status", "系统通用状态：1/0"),
    ("通用开关", "sys_choose", "系统通用开关：true/false"),
    ("菜单类型", "sys_menu_type", "系统菜单类型"),
    ("登录状态", "sys_login_status", "用户登录状态"),
    ("数据规则运算符", "sys_data_rule_operator", "数据权限规则运算符"),
    ("数据规则表达式", "sys_data_rule_expression", "数据权限规则表达式"),
    ("前端参数配置", "sys_frontend_config", "前端参数配置类型"),
    ("任务策略类型", "task_strategy_type", "定时任务策略类型"),
    ("任务周期类型", "task_period_type", "定时任务周期类型"),
    ("通知公告", "notice", "通知类型"),
    ("在线状态", "user_online_status", "用户在线状态"),
    ("插件类型", "sys_plugin_type", "插件类型"),
];

/// One seeded entry (enabled).
struct DataSeed {
    type_code: &'static str,
    label: &'static str,
    value: &'static str,
    color: &'static str,
    sort: i32,
    remark: &'static str,
}

const fn d(
    type_code: &'static str,
    label: &'static str,
    value: &'static str,
    color: &'static str,
    sort: i32,
    remark: &'static str,
) -> DataSeed {
    DataSeed {
        type_code,
        label,
        value,
        color,
        sort,
        remark,
    }
}

/// FBA's dict entries, in FBA's order.
#[rustfmt::skip]
const DATA: [DataSeed; 36] = [
    d("sys_status", "停用", "0", "red", 1, "停用状态"),
    d("sys_status", "正常", "1", "green", 2, "正常状态"),
    d("sys_choose", "关闭", "false", "error", 1, "关闭状态"),
    d("sys_choose", "开启", "true", "success", 2, "开启状态"),
    d("sys_menu_type", "目录", "0", "orange", 1, "菜单目录"),
    d("sys_menu_type", "菜单", "1", "default", 2, "普通菜单"),
    d("sys_menu_type", "按钮", "2", "processing", 3, "菜单按钮"),
    d("sys_menu_type", "内嵌", "3", "cyan", 4, "内嵌页面"),
    d("sys_menu_type", "外链", "4", "purple", 5, "外部链接"),
    d("sys_login_status", "失败", "0", "error", 1, "登录失败状态"),
    d("sys_login_status", "成功", "1", "success", 2, "登录成功状态"),
    d("sys_data_rule_operator", "AND", "0", "green", 1, "逻辑 AND 运算符"),
    d("sys_data_rule_operator", "OR", "1", "gold", 2, "逻辑 OR 运算符"),
    d("sys_data_rule_expression", "等于(==)", "0", "success", 1, "等于比较表达式"),
    d("sys_data_rule_expression", "不等于(!=)", "1", "error", 2, "不等于比较表达式"),
    d("sys_data_rule_expression", "大于(>)", "2", "magenta", 3, "大于比较表达式"),
    d("sys_data_rule_expression", "大于等于(>=)", "3", "volcano", 4, "大于等于比较表达式"),
    d("sys_data_rule_expression", "小于(<)", "4", "gold", 5, "小于比较表达式"),
    d("sys_data_rule_expression", "小于等于(<=)", "5", "orange", 6, "小于等于比较表达式"),
    d("sys_data_rule_expression", "包含(in)", "6", "purple", 7, "包含表达式"),
    d("sys_data_rule_expression", "不包含(not in)", "7", "error", 8, "不包含表达式"),
    d("sys_frontend_config", "否", "0", "red", 1, "不是前端参数配置"),
    d("sys_frontend_config", "是", "1", "green", 2, "是前端参数配置"),
    d("task_strategy_type", "Interval（间隔）", "0", "cyan", 1, "时间间隔策略"),
    d("task_strategy_type", "Crontab（计划）", "1", "purple", 2, "时间表达式策略"),
    d("task_period_type", "天", "days", "processing", 1, "定时任务周期类型-天"),
    d("task_period_type", "小时", "hours", "magenta", 2, "定时任务周期类型-小时"),
    d("task_period_type", "分钟", "minutes", "volcano", 3, "定时任务周期类型-分钟"),
    d("task_period_type", "秒", "seconds", "gold", 4, "定时任务周期类型-秒"),
    d("task_period_type", "微妙", "microseconds", "warning", 5, "定时任务周期类型-微妙"),
    d("notice", "通知", "0", "magenta", 1, "通知类型"),
    d("notice", "公告", "1", "purple", 2, "公告类型"),
    d("user_online_status", "离线", "0", "warning", 1, "用户离线状态"),
    d("user_online_status", "在线", "1", "success", 2, "用户在线状态"),
    d("sys_plugin_type", "压缩包", "0", "gold", 1, "插件类型-压缩包"),
    d("sys_plugin_type", "GIT", "1", "processing", 2, "插件类型-GIT"),
];

/// Inserts the missing menus on every start and, on new dict tables (`fresh`), FBA's types
/// and entries (a row an administrator deletes later stays deleted); returns whether it
/// inserted anything.
///
/// # Errors
/// A database failure.
pub async fn seed<C: ConnectionTrait>(db: &C, fresh: bool) -> Result<bool, DbErr> {
    let menus = ensure_menus(db, &menus(db).await?).await?;
    if !fresh {
        return Ok(menus > 0);
    }
    let types = ensure_types(db).await?;
    let data = ensure_data(db).await?;
    Ok(menus + types + data > 0)
}

/// [`MENUS`], the page at the root when an administrator removed `System` (FBA's SQL would
/// insert it with a null parent too).
async fn menus<C: ConnectionTrait>(db: &C) -> Result<Vec<MenuSeed>, DbErr> {
    let system = sys_menu::Entity::find()
        .filter(sys_menu::Column::Name.eq(SYSTEM_MENU))
        .count(db)
        .await?;
    let mut menus = MENUS.to_vec();
    if system == 0 {
        menus[0].parent = None;
    }
    Ok(menus)
}

/// Inserts the types of [`TYPES`] whose code no type has; returns how many.
async fn ensure_types<C: ConnectionTrait>(db: &C) -> Result<usize, DbErr> {
    let existing: HashSet<String> = dict_type::Entity::find()
        .select_only()
        .column(dict_type::Column::Code)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let now = Utc::now();
    let rows: Vec<dict_type::ActiveModel> = TYPES
        .iter()
        .filter(|(_, code, _)| !existing.contains(*code))
        .map(|(name, code, remark)| dict_type::ActiveModel {
            id: NotSet,
            name: Set((*name).to_owned()),
            code: Set((*code).to_owned()),
            remark: Set(Some((*remark).to_owned())),
            created_time: Set(now),
            updated_time: Set(None),
        })
        .collect();
    let count = rows.len();
    if count > 0 {
        dict_type::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(count)
}

/// Inserts the entries of [`DATA`] whose type code has no entry with their value (and whose
/// type exists); returns how many.
async fn ensure_data<C: ConnectionTrait>(db: &C) -> Result<usize, DbErr> {
    let type_ids: HashMap<String, i64> = dict_type::Entity::find()
        .select_only()
        .column(dict_type::Column::Code)
        .column(dict_type::Column::Id)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let existing: HashSet<(String, String)> = dict_data::Entity::find()
        .select_only()
        .column(dict_data::Column::TypeCode)
        .column(dict_data::Column::Value)
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let now = Utc::now();
    let rows: Vec<dict_data::ActiveModel> = DATA
        .iter()
        .filter(|s| !existing.contains(&(s.type_code.to_owned(), s.value.to_owned())))
        .filter_map(|s| {
            let type_id = *type_ids.get(s.type_code)?;
            Some(dict_data::ActiveModel {
                id: NotSet,
                type_code: Set(s.type_code.to_owned()),
                label: Set(s.label.to_owned()),
                value: Set(s.value.to_owned()),
                color: Set(Some(s.color.to_owned())),
                sort: Set(s.sort),
                status: Set(1),
                remark: Set(Some(s.remark.to_owned())),
                type_id: Set(type_id),
                created_time: Set(now),
                updated_time: Set(None),
            })
        })
        .collect();
    let count = rows.len();
    if count > 0 {
        dict_data::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_belongs_to_a_seeded_type_and_is_unique_in_it() {
        let codes: HashSet<&str> = TYPES.iter().map(|(_, code, _)| *code).collect();
        assert_eq!(codes.len(), TYPES.len());
        let mut seen = HashSet::new();
        for s in &DATA {
            assert!(codes.contains(s.type_code), "{}", s.type_code);
            assert!(
                seen.insert((s.type_code, s.value)),
                "{} {}",
                s.type_code,
                s.value
            );
        }
        for code in &codes {
            assert!(
                DATA.iter().any(|s| s.type_code == *code),
                "{code} has no entry"
            );
        }
    }
}
