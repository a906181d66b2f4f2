//! The plugin system: `/sys/plugins`, the enable switch on every plugin route (also across
//! replicas), and a tiny example plugin written the way docs/plugins.md describes.

use std::sync::Arc;

use actix_web::web;
use fba_common::module::Module;
use fba_plugins::system::modules;
use fba_plugins::{Plugin, PluginContext};
use fba_testing::{
    TestApp, assert_401, assert_error, assert_ok_empty, json, make_staff, replica_redis,
};
use serde_json::{Value, json};

/// The example plugin of docs/plugins.md: one route, mounted behind its switch.
mod hello {
    use super::*;

    /// `plugin.toml`.
    pub const MANIFEST: &str = r#"
[plugin]
summary = "问候"
version = "0.1.0"
description = "An example plugin: one greeting route"
author = "fba-rs"
tags = ["other"]
database = ["mysql", "postgresql"]
depends_on = ["dict"]

[app]
extend = "admin"

[api.hello]
prefix = "/hello"
tags = "问候"
"#;

    /// The plugin.
    pub fn plugin() -> Plugin {
        Plugin {
            name: "hello",
            manifest: MANIFEST,
            readme: "# hello\n\nAn example plugin.\n",
            build: |ctx| Arc::new(Hello(ctx)),
        }
    }

    struct Hello(PluginContext);

    impl Module for Hello {
        fn name(&self) -> &'static str {
            self.0.name()
        }

        fn configure_api(&self, cfg: &mut web::ServiceConfig) {
            self.0.mount(cfg, "/sys/hello", |cfg| {
                cfg.route(
                    "",
                    web::get().to(|_auth: fba_common::security::AuthUser| async {
                        fba_common::response::ok("hello")
                    }),
                );
            });
        }
    }
}

/// The admin core, the plugin system, `dict` and the example plugin.
async fn example_app() -> TestApp {
    let mut builder = TestApp::builder().exactly().module(fba_admin::module());
    for module in modules(vec![hello::plugin(), fba_plugins::dict::plugin()]).unwrap() {
        builder = builder.module(module);
    }
    builder.spawn().await
}

fn plugin<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plugin"]["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed: {list}"))
}

#[tokio::test]
async fn the_plugin_list_switch_and_zip_follow_fba() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let (status, list) = app.get_json("/api/v1/sys/plugins", &admin).await;
    assert_eq!(status, 200, "{list}");
    for name in ["dict", "config", "notice"] {
        let p = plugin(&list, name);
        assert_eq!(p["plugin"]["enable"], "1");
        assert_eq!(p["app"]["extend"], "admin");
        assert!(p["plugin"]["summary"].is_string() && p["plugin"]["version"].is_string());
    }
    assert_eq!(
        plugin(&list, "dict")["api"]["dict_type"]["prefix"],
        "/dict-types"
    );
    let (_, changed) = app.get_json("/api/v1/sys/plugins/changed", &admin).await;
    assert_eq!(changed["data"], false);

    let (status, body) = app
        .put_json("/api/v1/sys/plugins/notice/status", &admin, &json!(null))
        .await;
    assert_ok_empty(status, &body);
    let (_, list) = app.get_json("/api/v1/sys/plugins", &admin).await;
    assert_eq!(plugin(&list, "notice")["plugin"]["enable"], "0");
    let (_, changed) = app.get_json("/api/v1/sys/plugins/changed", &admin).await;
    assert_eq!(changed["data"], true);

    // The zip: `{name}/plugin.toml` and `{name}/README.md`.
    let resp = app.get_auth("/api/v1/sys/plugins/dict", &admin).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=dict.zip"
    );
    let bytes = resp.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["dict/README.md", "dict/plugin.toml"]);
    let mut toml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("dict/plugin.toml").unwrap(), &mut toml)
        .unwrap();
    assert!(toml.contains("[api.dict_data]"));
    app.stop().await;
}

#[tokio::test]
async fn install_uninstall_and_unknown_plugins_are_clear_errors() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let compiled = "插件已编译进服务，不能在运行时安装或卸载";
    let (status, body) = app
        .post_json("/api/v1/sys/plugins?type=zip", &admin, &json!(null))
        .await;
    assert_error(status, &body, 400, compiled);
    let (status, body) = app
        .delete_json("/api/v1/sys/plugins/dict", &admin, None)
        .await;
    assert_error(status, &body, 400, compiled);
    for (status, body) in [
        app.delete_json("/api/v1/sys/plugins/nope", &admin, None)
            .await,
        app.put_json("/api/v1/sys/plugins/nope/status", &admin, &json!(null))
            .await,
        json(app.get_auth("/api/v1/sys/plugins/nope", &admin).await).await,
    ] {
        assert_error(status, &body, 404, "插件不存在");
    }
    // Superusers only; a token is needed.
    make_staff(&app, 2).await;
    let staff = app.token_for(2).await;
    let (status, body) = app.get_json("/api/v1/sys/plugins", &staff).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = json(app.get("/api/v1/sys/plugins").await).await;
    assert_401(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn a_switched_off_plugin_answers_403_and_serves_again_when_switched_on() {
    let app = example_app().await;
    let admin = app.token_for(1).await;
    let (status, body) = app.get_json("/api/v1/sys/hello", &admin).await;
    assert_eq!((status, &body["data"]), (200, &json!("hello")), "{body}");

    app.put_json("/api/v1/sys/plugins/hello/status", &admin, &json!(null))
        .await;
    let (status, body) = app.get_json("/api/v1/sys/hello", &admin).await;
    assert_error(status, &body, 403, "插件 hello 未启用，请联系系统管理员");
    // Other plugins and the admin core are untouched.
    let (status, _) = app.get_json("/api/v1/sys/dict-types/all", &admin).await;
    assert_eq!(status, 200);

    app.put_json("/api/v1/sys/plugins/hello/status", &admin, &json!(null))
        .await;
    let (status, _) = app.get_json("/api/v1/sys/hello", &admin).await;
    assert_eq!(status, 200);
    // The example plugin is listed with its manifest.
    let (_, list) = app.get_json("/api/v1/sys/plugins", &admin).await;
    assert_eq!(
        plugin(&list, "hello")["plugin"]["depends_on"],
        json!(["dict"])
    );
    app.stop().await;
}

#[tokio::test]
async fn a_build_without_the_required_dict_plugin_is_refused() {
    let err = modules(vec![hello::plugin()]).err().expect("refused");
    assert_eq!(
        err.to_string(),
        "the required plugin dict is not compiled in (cargo feature of fba-plugins)"
    );
}

#[tokio::test]
async fn a_switch_on_one_replica_takes_effect_on_the_other() {
    let Some(redis) = replica_redis() else { return };
    let a = TestApp::spawn().await;
    let b = TestApp::builder().sharing(&a, &redis).spawn().await;
    let admin_a = a.token_for(1).await;
    let admin_b = b.token_for(1).await;
    let path = "/api/v1/sys/dict-types/all";
    assert_eq!(b.get_json(path, &admin_b).await.0, 200);

    a.put_json("/api/v1/sys/plugins/dict/status", &admin_a, &json!(null))
        .await;
    let mut status = 0;
    for _ in 0..100 {
        status = b.get_json(path, &admin_b).await.0;
        if status == 403 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 403, "replica b follows the switch");

    a.put_json("/api/v1/sys/plugins/dict/status", &admin_a, &json!(null))
        .await;
    for _ in 0..100 {
        status = b.get_json(path, &admin_b).await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 200, "replica b serves again");
    b.stop_shared().await;
    a.stop().await;
}
