//! Pixel buffers, decoding and encoding, and the Pillow primitives the image nodes are built
//! from: band conversions, `Image.blend`, 3x3 kernels, the box-blur Gaussian, the unsharp mask,
//! lookup tables, rank filters and the convolution resampler. Each follows the arithmetic of
//! Pillow's C code (fixed-point rounding, truncations, untouched borders), so results match
//! Pillow's to the pixel in the common cases and within one level elsewhere.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageReader, Limits};

/// The largest image, decoded or produced, in pixels.
pub const MAX_PIXELS: u64 = 40_000_000;

/// An 8-bit image: 1 (L), 3 (RGB) or 4 (RGBA) interleaved bands, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Img {
    pub width: usize,
    pub height: usize,
    pub bands: usize,
    pub data: Vec<u8>,
}

/// Refuses an empty image and one over [`MAX_PIXELS`].
pub fn check_size(width: u64, height: u64) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err(format!("a {width}x{height} image has no pixels"));
    }
    if width.saturating_mul(height) > MAX_PIXELS {
        return Err(format!(
            "a {width}x{height} image is over the limit of {} megapixels",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

impl Img {
    /// An image filled with one pixel value (`fill` has `bands` bytes).
    pub fn filled(width: u64, height: u64, fill: &[u8]) -> Result<Img, String> {
        check_size(width, height)?;
        let (width, height) = (width as usize, height as usize);
        Ok(Img {
            width,
            height,
            bands: fill.len(),
            data: fill.repeat(width * height),
        })
    }

    /// The same size and bands, every byte from `f(byte, band)`.
    pub fn map(&self, f: impl Fn(u8, usize) -> u8) -> Img {
        let bands = self.bands;
        Img {
            data: self
                .data
                .iter()
                .enumerate()
                .map(|(i, v)| f(*v, i % bands))
                .collect(),
            ..*self
        }
    }
}

/// Decodes a PNG, JPEG, WebP or GIF (its first frame) the way NodeTool reads images: EXIF
/// orientation applied, then converted to RGB (an alpha band is dropped, as `convert("RGB")`
/// does). `name` is the property the image came from, for the errors.
pub fn decode(bytes: &[u8], name: &str) -> Result<Img, String> {
    let fail =
        |e: &dyn std::fmt::Display| format!("property '{name}' is not a readable image: {e}");
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| fail(&e))?;
    if reader.format().is_none() {
        return Err(format!(
            "property '{name}' is not a PNG, JPEG, WebP or GIF image"
        ));
    }
    let mut limits = Limits::default();
    // Room for the largest accepted image at 16 bits a band with alpha, and the decoder's own.
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| fail(&e))?;
    let (w, h) = decoder.dimensions();
    check_size(w.into(), h.into()).map_err(|e| format!("property '{name}': {e}"))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| fail(&e))?;
    img.apply_orientation(orientation);
    let rgb = img.into_rgb8();
    Ok(Img {
        width: rgb.width() as usize,
        height: rgb.height() as usize,
        bands: 3,
        data: rgb.into_raw(),
    })
}

/// Encodes as PNG (grayscale, RGB or RGBA after the bands).
pub fn encode(img: &Img) -> Result<Vec<u8>, String> {
    let color = match img.bands {
        1 => ExtendedColorType::L8,
        3 => ExtendedColorType::Rgb8,
        4 => ExtendedColorType::Rgba8,
        n => return Err(format!("cannot encode an image of {n} bands")),
    };
    let mut out = Vec::new();
    // Fast compression: the CPU a request may use is scarcer than the bytes of an asset.
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(&img.data, img.width as u32, img.height as u32, color)
        .map_err(|e| format!("could not encode the PNG: {e}"))?;
    Ok(out)
}

/// `convert("L")`: ITU-R 601-2 luma in Pillow's fixed point.
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
}

pub fn to_gray(img: &Img) -> Img {
    let data = match img.bands {
        1 => img.data.clone(),
        n => img
            .data
            .chunks_exact(n)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
    };
    Img {
        bands: 1,
        data,
        ..*img
    }
}

/// Gray to RGB(A): the value in each color band (alpha opaque).
pub fn gray_to(img: &Img, bands: usize) -> Img {
    let mut data = Vec::with_capacity(img.data.len() * bands);
    for &v in &img.data {
        data.extend_from_slice(&[v, v, v, 255][..bands]);
    }
    Img {
        bands,
        data,
        ..*img
    }
}

/// RGB to RGBA with opaque alpha.
pub fn to_rgba(img: &Img) -> Img {
    if img.bands == 1 {
        return gray_to(img, 4);
    }
    let mut data = Vec::with_capacity(img.width * img.height * 4);
    for p in img.data.chunks_exact(img.bands) {
        data.extend_from_slice(&[p[0], p[1], p[2], if img.bands == 4 { p[3] } else { 255 }]);
    }
    Img {
        bands: 4,
        data,
        ..*img
    }
}

/// One band as an L image.
pub fn band(img: &Img, index: usize) -> Img {
    Img {
        bands: 1,
        data: img
            .data
            .iter()
            .skip(index)
            .step_by(img.bands)
            .copied()
            .collect(),
        ..*img
    }
}

/// `Image.blend(a, b, alpha)`: `a + alpha * (b - a)` in single precision, truncated; clipped
/// when extrapolating. `alpha` 0 and 1 return the inputs themselves.
pub fn blend(a: &Img, b: &Img, alpha: f32) -> Img {
    if alpha == 0.0 {
        return a.clone();
    }
    if alpha == 1.0 {
        return b.clone();
    }
    let interpolate = (0.0..=1.0).contains(&alpha);
    let data = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(&x, &y)| {
            let v = x as f32 + alpha * (y as f32 - x as f32);
            if interpolate {
                v as u8
            } else if v <= 0.0 {
                0
            } else if v >= 255.0 {
                255
            } else {
                v as u8
            }
        })
        .collect();
    Img { data, ..*a }
}

/// Pillow's built-in 3x3 kernels, as `(weights, scale, offset)`.
pub type Kernel = ([f32; 9], f32, f32);

pub const SMOOTH: Kernel = ([1., 1., 1., 1., 5., 1., 1., 1., 1.], 13., 0.);
pub const SHARPEN: Kernel = ([-2., -2., -2., -2., 32., -2., -2., -2., -2.], 16., 0.);
pub const EDGE_ENHANCE: Kernel = ([-1., -1., -1., -1., 10., -1., -1., -1., -1.], 2., 0.);
pub const DETAIL: Kernel = ([0., -1., 0., -1., 10., -1., 0., -1., 0.], 6., 0.);
pub const CONTOUR: Kernel = ([-1., -1., -1., -1., 8., -1., -1., -1., -1.], 1., 255.);
pub const EMBOSS: Kernel = ([-1., 0., 0., 0., 1., 0., 0., 0., 0.], 1., 128.);
pub const FIND_EDGES: Kernel = ([-1., -1., -1., -1., 8., -1., -1., -1., -1.], 1., 0.);

fn clip8(v: f32) -> u8 {
    if v <= 0.0 {
        0
    } else if v >= 255.0 {
        255
    } else {
        v as u8
    }
}

/// `image.filter(kernel)` for a 3x3 kernel: the outermost rows and columns are copied as they
/// are; an image narrower or shorter than 3 is returned unchanged. As in Pillow, the kernel's
/// first row weighs the row below the pixel and its first column the pixel to the left.
pub fn filter3x3(img: &Img, (weights, scale, offset): Kernel) -> Img {
    let (w, h, n) = (img.width, img.height, img.bands);
    let mut out = img.clone();
    if w < 3 || h < 3 {
        return out;
    }
    let k = weights.map(|v| v / scale);
    let offset = offset + 0.5;
    let at = |x: usize, y: usize, b: usize| img.data[(y * w + x) * n + b] as f32;
    let row = |x: usize, y: usize, b: usize, k: &[f32]| {
        at(x - 1, y, b) * k[0] + at(x, y, b) * k[1] + at(x + 1, y, b) * k[2]
    };
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            for b in 0..n {
                let mut ss = offset;
                ss += row(x, y + 1, b, &k[0..3]);
                ss += row(x, y, b, &k[3..6]);
                ss += row(x, y - 1, b, &k[6..9]);
                out.data[(y * w + x) * n + b] = clip8(ss);
            }
        }
    }
    out
}

/// The box radius of one of `passes` box blurs that together approximate a Gaussian of
/// `radius` (Gwosdek et al., as Pillow computes it).
fn gaussian_box_radius(radius: f32, passes: u32) -> f32 {
    let sigma2 = radius * radius / passes as f32;
    let big_l = (12.0 * sigma2 as f64 + 1.0).sqrt() as f32;
    let l = ((big_l as f64 - 1.0) / 2.0).floor() as f32;
    let mut a = (2.0 * l + 1.0) * (l * (l + 1.0) - 3.0 * sigma2);
    a /= 6.0 * (sigma2 - (l + 1.0) * (l + 1.0));
    l + a
}

/// One horizontal box-blur pass over a line: each value the mean of `2r+1` neighbours, plus the
/// two next ones weighted by the radius's fraction, edges extended; 24-bit fixed point.
fn box_blur_line(line: &[u8], out: &mut [u8], radius: f32) {
    let r = radius as usize;
    let ww = (16_777_216f32 / (radius * 2.0 + 1.0)) as u64;
    let fw = ((1u64 << 24) - (r as u64 * 2 + 1) * ww) / 2;
    let last = line.len() - 1;
    let px = |i: isize| line[i.clamp(0, last as isize) as usize] as u64;
    // The window -r..=r at x = 0: r copies of the first value left of the line, the line up to
    // r, and copies of the last value past its end.
    let mut acc = px(0) * r as u64
        + line[..=r.min(last)].iter().map(|&v| v as u64).sum::<u64>()
        + px(last as isize) * r.saturating_sub(last) as u64;
    let r = r as isize;
    for (x, o) in out.iter_mut().enumerate() {
        let x = x as isize;
        if x > 0 {
            acc = acc + px(x + r) - px(x - r - 1);
        }
        let bulk = acc * ww + (px(x - r - 1) + px(x + r + 1)) * fw;
        *o = ((bulk + (1 << 23)) >> 24) as u8;
    }
}

/// Blurs the `len` values `step` bytes apart from `start` in place (`line` and `blurred` are
/// scratch space of at least `len`).
fn blur_strided(
    data: &mut [u8],
    start: usize,
    step: usize,
    len: usize,
    radius: f32,
    line: &mut [u8],
    blurred: &mut [u8],
) {
    for (i, v) in line[..len].iter_mut().enumerate() {
        *v = data[start + i * step];
    }
    box_blur_line(&line[..len], &mut blurred[..len], radius);
    for (i, v) in blurred[..len].iter().enumerate() {
        data[start + i * step] = *v;
    }
}

/// `ImageFilter.BoxBlur` with `passes` passes each way (horizontal passes first, as Pillow).
fn box_blur(img: &Img, radius: f32, passes: u32) -> Img {
    let (w, h, n) = (img.width, img.height, img.bands);
    let mut out = img.clone();
    if radius == 0.0 {
        return out;
    }
    let mut line = vec![0u8; w.max(h)];
    let mut blurred = vec![0u8; w.max(h)];
    for _ in 0..passes {
        for y in 0..h {
            for b in 0..n {
                blur_strided(
                    &mut out.data,
                    y * w * n + b,
                    n,
                    w,
                    radius,
                    &mut line,
                    &mut blurred,
                );
            }
        }
    }
    for _ in 0..passes {
        for x in 0..w {
            for b in 0..n {
                blur_strided(
                    &mut out.data,
                    x * n + b,
                    w * n,
                    h,
                    radius,
                    &mut line,
                    &mut blurred,
                );
            }
        }
    }
    out
}

/// `ImageFilter.GaussianBlur(radius)`: three box blurs (Pillow's approximation).
pub fn gaussian_blur(img: &Img, radius: f32) -> Img {
    if radius == 0.0 {
        return img.clone();
    }
    // Past a million pixels any image is flat already; the bound keeps the index arithmetic
    // in range.
    box_blur(img, gaussian_box_radius(radius.abs().min(1.0e6), 3), 3)
}

/// `ImageFilter.UnsharpMask`: where a band differs from its blur by more than `threshold`, the
/// difference times `percent`/100 is added (integer arithmetic, clipped).
pub fn unsharp_mask(img: &Img, radius: f32, percent: i64, threshold: i64) -> Img {
    let blurred = gaussian_blur(img, radius);
    let data = img
        .data
        .iter()
        .zip(&blurred.data)
        .map(|(&v, &b)| {
            let diff = v as i64 - b as i64;
            if diff.abs() > threshold {
                (v as i64 + diff.saturating_mul(percent) / 100).clamp(0, 255) as u8
            } else {
                v
            }
        })
        .collect();
    Img { data, ..*img }
}

/// Per-band histograms (256 counts per band).
pub fn histogram(img: &Img) -> Vec<[u64; 256]> {
    let mut h = vec![[0u64; 256]; img.bands];
    for p in img.data.chunks_exact(img.bands) {
        for (b, &v) in p.iter().enumerate() {
            h[b][v as usize] += 1;
        }
    }
    h
}

/// Applies one 256-entry table per band.
pub fn apply_luts(img: &Img, luts: &[[u8; 256]]) -> Img {
    img.map(|v, b| luts[b][v as usize])
}

/// `ImageOps.autocontrast(image, cutoff)`: per band, `cutoff` percent of the pixels dropped
/// from each end of the histogram, the rest stretched over 0..255.
pub fn autocontrast(img: &Img, cutoff: i64) -> Img {
    let luts: Vec<[u8; 256]> = histogram(img)
        .into_iter()
        .map(|hist| {
            let mut h = hist.map(|c| c as i64);
            if cutoff != 0 {
                let n: i64 = h.iter().sum();
                // Python's floor division.
                let mut cut = n.saturating_mul(cutoff).div_euclid(100);
                for v in h.iter_mut() {
                    if cut > *v {
                        cut -= *v;
                        *v = 0;
                    } else {
                        *v -= cut;
                        cut = 0;
                    }
                    if cut <= 0 {
                        break;
                    }
                }
                let mut cut = n.saturating_mul(cutoff).div_euclid(100);
                for v in h.iter_mut().rev() {
                    if cut > *v {
                        cut -= *v;
                        *v = 0;
                    } else {
                        *v -= cut;
                        cut = 0;
                    }
                    if cut <= 0 {
                        break;
                    }
                }
            }
            let lo = h.iter().position(|&c| c != 0).unwrap_or(255);
            let hi = h.iter().rposition(|&c| c != 0).unwrap_or(0);
            let mut lut = [0u8; 256];
            for (i, l) in lut.iter_mut().enumerate() {
                *l = if hi <= lo {
                    i as u8
                } else {
                    let scale = 255.0 / (hi - lo) as f64;
                    let offset = -(lo as f64) * scale;
                    // `int()` truncates toward zero, then the value is clipped.
                    ((i as f64 * scale + offset).trunc()).clamp(0.0, 255.0) as u8
                };
            }
            lut
        })
        .collect();
    apply_luts(img, &luts)
}

/// `ImageOps.equalize`: per band, a table that flattens the histogram.
pub fn equalize(img: &Img) -> Img {
    let luts: Vec<[u8; 256]> = histogram(img)
        .into_iter()
        .map(|h| {
            let used: Vec<u64> = h.iter().copied().filter(|&c| c != 0).collect();
            let mut lut = std::array::from_fn(|i| i as u8);
            if used.len() > 1 {
                let step = (used.iter().sum::<u64>() - used[used.len() - 1]) / 255;
                if step != 0 {
                    let mut n = step / 2;
                    for (i, l) in lut.iter_mut().enumerate() {
                        *l = (n / step).min(255) as u8;
                        n += h[i];
                    }
                }
            }
            lut
        })
        .collect();
    apply_luts(img, &luts)
}

/// `ImageFilter.RankFilter(size, rank)`: each band's `rank`-th smallest value (0 is the
/// minimum) over the `size` x `size` window around the pixel, edges extended.
pub fn rank_filter(img: &Img, size: i64, rank: i64) -> Result<Img, String> {
    if size <= 0 || size % 2 == 0 {
        return Err("bad filter size".into());
    }
    if size > 512 {
        return Err("filter size too large (the largest is 512)".into());
    }
    if rank < 0 || rank >= size * size {
        return Err("bad rank value".into());
    }
    let (w, h, n) = (img.width, img.height, img.bands);
    let size = size as usize;
    let rank = rank as usize;
    let m = (size / 2) as isize;
    let at = |x: isize, y: isize, b: usize| {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        img.data[(y * w + x) * n + b]
    };
    let mut out = img.clone();
    if size * size <= 49 {
        // Small windows: select from the window itself.
        let mut window = Vec::with_capacity(size * size);
        for y in 0..h as isize {
            for x in 0..w as isize {
                for b in 0..n {
                    window.clear();
                    for dy in -m..=m {
                        for dx in -m..=m {
                            window.push(at(x + dx, y + dy, b));
                        }
                    }
                    let (_, v, _) = window.select_nth_unstable(rank);
                    out.data[((y as usize) * w + x as usize) * n + b] = *v;
                }
            }
        }
        return Ok(out);
    }
    // Large windows: a histogram slid along each row, in 16 coarse and 256 fine bins.
    for b in 0..n {
        for y in 0..h as isize {
            let mut fine = [0u32; 256];
            let mut coarse = [0u32; 16];
            let add = |v: u8, d: i32, fine: &mut [u32; 256], coarse: &mut [u32; 16]| {
                fine[v as usize] = fine[v as usize].wrapping_add_signed(d);
                coarse[v as usize >> 4] = coarse[v as usize >> 4].wrapping_add_signed(d);
            };
            for dy in -m..=m {
                for dx in -m..=m {
                    add(at(dx, y + dy, b), 1, &mut fine, &mut coarse);
                }
            }
            for x in 0..w as isize {
                if x > 0 {
                    for dy in -m..=m {
                        add(at(x - m - 1, y + dy, b), -1, &mut fine, &mut coarse);
                        add(at(x + m, y + dy, b), 1, &mut fine, &mut coarse);
                    }
                }
                let mut left = rank as u32;
                let mut c = 0;
                while left >= coarse[c] {
                    left -= coarse[c];
                    c += 1;
                }
                let mut v = c * 16;
                while left >= fine[v] {
                    left -= fine[v];
                    v += 1;
                }
                out.data[((y as usize) * w + x as usize) * n + b] = v as u8;
            }
        }
    }
    Ok(out)
}

/// `ImageOps.expand`: a border of `border` pixels of `fill` around the image.
pub fn expand(img: &Img, border: usize, fill: &[u8]) -> Result<Img, String> {
    let (w, h) = (img.width + 2 * border, img.height + 2 * border);
    let mut out = Img::filled(w as u64, h as u64, fill)?;
    paste(&mut out, img, border, border);
    Ok(out)
}

/// Copies `src` into `dst` with its top-left corner at (x, y), clipped to `dst`; the bands must
/// match.
pub fn paste(dst: &mut Img, src: &Img, x: usize, y: usize) {
    let n = dst.bands;
    if x >= dst.width || y >= dst.height {
        return;
    }
    let cols = src.width.min(dst.width - x);
    for row in 0..src.height.min(dst.height - y) {
        let from = row * src.width * n;
        let to = ((y + row) * dst.width + x) * n;
        dst.data[to..to + cols * n].copy_from_slice(&src.data[from..from + cols * n]);
    }
}

/// Pillow's bicubic filter (a = -0.5), support 2.
fn bicubic(x: f64) -> f64 {
    let a = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * a
    } else {
        0.0
    }
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// For each output position: the first input index and the fixed-point weights, as Pillow's
/// `precompute_coeffs` (the filter widened by the reduction factor when shrinking).
fn coefficients(in_size: usize, in0: f64, in1: f64, out_size: usize) -> Vec<(usize, Vec<i32>)> {
    // Pillow holds the box in single precision.
    let (in0, in1) = (in0 as f32, in1 as f32);
    let scale = (in1 - in0) as f64 / out_size as f64;
    let in0 = in0 as f64;
    let filterscale = scale.max(1.0);
    let support = 2.0 * filterscale;
    (0..out_size)
        .map(|xx| {
            let center = in0 + (xx as f64 + 0.5) * scale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let weights: Vec<f64> = (xmin..xmax.max(xmin))
                .map(|x| bicubic((x as f64 - center + 0.5) / filterscale))
                .collect();
            let total: f64 = weights.iter().sum();
            let fixed = weights
                .iter()
                .map(|w| {
                    let w = if total != 0.0 { w / total } else { *w };
                    let v = w * (1u32 << PRECISION_BITS) as f64;
                    (if v < 0.0 { v - 0.5 } else { v + 0.5 }) as i32
                })
                .collect();
            (xmin, fixed)
        })
        .collect()
}

fn clip_fixed(ss: i64) -> u8 {
    (ss >> PRECISION_BITS).clamp(0, 255) as u8
}

/// `image.resize((width, height), BICUBIC, box)`: Pillow's two-pass convolution resampler over
/// the source rectangle `bx` (left, top, right, bottom; fractional).
pub fn resize_bicubic(img: &Img, width: usize, height: usize, bx: [f64; 4]) -> Result<Img, String> {
    check_size(width as u64, height as u64)?;
    let n = img.bands;
    let horizontal = coefficients(img.width, bx[0], bx[2], width);
    let vertical = coefficients(img.height, bx[1], bx[3], height);
    let half = 1i64 << (PRECISION_BITS - 1);
    // Horizontal pass over the rows the vertical pass reads.
    let first = vertical.first().map_or(0, |v| v.0);
    let last = vertical
        .iter()
        .map(|(start, k)| start + k.len())
        .max()
        .unwrap_or(0)
        .max(first);
    let rows = last - first;
    let mut temp = vec![0u8; width * rows * n];
    for r in 0..rows {
        let src = &img.data[(first + r) * img.width * n..(first + r + 1) * img.width * n];
        for (x, (start, k)) in horizontal.iter().enumerate() {
            for b in 0..n {
                let mut ss = half;
                for (i, w) in k.iter().enumerate() {
                    ss += src[(start + i) * n + b] as i64 * *w as i64;
                }
                temp[(r * width + x) * n + b] = clip_fixed(ss);
            }
        }
    }
    let mut data = vec![0u8; width * height * n];
    for (y, (start, k)) in vertical.iter().enumerate() {
        for x in 0..width {
            for b in 0..n {
                let mut ss = half;
                for (i, w) in k.iter().enumerate() {
                    ss += temp[((start - first + i) * width + x) * n + b] as i64 * *w as i64;
                }
                data[(y * width + x) * n + b] = clip_fixed(ss);
            }
        }
    }
    Ok(Img {
        width,
        height,
        bands: n,
        data,
    })
}

/// `ImageOps.fit(image, size)`: the largest centered crop of the target's aspect ratio, resized
/// bicubically to the target size.
pub fn fit(img: &Img, width: usize, height: usize) -> Result<Img, String> {
    let (iw, ih) = (img.width as f64, img.height as f64);
    let live_ratio = iw / ih;
    let out_ratio = width as f64 / height as f64;
    let (crop_w, crop_h) = if live_ratio == out_ratio {
        (iw, ih)
    } else if live_ratio >= out_ratio {
        (out_ratio * ih, ih)
    } else {
        (iw, iw / out_ratio)
    };
    let left = (iw - crop_w) * 0.5;
    let top = (ih - crop_h) * 0.5;
    if (width, height) == (img.width, img.height) && left == 0.0 && top == 0.0 {
        return Ok(img.clone());
    }
    resize_bicubic(img, width, height, [left, top, left + crop_w, top + crop_h])
}
