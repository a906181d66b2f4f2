//! The agent's menus: the `Agent` directory ("AI 助手"), its `AgentSession` page and the
//! buttons granting `agent:session:view|add|edit|del`.

use fba_admin::seed::{MenuSeed, ensure_menus};
use sea_orm::{ConnectionTrait, DbErr};

/// The menus and their buttons, parents first.
pub const MENUS: &[MenuSeed] = &[
    MenuSeed {
        name: "Agent",
        title: "AI 助手",
        path: Some("/agent"),
        sort: 20,
        icon: Some("mdi:robot-outline"),
        menu_type: 0,
        component: None,
        perms: None,
        parent: None,
    },
    MenuSeed {
        name: "AgentSession",
        title: "agent.menu",
        path: Some("/agent/sessions"),
        sort: 1,
        icon: Some("mdi:chat-processing-outline"),
        menu_type: 1,
        component: Some("/agent/views/index"),
        perms: None,
        parent: Some("Agent"),
    },
    MenuSeed::button(
        "ViewAgentSession",
        "查看",
        "agent:session:view",
        "AgentSession",
    ),
    MenuSeed::button(
        "AddAgentSession",
        "新增",
        "agent:session:add",
        "AgentSession",
    ),
    MenuSeed::button(
        "EditAgentSession",
        "修改",
        "agent:session:edit",
        "AgentSession",
    ),
    MenuSeed::button(
        "DeleteAgentSession",
        "删除",
        "agent:session:del",
        "AgentSession",
    ),
];

/// Inserts the missing menus; returns whether it inserted anything.
///
/// # Errors
/// A database failure.
pub async fn seed<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(ensure_menus(db, MENUS).await? > 0)
}
