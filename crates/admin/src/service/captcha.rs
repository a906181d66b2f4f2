//! The login captcha (FBA `GET /auth/captcha`): a 4-character code kept in the Kv store under
//! `{LOGIN_CAPTCHA_REDIS_PREFIX}:{uuid}` for `LOGIN_CAPTCHA_EXPIRE_SECONDS`, shown as a distorted
//! PNG.
//!
//! The picture is drawn here: a built-in 5×7 dot font, each character scaled, rotated and shifted
//! at random, a sine warp over the whole line, noise curves and dots. The PNG is framed by hand
//! (signature, `IHDR`, `IDAT`, `IEND`) with the zlib stream from `flate2` and CRC-32 from
//! `crc32fast`, both already in the build through actix-web; image crates would add a second
//! `miniz_oxide` and a codec stack for one small picture. This module does not check codes: the
//! login service does.

use std::f32::consts::PI;
use std::io::Write;
use std::time::Duration;

use base64::Engine;
use fba_common::{AppError, AppResult, AppState};
use rand::{Rng, RngExt};

use crate::schema::auth::CaptchaDetail;

/// Picture width in pixels.
pub const WIDTH: usize = 160;
/// Picture height in pixels.
pub const HEIGHT: usize = 60;
/// Characters in a code.
pub const CODE_LEN: usize = 4;

/// Characters a code is made of: no `0/O`, `1/I/L`, which are hard to tell apart.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Makes a new captcha, stores its code and returns FBA's `GetCaptchaDetail`.
///
/// As in FBA, a captcha is made and stored even when `LOGIN_CAPTCHA_ENABLED` is off; the reply
/// then says `is_enabled: false` and the UI hides the field.
///
/// # Errors
/// A Kv failure (503), or the blocking pool being gone.
pub async fn create(state: &AppState) -> AppResult<CaptchaDetail> {
    let (code, png) = tokio::task::spawn_blocking(|| {
        let mut rng = rand::rng();
        let code = random_code(&mut rng);
        let png = render_png(&code, &mut rng);
        (code, png)
    })
    .await
    .map_err(AppError::internal)?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let login = state.login_settings().await?;
    state
        .kv
        .set(
            &state.keys().login_captcha(&uuid),
            &code,
            Some(Duration::from_secs(login.captcha_expire_secs)),
        )
        .await?;
    Ok(CaptchaDetail {
        is_enabled: login.captcha_enabled,
        expire_seconds: login.captcha_expire_secs,
        uuid,
        image: base64::engine::general_purpose::STANDARD.encode(png),
    })
}

/// A random code of [`CODE_LEN`] characters from [`ALPHABET`].
pub fn random_code<R: Rng + ?Sized>(rng: &mut R) -> String {
    (0..CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The 5×7 dot pattern of an [`ALPHABET`] character: seven rows, bit 4 is the left column.
fn glyph(c: char) -> [u8; 7] {
    match c {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        _ => [0; 7],
    }
}

/// Whether the dot at column `col`, row `row` of `rows` is set (outside the cell: no).
fn dot(rows: &[u8; 7], col: i32, row: i32) -> bool {
    if !(0..5).contains(&col) || !(0..7).contains(&row) {
        return false;
    }
    rows[row as usize] & (0x10 >> col) != 0
}

/// One character placed on the picture.
struct Placed {
    rows: [u8; 7],
    /// Centre on the picture.
    cx: f32,
    cy: f32,
    /// Pixels per dot.
    scale: f32,
    /// Rotation, radians (sin and cos kept).
    sin: f32,
    cos: f32,
    color: [u8; 3],
}

impl Placed {
    /// Whether the picture point `(x, y)` lies on the character's strokes: the point is turned
    /// back into dot space and must be near the centre of a set dot (round, joined strokes).
    fn covers(&self, x: f32, y: f32) -> bool {
        let (dx, dy) = (x - self.cx, y - self.cy);
        let u = (dx * self.cos + dy * self.sin) / self.scale + 2.5;
        let v = (-dx * self.sin + dy * self.cos) / self.scale + 3.5;
        let (cu, cv) = (u.floor() as i32, v.floor() as i32);
        for row in cv - 1..=cv + 1 {
            for col in cu - 1..=cu + 1 {
                if dot(&self.rows, col, row) {
                    let (ex, ey) = (u - (col as f32 + 0.5), v - (row as f32 + 0.5));
                    if ex * ex + ey * ey < 0.75 * 0.75 {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Draws `code` as an RGB picture of [`WIDTH`]×[`HEIGHT`] and encodes it as PNG.
pub fn render_png<R: Rng + ?Sized>(code: &str, rng: &mut R) -> Vec<u8> {
    let mut px = vec![0u8; WIDTH * HEIGHT * 3];
    let bg = [
        rng.random_range(228..=255u8),
        rng.random_range(228..=255u8),
        rng.random_range(228..=255u8),
    ];
    for p in px.chunks_exact_mut(3) {
        p.copy_from_slice(&bg);
    }
    let set = |px: &mut [u8], x: i32, y: i32, c: [u8; 3]| {
        if (0..WIDTH as i32).contains(&x) && (0..HEIGHT as i32).contains(&y) {
            let i = (y as usize * WIDTH + x as usize) * 3;
            px[i..i + 3].copy_from_slice(&c);
        }
    };
    let dark = |rng: &mut R| {
        [
            rng.random_range(0..140u8),
            rng.random_range(0..140u8),
            rng.random_range(0..140u8),
        ]
    };

    // Dots behind the text.
    for _ in 0..120 {
        let c = [
            rng.random_range(100..230u8),
            rng.random_range(100..230u8),
            rng.random_range(100..230u8),
        ];
        let x = rng.random_range(0..WIDTH as i32);
        let y = rng.random_range(0..HEIGHT as i32);
        set(&mut px, x, y, c);
    }

    // The characters, with a sine warp over the whole line.
    let slot = (WIDTH as f32 - 16.0) / code.chars().count().max(1) as f32;
    let placed: Vec<Placed> = code
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let angle = rng.random_range(-0.38f32..0.38);
            Placed {
                rows: glyph(c),
                cx: 8.0 + slot * (i as f32 + 0.5) + rng.random_range(-3.0f32..3.0),
                cy: HEIGHT as f32 / 2.0 + rng.random_range(-5.0f32..5.0),
                scale: rng.random_range(4.4f32..5.3),
                sin: angle.sin(),
                cos: angle.cos(),
                color: dark(rng),
            }
        })
        .collect();
    let amplitude = rng.random_range(2.0f32..4.0);
    let period = rng.random_range(50.0f32..90.0);
    let phase = rng.random_range(0.0f32..2.0 * PI);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let wy = fy + amplitude * (2.0 * PI * fx / period + phase).sin();
            if let Some(p) = placed.iter().find(|p| p.covers(fx, wy)) {
                set(&mut px, x as i32, y as i32, p.color);
            }
        }
    }

    // Noise curves over the text.
    for _ in 0..3 {
        let c = dark(rng);
        let y0 = rng.random_range(8.0f32..HEIGHT as f32 - 8.0);
        let amp = rng.random_range(4.0f32..12.0);
        let per = rng.random_range(40.0f32..120.0);
        let ph = rng.random_range(0.0f32..2.0 * PI);
        let thick = rng.random_range(1..=2);
        for x in 0..WIDTH as i32 {
            let y = (y0 + amp * (2.0 * PI * x as f32 / per + ph).sin()).round() as i32;
            for t in 0..thick {
                set(&mut px, x, y + t, c);
            }
        }
    }
    encode_png(&px, WIDTH, HEIGHT)
}

/// Encodes 8-bit RGB pixels (rows top to bottom) as a PNG file.
pub fn encode_png(rgb: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity(height * (width * 3 + 1));
    for row in rgb.chunks_exact(width * 3).take(height) {
        raw.push(0); // filter type: none
        raw.extend_from_slice(row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let idat = z
        .write_all(&raw)
        .and_then(|()| z.finish())
        .unwrap_or_default();

    let mut out = Vec::with_capacity(idat.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&u32::try_from(width).unwrap_or(0).to_be_bytes());
    ihdr.extend_from_slice(&u32::try_from(height).unwrap_or(0).to_be_bytes());
    // bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Appends one PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Read;

    use super::*;

    #[test]
    fn codes_use_the_unambiguous_alphabet() {
        let mut rng = rand::rng();
        for _ in 0..100 {
            let code = random_code(&mut rng);
            assert_eq!(code.len(), CODE_LEN);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        }
        for &c in ALPHABET {
            assert_ne!(
                glyph(char::from(c)),
                [0; 7],
                "{} has no glyph",
                char::from(c)
            );
        }
    }

    #[test]
    fn png_is_well_framed_and_inflates_to_the_picture() {
        let png = render_png("AB2Z", &mut rand::rng());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut at = 8;
        let mut kinds = Vec::new();
        let mut idat = Vec::new();
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            let mut h = crc32fast::Hasher::new();
            h.update(kind);
            h.update(data);
            assert_eq!(h.finalize(), crc);
            if kind == b"IHDR" {
                assert_eq!(u32::from_be_bytes(data[..4].try_into().unwrap()), 160);
                assert_eq!(u32::from_be_bytes(data[4..8].try_into().unwrap()), 60);
            }
            if kind == b"IDAT" {
                idat.extend_from_slice(data);
            }
            kinds.push(String::from_utf8(kind.to_vec()).unwrap());
            at += 12 + len;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw.len(), HEIGHT * (WIDTH * 3 + 1));
        // Some pixels are dark text, most are light background.
        let dark = raw.chunks(3).filter(|p| p.iter().all(|&v| v < 140)).count();
        assert!(dark > 200, "too little ink: {dark}");
    }
}
