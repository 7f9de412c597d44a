//! `lib.pillow.draw.*`: blank backgrounds, Gaussian noise, and text drawn with an embedded
//! DejaVu Sans (NodeTool's default font), rasterized by ab_glyph.
//!
//! The fonts are DejaVu Sans and DejaVu Sans Bold cut down to Latin (Basic Latin, Latin-1,
//! Latin Extended-A, general punctuation, the euro sign, arrows), without hinting; their license
//! is `fonts/LICENSE`. Other characters draw as the font's missing-glyph box. Every font name
//! draws with DejaVu Sans, in bold when the name says "Bold": the system, Google and web fonts
//! NodeTool can load are not available here.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};

use super::raster::{Img, check_size};

const REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// The largest font size drawn, in pixels (NodeTool's own bound is 512).
pub const MAX_FONT_SIZE: i64 = 1024;

/// A color as Pillow's `ImageColor.getrgb` reads it: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`,
/// `rgb(r, g, b)`, `rgba(r, g, b, a)` or one of the common color names; the alpha is dropped,
/// as drawing on an RGB image does.
pub fn parse_color(text: &str) -> Result<[u8; 3], String> {
    let unknown = || format!("unknown color specifier: '{text}'");
    let s = text.trim().to_ascii_lowercase();
    if let Some(hex) = s.strip_prefix('#') {
        let digit = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).map_err(|_| unknown());
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| unknown());
        if !hex.is_ascii() {
            return Err(unknown());
        }
        return match hex.len() {
            3 | 4 => Ok([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
            6 | 8 => Ok([byte(0)?, byte(2)?, byte(4)?]),
            _ => Err(unknown()),
        };
    }
    let args = s
        .strip_prefix("rgba(")
        .or_else(|| s.strip_prefix("rgb("))
        .and_then(|r| r.strip_suffix(')'));
    if let Some(args) = args {
        let parts: Vec<&str> = args.split(',').map(str::trim).collect();
        if parts.len() < 3 || parts.len() > 4 {
            return Err(unknown());
        }
        let mut rgb = [0u8; 3];
        for (c, p) in rgb.iter_mut().zip(&parts) {
            *c = match p.strip_suffix('%') {
                Some(pc) => {
                    let v: f64 = pc.parse().map_err(|_| unknown())?;
                    (v * 255.0 / 100.0 + 0.5).clamp(0.0, 255.0) as u8
                }
                None => p.parse().map_err(|_| unknown())?,
            };
        }
        return Ok(rgb);
    }
    Ok(match s.as_str() {
        "black" => [0, 0, 0],
        "white" => [255, 255, 255],
        "red" => [255, 0, 0],
        "lime" => [0, 255, 0],
        "green" => [0, 128, 0],
        "blue" => [0, 0, 255],
        "yellow" => [255, 255, 0],
        "cyan" | "aqua" => [0, 255, 255],
        "magenta" | "fuchsia" => [255, 0, 255],
        "gray" | "grey" => [128, 128, 128],
        "silver" => [192, 192, 192],
        "maroon" => [128, 0, 0],
        "olive" => [128, 128, 0],
        "navy" => [0, 0, 128],
        "purple" => [128, 0, 128],
        "teal" => [0, 128, 128],
        "orange" => [255, 165, 0],
        "pink" => [255, 192, 203],
        "brown" => [165, 42, 42],
        _ => return Err(unknown()),
    })
}

/// `Image.new("RGB", (width, height), color)`.
pub fn background(width: i64, height: i64, color: [u8; 3]) -> Result<Img, String> {
    check_size(width.max(0) as u64, height.max(0) as u64)?;
    Img::filled(width as u64, height as u64, &color)
}

/// `np.random.normal(mean, stddev)` per band, clipped to 0..1 and scaled to 0..255 (truncated).
///
/// Nodes here have no entropy of their own, so the generator is seeded from the properties:
/// the same properties give the same noise, where NodeTool draws new noise on every run.
pub fn gaussian_noise(mean: f64, stddev: f64, width: i64, height: i64) -> Result<Img, String> {
    check_size(width.max(0) as u64, height.max(0) as u64)?;
    let mut state = mean
        .to_bits()
        .rotate_left(17)
        .wrapping_add(stddev.to_bits())
        .wrapping_add((width as u64) << 32 | height as u64);
    // splitmix64
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut uniform = move || ((next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let count = (width * height * 3) as usize;
    let mut data = Vec::with_capacity(count);
    while data.len() < count {
        // Box-Muller: two normal samples from two uniform ones.
        let (u, v) = (uniform(), uniform());
        let r = (-2.0 * u.ln()).sqrt();
        let t = std::f64::consts::TAU * v;
        for z in [r * t.cos(), r * t.sin()] {
            if data.len() < count {
                let s = mean + stddev * z;
                data.push((s.clamp(0.0, 1.0) * 255.0) as u8);
            }
        }
    }
    Ok(Img {
        width: width as usize,
        height: height as usize,
        bands: 3,
        data,
    })
}

pub struct Text<'a> {
    pub text: &'a str,
    pub font_name: &'a str,
    pub x: i64,
    pub y: i64,
    pub size: i64,
    pub color: [u8; 3],
    pub align: &'a str,
}

/// `ImageDraw.text((x, y), text, font, fill, align)` with the default anchor: `(x, y)` is the
/// left end of the first line's ascender; lines are `\n`-separated, one ascender plus 4 pixels
/// apart, aligned against the widest. Glyph coverage is blended into the image as Pillow's
/// `draw_bitmap` does. (Without hinting, kerning or shaping, glyphs may sit a fraction of a
/// pixel off Pillow's.)
pub fn render_text(img: &mut Img, t: &Text<'_>) -> Result<(), String> {
    if !matches!(t.align, "left" | "center" | "right") {
        return Err(format!("'{}' is not a valid TextAlignment", t.align));
    }
    if !(1..=MAX_FONT_SIZE).contains(&t.size) {
        return Err(format!(
            "the font size must be between 1 and {MAX_FONT_SIZE}, got {}",
            t.size
        ));
    }
    let data = if t.font_name.to_ascii_lowercase().contains("bold") {
        BOLD
    } else {
        REGULAR
    };
    let font = FontRef::try_from_slice(data).map_err(|e| format!("the font is unreadable: {e}"))?;
    let em = font.units_per_em().unwrap_or(2048.0);
    // Pillow's size is pixels per em; ab_glyph scales the ascent-to-descent height.
    let scale = PxScale::from(t.size as f32 * font.height_unscaled() / em);
    let scaled = font.as_scaled(scale);
    let ascender = scaled.ascent().ceil();
    let line_spacing = ascender + 4.0;
    let layout = |line: &str| -> (Vec<(GlyphId, f32)>, f32) {
        let mut x = 0.0;
        let glyphs = line
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| {
                let id = scaled.glyph_id(c);
                let at = x;
                x += scaled.h_advance(id);
                (id, at)
            })
            .collect();
        (glyphs, x)
    };
    let lines: Vec<_> = t.text.split('\n').map(layout).collect();
    let widest = lines.iter().map(|l| l.1).fold(0.0, f32::max);
    let ink = t.color;
    // Beyond this far outside the image nothing can reach it; the bound keeps the pixel
    // arithmetic in range.
    let (tx, ty) = (
        t.x.clamp(-(1 << 24), 1 << 24),
        t.y.clamp(-(1 << 24), 1 << 24),
    );
    let (w, h) = (img.width as i64, img.height as i64);
    for (n, (glyphs, width)) in lines.iter().enumerate() {
        let left = tx as f32
            + match t.align {
                "center" => (widest - width) / 2.0,
                "right" => widest - width,
                _ => 0.0,
            };
        let baseline = ty as f32 + n as f32 * line_spacing + ascender;
        for &(id, at) in glyphs {
            let glyph = id.with_scale_and_position(scale, point(left + at, baseline));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let (ox, oy) = (bounds.min.x as i64, bounds.min.y as i64);
            outline.draw(|gx, gy, coverage| {
                let (px, py) = (ox + gx as i64, oy + gy as i64);
                if px < 0 || py < 0 || px >= w || py >= h {
                    return;
                }
                let a = (coverage.clamp(0.0, 1.0) * 255.0).round() as u32;
                let at = (py * w + px) as usize * img.bands;
                for (b, &c) in ink.iter().enumerate() {
                    let v = &mut img.data[at + b];
                    // Pillow's BLEND: (ink * a + dst * (255 - a)) / 255, rounded.
                    let tmp = c as u32 * a + *v as u32 * (255 - a) + 128;
                    *v = (((tmp >> 8) + tmp) >> 8) as u8;
                }
            });
        }
    }
    Ok(())
}
