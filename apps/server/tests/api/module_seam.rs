//! A module written the way a new crate writes one (settings section, migration, menu seed,
//! data model, routes under the API prefix with a permission, a background service and a
//! health check), plugged into the app with one line: `.module(notes::module(..))`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fba_db::testing::TestDatabase;
use fba_testing::{TestApp, base_pairs, make_staff};
use serde_json::{Value, json};

/// The example crate: everything it contributes goes through `fba_common::module::Module`.
mod notes {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use actix_web::{HttpResponse, web};
    use fba_admin::seed::{MenuSeed, ensure_menus};
    use fba_common::data_model::{ColumnKind, DataModel, ModelColumn};
    use fba_common::extract::Json;
    use fba_common::module::{BackgroundService, HealthReport, Module, SeedContext};
    use fba_common::security::{AuthUser, Perm};
    use fba_common::{AppError, AppResult, AppState, FieldError};
    use fba_core_conf::{ConfigError, Section, Sections, Source};
    use sea_orm::{
        ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, DatabaseTransaction, DbErr,
        EntityTrait, PaginatorTrait, QueryOrder,
    };
    use sea_orm_migration::prelude::*;

    /// `NOTES_*`: the crate's own settings section.
    #[derive(Debug)]
    pub struct NotesSettings {
        /// `NOTES_GREETING`.
        pub greeting: String,
        /// `NOTES_MAX_CHARS` (1..=500, default 64).
        pub max_chars: usize,
    }

    impl Section for NotesSettings {
        const NAME: &'static str = "notes";
        fn from_source(src: &Source) -> Result<Self, ConfigError> {
            Ok(Self {
                greeting: src.string("NOTES_GREETING", "hello"),
                max_chars: src.int("NOTES_MAX_CHARS", 64usize, 1, 500)?,
            })
        }
    }

    /// The crate's table.
    pub mod note {
        use sea_orm::entity::prelude::*;

        /// One note.
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
        #[sea_orm(table_name = "test_note")]
        pub struct Model {
            /// Primary key.
            #[sea_orm(primary_key)]
            pub id: i64,
            /// The text.
            pub text: String,
            /// Who wrote it.
            pub created_by: i64,
        }

        /// No relations.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// Its migration, with the shared table builder.
    #[derive(DeriveMigrationName)]
    struct CreateNotes;

    #[async_trait::async_trait]
    impl MigrationTrait for CreateNotes {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            use fba_migration::schema::{Nullable::NotNull, TableDef, varchar};
            TableDef::new(manager, "test_note")
                .column("text", varchar(500), NotNull)
                .column("created_by", ColumnType::BigInteger, NotNull)
                .index(&["created_by"])
                .create(manager)
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            fba_migration::schema::drop_tables(manager, &["test_note"]).await
        }
    }

    const NOTE_MODEL: DataModel = DataModel {
        name: "Note",
        table: "test_note",
        columns: &[
            ModelColumn::new("id", "主键 ID", ColumnKind::BigInt),
            ModelColumn::new("text", "内容", ColumnKind::Text),
            ModelColumn::new("created_by", "创建者", ColumnKind::BigInt),
        ],
    };

    const MENUS: &[MenuSeed] = &[
        MenuSeed {
            name: "TestNotes",
            title: "notes",
            path: Some("/test/notes"),
            sort: 9,
            icon: None,
            menu_type: 1,
            component: Some("/test/notes/index"),
            perms: None,
            parent: Some("System"),
        },
        MenuSeed::button("AddTestNote", "新增", "test:note:add", "TestNotes"),
    ];

    fba_common::permission!(NoteAdd = "test:note:add");

    /// Body of `POST /test/notes`.
    #[derive(Debug, serde::Deserialize)]
    struct NewNote {
        text: String,
    }

    async fn list(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
        let settings = section(&state)?;
        let notes = note::Entity::find()
            .order_by_asc(note::Column::Id)
            .all(&state.db)
            .await?;
        Ok(fba_common::response::ok(
            serde_json::json!({"greeting": settings.greeting, "items": notes}),
        ))
    }

    async fn create(
        perm: Perm<NoteAdd>,
        state: web::Data<AppState>,
        body: Json<NewNote>,
    ) -> AppResult<HttpResponse> {
        let text = body.into_inner().text;
        let max = section(&state)?.max_chars;
        let loc = vec![json_str("body"), json_str("text")];
        if text.is_empty() {
            let ctx = serde_json::json!({"min_length": 1});
            let input = json_str(&text);
            return Err(AppError::validation(FieldError::new(
                "string_too_short",
                loc,
                input,
                Some(ctx),
            )));
        }
        if text.chars().count() > max {
            let ctx = serde_json::json!({"max_length": max});
            let input = json_str(&text);
            return Err(AppError::validation(FieldError::new(
                "string_too_long",
                loc,
                input,
                Some(ctx),
            )));
        }
        note::ActiveModel {
            id: NotSet,
            text: Set(text),
            created_by: Set(perm.auth.user.id),
        }
        .insert(&state.db)
        .await?;
        Ok(fba_common::response::ok_empty())
    }

    fn json_str(s: &str) -> serde_json::Value {
        serde_json::Value::String(s.to_owned())
    }

    fn section(state: &AppState) -> AppResult<&NotesSettings> {
        state
            .settings
            .section::<NotesSettings>()
            .ok_or_else(|| AppError::Internal("the notes section is not registered".into()))
    }

    /// A background service that records that it was stopped.
    struct Janitor(Arc<AtomicBool>);

    #[async_trait::async_trait]
    impl BackgroundService for Janitor {
        fn name(&self) -> &'static str {
            "notes.janitor"
        }
        async fn stop(self: Box<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// The module; `stopped` turns true when the app stops its service.
    pub struct Notes {
        pub stopped: Arc<AtomicBool>,
    }

    /// The crate's constructor.
    pub fn module(stopped: Arc<AtomicBool>) -> Arc<dyn Module> {
        Arc::new(Notes { stopped })
    }

    #[async_trait::async_trait]
    impl Module for Notes {
        fn name(&self) -> &'static str {
            "notes"
        }
        fn settings(&self, sections: &mut Sections) -> Result<(), ConfigError> {
            sections.register::<NotesSettings>()
        }
        fn configure_api(&self, cfg: &mut web::ServiceConfig) {
            cfg.service(
                fba_common::routing::resource("/test/notes")
                    .route(web::get().to(list))
                    .route(web::post().to(create)),
            );
        }
        fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
            vec![Box::new(CreateNotes)]
        }
        async fn seed(&self, txn: &DatabaseTransaction, _ctx: SeedContext) -> Result<bool, DbErr> {
            Ok(ensure_menus(txn, MENUS).await? > 0)
        }
        fn data_models(&self) -> Vec<&'static DataModel> {
            vec![&NOTE_MODEL]
        }
        async fn start(
            &self,
            _state: &AppState,
        ) -> Result<Vec<Box<dyn BackgroundService>>, AppError> {
            Ok(vec![Box::new(Janitor(Arc::clone(&self.stopped)))])
        }
        async fn health(&self, state: &AppState) -> Vec<HealthReport> {
            match note::Entity::find().count(&state.db).await {
                Ok(_) => vec![HealthReport::ok("notes.table")],
                Err(e) => vec![HealthReport::down("notes.table", e.to_string())],
            }
        }
    }
}

fn notes() -> (Arc<dyn fba_common::module::Module>, Arc<AtomicBool>) {
    let stopped = Arc::new(AtomicBool::new(false));
    (notes::module(Arc::clone(&stopped)), stopped)
}

#[tokio::test]
async fn a_module_plugs_in_with_one_line_routes_migration_seed_settings_and_services() {
    let (module, stopped) = notes();
    let app = TestApp::builder()
        .module(module)
        .settings(&[("NOTES_GREETING", "hi from settings")])
        .spawn()
        .await;
    let admin = app.token_for(1).await;

    // Route + settings section + migration: the table exists and starts empty.
    let (status, body) = app.get_json("/api/v1/test/notes", &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!({"greeting": "hi from settings", "items": []})
    );
    let (status, body) = app
        .post_json("/api/v1/test/notes", &admin, &json!({"text": "first"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = app.get_json("/api/v1/test/notes", &admin).await;
    assert_eq!(body["data"]["items"][0]["text"], "first");
    assert_eq!(body["data"]["items"][0]["created_by"], 1);

    // Behind the JWT middleware and FBA's envelope like every admin route.
    let (status, body) = fba_testing::json(app.get("/api/v1/test/notes").await).await;
    fba_testing::assert_401(status, &body);
    let (status, body) = app
        .post_json("/api/v1/test/notes", &admin, &json!({"text": ""}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .post_json("/api/v1/test/notes", &admin, &json!({}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["data"]["errors"][0]["loc"], json!(["body", "text"]));

    // The menu seed carries the permission: a staff user without it gets 403, with it 200.
    make_staff(&app, 2).await;
    let staff = app.token_for(2).await;
    let (status, body) = app
        .post_json("/api/v1/test/notes", &staff, &json!({"text": "x"}))
        .await;
    assert_eq!(status, 403, "{body}");
    let (_, menus) = app.get_json("/api/v1/sys/menus", &admin).await;
    let all = fba_testing::flatten(&menus["data"]);
    let button = all
        .iter()
        .find(|m| m["perms"] == "test:note:add")
        .expect("the seeded button");
    let page = all
        .iter()
        .find(|m| m["name"] == "TestNotes")
        .expect("the seeded page");
    assert_eq!(button["parent_id"], page["id"]);
    let (_, roles) = app.get_json("/api/v1/sys/users/2/roles", &admin).await;
    let role = roles["data"][0]["id"].as_i64().expect("user 2 has a role");
    let (_, granted) = app
        .get_json(&format!("/api/v1/sys/roles/{role}/menus"), &admin)
        .await;
    let mut menu_ids: Vec<i64> = fba_testing::flatten(&granted["data"])
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect();
    menu_ids.push(page["id"].as_i64().unwrap());
    menu_ids.push(button["id"].as_i64().unwrap());
    let (status, body) = app
        .put_json(
            &format!("/api/v1/sys/roles/{role}/menus"),
            &admin,
            &json!({"menus": menu_ids}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post_json("/api/v1/test/notes", &staff, &json!({"text": "x"}))
        .await;
    assert_eq!(status, 200, "{body}");

    // Its data model joins the data-rule models; its health check joins /health.
    let (_, models) = app.get_json("/api/v1/sys/data-rules/models", &admin).await;
    let models = models["data"].as_array().unwrap();
    assert_eq!(models.last().unwrap(), "Note");
    assert!(models.iter().any(|m| m == "Dept"));
    let (status, cols) = app
        .get_json("/api/v1/sys/data-rules/models/Note/columns", &admin)
        .await;
    assert_eq!(status, 200, "{cols}");
    assert_eq!(cols["data"][0], json!({"key": "text", "comment": "内容"}));
    let (status, health) = fba_testing::json(app.get("/health").await).await;
    assert_eq!(status, 200, "{health}");
    // The agent's report (its configuration) depends on the machine: left out here.
    let modules: Vec<&Value> = health["data"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] != "agent.config")
        .collect();
    assert_eq!(
        json!(modules),
        json!([
            {"name": "task.broker", "ok": true},
            {"name": "notes.table", "ok": true}
        ])
    );

    // Its background service is stopped with the app.
    assert!(!stopped.load(Ordering::SeqCst));
    app.stop().await;
    assert!(stopped.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_restart_runs_no_migration_twice_and_seeds_nothing_twice() {
    let db = TestDatabase::create_from_env().await.unwrap();
    let pairs = base_pairs(&db);
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for _ in 0..2 {
        let (module, _) = notes();
        let app = TestApp::builder()
            .module(module)
            .settings(&pairs)
            .on_database(db.url())
            .spawn()
            .await;
        let admin = app.token_for(1).await;
        let (_, menus) = app.get_json("/api/v1/sys/menus", &admin).await;
        let seeded = fba_testing::flatten(&menus["data"])
            .into_iter()
            .filter(|m| m["perms"] == "test:note:add")
            .count();
        assert_eq!(seeded, 1);
        app.stop_shared().await;
    }
    db.drop_database().await;
}

#[tokio::test]
async fn a_module_setting_out_of_range_stops_start_up_with_one_line() {
    let (module, _) = notes();
    let db = TestDatabase::create_from_env().await.unwrap();
    let mut pairs = base_pairs(&db);
    pairs.push(("NOTES_MAX_CHARS".to_owned(), "0".to_owned()));
    let settings =
        fba_core_conf::Settings::from_source(&fba_core_conf::Source::from_pairs(pairs)).unwrap();
    let err = fba_server::Application::build_with_modules(settings, vec![module])
        .await
        .err()
        .expect("refused");
    assert_eq!(
        err.to_string(),
        "invalid setting NOTES_MAX_CHARS=\"0\": expected an integer from 1 to 500"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn two_modules_with_one_name_are_refused() {
    let (a, _) = notes();
    let (b, _) = notes();
    let err = fba_common::module::Modules::new(vec![a, b]).unwrap_err();
    assert_eq!(err.to_string(), "module \"notes\" is listed twice");
}
