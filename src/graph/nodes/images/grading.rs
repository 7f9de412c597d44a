//! `lib.pillow.color_grading.*`: NodeTool's numpy color grading, pixel by pixel in single
//! precision over RGB scaled to 0..1, each result clipped and truncated back to 8 bits as
//! NodeTool's `_from_float_rgb` does. (NodeTool's film look and split toning widen to double
//! precision midway; computed here in single precision, a pixel may differ by a level.)

use super::raster::Img;

/// Rec. 709 luminance.
fn luminance(p: [f32; 3]) -> f32 {
    0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]
}

/// Applies `f` to every pixel as floats in 0..1, and converts back with clipping.
pub fn per_pixel(img: &Img, f: impl Fn([f32; 3]) -> [f32; 3]) -> Img {
    let mut data = Vec::with_capacity(img.data.len());
    for p in img.data.chunks_exact(3) {
        let out = f([p[0], p[1], p[2]].map(|v| v as f32 / 255.0));
        data.extend(out.map(|v| (v * 255.0).clamp(0.0, 255.0) as u8));
    }
    Img { data, ..*img }
}

/// Python's `1.0 / x`, which raises on zero.
fn reciprocal(x: f64) -> Result<f64, String> {
    if x == 0.0 {
        Err("float division by zero".into())
    } else {
        Ok(1.0 / x)
    }
}

pub struct LiftGammaGain {
    pub lift: [f64; 3],
    pub lift_master: f64,
    pub gamma: [f64; 3],
    pub gamma_master: f64,
    pub gain: [f64; 3],
    pub gain_master: f64,
}

/// `(v + lift) * gain`, floored at 0.0001, to the power `1 / gamma`, per band.
pub fn lift_gamma_gain(img: &Img, c: &LiftGammaGain) -> Result<Img, String> {
    let mut exponent = [0f32; 3];
    for (e, gamma) in exponent.iter_mut().zip(c.gamma) {
        *e = reciprocal(gamma * c.gamma_master)? as f32;
    }
    Ok(per_pixel(img, |p| {
        std::array::from_fn(|b| {
            let v = p[b] + c.lift[b] as f32 + c.lift_master as f32;
            let v = v * c.gain[b] as f32 * c.gain_master as f32;
            v.max(0.0001).powf(exponent[b])
        })
    }))
}

/// ASC CDL: `(v * slope + offset) ^ power`, then saturation around the luminance.
pub fn cdl(img: &Img, slope: [f64; 3], offset: [f64; 3], power: [f64; 3], saturation: f64) -> Img {
    per_pixel(img, |p| {
        let p: [f32; 3] = std::array::from_fn(|b| {
            (p[b] * slope[b] as f32 + offset[b] as f32)
                .max(0.0001)
                .powf(power[b] as f32)
        });
        if saturation == 1.0 {
            return p;
        }
        let lum = luminance(p);
        p.map(|v| lum + (v - lum) * saturation as f32)
    })
}

/// Temperature shifts red against blue, tint green against magenta.
pub fn color_balance(img: &Img, temperature: f64, tint: f64) -> Img {
    let t = (temperature * 0.3) as f32;
    let ti = (tint * 0.3) as f32;
    per_pixel(img, |[r, g, b]| {
        [r + t + ti * 0.5, g - ti, b - t + ti * 0.5]
    })
}

pub struct Exposure {
    pub exposure: f64,
    pub contrast: f64,
    pub highlights: f64,
    pub shadows: f64,
    pub whites: f64,
    pub blacks: f64,
}

/// Exposure in stops, then highlight and shadow masks from the luminance, white and black
/// points, and contrast around the middle gray, in NodeTool's order.
pub fn exposure(img: &Img, e: &Exposure) -> Img {
    let gain = 2f64.powf(e.exposure) as f32;
    per_pixel(img, |p| {
        let mut p = if e.exposure != 0.0 {
            p.map(|v| v * gain)
        } else {
            p
        };
        let lum = luminance(p);
        if e.highlights != 0.0 {
            let mask = ((lum - 0.5) * 2.0).clamp(0.0, 1.0);
            p = p.map(|v| v - mask * e.highlights as f32 * 0.5);
        }
        if e.shadows != 0.0 {
            let mask = ((0.5 - lum) * 2.0).clamp(0.0, 1.0);
            p = p.map(|v| v + mask * e.shadows as f32 * 0.5);
        }
        if e.whites != 0.0 {
            p = p.map(|v| v + e.whites as f32 * 0.2 * v);
        }
        if e.blacks != 0.0 {
            p = p.map(|v| v + e.blacks as f32 * 0.2 * (1.0 - v));
        }
        if e.contrast != 0.0 {
            let factor = (1.0 + e.contrast) as f32;
            p = p.map(|v| 0.5 + (v - 0.5) * factor);
        }
        p
    })
}

/// Saturation scales the distance from the luminance; vibrance does too, more for the pixels
/// that are less saturated (both around the luminance before either).
pub fn saturation_vibrance(img: &Img, saturation: f64, vibrance: f64) -> Img {
    per_pixel(img, |p| {
        let lum = luminance(p);
        let mut p = p;
        if saturation != 0.0 {
            let factor = (1.0 + saturation) as f32;
            p = p.map(|v| lum + (v - lum) * factor);
        }
        if vibrance != 0.0 {
            let max = p[0].max(p[1]).max(p[2]);
            let min = p[0].min(p[1]).min(p[2]);
            let sat = if max > 0.0 {
                (max - min) / (max + 0.001)
            } else {
                0.0
            };
            let factor = 1.0 + vibrance as f32 * (1.0 - sat);
            p = p.map(|v| lum + (v - lum) * factor);
        }
        p
    })
}

/// matplotlib's `rgb_to_hsv` for one pixel (hue in 0..1; blue wins ties, then green).
fn rgb_to_hsv([r, g, b]: [f32; 3]) -> [f32; 3] {
    let max = r.max(g).max(b);
    let delta = max - r.min(g).min(b);
    let s = if max > 0.0 { delta / max } else { 0.0 };
    let mut h = 0.0;
    if delta > 0.0 {
        if b == max {
            h = 4.0 + (r - g) / delta;
        } else if g == max {
            h = 2.0 + (b - r) / delta;
        } else {
            h = (g - b) / delta;
        }
    }
    [(h / 6.0f32).rem_euclid(1.0), s, max]
}

/// matplotlib's `hsv_to_rgb` for one pixel.
fn hsv_to_rgb([h, s, v]: [f32; 3]) -> [f32; 3] {
    if s == 0.0 {
        return [v, v, v];
    }
    let i = (h * 6.0) as i64;
    // numpy widens `h * 6 - i` (a float32 less an integer array) to double precision.
    let f = (h * 6.0) as f64 - i as f64;
    let p = v * (1.0 - s);
    let (s, v) = (s as f64, v as f64);
    let q = (v * (1.0 - s * f)) as f32;
    let t = (v * (1.0 - s * (1.0 - f))) as f32;
    let v = v as f32;
    match i {
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        5 => [v, p, q],
        _ => [v, t, p],
    }
}

/// The hue range (start, end, in 0..1) `HSLAdjust.color_range` selects; `None` for all.
pub fn hue_range(name: &str) -> Result<Option<(f32, f32)>, String> {
    Ok(Some(match name {
        "all" => return Ok(None),
        "reds" => (0.95, 0.05),
        "oranges" => (0.02, 0.10),
        "yellows" => (0.10, 0.18),
        "greens" => (0.18, 0.45),
        "cyans" => (0.45, 0.55),
        "blues" => (0.55, 0.72),
        "purples" => (0.72, 0.83),
        "magentas" => (0.83, 0.95),
        other => return Err(format!("'{other}' is not a valid ColorRange")),
    }))
}

/// Hue, saturation and value shifts weighted by how close a pixel's hue is to the range's
/// center (pixels with saturation at most 0.1 are left out of a range).
pub fn hsl_adjust(
    img: &Img,
    range: Option<(f32, f32)>,
    hue_shift: f64,
    saturation: f64,
    luminance: f64,
) -> Img {
    per_pixel(img, |p| {
        let [h, s, v] = rgb_to_hsv(p.map(|c| c.clamp(0.0, 1.0)));
        let blend = match range {
            None => 1.0,
            Some((start, end)) => {
                let (inside, center, width) = if start > end {
                    (
                        h >= start || h <= end,
                        (start + end + 1.0) / 2.0 % 1.0,
                        1.0 - start + end,
                    )
                } else {
                    (h >= start && h <= end, (start + end) / 2.0, end - start)
                };
                if inside && s > 0.1 {
                    let d = (h - center).abs();
                    let dist = d.min(1.0 - d);
                    (1.0 - dist / (width / 2.0 + 0.01)).max(0.0)
                } else {
                    0.0
                }
            }
        };
        let h = (h + hue_shift as f32 * 0.5 * blend).rem_euclid(1.0);
        let s = (s * (1.0 + saturation as f32 * blend)).clamp(0.0, 1.0);
        let v = (v * (1.0 + luminance as f32 * blend)).clamp(0.0, 1.0);
        hsv_to_rgb([h, s, v])
    })
}

pub struct Curves {
    pub black_point: f64,
    pub white_point: f64,
    pub shadows: f64,
    pub midtones: f64,
    pub highlights: f64,
    pub channel_midtones: [f64; 3],
}

/// Input levels, then soft shadow, midtone (gamma) and highlight curves, then per-band gammas.
pub fn curves(img: &Img, c: &Curves) -> Result<Img, String> {
    let gamma = if c.midtones != 0.0 {
        reciprocal(1.0 + c.midtones)? as f32
    } else {
        1.0
    };
    let mut band_gamma = [1f32; 3];
    for (g, midtones) in band_gamma.iter_mut().zip(c.channel_midtones) {
        if midtones != 0.0 {
            *g = reciprocal(1.0 + midtones)? as f32;
        }
    }
    let (bp, range) = (c.black_point as f32, (c.white_point - c.black_point) as f32);
    Ok(per_pixel(img, |p| {
        let mut p = p.map(|v| ((v - bp) / range).clamp(0.0, 1.0));
        if c.shadows != 0.0 {
            p = p.map(|v| v + c.shadows as f32 * (1.0 - v) * v);
        }
        if c.midtones != 0.0 {
            p = p.map(|v| v.powf(gamma));
        }
        if c.highlights != 0.0 {
            p = p.map(|v| v + c.highlights as f32 * v * (1.0 - v));
        }
        for b in 0..3 {
            if c.channel_midtones[b] != 0.0 {
                p[b] = p[b].clamp(0.0001, 1.0).powf(band_gamma[b]);
            }
        }
        p
    }))
}

pub struct Vignette {
    pub amount: f64,
    pub midpoint: f64,
    pub roundness: f64,
    pub feather: f64,
}

/// Darkens (or lightens) by the distance from the center, normalized to the image's half
/// sides; roundness moves the shape toward a circle or a rectangle.
pub fn vignette(img: &Img, v: &Vignette) -> Img {
    let (w, h) = (img.width as f64, img.height as f64);
    let aspect = w / h;
    let feather = v.feather.max(0.01);
    let mut data = Vec::with_capacity(img.data.len());
    for (i, p) in img.data.chunks_exact(3).enumerate() {
        let (x, y) = ((i % img.width) as f64, (i / img.width) as f64);
        let mut nx = (x - w / 2.0) / (w / 2.0);
        let ny = (y - h / 2.0) / (h / 2.0);
        if v.roundness > 0.0 {
            nx *= 1.0 + (1.0 / aspect - 1.0) * v.roundness;
        }
        let euclidean = (nx * nx + ny * ny).sqrt();
        let dist = if v.roundness < 0.0 {
            let rect = -v.roundness;
            euclidean * (1.0 - rect) + nx.abs().max(ny.abs()) * rect
        } else {
            euclidean
        };
        let mask = ((dist - v.midpoint) / feather).clamp(0.0, 1.0);
        let factor = if v.amount > 0.0 {
            1.0 - mask * v.amount
        } else {
            1.0 + mask * -v.amount
        };
        data.extend(
            p.iter()
                .map(|&c| ((c as f32 / 255.0) as f64 * factor * 255.0).clamp(0.0, 255.0) as u8),
        );
    }
    Img { data, ..*img }
}

/// A film look: shadow and highlight tints, contrast, saturation and fade.
struct Look {
    shadow: [f32; 3],
    highlight: [f32; 3],
    contrast: f32,
    saturation: f32,
    fade: f32,
}

fn look(preset: &str) -> Result<Look, String> {
    let l = |shadow, highlight, contrast, saturation, fade| Look {
        shadow,
        highlight,
        contrast,
        saturation,
        fade,
    };
    Ok(match preset {
        "teal_orange" => l([0.0, 0.5, 0.55], [1.0, 0.78, 0.6], 1.1, 1.1, 0.0),
        "blockbuster" => l([0.12, 0.24, 0.35], [1.0, 0.9, 0.78], 1.2, 1.0, 0.0),
        "noir" => l([0.2, 0.2, 0.24], [0.86, 0.86, 0.9], 1.4, 0.3, 0.0),
        "vintage" => l([0.4, 0.32, 0.24], [1.0, 0.94, 0.78], 0.9, 0.8, 0.15),
        "cold_blue" => l([0.16, 0.24, 0.4], [0.78, 0.86, 1.0], 1.1, 0.9, 0.0),
        "warm_sunset" => l([0.47, 0.24, 0.16], [1.0, 0.86, 0.7], 1.0, 1.3, 0.0),
        "matrix" => l([0.0, 0.16, 0.0], [0.6, 1.0, 0.6], 1.3, 0.7, 0.0),
        "bleach_bypass" => l([0.24, 0.24, 0.27], [0.94, 0.94, 0.98], 1.5, 0.5, 0.05),
        "cross_process" => l([0.0, 0.2, 0.3], [1.0, 0.9, 0.5], 1.2, 1.2, 0.0),
        "faded_film" => l([0.3, 0.28, 0.26], [0.95, 0.92, 0.88], 0.85, 0.7, 0.2),
        other => return Err(format!("'{other}' is not a valid FilmLookPreset")),
    })
}

/// `FilmLook`: the preset applied, then mixed with the original by `intensity`.
pub fn film_look(img: &Img, preset: &str, intensity: f64) -> Result<Img, String> {
    let lk = look(preset)?;
    let intensity = intensity as f32;
    Ok(per_pixel(img, |orig| {
        let lum = luminance(orig);
        let shadow = (1.0 - lum * 2.0).clamp(0.0, 1.0);
        let highlight = (lum * 2.0 - 1.0).clamp(0.0, 1.0);
        let mut p: [f32; 3] = std::array::from_fn(|b| {
            let v = orig[b] + shadow * (lk.shadow[b] - 0.5) * 0.3;
            let v = v + highlight * (lk.highlight[b] - 0.5) * 0.3;
            (v - 0.5) * lk.contrast + 0.5
        });
        let lum = luminance(p);
        p = p.map(|v| lum + (v - lum) * lk.saturation);
        if lk.fade > 0.0 {
            p = p.map(|v| v * (1.0 - lk.fade) + lk.fade * 0.15);
        }
        std::array::from_fn(|b| orig[b] + (p[b] - orig[b]) * intensity)
    }))
}

/// Python's `colorsys.hsv_to_rgb(h, 1, 1)`.
fn hue_color(h: f64) -> [f32; 3] {
    let i = (h * 6.0).floor();
    let f = (h * 6.0 - i) as f32;
    let (q, t) = (1.0 - f, f);
    match (i as i64).rem_euclid(6) {
        0 => [1.0, t, 0.0],
        1 => [q, 1.0, 0.0],
        2 => [0.0, 1.0, t],
        3 => [0.0, q, 1.0],
        4 => [t, 0.0, 1.0],
        _ => [1.0, 0.0, q],
    }
}

pub struct SplitToning {
    pub shadow_hue: f64,
    pub shadow_saturation: f64,
    pub highlight_hue: f64,
    pub highlight_saturation: f64,
    pub balance: f64,
}

/// Tints the shadows and the highlights with their hues, masks from the luminance shifted by
/// the balance.
pub fn split_toning(img: &Img, s: &SplitToning) -> Img {
    let shadow = hue_color(s.shadow_hue / 360.0);
    let highlight = hue_color(s.highlight_hue / 360.0);
    let offset = (s.balance * 0.25) as f32;
    per_pixel(img, |p| {
        let lum = luminance(p);
        let sm = ((0.5 + offset - lum) * 2.0).clamp(0.0, 1.0);
        let hm = ((lum - 0.5 + offset) * 2.0).clamp(0.0, 1.0);
        std::array::from_fn(|b| {
            p[b] + sm * (shadow[b] - 0.5) * s.shadow_saturation as f32
                + hm * (highlight[b] - 0.5) * s.highlight_saturation as f32
        })
    })
}
