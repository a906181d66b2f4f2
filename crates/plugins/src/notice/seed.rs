//! The notice plugin's seed (FBA's `plugin/notice/sql/*/init.sql`): the `PluginNotice` menu
//! under `System` with its three buttons granting `sys:notice:add|edit|del`, and, once on a
//! fresh `sys_notice`, FBA's sample notice.

use chrono::{DateTime, Utc};
use fba_admin::seed::{MenuSeed, ensure_menus};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait,
};

use super::model as sys_notice;

/// FBA's notice menu and its buttons.
pub const MENUS: &[MenuSeed] = &[
    MenuSeed {
        name: "PluginNotice",
        title: "notice.menu",
        path: Some("/plugins/notice"),
        sort: 9,
        icon: Some("fe:notice-push"),
        menu_type: 1,
        component: Some("/plugins/notice/views/index"),
        perms: None,
        parent: Some("System"),
    },
    MenuSeed::button("AddNotice", "新增", "sys:notice:add", "PluginNotice"),
    MenuSeed::button("EditNotice", "修改", "sys:notice:edit", "PluginNotice"),
    MenuSeed::button("DeleteNotice", "删除", "sys:notice:del", "PluginNotice"),
];

/// Title of FBA's sample notice.
pub const SAMPLE_TITLE: &str = "hahahahahaahahaha";

/// Content of FBA's sample notice (markdown).
const SAMPLE_CONTENT: &str = "你好😄\n\n```\nprint('fba yyds')\n```\n\n⚡⚡⚡\n\n\
| col1 | col2 | col3 |\n| ---- | ---- | ---- |\n|      |      |      |\n|      |      |      |\n\n\
* 1\n* 2\n* 3\n";

/// `created_time` of FBA's sample notice: 2025-12-15 15:33:16 in Asia/Shanghai.
const SAMPLE_CREATED_SECS: i64 = 1_765_783_996;

/// Inserts the missing menus and, when `fresh` and the table is empty, the sample notice;
/// returns whether it inserted anything.
///
/// # Errors
/// A database failure, or [`DbErr::RecordNotFound`] when the `System` menu is missing.
pub async fn seed<C: ConnectionTrait>(db: &C, fresh: bool) -> Result<bool, DbErr> {
    let menus = ensure_menus(db, MENUS).await?;
    let sample = fresh && sys_notice::Entity::find().count(db).await? == 0;
    if sample {
        sys_notice::ActiveModel {
            id: NotSet,
            title: Set(SAMPLE_TITLE.to_owned()),
            r#type: Set(0),
            status: Set(1),
            content: Set(SAMPLE_CONTENT.to_owned()),
            created_time: Set(
                DateTime::from_timestamp(SAMPLE_CREATED_SECS, 0).unwrap_or_else(Utc::now)
            ),
            updated_time: Set(None),
        }
        .insert(db)
        .await?;
    }
    Ok(menus > 0 || sample)
}
