//! The ceiling row of `scripts/bench.sh`: a bare actix-web handler answering a constant JSON
//! envelope, with the same framework build and worker count as `fba-server`, so every
//! endpoint's rate can be read as a fraction of what the framework allows on this machine.
//!
//! `cargo run --release -p fba-server --example ceiling -- 18700` serves `GET /ceiling`.

use actix_web::{App, HttpResponse, HttpServer, web};

const BODY: &str = r#"{"code":200,"msg":"请求成功","data":null}"#;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(18_700);
    HttpServer::new(|| {
        App::new().route(
            "/ceiling",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(BODY)
            }),
        )
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
