//! NodeTool's image nodes on Pillow (`lib.pillow.*`, also under the older `nodetool.lib.pillow.`
//! prefix) and the tile grid (`lib.grid.CombineImageGrid`). Each is an image effect: the engine
//! reads the images the node's image properties reference, the node's function computes one
//! PNG from their bytes and the typed properties, and the engine saves it as an asset.
//!
//! Images are read as NodeTool reads them (EXIF orientation applied, converted to RGB), so every
//! node starts from RGB. Not here: `lib.grid.SliceImageGrid`, whose output is a list of images
//! (an image effect produces one).

use serde_json::{Map, Value};

use super::spec::{Behaviour, Effect, Family, ImageFn, ImageNode, OUT, Prop, Spec};
use crate::graph::value::Kind;

mod cv;
mod draw;
mod grading;
pub mod raster;

use raster::{Img, decode, encode};

type P = Map<String, Value>;

const IMAGE_REF: &str = "{\"type\": \"image\", \"uri\": \"\", \"asset_id\": null, \"data\": null}";
const IMAGE: Prop = ("image", Kind::Any, IMAGE_REF);

const fn node(inputs: &'static [&'static str], run: ImageFn, props: &'static [Prop]) -> Spec {
    Spec {
        behaviour: Behaviour::Effect(Effect::Image(ImageNode { inputs, run })),
        props,
        outputs: OUT,
        dynamic: false,
    }
}

/// A node of one `image` and the given properties.
const fn on_image(run: ImageFn, props: &'static [Prop]) -> Spec {
    node(&["image"], run, props)
}

fn num(p: &P, k: &str) -> f64 {
    p.get(k).and_then(Value::as_f64).unwrap_or_default()
}

fn int(p: &P, k: &str) -> i64 {
    match p.get(k) {
        Some(Value::Number(n)) => n
            .as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
        _ => 0,
    }
}

fn text<'a>(p: &'a P, k: &str) -> &'a str {
    p.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// The image of property `name`, the `index`-th image read.
fn input(images: &[Vec<u8>], index: usize, name: &str) -> Result<Img, String> {
    let bytes = images
        .get(index)
        .ok_or_else(|| format!("property '{name}' has no image"))?;
    decode(bytes, name)
}

/// Decodes `image`, transforms it, encodes the result.
fn with_image(
    images: &[Vec<u8>],
    f: impl FnOnce(Img) -> Result<Img, String>,
) -> Result<Vec<u8>, String> {
    encode(&f(input(images, 0, "image")?)?)
}

// ---- lib.pillow.enhance -------------------------------------------------------------------

/// `ImageEnhance.*.enhance(factor)`: a blend from the degenerate image toward the image.
fn enhance(img: &Img, degenerate: &Img, factor: f64) -> Img {
    raster::blend(degenerate, img, factor as f32)
}

fn contrast(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        // The degenerate image: the mean gray level everywhere.
        let gray = raster::to_gray(&img);
        let sum: u64 = gray.data.iter().map(|&v| v as u64).sum();
        let mean = (sum as f64 / gray.data.len() as f64 + 0.5) as u8;
        let flat = Img::filled(img.width as u64, img.height as u64, &[mean; 3])?;
        Ok(enhance(&img, &flat, num(p, "factor")))
    })
}

fn brightness(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        let black = Img::filled(img.width as u64, img.height as u64, &[0; 3])?;
        Ok(enhance(&img, &black, num(p, "factor")))
    })
}

fn color(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        let gray = raster::gray_to(&raster::to_gray(&img), 3);
        Ok(enhance(&img, &gray, num(p, "factor")))
    })
}

fn sharpness(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        let smooth = raster::filter3x3(&img, raster::SMOOTH);
        Ok(enhance(&img, &smooth, num(p, "factor")))
    })
}

fn kernel_node(images: &[Vec<u8>], kernel: raster::Kernel) -> Result<Vec<u8>, String> {
    with_image(images, |img| Ok(raster::filter3x3(&img, kernel)))
}

fn sharpen(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    kernel_node(images, raster::SHARPEN)
}

fn edge_enhance(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    kernel_node(images, raster::EDGE_ENHANCE)
}

fn detail(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    kernel_node(images, raster::DETAIL)
}

fn auto_contrast(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        Ok(raster::autocontrast(&img, int(p, "cutoff")))
    })
}

fn equalize(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| Ok(raster::equalize(&img)))
}

fn rank_filter(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        raster::rank_filter(&img, int(p, "size"), int(p, "rank"))
    })
}

fn unsharp_mask(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        Ok(raster::unsharp_mask(
            &img,
            int(p, "radius") as f32,
            int(p, "percent"),
            int(p, "threshold"),
        ))
    })
}

fn adaptive_contrast(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let grid = int(p, "grid_size");
    if !(1..=256).contains(&grid) {
        return Err(format!("grid_size must be between 1 and 256, got {grid}"));
    }
    with_image(images, |img| {
        Ok(cv::adaptive_contrast(
            &img,
            num(p, "clip_limit"),
            grid as usize,
        ))
    })
}

const FACTOR: Prop = ("factor", Kind::Float, "1.0");

pub(crate) const ENHANCE: Family = Family {
    prefixes: &["lib.pillow.enhance.", "nodetool.lib.pillow.enhance."],
    nodes: &[
        (
            "AutoContrast",
            on_image(auto_contrast, &[IMAGE, ("cutoff", Kind::Int, "0")]),
        ),
        ("Sharpness", on_image(sharpness, &[IMAGE, FACTOR])),
        ("Equalize", on_image(equalize, &[IMAGE])),
        ("Contrast", on_image(contrast, &[IMAGE, FACTOR])),
        ("EdgeEnhance", on_image(edge_enhance, &[IMAGE])),
        ("Sharpen", on_image(sharpen, &[IMAGE])),
        (
            "RankFilter",
            on_image(
                rank_filter,
                &[IMAGE, ("size", Kind::Int, "3"), ("rank", Kind::Int, "3")],
            ),
        ),
        (
            "UnsharpMask",
            on_image(
                unsharp_mask,
                &[
                    IMAGE,
                    ("radius", Kind::Int, "2"),
                    ("percent", Kind::Int, "150"),
                    ("threshold", Kind::Int, "3"),
                ],
            ),
        ),
        (
            "Brightness",
            on_image(brightness, &[IMAGE, ("factor", Kind::Number, "1.0")]),
        ),
        ("Color", on_image(color, &[IMAGE, FACTOR])),
        ("Detail", on_image(detail, &[IMAGE])),
        (
            "AdaptiveContrast",
            on_image(
                adaptive_contrast,
                &[
                    IMAGE,
                    ("clip_limit", Kind::Float, "2.0"),
                    ("grid_size", Kind::Int, "8"),
                ],
            ),
        ),
    ],
};

// ---- lib.pillow.color_grading -------------------------------------------------------------

fn rgb_of(p: &P, prefix: &str) -> [f64; 3] {
    ["r", "g", "b"].map(|c| num(p, &format!("{prefix}_{c}")))
}

fn lift_gamma_gain(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let c = grading::LiftGammaGain {
        lift: rgb_of(p, "lift"),
        lift_master: num(p, "lift_master"),
        gamma: rgb_of(p, "gamma"),
        gamma_master: num(p, "gamma_master"),
        gain: rgb_of(p, "gain"),
        gain_master: num(p, "gain_master"),
    };
    with_image(images, |img| grading::lift_gamma_gain(&img, &c))
}

fn cdl(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        Ok(grading::cdl(
            &img,
            rgb_of(p, "slope"),
            rgb_of(p, "offset"),
            rgb_of(p, "power"),
            num(p, "saturation"),
        ))
    })
}

fn color_balance(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        Ok(grading::color_balance(
            &img,
            num(p, "temperature"),
            num(p, "tint"),
        ))
    })
}

fn exposure(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let e = grading::Exposure {
        exposure: num(p, "exposure"),
        contrast: num(p, "contrast"),
        highlights: num(p, "highlights"),
        shadows: num(p, "shadows"),
        whites: num(p, "whites"),
        blacks: num(p, "blacks"),
    };
    with_image(images, |img| Ok(grading::exposure(&img, &e)))
}

fn saturation_vibrance(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        Ok(grading::saturation_vibrance(
            &img,
            num(p, "saturation"),
            num(p, "vibrance"),
        ))
    })
}

fn hsl_adjust(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let range = grading::hue_range(text(p, "color_range"))?;
    with_image(images, |img| {
        Ok(grading::hsl_adjust(
            &img,
            range,
            num(p, "hue_shift"),
            num(p, "saturation"),
            num(p, "luminance"),
        ))
    })
}

fn curves(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let c = grading::Curves {
        black_point: num(p, "black_point"),
        white_point: num(p, "white_point"),
        shadows: num(p, "shadows"),
        midtones: num(p, "midtones"),
        highlights: num(p, "highlights"),
        channel_midtones: ["red", "green", "blue"].map(|c| num(p, &format!("{c}_midtones"))),
    };
    with_image(images, |img| grading::curves(&img, &c))
}

fn vignette(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let v = grading::Vignette {
        amount: num(p, "amount"),
        midpoint: num(p, "midpoint"),
        roundness: num(p, "roundness"),
        feather: num(p, "feather"),
    };
    with_image(images, |img| Ok(grading::vignette(&img, &v)))
}

fn film_look(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        grading::film_look(&img, text(p, "preset"), num(p, "intensity"))
    })
}

fn split_toning(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let s = grading::SplitToning {
        shadow_hue: num(p, "shadow_hue"),
        shadow_saturation: num(p, "shadow_saturation"),
        highlight_hue: num(p, "highlight_hue"),
        highlight_saturation: num(p, "highlight_saturation"),
        balance: num(p, "balance"),
    };
    with_image(images, |img| Ok(grading::split_toning(&img, &s)))
}

const fn float(name: &'static str, default: &'static str) -> Prop {
    (name, Kind::Float, default)
}

pub(crate) const COLOR_GRADING: Family = Family {
    prefixes: &[
        "lib.pillow.color_grading.",
        "nodetool.lib.pillow.color_grading.",
    ],
    nodes: &[
        (
            "LiftGammaGain",
            on_image(
                lift_gamma_gain,
                &[
                    IMAGE,
                    float("lift_r", "0.0"),
                    float("lift_g", "0.0"),
                    float("lift_b", "0.0"),
                    float("lift_master", "0.0"),
                    float("gamma_r", "1.0"),
                    float("gamma_g", "1.0"),
                    float("gamma_b", "1.0"),
                    float("gamma_master", "1.0"),
                    float("gain_r", "1.0"),
                    float("gain_g", "1.0"),
                    float("gain_b", "1.0"),
                    float("gain_master", "1.0"),
                ],
            ),
        ),
        (
            "CDL",
            on_image(
                cdl,
                &[
                    IMAGE,
                    float("slope_r", "1.0"),
                    float("slope_g", "1.0"),
                    float("slope_b", "1.0"),
                    float("offset_r", "0.0"),
                    float("offset_g", "0.0"),
                    float("offset_b", "0.0"),
                    float("power_r", "1.0"),
                    float("power_g", "1.0"),
                    float("power_b", "1.0"),
                    float("saturation", "1.0"),
                ],
            ),
        ),
        (
            "ColorBalance",
            on_image(
                color_balance,
                &[IMAGE, float("temperature", "0.0"), float("tint", "0.0")],
            ),
        ),
        (
            "Exposure",
            on_image(
                exposure,
                &[
                    IMAGE,
                    float("exposure", "0.0"),
                    float("contrast", "0.0"),
                    float("highlights", "0.0"),
                    float("shadows", "0.0"),
                    float("whites", "0.0"),
                    float("blacks", "0.0"),
                ],
            ),
        ),
        (
            "SaturationVibrance",
            on_image(
                saturation_vibrance,
                &[IMAGE, float("saturation", "0.0"), float("vibrance", "0.0")],
            ),
        ),
        (
            "HSLAdjust",
            on_image(
                hsl_adjust,
                &[
                    IMAGE,
                    ("color_range", Kind::Str, "\"all\""),
                    float("hue_shift", "0.0"),
                    float("saturation", "0.0"),
                    float("luminance", "0.0"),
                ],
            ),
        ),
        (
            "Curves",
            on_image(
                curves,
                &[
                    IMAGE,
                    float("black_point", "0.0"),
                    float("white_point", "1.0"),
                    float("shadows", "0.0"),
                    float("midtones", "0.0"),
                    float("highlights", "0.0"),
                    float("red_midtones", "0.0"),
                    float("green_midtones", "0.0"),
                    float("blue_midtones", "0.0"),
                ],
            ),
        ),
        (
            "Vignette",
            on_image(
                vignette,
                &[
                    IMAGE,
                    float("amount", "0.5"),
                    float("midpoint", "0.5"),
                    float("roundness", "0.0"),
                    float("feather", "0.5"),
                ],
            ),
        ),
        (
            "FilmLook",
            on_image(
                film_look,
                &[
                    IMAGE,
                    ("preset", Kind::Str, "\"teal_orange\""),
                    float("intensity", "1.0"),
                ],
            ),
        ),
        (
            "SplitToning",
            on_image(
                split_toning,
                &[
                    IMAGE,
                    float("shadow_hue", "200.0"),
                    float("shadow_saturation", "0.3"),
                    float("highlight_hue", "40.0"),
                    float("highlight_saturation", "0.3"),
                    float("balance", "0.0"),
                ],
            ),
        ),
    ],
};

// ---- lib.pillow.filter --------------------------------------------------------------------

fn invert(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| Ok(img.map(|v, _| 255 - v)))
}

fn solarize(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let threshold = int(p, "threshold");
    with_image(images, |img| {
        Ok(img.map(|v, _| if (v as i64) < threshold { v } else { 255 - v }))
    })
}

fn posterize(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let bits = int(p, "bits");
    if bits > 8 {
        return Err(format!("bits must be at most 8, got {bits}"));
    }
    // `~(2 ** (8 - bits) - 1)`: no bits keep nothing.
    let mask = if bits <= 0 {
        0
    } else {
        !((1u32 << (8 - bits)) - 1) as u8
    };
    with_image(images, |img| Ok(img.map(|v, _| v & mask)))
}

fn expand(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let border = int(p, "border");
    if border < 0 {
        return Err(format!("border must not be negative, got {border}"));
    }
    // An integer fill on an RGB image is a packed pixel (red in the low byte), so 0..255 are
    // shades of red, as in Pillow.
    let fill = int(p, "fill");
    let color = [fill as u8, (fill >> 8) as u8, (fill >> 16) as u8];
    with_image(images, |img| {
        let border = usize::try_from(border).unwrap_or(usize::MAX).min(1 << 20);
        raster::expand(&img, border, &color)
    })
}

fn blur(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        Ok(raster::gaussian_blur(&img, int(p, "radius") as f32))
    })
}

fn contour(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    kernel_node(images, raster::CONTOUR)
}

fn emboss(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    kernel_node(images, raster::EMBOSS)
}

fn find_edges(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    kernel_node(images, raster::FIND_EDGES)
}

fn smooth(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    kernel_node(images, raster::SMOOTH)
}

fn canny(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| {
        Ok(cv::canny(
            &img,
            int(p, "low_threshold"),
            int(p, "high_threshold"),
        ))
    })
}

fn grayscale(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    with_image(images, |img| Ok(raster::to_gray(&img)))
}

fn get_channel(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let index = match text(p, "channel") {
        "R" => 0,
        "G" => 1,
        "B" => 2,
        other => return Err(format!("'{other}' is not a valid ChannelEnum")),
    };
    with_image(images, |img| Ok(raster::band(&img, index)))
}

pub(crate) const FILTER: Family = Family {
    prefixes: &["lib.pillow.filter.", "nodetool.lib.pillow.filter."],
    nodes: &[
        ("Invert", on_image(invert, &[IMAGE])),
        (
            "Solarize",
            on_image(solarize, &[IMAGE, ("threshold", Kind::Int, "128")]),
        ),
        (
            "Posterize",
            on_image(posterize, &[IMAGE, ("bits", Kind::Int, "4")]),
        ),
        (
            "Expand",
            on_image(
                expand,
                &[IMAGE, ("border", Kind::Int, "0"), ("fill", Kind::Int, "0")],
            ),
        ),
        ("Blur", on_image(blur, &[IMAGE, ("radius", Kind::Int, "2")])),
        ("Contour", on_image(contour, &[IMAGE])),
        ("Emboss", on_image(emboss, &[IMAGE])),
        ("FindEdges", on_image(find_edges, &[IMAGE])),
        ("Smooth", on_image(smooth, &[IMAGE])),
        (
            "Canny",
            on_image(
                canny,
                &[
                    IMAGE,
                    ("low_threshold", Kind::Int, "100"),
                    ("high_threshold", Kind::Int, "200"),
                ],
            ),
        ),
        ("ConvertToGrayscale", on_image(grayscale, &[IMAGE])),
        (
            "GetChannel",
            on_image(get_channel, &[IMAGE, ("channel", Kind::Str, "\"R\"")]),
        ),
    ],
};

// ---- lib.pillow.draw ----------------------------------------------------------------------

/// A `ColorRef` (`{"type": "color", "value": "#rrggbb"}`) or a bare color string; `None` when
/// it holds no value.
fn color_of(p: &P, k: &str) -> Result<Option<[u8; 3]>, String> {
    let v = match p.get(k) {
        Some(Value::Object(o)) => o.get("value").unwrap_or(&Value::Null),
        Some(v) => v,
        None => &Value::Null,
    };
    match v {
        Value::Null => Ok(None),
        Value::String(s) => draw::parse_color(s).map(Some),
        other => Err(format!("property '{k}' is not a color: {other}")),
    }
}

fn background(_: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    // No color leaves Pillow's new image black.
    let color = color_of(p, "color")?.unwrap_or([0; 3]);
    encode(&draw::background(int(p, "width"), int(p, "height"), color)?)
}

fn gaussian_noise(_: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    encode(&draw::gaussian_noise(
        num(p, "mean"),
        num(p, "stddev"),
        int(p, "width"),
        int(p, "height"),
    )?)
}

fn render_text(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let font_name = match p.get("font") {
        Some(Value::Object(o)) => o.get("name").and_then(Value::as_str).unwrap_or_default(),
        Some(Value::String(s)) => s,
        _ => "",
    };
    let t = draw::Text {
        text: text(p, "text"),
        font_name,
        x: int(p, "x"),
        y: int(p, "y"),
        size: int(p, "size"),
        // No fill draws in the default ink, white on an RGB image.
        color: color_of(p, "color")?.unwrap_or([255; 3]),
        align: text(p, "align"),
    };
    with_image(images, |mut img| {
        draw::render_text(&mut img, &t)?;
        Ok(img)
    })
}

pub(crate) const DRAW: Family = Family {
    prefixes: &["lib.pillow.draw.", "nodetool.lib.pillow.draw."],
    nodes: &[
        (
            "Background",
            node(
                &[],
                background,
                &[
                    ("width", Kind::Int, "512"),
                    ("height", Kind::Int, "512"),
                    (
                        "color",
                        Kind::Any,
                        "{\"type\": \"color\", \"value\": \"#FFFFFF\"}",
                    ),
                ],
            ),
        ),
        (
            "RenderText",
            on_image(
                render_text,
                &[
                    ("text", Kind::Str, "\"\""),
                    (
                        "font",
                        Kind::Any,
                        "{\"type\": \"font\", \"name\": \"DejaVuSans\", \"source\": \"system\", \
                         \"url\": \"\", \"weight\": \"regular\"}",
                    ),
                    ("x", Kind::Int, "0"),
                    ("y", Kind::Int, "0"),
                    ("size", Kind::Int, "12"),
                    (
                        "color",
                        Kind::Any,
                        "{\"type\": \"color\", \"value\": \"#000000\"}",
                    ),
                    ("align", Kind::Str, "\"left\""),
                    IMAGE,
                ],
            ),
        ),
        (
            "GaussianNoise",
            node(
                &[],
                gaussian_noise,
                &[
                    ("mean", Kind::Float, "0.0"),
                    ("stddev", Kind::Float, "1.0"),
                    ("width", Kind::Int, "512"),
                    ("height", Kind::Int, "512"),
                ],
            ),
        ),
    ],
};

// ---- lib.pillow -----------------------------------------------------------------------------

fn blend(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    let a = input(images, 0, "image1")?;
    let mut b = input(images, 1, "image2")?;
    if (b.width, b.height) != (a.width, a.height) {
        b = raster::fit(&b, a.width, a.height)?;
    }
    encode(&raster::blend(&a, &b, num(p, "alpha") as f32))
}

/// `Image.composite(image1, image2, mask)` as NodeTool calls it: the mask converted to RGBA is
/// pasted with by its alpha band, and since images are read as RGB that band is opaque, so the
/// result is `image1` (as RGBA) wherever the mask is. The other two are still read, so a missing
/// or unreadable one fails as it does in NodeTool.
fn composite(images: &[Vec<u8>], _: &P) -> Result<Vec<u8>, String> {
    let a = input(images, 0, "image1")?;
    input(images, 1, "image2")?;
    input(images, 2, "mask")?;
    encode(&raster::to_rgba(&a))
}

pub(crate) const PILLOW: Family = Family {
    prefixes: &["lib.pillow.", "nodetool.lib.pillow."],
    nodes: &[
        (
            "Blend",
            node(
                &["image1", "image2"],
                blend,
                &[
                    ("image1", Kind::Any, IMAGE_REF),
                    ("image2", Kind::Any, IMAGE_REF),
                    ("alpha", Kind::Float, "0.5"),
                ],
            ),
        ),
        (
            "Composite",
            node(
                &["image1", "image2", "mask"],
                composite,
                &[
                    ("image1", Kind::Any, IMAGE_REF),
                    ("image2", Kind::Any, IMAGE_REF),
                    ("mask", Kind::Any, IMAGE_REF),
                ],
            ),
        ),
    ],
};

// ---- lib.grid -------------------------------------------------------------------------------

/// `CombineImageGrid`: the tiles row by row in cells of the largest tile's size (`columns` 0
/// means the integer square root of the count), transparent where no tile lands.
fn combine_grid(images: &[Vec<u8>], p: &P) -> Result<Vec<u8>, String> {
    if images.is_empty() {
        return Err("No tiles provided for combining.".into());
    }
    let n = images.len() as u64;
    let columns = match int(p, "columns") {
        c if c <= 0 => n.isqrt(),
        c => c as u64,
    };
    let rows = n.div_ceil(columns);
    let (mut cell_w, mut cell_h) = (0u64, 0u64);
    let mut tiles = Vec::with_capacity(images.len());
    for (i, bytes) in images.iter().enumerate() {
        let tile = decode(bytes, &format!("tiles[{i}]"))?;
        cell_w = cell_w.max(tile.width as u64);
        cell_h = cell_h.max(tile.height as u64);
        // The grid only grows: refuse it as soon as it is too large, before reading more.
        raster::check_size(cell_w.saturating_mul(columns), cell_h.saturating_mul(rows))?;
        tiles.push(tile);
    }
    let mut out = Img::filled(cell_w * columns, cell_h * rows, &[0; 4])?;
    for (i, tile) in tiles.iter().enumerate() {
        let (row, col) = (i as u64 / columns, i as u64 % columns);
        raster::paste(
            &mut out,
            &raster::to_rgba(tile),
            (col * cell_w) as usize,
            (row * cell_h) as usize,
        );
    }
    encode(&out)
}

pub(crate) const GRID: Family = Family {
    prefixes: &["lib.grid."],
    nodes: &[(
        "CombineImageGrid",
        node(
            &["tiles"],
            combine_grid,
            &[("tiles", Kind::Any, "[]"), ("columns", Kind::Int, "0")],
        ),
    )],
};
