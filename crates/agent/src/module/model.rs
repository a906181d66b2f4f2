//! The agent tables' entities.

/// `agent_session`: one conversation of one user.
pub mod agent_session {
    use sea_orm::entity::prelude::*;

    /// A session.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agent_session")]
    pub struct Model {
        /// The session's uuid.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Its owner.
        pub user_id: i64,
        /// Its title.
        pub title: String,
        /// The model alias (the configured model when `None`).
        pub model: Option<String>,
        /// The sandbox's id.
        pub sandbox_id: String,
        /// Plan mode.
        pub plan_mode: bool,
        /// `idle`, `running` or `interrupted`.
        pub status: String,
        /// Creation time.
        pub created_time: DateTimeUtc,
        /// Last update time.
        pub updated_time: Option<DateTimeUtc>,
    }

    /// No relation is declared.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `agent_message`: the conversation, one row per message in order.
pub mod agent_message {
    use sea_orm::entity::prelude::*;

    /// A message.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agent_message")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The session.
        pub session_id: String,
        /// Its position, from 0.
        pub seq: i32,
        /// The message as JSON.
        #[sea_orm(column_type = "Text")]
        pub message: String,
    }

    /// No relation is declared.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `agent_checkpoint`: the rest of a session's state.
pub mod agent_checkpoint {
    use sea_orm::entity::prelude::*;

    /// A checkpoint.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agent_checkpoint")]
    pub struct Model {
        /// The session.
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: String,
        /// The todo list (JSON).
        #[sea_orm(column_type = "Text")]
        pub todos: String,
        /// The approved plan.
        #[sea_orm(column_type = "Text", nullable)]
        pub plan: Option<String>,
        /// Plan mode.
        pub plan_mode: bool,
        /// Token counts (JSON).
        #[sea_orm(column_type = "Text")]
        pub usage: String,
        /// Background tasks (JSON).
        #[sea_orm(column_type = "Text")]
        pub tasks: String,
        /// The pending interrupt (JSON).
        #[sea_orm(column_type = "Text", nullable)]
        pub pending: Option<String>,
        /// Runs started.
        pub runs: i64,
        /// When it was saved.
        pub updated_time: DateTimeUtc,
    }

    /// No relation is declared.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
