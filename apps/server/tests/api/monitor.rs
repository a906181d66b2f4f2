//! Server and Redis monitors (`GET /monitors/server`, `GET /monitors/redis`), the local file
//! upload (`POST /sys/files/upload`) and the `/static/upload/*` route serving its files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{TestApp, json, redis_url};

const SERVER: &str = "/api/v1/monitors/server";
const REDIS: &str = "/api/v1/monitors/redis";
const UPLOAD: &str = "/api/v1/sys/files/upload";

/// The first bytes of a PNG file (signature and an IHDR chunk).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

fn sorted_keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// `"12.34 GB"`-style sizes.
fn is_size(v: &Value) -> bool {
    let s = v.as_str().unwrap();
    let (n, unit) = s.split_once(' ').unwrap();
    n.parse::<f64>().is_ok()
        && n.split_once('.').is_some_and(|(_, d)| d.len() == 2)
        && ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"].contains(&unit)
}

/// `"45.00%"`.
fn is_percent(v: &Value) -> bool {
    let s = v.as_str().unwrap();
    s.strip_suffix('%')
        .is_some_and(|n| n.parse::<f64>().is_ok() && n.split_once('.').unwrap().1.len() == 2)
}

/// Bytes from a `"12.34 GB"`-style size.
fn size_bytes(v: &Value) -> f64 {
    let (n, unit) = v.as_str().unwrap().split_once(' ').unwrap();
    let power = ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        .iter()
        .position(|u| *u == unit)
        .unwrap();
    n.parse::<f64>().unwrap() * 1024_f64.powi(i32::try_from(power).unwrap())
}

/// Used space and usage of a monitor disk match what `df` says of its mount point (within
/// what other tests may write in between); skipped where `df` has no `--output`.
fn agrees_with_df(disk: &Value) {
    let Ok(out) = std::process::Command::new("df")
        .args(["-B1", "--output=size,used,avail"])
        .arg(disk["dir"].as_str().unwrap())
        .output()
    else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(numbers) = text
        .lines()
        .nth(1)
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse::<f64>().ok())
                .collect::<Vec<_>>()
        })
        .filter(|n| n.len() == 3 && out.status.success())
    else {
        return;
    };
    let (used, avail) = (numbers[1], numbers[2]);
    let slack = (used + avail) * 0.01 + 64.0 * 1024.0 * 1024.0;
    let reported_used = size_bytes(&disk["used"]);
    assert!(
        (reported_used - used).abs() <= slack,
        "{disk}: df says {used} bytes used"
    );
    let reported_free = size_bytes(&disk["free"]);
    assert!(
        (reported_free - avail).abs() <= slack,
        "{disk}: df says {avail} bytes available"
    );
    let percent: f64 = disk["usage"]
        .as_str()
        .unwrap()
        .trim_end_matches('%')
        .parse()
        .unwrap();
    let df_percent = used / (used + avail) * 100.0;
    assert!(
        (percent - df_percent).abs() <= 1.0,
        "{disk}: df says {df_percent:.2}%"
    );
}

/// FBA's `fmt_seconds` text.
fn is_duration(s: &str) -> bool {
    s == "0 seconds"
        || s.split(' ').collect::<Vec<_>>().chunks(2).all(|pair| {
            pair.len() == 2
                && pair[0].parse::<u64>().is_ok()
                && ["days", "hours", "minutes"].contains(&pair[1])
        })
}

#[tokio::test]
async fn server_monitor_reports_fbas_blocks_to_a_superuser() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = json(app.get_auth(SERVER, &admin).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 200);
    let data = &body["data"];
    assert_eq!(sorted_keys(data), ["cpu", "disk", "mem", "service", "sys"]);

    let cpu = &data["cpu"];
    assert_eq!(
        sorted_keys(cpu),
        [
            "current_freq",
            "logical_num",
            "max_freq",
            "min_freq",
            "physical_num",
            "usage"
        ]
    );
    assert!(cpu["logical_num"].as_u64().unwrap() >= 1);
    assert!(cpu["physical_num"].is_u64());
    for k in ["current_freq", "max_freq", "min_freq", "usage"] {
        assert!(cpu[k].is_f64() || cpu[k].is_u64(), "{k}: {}", cpu[k]);
    }
    let usage = cpu["usage"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&usage));

    let mem = &data["mem"];
    assert_eq!(sorted_keys(mem), ["free", "total", "usage", "used"]);
    let total = mem["total"].as_f64().unwrap();
    assert!(total > 0.0);
    assert!(mem["used"].as_f64().unwrap() <= total);
    assert!((0.0..=100.0).contains(&mem["usage"].as_f64().unwrap()));

    let sys = &data["sys"];
    assert_eq!(sorted_keys(sys), ["arch", "ip", "name", "os"]);
    if cfg!(target_os = "linux") {
        assert_eq!(sys["os"], "Linux");
    }
    assert!(
        sys["ip"]
            .as_str()
            .unwrap()
            .parse::<std::net::Ipv4Addr>()
            .is_ok()
    );
    assert!(!sys["arch"].as_str().unwrap().is_empty());

    for disk in data["disk"].as_array().unwrap() {
        assert_eq!(
            sorted_keys(disk),
            ["device", "dir", "free", "total", "type", "usage", "used"]
        );
        for k in ["total", "used", "free"] {
            assert!(is_size(&disk[k]), "{k}: {}", disk[k]);
        }
        assert!(is_percent(&disk["usage"]), "{}", disk["usage"]);
        assert!(!["tmpfs", "overlay", "proc"].contains(&disk["type"].as_str().unwrap()));
        agrees_with_df(disk);
    }

    let service = &data["service"];
    assert_eq!(
        sorted_keys(service),
        [
            "cpu_usage",
            "elapsed",
            "home",
            "mem_free",
            "mem_rss",
            "mem_vms",
            "name",
            "startup",
            "version"
        ]
    );
    assert_eq!(service["version"], env!("CARGO_PKG_VERSION"));
    let exe = std::env::current_exe().unwrap();
    assert_eq!(service["home"], exe.display().to_string());
    assert_eq!(
        service["name"],
        exe.file_stem().unwrap().to_string_lossy().as_ref()
    );
    assert!(fba_common::datetime::parse(service["startup"].as_str().unwrap()).is_some());
    assert_eq!(service["startup"].as_str().unwrap().len(), 19);
    assert!(
        is_duration(service["elapsed"].as_str().unwrap()),
        "{}",
        service["elapsed"]
    );
    assert!(
        is_percent(&service["cpu_usage"]),
        "{}",
        service["cpu_usage"]
    );
    for k in ["mem_vms", "mem_rss", "mem_free"] {
        assert!(is_size(&service[k]), "{k}: {}", service[k]);
    }
    app.stop().await;
}

#[tokio::test]
async fn server_monitor_is_for_superusers_only() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = json(app.get_auth(SERVER, &user).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("Permission Denied"))
    );
    let (status, body) = json(app.get(SERVER).await).await;
    assert_eq!(status, 401, "{body}");
    let resp = app.client.post(app.url(SERVER)).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    app.stop().await;
}

const REDIS_INFO_KEYS: [&str; 15] = [
    "blocked_clients",
    "connected_clients",
    "instantaneous_ops_per_sec",
    "keys_num",
    "maxmemory_human",
    "mem_fragmentation_ratio",
    "redis_mode",
    "redis_version",
    "rejected_connections",
    "role",
    "tcp_port",
    "total_commands_processed",
    "uptime",
    "used_memory_human",
    "used_memory_rss_human",
];

#[tokio::test]
async fn redis_monitor_describes_the_kv_store_to_any_signed_in_user() {
    let app = TestApp::spawn().await;
    // Not a superuser: FBA only asks for a token.
    let user = app.token_for(2).await;
    let (status, body) = json(app.get_auth(REDIS, &user).await).await;
    assert_eq!(status, 200, "{body}");
    let info = &body["data"]["info"];
    let stats = body["data"]["stats"].as_array().unwrap();
    assert_eq!(sorted_keys(info), REDIS_INFO_KEYS);
    assert!(
        info.as_object().unwrap().values().all(Value::is_string),
        "{info}"
    );
    assert!(
        is_duration(info["uptime"].as_str().unwrap()),
        "{}",
        info["uptime"]
    );
    let keys_num: u64 = info["keys_num"].as_str().unwrap().parse().unwrap();
    // At least this test's session token is stored.
    assert!(keys_num >= 1);
    for stat in stats {
        assert_eq!(sorted_keys(stat), ["name", "value"]);
        assert!(!stat["name"].as_str().unwrap().is_empty());
        stat["value"].as_str().unwrap().parse::<u64>().unwrap();
    }

    match redis_url() {
        Some(url) => {
            let client = redis::Client::open(url.as_str()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let server: String = redis::cmd("INFO")
                .arg("server")
                .query_async(&mut conn)
                .await
                .unwrap();
            let version = server
                .lines()
                .find_map(|l| l.strip_prefix("redis_version:"))
                .unwrap()
                .trim();
            assert_eq!(info["redis_version"], version);
            assert_eq!(info["redis_mode"], "standalone");
            assert_eq!(info["role"], "master");
            info["tcp_port"].as_str().unwrap().parse::<u16>().unwrap();
            info["connected_clients"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap();
            info["total_commands_processed"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap();
            assert!(
                info["used_memory_human"]
                    .as_str()
                    .unwrap()
                    .ends_with(['B', 'K', 'M', 'G'])
            );
            // Command statistics come with the text the Kv store's `info()` returns: present
            // when it asks Redis for them (`INFO all`), empty with the default sections.
            let raw = app.app_state.kv.info().await.unwrap().unwrap();
            assert_eq!(!stats.is_empty(), raw.contains("cmdstat_"), "{stats:?}");
            if !stats.is_empty() {
                assert!(
                    stats
                        .iter()
                        .any(|s| s["name"] == "get" || s["name"] == "set")
                );
            }
            // The parser on the full text: command statistics and the selected database's keys.
            let all: String = redis::cmd("INFO")
                .arg("all")
                .query_async(&mut conn)
                .await
                .unwrap();
            let parsed = fba_admin::service::monitor::parse_redis_info(&all, 0);
            assert!(
                parsed.stats.iter().any(|s| s.name == "info"),
                "{:?}",
                parsed.stats
            );
            assert!(parsed.stats.iter().all(|s| s.value.parse::<u64>().is_ok()));
            let db0 = all
                .lines()
                .find_map(|l| l.strip_prefix("db0:keys="))
                .map(|v| v.split(',').next().unwrap().to_owned())
                .unwrap_or_else(|| "0".to_owned());
            assert_eq!(parsed.info.keys_num, db0);
        }
        None => {
            assert_eq!(info["redis_mode"], "in-process");
            assert_eq!(info["redis_version"], "-");
            assert_eq!(info["connected_clients"], "0");
            assert_eq!(info["used_memory_human"], "-");
            assert!(stats.is_empty());
            let all = app.app_state.kv.keys_with_prefix("").await.unwrap();
            assert_eq!(keys_num, all.len() as u64);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn redis_monitor_needs_a_token() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get(REDIS).await).await;
    assert_eq!(status, 401, "{body}");
    let resp = app
        .client
        .get(app.url(REDIS))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    app.stop().await;
}

// ---- uploads ----------------------------------------------------------------------------------

const BOUNDARY: &str = "fba-test-boundary-7d1c";

/// A `multipart/form-data` body of `parts`: (field name, file name or none, content).
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_form(app: &TestApp, token: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(UPLOAD))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

/// An app whose uploads go to a fresh directory (removed by [`stop`]).
async fn upload_app(extra: &[(&str, &str)]) -> (TestApp, PathBuf) {
    let dir = std::env::temp_dir().join(format!("fba-upload-{}", uuid::Uuid::new_v4().simple()));
    let dir_text = dir.display().to_string();
    let mut pairs = vec![("UPLOAD_DIR", dir_text.as_str())];
    pairs.extend_from_slice(extra);
    (TestApp::spawn_with(&pairs).await, dir)
}

async fn stop(app: TestApp, dir: &Path) {
    app.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The stored name out of `/static/upload/<name>`, checked against FBA's scheme.
fn stored_name(body: &Value, stem: &str, ext: &str) -> String {
    let url = body["data"]["url"].as_str().unwrap();
    let name = url.strip_prefix("/static/upload/").unwrap();
    let rest = name.strip_prefix(&format!("{stem}_")).unwrap();
    let ts = rest.strip_suffix(&format!(".{ext}")).unwrap();
    let ts: u64 = ts.parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(ts) < 60);
    name.to_owned()
}

#[tokio::test]
async fn an_uploaded_image_is_stored_and_served_back() {
    let (app, dir) = upload_app(&[]).await;
    let admin = app.token_for(1).await;
    let body = form(&[("note", None, b"ignored"), ("file", Some("Logo.PNG"), PNG)]);
    let (status, body) = json(post_form(&app, Some(&admin), body).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 200);
    assert_eq!(sorted_keys(&body["data"]), ["url"]);
    // The extension is lower-cased once (FBA would store `Logo.PNG.png`).
    let name = stored_name(&body, "Logo", "png");
    assert_eq!(files_in(&dir), std::slice::from_ref(&name));
    assert_eq!(std::fs::read(dir.join(&name)).unwrap(), PNG);

    let resp = app.get(&format!("/static/upload/{name}")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    // Ranges work (video players need them).
    let resp = app
        .client
        .get(app.url(&format!("/static/upload/{name}")))
        .header("range", "bytes=1-3")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"PNG");
    let resp = app
        .client
        .head(app.url(&format!("/static/upload/{name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], PNG.len().to_string());

    // A video goes by the video list; a Chinese name with spaces is kept.
    let body = form(&[("file", Some("演示 视频.mp4"), b"\x00\x00\x00\x18ftypmp42")]);
    let (status, body) = json(post_form(&app, Some(&admin), body).await).await;
    assert_eq!(status, 200, "{body}");
    let video = stored_name(&body, "演示 视频", "mp4");
    let resp = app.get(&format!("/static/upload/{video}")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    stop(app, &dir).await;
}

#[tokio::test]
async fn client_paths_in_file_names_cannot_leave_the_upload_directory() {
    let (app, dir) = upload_app(&[]).await;
    let admin = app.token_for(1).await;
    for (filename, stem) in [
        ("../../evil.png", "evil"),
        ("..\\..\\evil2.png", "evil2"),
        ("/etc/evil3.png", "evil3"),
        ("..png", ""),
    ] {
        let body = form(&[("file", Some(filename), PNG)]);
        let (status, body) = json(post_form(&app, Some(&admin), body).await).await;
        assert_eq!(status, 200, "{filename}: {body}");
        let name = stored_name(&body, stem, "png");
        assert!(dir.join(&name).is_file(), "{name}");
    }
    assert_eq!(files_in(&dir).len(), 4);
    assert!(!dir.parent().unwrap().join("evil.png").exists());
    stop(app, &dir).await;
}

#[tokio::test]
async fn the_static_route_serves_only_plain_names_inside_the_directory() {
    let (app, dir) = upload_app(&[]).await;
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/inner.png"), PNG).unwrap();
    std::fs::write(dir.join(".hidden.png"), PNG).unwrap();
    let outside = dir.parent().unwrap().join(format!(
        "{}-outside.png",
        dir.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&outside, PNG).unwrap();
    let outside_name = outside.file_name().unwrap().to_string_lossy().into_owned();

    for path in [
        "/static/upload/missing.png".to_owned(),
        "/static/upload/sub".to_owned(),
        "/static/upload/sub/inner.png".to_owned(),
        "/static/upload/sub%2Finner.png".to_owned(),
        "/static/upload/.hidden.png".to_owned(),
        format!("/static/upload/..%2F{outside_name}"),
        format!("/static/upload/%2E%2E%2F{outside_name}"),
        format!("/static/upload/..%5C{outside_name}"),
        "/static/upload/".to_owned(),
    ] {
        let resp = app.get(&path).await;
        let (status, body) = json(resp).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["msg"], "Not Found", "{path}");
    }
    // A raw `..` segment (sent unnormalised) does not escape either.
    let reply = {
        use std::io::{Read, Write};
        let mut stream =
            std::net::TcpStream::connect(app.address.trim_start_matches("http://")).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET /static/upload/../{outside_name} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        String::from_utf8_lossy(&reply).into_owned()
    };
    assert!(!reply.starts_with("HTTP/1.1 200"), "{reply}");

    let resp = app
        .client
        .post(app.url("/static/upload/x.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let _ = std::fs::remove_file(outside);
    stop(app, &dir).await;
}

#[tokio::test]
async fn files_over_the_size_limit_are_refused_and_not_kept() {
    let (app, dir) = upload_app(&[
        ("UPLOAD_IMAGE_SIZE_MAX", "1024"),
        ("UPLOAD_VIDEO_SIZE_MAX", "2048"),
    ])
    .await;
    let admin = app.token_for(1).await;
    let big = vec![7u8; 1025];
    let (status, body) =
        json(post_form(&app, Some(&admin), form(&[("file", Some("a.jpg"), &big)])).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["msg"], "图片超出最大限制，请重新选择");
    // Exactly at the limit is fine.
    let (status, body) = json(
        post_form(
            &app,
            Some(&admin),
            form(&[("file", Some("a.jpg"), &big[..1024])]),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = json(
        post_form(
            &app,
            Some(&admin),
            form(&[("file", Some("a.mov"), &[0u8; 2049])]),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["msg"], "视频超出最大限制，请重新选择");
    // A body far larger than the limit is cut short, not read whole.
    let huge = vec![0u8; 16 * 1024 * 1024];
    let resp = app
        .client
        .post(app.url(UPLOAD))
        .bearer_auth(&admin)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form(&[("file", Some("huge.png"), &huge)]))
        .send()
        .await;
    if let Ok(resp) = resp {
        let (status, body) = json(resp).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["msg"], "图片超出最大限制，请重新选择");
    }
    // Only the file at the limit is kept; no partial files remain.
    assert_eq!(files_in(&dir).len(), 1, "{:?}", files_in(&dir));
    stop(app, &dir).await;
}

#[tokio::test]
async fn file_types_outside_the_lists_are_refused() {
    let (app, dir) = upload_app(&[]).await;
    let admin = app.token_for(1).await;
    for (filename, msg) in [
        ("run.exe", "此文件格式 exe 暂不支持"),
        ("page.HTML", "此文件格式 html 暂不支持"),
        ("noext", "未知的文件类型"),
        ("dot.", "未知的文件类型"),
    ] {
        let (status, body) =
            json(post_form(&app, Some(&admin), form(&[("file", Some(filename), PNG)])).await).await;
        assert_eq!(
            (status, body["msg"].as_str()),
            (400, Some(msg)),
            "{filename}: {body}"
        );
    }
    assert!(files_in(&dir).is_empty());
    stop(app, &dir).await;
}

#[tokio::test]
async fn a_form_without_a_file_is_a_422() {
    let (app, dir) = upload_app(&[]).await;
    let admin = app.token_for(1).await;
    // No `file` part.
    let (status, body) =
        json(post_form(&app, Some(&admin), form(&[("other", Some("a.png"), PNG)])).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["data"]["errors"][0]["loc"],
        serde_json::json!(["body", "file"])
    );
    assert_eq!(body["data"]["errors"][0]["type"], "missing");
    // `file` as a plain value, not a file.
    let (status, body) =
        json(post_form(&app, Some(&admin), form(&[("file", None, b"text")])).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["data"]["errors"][0]["loc"],
        serde_json::json!(["body", "file"])
    );
    // Not a form at all.
    let resp = app
        .client
        .post(app.url(UPLOAD))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["data"]["errors"][0]["type"], "missing");
    assert!(files_in(&dir).is_empty());
    stop(app, &dir).await;
}

#[tokio::test]
async fn upload_needs_the_sys_file_upload_permission() {
    let (app, dir) = upload_app(&[]).await;
    let user = app.token_for(2).await;
    let (status, body) =
        json(post_form(&app, Some(&user), form(&[("file", Some("a.png"), PNG)])).await).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) =
        json(post_form(&app, None, form(&[("file", Some("a.png"), PNG)])).await).await;
    assert_eq!(status, 401, "{body}");
    let resp = app.get_auth(UPLOAD, &app.token_for(1).await).await;
    assert_eq!(resp.status(), 405);
    assert!(files_in(&dir).is_empty());
    stop(app, &dir).await;
}
