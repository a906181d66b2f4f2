//! Local file uploads (`POST /sys/files/upload`) and the lookup behind `/static/upload/*`.
//!
//! FBA's rules: the extension (text after the last `.`, lower-cased) must be one of
//! `UPLOAD_IMAGE_EXT_INCLUDE` (at most `UPLOAD_IMAGE_SIZE_MAX` bytes) or
//! `UPLOAD_VIDEO_EXT_INCLUDE` (at most `UPLOAD_VIDEO_SIZE_MAX`); the file is stored in
//! `UPLOAD_DIR` as `<name without extension>_<unix seconds>.<extension>` and served at
//! `/static/upload/<stored name>`.
//!
//! Differences from FBA, all on purpose: the size limit is enforced while the bytes arrive (the
//! body is never buffered whole); the client's name is reduced to a safe single path component
//! (directories dropped, characters that are unsafe in a URL path or a file name replaced by
//! `_`, at most [`MAX_STEM_BYTES`] bytes kept); the extension is removed once and the stored
//! name gets it lower-cased (FBA turns `A.PNG` into `A.PNG.png`, quirk 16); the bytes go to a
//! hidden temporary file renamed into place when complete, so a failed or concurrent upload
//! never leaves a partial file under the public name.

use std::fmt::Display;
use std::path::{Component, Path, PathBuf};

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use fba_common::AppResult;
use fba_core_conf::UploadSettings;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::error::AdminError;

/// The URL prefix the stored files are served under.
pub const URL_PREFIX: &str = "/static/upload";

/// The longest part of the client's name kept before `_<timestamp>.<ext>` (bytes), so the
/// stored name stays well under the 255-byte limit of common file systems.
pub const MAX_STEM_BYTES: usize = 150;

/// `POST /sys/files/upload` reply data (FBA's `UploadUrl`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadUrl {
    /// `/static/upload/<stored name>`.
    pub url: String,
}

/// An accepted upload: where it goes and how large it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    /// The stored file name (one safe path component).
    pub stored_name: String,
    /// Size limit in bytes.
    pub limit: u64,
    /// Image or video: which limit applies (and which message past it).
    pub kind: UploadKind,
}

/// The kind of an accepted upload, by its extension list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    /// `UPLOAD_IMAGE_EXT_INCLUDE`, limit `UPLOAD_IMAGE_SIZE_MAX`.
    Image,
    /// `UPLOAD_VIDEO_EXT_INCLUDE`, limit `UPLOAD_VIDEO_SIZE_MAX`.
    Video,
}

impl UploadKind {
    /// The refusal of a file of this kind past its limit.
    pub fn too_large(self) -> AdminError {
        match self {
            Self::Image => AdminError::UploadImageTooLarge,
            Self::Video => AdminError::UploadVideoTooLarge,
        }
    }
}

/// Checks the client's file name against the extension lists and builds the stored name for
/// an upload at `now`.
///
/// # Errors
/// 400 `未知的文件类型` without an extension, `此文件格式 {ext} 暂不支持` for an extension in
/// neither list.
pub fn target(
    settings: &UploadSettings,
    filename: &str,
    now: DateTime<Utc>,
) -> AppResult<UploadTarget> {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    let (stem, ext) = base.rsplit_once('.').unwrap_or((base, ""));
    let ext = ext.to_lowercase();
    if ext.is_empty() {
        return Err(AdminError::UploadTypeUnknown.into());
    }
    let (limit, kind) = if settings.image_ext.contains(&ext) {
        (settings.image_size_max, UploadKind::Image)
    } else if settings.video_ext.contains(&ext) {
        (settings.video_size_max, UploadKind::Video)
    } else {
        return Err(AdminError::UploadTypeNotAllowed { ext }.into());
    };
    // The extension is a member of a configured list; keep it only if it is also a safe name
    // part (a list entry with odd characters is refused rather than trusted).
    if !ext.chars().all(|c| c.is_alphanumeric()) {
        return Err(AdminError::UploadTypeNotAllowed { ext }.into());
    }
    Ok(UploadTarget {
        stored_name: format!("{}_{}.{ext}", safe_stem(stem), now.timestamp()),
        limit,
        kind,
    })
}

/// The client's name without extension made safe for one path component of a URL and a file
/// system: control characters and `/ \ : * ? " < > | # %` become `_`, leading dots and spaces
/// are dropped, at most [`MAX_STEM_BYTES`] bytes are kept (on a character boundary).
fn safe_stem(stem: &str) -> String {
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_control()
                || matches!(
                    c,
                    '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '#' | '%'
                )
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches(['.', ' ']).trim_end();
    let mut end = trimmed.len().min(MAX_STEM_BYTES);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    trimmed[..end].to_owned()
}

/// Removes a temporary file, logging (not failing) when that is impossible.
async fn discard(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "could not remove a partial upload");
    }
}

/// Streams `chunks` into `UPLOAD_DIR` under `target.stored_name`, stopping as soon as the size
/// limit is passed. The directory is created when missing. A file of the same name is
/// replaced (as FBA does).
///
/// # Errors
/// 400 with FBA's size message past the limit; 400 `上传文件失败` when the client's stream
/// fails or the file cannot be written (the cause is logged). Nothing is left behind on error.
pub async fn store<S, E>(
    settings: &UploadSettings,
    target: &UploadTarget,
    mut chunks: S,
) -> AppResult<UploadUrl>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let failed = |what: &str, e: &dyn Display| {
        tracing::error!(file = %target.stored_name, error = %e, "upload failed: {what}");
        AdminError::UploadFailed
    };
    let dir = &settings.dir;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| failed("creating the upload directory", &e))?;
    let temp = dir.join(format!(".upload-{}.part", uuid::Uuid::new_v4().simple()));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .await
        .map_err(|e| failed("creating the file", &e))?;

    let mut written: u64 = 0;
    let outcome: AppResult<()> = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| failed("reading the request", &e))?;
            written = written.saturating_add(chunk.len() as u64);
            if written > target.limit {
                return Err(target.kind.too_large().into());
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| failed("writing", &e))?;
        }
        file.flush().await.map_err(|e| failed("writing", &e))?;
        Ok(())
    }
    .await;
    drop(file);
    if let Err(e) = outcome {
        discard(&temp).await;
        return Err(e);
    }
    if let Err(e) = tokio::fs::rename(&temp, dir.join(&target.stored_name)).await {
        discard(&temp).await;
        return Err(failed("moving the file into place", &e).into());
    }
    Ok(UploadUrl {
        url: format!("{URL_PREFIX}/{}", target.stored_name),
    })
}

/// The path of the stored file `name` asks for, when `name` is one plain path component that
/// an upload could have produced: not empty, no separator, no NUL, not starting with `.`
/// (which also hides the temporary files). Whether it exists is the caller's question.
pub fn stored_file(settings: &UploadSettings, name: &str) -> Option<PathBuf> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.len() > 255
    {
        return None;
    }
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(_)), None) => Some(settings.dir.join(name)),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use fba_common::AppError;

    use super::*;

    fn settings(dir: &Path) -> UploadSettings {
        UploadSettings {
            dir: dir.to_path_buf(),
            read_size: 1024,
            image_ext: ["jpg", "jpeg", "png", "gif", "webp"]
                .map(String::from)
                .to_vec(),
            image_size_max: 10,
            video_ext: ["mp4", "mov", "avi", "flv"].map(String::from).to_vec(),
            video_size_max: 20,
        }
    }

    fn at(ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts, 0).unwrap()
    }

    fn name(filename: &str) -> AppResult<String> {
        target(&settings(Path::new("/tmp")), filename, at(1_700_000_000)).map(|t| t.stored_name)
    }

    fn message(r: AppResult<String>) -> String {
        match r {
            Err(AppError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn stored_names_keep_the_stem_and_lower_case_the_extension_once() {
        assert_eq!(name("photo.png").unwrap(), "photo_1700000000.png");
        assert_eq!(name("A.PNG").unwrap(), "A_1700000000.png");
        assert_eq!(name("a.png.png").unwrap(), "a.png_1700000000.png");
        assert_eq!(name("头像 1.JPG").unwrap(), "头像 1_1700000000.jpg");
        assert_eq!(name(".png").unwrap(), "_1700000000.png");
        assert_eq!(name("clip.MP4").unwrap(), "clip_1700000000.mp4");
    }

    #[test]
    fn client_paths_and_unsafe_characters_are_neutralised() {
        assert_eq!(name("../../etc/x.png").unwrap(), "x_1700000000.png");
        assert_eq!(name("..\\..\\win\\y.png").unwrap(), "y_1700000000.png");
        assert_eq!(name("...png").unwrap(), "_1700000000.png");
        assert_eq!(name("a?b#c%d\0e.png").unwrap(), "a_b_c_d_e_1700000000.png");
        let long = format!("{}.png", "é".repeat(200));
        let stored = name(&long).unwrap();
        assert!(stored.len() <= MAX_STEM_BYTES + "_1700000000.png".len());
        assert!(stored.ends_with("_1700000000.png"));
    }

    #[test]
    fn extensions_outside_the_lists_are_refused_with_fba_messages() {
        assert_eq!(message(name("noext")), "未知的文件类型");
        assert_eq!(message(name("trailing.")), "未知的文件类型");
        assert_eq!(message(name("")), "未知的文件类型");
        assert_eq!(message(name("x.exe")), "此文件格式 exe 暂不支持");
        assert_eq!(message(name("x.SVG")), "此文件格式 svg 暂不支持");
    }

    #[test]
    fn limits_follow_the_kind() {
        let s = settings(Path::new("/tmp"));
        assert_eq!(target(&s, "a.gif", at(0)).unwrap().limit, 10);
        assert_eq!(target(&s, "a.mov", at(0)).unwrap().limit, 20);
    }

    #[test]
    fn only_plain_names_resolve() {
        let s = settings(Path::new("/srv/up"));
        assert_eq!(
            stored_file(&s, "a_1.png"),
            Some(PathBuf::from("/srv/up/a_1.png"))
        );
        for bad in [
            "",
            ".",
            "..",
            ".upload-x.part",
            "a/b.png",
            "..\\x",
            "a\0b",
            "/etc/passwd",
        ] {
            assert_eq!(stored_file(&s, bad), None, "{bad:?}");
        }
    }

    fn chunks(
        parts: &[&'static [u8]],
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("fba-upload-unit-{}", uuid::Uuid::new_v4().simple()))
    }

    #[tokio::test]
    async fn a_file_within_the_limit_is_stored_and_nothing_else_remains() {
        let dir = temp_dir();
        let s = settings(&dir);
        let t = target(&s, "x.png", at(5)).unwrap();
        let url = store(&s, &t, chunks(&[b"12345", b"67890"])).await.unwrap();
        assert_eq!(url.url, "/static/upload/x_5.png");
        assert_eq!(std::fs::read(dir.join("x_5.png")).unwrap(), b"1234567890");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn passing_the_limit_stops_and_leaves_no_file() {
        let dir = temp_dir();
        let s = settings(&dir);
        let t = target(&s, "x.png", at(5)).unwrap();
        let err = store(&s, &t, chunks(&[b"123456", b"78901"]))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::BadRequest(m) if m == "图片超出最大限制，请重新选择"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let t = target(&s, "x.mp4", at(5)).unwrap();
        let err = store(&s, &t, chunks(&[&[0; 21]])).await.unwrap_err();
        assert!(matches!(err, AppError::BadRequest(m) if m == "视频超出最大限制，请重新选择"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_broken_client_stream_is_fbas_write_failure() {
        let dir = temp_dir();
        let s = settings(&dir);
        let t = target(&s, "x.png", at(5)).unwrap();
        let stream = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"12")),
            Err(std::io::Error::other("reset")),
        ]);
        let err = store(&s, &t, stream).await.unwrap_err();
        assert!(matches!(err, AppError::BadRequest(m) if m == "上传文件失败"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
