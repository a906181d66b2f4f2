//! The plugin's seed rows: FBA's config rows (`plugin/config/sql/*/init.sql`: the `EMAIL`,
//! `USER_SECURITY` and `LOGIN` groups with their status keys), inserted when their `key` is
//! missing, and FBA's menu `PluginConfig` under `System` with its buttons, whose perms are the
//! codes the routes check (plus FBA's bulk-update code `sys.config.edits`, which FBA's route
//! checks but FBA's SQL does not seed).
//!
//! The `USER_SECURITY` and `LOGIN` values are the defaults of the settings they override (FBA's
//! values too); the `EMAIL` values are FBA's.

use chrono::Utc;
use fba_admin::seed::{MenuSeed, ensure_menus};
use fba_core_conf::Settings;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter,
};

use super::model::{self, Column, Entity};

/// One seeded row: type, key, name, value, remark.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// FBA's rows, in FBA's id order.
pub const ROWS: &[Row] = &[
    ("EMAIL", "EMAIL_CONFIG_STATUS", "状态", "1", None),
    ("EMAIL", "EMAIL_HOST", "服务器地址", "smtp.qq.com", None),
    ("EMAIL", "EMAIL_PORT", "服务器端口", "465", None),
    ("EMAIL", "EMAIL_USERNAME", "邮箱账号", "fba@qq.com", None),
    ("EMAIL", "EMAIL_PASSWORD", "邮箱密码", "", None),
    ("EMAIL", "EMAIL_SSL", "SSL 加密", "true", None),
    (
        "USER_SECURITY",
        "USER_SECURITY_CONFIG_STATUS",
        "状态",
        "1",
        None,
    ),
    (
        "USER_SECURITY",
        "USER_LOCK_THRESHOLD",
        "密码错误锁定阈值",
        "5",
        Some("0 表示禁用锁定"),
    ),
    (
        "USER_SECURITY",
        "USER_LOCK_SECONDS",
        "密码错误锁定时长（秒）",
        "300",
        None,
    ),
    (
        "USER_SECURITY",
        "USER_PASSWORD_EXPIRY_DAYS",
        "密码有效期（天）",
        "365",
        Some("0 表示永不过期"),
    ),
    (
        "USER_SECURITY",
        "USER_PASSWORD_REMINDER_DAYS",
        "密码到期提醒（天）",
        "7",
        Some("0 表示不提醒"),
    ),
    (
        "USER_SECURITY",
        "USER_PASSWORD_HISTORY_CHECK_COUNT",
        "密码历史检查次数",
        "3",
        None,
    ),
    (
        "USER_SECURITY",
        "USER_PASSWORD_MIN_LENGTH",
        "密码最小长度",
        "6",
        None,
    ),
    (
        "USER_SECURITY",
        "USER_PASSWORD_MAX_LENGTH",
        "密码最大长度",
        "32",
        None,
    ),
    (
        "USER_SECURITY",
        "USER_PASSWORD_REQUIRE_SPECIAL_CHAR",
        "密码必须包含特殊字符",
        "false",
        None,
    ),
    ("LOGIN", "LOGIN_CONFIG_STATUS", "状态", "1", None),
    ("LOGIN", "LOGIN_CAPTCHA_ENABLED", "验证码开关", "true", None),
];

/// The menu's `name`.
const MENU: &str = "PluginConfig";
/// FBA's parent of the menu.
const PARENT: &str = "System";

/// FBA's config page under `parent` (a root menu when `None`), then its buttons.
fn menus(parent: Option<&'static str>) -> [MenuSeed; 5] {
    [
        MenuSeed {
            name: MENU,
            title: "config.menu",
            path: Some("/plugins/config"),
            sort: 7,
            icon: Some("codicon:symbol-parameter"),
            menu_type: 1,
            component: Some("/plugins/config/views/index"),
            perms: None,
            parent,
        },
        MenuSeed::button("AddConfig", "新增", "sys:config:add", MENU),
        MenuSeed::button("EditConfig", "修改", "sys:config:edit", MENU),
        MenuSeed::button("EditConfigs", "批量修改", "sys.config.edits", MENU),
        MenuSeed::button("DeleteConfig", "删除", "sys:config:del", MENU),
    ]
}

/// The value a seeded row of `key` starts with: the start-up setting it overrides (so a
/// deployment that set `LOGIN_CAPTCHA_ENABLED=false` before its first start keeps it), else
/// FBA's value.
fn start_value(key: &str, default: &str, settings: &Settings) -> String {
    let sec = &settings.user_security;
    match key {
        "LOGIN_CAPTCHA_ENABLED" => settings.login.captcha_enabled.to_string(),
        "USER_LOCK_THRESHOLD" => sec.lock_threshold.to_string(),
        "USER_LOCK_SECONDS" => sec.lock_secs.to_string(),
        "USER_PASSWORD_EXPIRY_DAYS" => sec.password_expiry_days.to_string(),
        "USER_PASSWORD_REMINDER_DAYS" => sec.password_reminder_days.to_string(),
        "USER_PASSWORD_HISTORY_CHECK_COUNT" => sec.password_history_check_count.to_string(),
        "USER_PASSWORD_MIN_LENGTH" => sec.password_min_length.to_string(),
        "USER_PASSWORD_MAX_LENGTH" => sec.password_max_length.to_string(),
        "USER_PASSWORD_REQUIRE_SPECIAL_CHAR" => sec.password_require_special_char.to_string(),
        _ => default.to_owned(),
    }
}

/// On a new `sys_config` table (`fresh`), inserts the rows of [`ROWS`] whose key no row has,
/// with the start-up settings' values; then, on every start, the menus (under `System`, or at
/// the root when an administrator removed it). A row an administrator deleted later stays
/// deleted (its setting falls back to the start-up value). Returns whether anything was
/// inserted.
///
/// # Errors
/// A database failure.
pub async fn seed<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    fresh: bool,
) -> Result<bool, DbErr> {
    let mut inserted = 0;
    let rows = if fresh { ROWS } else { &[] };
    for (config_type, key, name, value, remark) in rows {
        if Entity::find()
            .filter(Column::Key.eq(*key))
            .one(db)
            .await?
            .is_some()
        {
            continue;
        }
        model::ActiveModel {
            id: NotSet,
            name: Set((*name).to_owned()),
            r#type: Set(Some((*config_type).to_owned())),
            key: Set((*key).to_owned()),
            value: Set(start_value(key, value, settings)),
            is_frontend: Set(false),
            remark: Set(remark.map(str::to_owned)),
            created_time: Set(Utc::now()),
            updated_time: Set(None),
        }
        .insert(db)
        .await?;
        inserted += 1;
    }
    let parent = fba_admin::model::sys_menu::Entity::find()
        .filter(fba_admin::model::sys_menu::Column::Name.eq(PARENT))
        .one(db)
        .await?
        .map(|_| PARENT);
    inserted += ensure_menus(db, &menus(parent)).await?;
    Ok(inserted > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_values_are_the_settings_defaults() {
        let settings = fba_core_conf::Settings::from_source(&fba_core_conf::Source::default())
            .expect("default settings");
        let value = |key: &str| {
            ROWS.iter()
                .find(|r| r.1 == key)
                .map(|r| r.3)
                .expect("seeded")
        };
        let sec = &settings.user_security;
        assert_eq!(value("USER_LOCK_THRESHOLD"), sec.lock_threshold.to_string());
        assert_eq!(value("USER_LOCK_SECONDS"), sec.lock_secs.to_string());
        assert_eq!(
            value("USER_PASSWORD_EXPIRY_DAYS"),
            sec.password_expiry_days.to_string()
        );
        assert_eq!(
            value("USER_PASSWORD_REMINDER_DAYS"),
            sec.password_reminder_days.to_string()
        );
        assert_eq!(
            value("USER_PASSWORD_HISTORY_CHECK_COUNT"),
            sec.password_history_check_count.to_string()
        );
        assert_eq!(
            value("USER_PASSWORD_MIN_LENGTH"),
            sec.password_min_length.to_string()
        );
        assert_eq!(
            value("USER_PASSWORD_MAX_LENGTH"),
            sec.password_max_length.to_string()
        );
        assert_eq!(
            value("USER_PASSWORD_REQUIRE_SPECIAL_CHAR"),
            sec.password_require_special_char.to_string()
        );
        assert_eq!(
            value("LOGIN_CAPTCHA_ENABLED"),
            settings.login.captcha_enabled.to_string()
        );
        // The seeded rows override nothing: they equal the defaults.
        let rows: Vec<model::Model> = ROWS
            .iter()
            .map(|(t, k, n, v, _)| model::Model {
                id: 0,
                name: (*n).to_owned(),
                r#type: Some((*t).to_owned()),
                key: (*k).to_owned(),
                value: (*v).to_owned(),
                is_frontend: false,
                remark: None,
                created_time: Utc::now(),
                updated_time: None,
            })
            .collect();
        let o = super::super::overrides::overrides(&rows);
        assert_eq!(o.user_security(sec).lock_threshold, sec.lock_threshold);
        assert_eq!(
            o.login(&settings.login).captcha_enabled,
            settings.login.captcha_enabled
        );
    }
}
