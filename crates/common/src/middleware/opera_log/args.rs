//! FBA's `args` of an operation-log row: query, JSON / form / text body, redaction and the
//! truncation object (see [`build_args`]). Pure functions; no I/O.

use serde_json::{Map, Value};

use super::{ARGS_MAX_SIZE, REDACTED};

/// FBA's `args`: `query_params`, then `json` (a JSON object body) or `data` (any other body as
/// text), or `x-www-form-urlencoded` / `form-data` (form bodies, files as
/// `{filename, content_type, size}`); top-level `redact` keys of each map replaced by
/// `[REDACTED]`; `None` when empty; the truncation object when its JSON exceeds
/// [`ARGS_MAX_SIZE`] bytes. `uncaptured` is `Some(bytes not read)` when the body was cut at
/// the capture limit: the truncation object is then forced and its `_original_size` counts
/// those bytes too.
pub fn build_args(
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
    redact: &[String],
    uncaptured: Option<u64>,
) -> Option<Value> {
    let mut sections: Vec<(&'static str, Value)> = Vec::new();
    if !query.is_empty() {
        let params = last_wins(url::form_urlencoded::parse(query.as_bytes()));
        if !params.is_empty() {
            sections.push(("query_params", Value::Object(redacted(params, redact))));
        }
    }
    if !body.is_empty() {
        let media = MediaType::of(content_type);
        if media.json {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => {
                    sections.push(("json", Value::Object(redacted(map, redact))))
                }
                _ => sections.push(("data", Value::String(text(body)))),
            }
        } else if media.urlencoded {
            let form = last_wins(url::form_urlencoded::parse(body));
            if !form.is_empty() {
                sections.push((
                    "x-www-form-urlencoded",
                    Value::Object(redacted(form, redact)),
                ));
            }
        } else if let Some(boundary) = media.multipart_boundary {
            let form = parse_multipart(body, &boundary);
            if !form.is_empty() {
                sections.push(("form-data", Value::Object(redacted(form, redact))));
            }
        } else {
            sections.push(("data", Value::String(text(body))));
        }
    }
    if sections.is_empty() && uncaptured.is_none() {
        return None;
    }
    let dumped = py_dump_sections(&sections);
    let size = dumped.len() as u64 + uncaptured.unwrap_or(0);
    if uncaptured.is_none() && size <= ARGS_MAX_SIZE as u64 {
        return Some(Value::Object(
            sections
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ));
    }
    let preview: String = dumped.chars().take(ARGS_MAX_SIZE).collect();
    let mut truncated = Map::new();
    truncated.insert("_truncated".to_owned(), Value::Bool(true));
    truncated.insert("_original_size".to_owned(), Value::from(size));
    truncated.insert("_max_size".to_owned(), Value::from(ARGS_MAX_SIZE));
    truncated.insert(
        "_message".to_owned(),
        Value::String(format!(
            "数据过大已截断：原始大小 {size} 字节，限制 {ARGS_MAX_SIZE} 字节"
        )),
    );
    truncated.insert("data_preview".to_owned(), Value::String(preview));
    Some(Value::Object(truncated))
}

/// Body text; NUL characters are dropped (PostgreSQL cannot store them).
fn text(body: &[u8]) -> String {
    strip_nul(String::from_utf8_lossy(body).into_owned())
}

fn strip_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s
    }
}

/// Pairs into a map, the last value of a repeated key winning (Starlette's `dict(...)`).
fn last_wins<'a>(
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Map<String, Value> {
    pairs
        .map(|(k, v)| {
            (
                strip_nul(k.into_owned()),
                Value::String(strip_nul(v.into_owned())),
            )
        })
        .collect()
}

fn redacted(mut map: Map<String, Value>, keys: &[String]) -> Map<String, Value> {
    for key in keys {
        if let Some(v) = map.get_mut(key) {
            *v = Value::String(REDACTED.to_owned());
        }
    }
    map
}

#[derive(Debug, Default)]
struct MediaType {
    json: bool,
    urlencoded: bool,
    multipart_boundary: Option<String>,
}

impl MediaType {
    fn of(content_type: Option<&str>) -> Self {
        let Some(ct) = content_type else {
            return Self::default();
        };
        let mut parts = ct.split(';').map(str::trim);
        let essence = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<&str> = parts.collect();
        let mut media = Self {
            // FBA looks for an exact `application/json` among the `;`-separated parts.
            json: essence == "application/json"
                || params
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case("application/json")),
            urlencoded: essence == "application/x-www-form-urlencoded",
            multipart_boundary: None,
        };
        if essence == "multipart/form-data" {
            media.multipart_boundary = params.iter().find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("boundary")
                    .then(|| v.trim().trim_matches('"').to_owned())
                    .filter(|b| !b.is_empty())
            });
        }
        media
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The fields of a `multipart/form-data` body: text fields as strings, files as
/// `{filename, content_type, size}`; an unfinished last part is ignored.
fn parse_multipart(body: &[u8], boundary: &str) -> Map<String, Value> {
    let mut form = Map::new();
    let delimiter = format!("--{boundary}").into_bytes();
    let mut closing = b"\r\n".to_vec();
    closing.extend_from_slice(&delimiter);
    let Some(start) = find(body, &delimiter) else {
        return form;
    };
    let mut pos = start + delimiter.len();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            break;
        }
        let after_line = match find(rest, b"\r\n") {
            Some(i) => pos + i + 2,
            None => break,
        };
        let Some(header_len) = find(&body[after_line..], b"\r\n\r\n") else {
            break;
        };
        let headers = String::from_utf8_lossy(&body[after_line..after_line + header_len]);
        let data_start = after_line + header_len + 4;
        let Some(data_len) = find(&body[data_start..], &closing) else {
            break;
        };
        let data = &body[data_start..data_start + data_len];
        let mut name = None;
        let mut filename = None;
        let mut part_type = None;
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim();
            if key.eq_ignore_ascii_case("content-disposition") {
                for param in split_params(value) {
                    let Some((k, v)) = param.split_once('=') else {
                        continue;
                    };
                    let v = unquote(v.trim());
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(v),
                        "filename" => filename = Some(v),
                        _ => {}
                    }
                }
            } else if key.eq_ignore_ascii_case("content-type") {
                part_type = Some(value.trim().to_owned());
            }
        }
        if let Some(name) = name {
            let value = match filename {
                Some(filename) => serde_json::json!({
                    "filename": strip_nul(filename),
                    "content_type": part_type.map(strip_nul),
                    "size": data.len(),
                }),
                None => Value::String(text(data)),
            };
            form.insert(strip_nul(name), value);
        }
        pos = data_start + data_len + closing.len();
    }
    form
}

/// `;`-separated parameters, ignoring `;` inside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

/// `json.dumps(args, ensure_ascii=False)` of the sections in order (Python's `", "` and `": "`
/// separators), to measure and preview as FBA does.
fn py_dump_sections(sections: &[(&str, Value)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&py_dump(&Value::String((*key).to_owned())));
        out.push_str(": ");
        out.push_str(&py_dump(value));
    }
    out.push('}');
    out
}

struct PyFormatter;

impl serde_json::ser::Formatter for PyFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

fn py_dump(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter);
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys() -> Vec<String> {
        [
            "password",
            "old_password",
            "new_password",
            "confirm_password",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    #[test]
    fn query_and_json_object_are_redacted_at_the_top_level_only() {
        let args = build_args(
            "a=1&password=x&a=2",
            Some("application/json;charset=utf-8"),
            br#"{"username":"u","password":"p","nested":{"password":"kept"}}"#,
            &keys(),
            None,
        )
        .unwrap();
        assert_eq!(
            args,
            json!({
                "query_params": {"a": "2", "password": "[REDACTED]"},
                "json": {"username": "u", "password": "[REDACTED]", "nested": {"password": "kept"}},
            })
        );
    }

    #[test]
    fn other_bodies_are_text_and_nothing_is_null() {
        assert_eq!(build_args("", None, b"", &keys(), None), None);
        assert_eq!(
            build_args("", Some("text/plain"), b"hello", &keys(), None),
            Some(json!({"data": "hello"}))
        );
        assert_eq!(
            build_args("", Some("application/json"), b"[1,2]", &keys(), None),
            Some(json!({"data": "[1,2]"}))
        );
        assert_eq!(
            build_args("", Some("application/json"), b"{oops", &keys(), None),
            Some(json!({"data": "{oops"}))
        );
    }

    #[test]
    fn forms_are_parsed_and_redacted() {
        assert_eq!(
            build_args(
                "",
                Some("application/x-www-form-urlencoded"),
                b"username=a&password=b",
                &keys(),
                None
            ),
            Some(json!({"x-www-form-urlencoded": {"username": "a", "password": "[REDACTED]"}}))
        );
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\x01\r\n--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--XyZ--\r\n";
        assert_eq!(
            build_args(
                "",
                Some("multipart/form-data; boundary=XyZ"),
                body,
                &keys(),
                None
            ),
            Some(json!({"form-data": {
                "title": "hello",
                "file": {"filename": "a;b.png", "content_type": "image/png", "size": 8},
                "password": "[REDACTED]",
            }}))
        );
    }

    #[test]
    fn large_args_become_fbas_truncation_object() {
        let big = "界".repeat(4000); // 12 000 bytes in UTF-8
        let body = serde_json::to_vec(&json!({ "text": big })).unwrap();
        let args = build_args("", Some("application/json"), &body, &keys(), None).unwrap();
        let expected_text = format!("{{\"json\": {{\"text\": \"{big}\"}}}}");
        let size = expected_text.len();
        assert_eq!(args["_truncated"], json!(true));
        assert_eq!(args["_original_size"], json!(size));
        assert_eq!(args["_max_size"], json!(10240));
        assert_eq!(
            args["_message"],
            json!(format!(
                "数据过大已截断：原始大小 {size} 字节，限制 10240 字节"
            ))
        );
        let preview: String = expected_text.chars().take(10240).collect();
        assert_eq!(args["data_preview"], json!(preview));
    }

    #[test]
    fn a_body_cut_at_the_capture_limit_is_always_truncated() {
        let args = build_args("", Some("text/plain"), b"abc", &keys(), Some(100)).unwrap();
        assert_eq!(args["_truncated"], json!(true));
        assert_eq!(
            args["_original_size"],
            json!(r#"{"data": "abc"}"#.len() + 100)
        );
    }

    #[test]
    fn python_separators_are_used_for_the_size() {
        assert_eq!(
            py_dump(&json!({"a": [1, 2], "b": "é"})),
            r#"{"a": [1, 2], "b": "é"}"#
        );
    }
}
