//! The two OpenCV operations NodeTool's Pillow nodes call: contrast-limited adaptive histogram
//! equalization on the lightness of CIE L*a*b* (`AdaptiveContrast`) and Canny edge detection
//! (`Canny`). The histogram, clipping, interpolation and hysteresis follow OpenCV's code, and so
//! does the fixed-point conversion to L*a*b*; the conversion back is computed in floating point
//! where OpenCV uses tables, so a pixel may differ from OpenCV's by a level.

use super::raster::Img;

/// OpenCV's `BORDER_REFLECT_101` index (`gfedcb|abcdefgh|gfedcba`).
fn reflect101(mut i: isize, len: usize) -> usize {
    let len = len as isize;
    if len == 1 {
        return 0;
    }
    loop {
        if i < 0 {
            i = -i;
        } else if i >= len {
            i = 2 * len - 2 - i;
        } else {
            return i as usize;
        }
    }
}

/// OpenCV's `saturate_cast<uchar>(float)`: rounded half to even, clipped.
fn saturate(v: f32) -> u8 {
    v.round_ties_even().clamp(0.0, 255.0) as u8
}

/// `cv2.createCLAHE(clip_limit, (grid, grid)).apply(plane)` on one 8-bit plane.
pub fn clahe(plane: &[u8], width: usize, height: usize, clip_limit: f64, grid: usize) -> Vec<u8> {
    let (tiles_x, tiles_y) = (grid, grid);
    // OpenCV pads with a reflection when either side is not a multiple of the grid, and then
    // pads both sides (a side that divided evenly gains a whole `grid` of rows or columns).
    let (pw, ph) = if width.is_multiple_of(tiles_x) && height.is_multiple_of(tiles_y) {
        (width, height)
    } else {
        (
            width + tiles_x - width % tiles_x,
            height + tiles_y - height % tiles_y,
        )
    };
    let (tw, th) = (pw / tiles_x, ph / tiles_y);
    let total = tw * th;
    let lut_scale = 255.0f32 / total as f32;
    let clip = if clip_limit > 0.0 {
        ((clip_limit * total as f64 / 256.0) as i64).max(1)
    } else {
        0
    };
    let src = |x: usize, y: usize| {
        plane[reflect101(y as isize, height) * width + reflect101(x as isize, width)]
    };
    let mut luts = vec![[0u8; 256]; tiles_x * tiles_y];
    for ty in 0..tiles_y {
        for tx in 0..tiles_x {
            let mut hist = [0i64; 256];
            for y in ty * th..(ty + 1) * th {
                for x in tx * tw..(tx + 1) * tw {
                    hist[src(x, y) as usize] += 1;
                }
            }
            if clip > 0 {
                let mut clipped = 0;
                for h in hist.iter_mut() {
                    if *h > clip {
                        clipped += *h - clip;
                        *h = clip;
                    }
                }
                let batch = clipped / 256;
                let mut residual = clipped - batch * 256;
                for h in hist.iter_mut() {
                    *h += batch;
                }
                if residual != 0 {
                    let step = (256 / residual).max(1) as usize;
                    let mut i = 0;
                    while i < 256 && residual > 0 {
                        hist[i] += 1;
                        i += step;
                        residual -= 1;
                    }
                }
            }
            let lut = &mut luts[ty * tiles_x + tx];
            let mut sum = 0i64;
            for (l, h) in lut.iter_mut().zip(hist) {
                sum += h;
                *l = saturate(sum as f32 * lut_scale);
            }
        }
    }
    // Each pixel: the bilinear mix of the four nearest tiles' tables.
    let (inv_tw, inv_th) = (1.0 / tw as f32, 1.0 / th as f32);
    let columns: Vec<(usize, usize, f32)> = (0..width)
        .map(|x| {
            let txf = x as f32 * inv_tw - 0.5;
            let t1 = txf.floor();
            let xa = txf - t1;
            let t1 = t1 as isize;
            let a = t1.max(0) as usize;
            let b = ((t1 + 1) as usize).min(tiles_x - 1);
            (a, b, xa)
        })
        .collect();
    let mut out = vec![0u8; width * height];
    for y in 0..height {
        let tyf = y as f32 * inv_th - 0.5;
        let t1 = tyf.floor();
        let ya = tyf - t1;
        let t1 = t1 as isize;
        let r1 = t1.max(0) as usize * tiles_x;
        let r2 = ((t1 + 1) as usize).min(tiles_y - 1) * tiles_x;
        for x in 0..width {
            let v = plane[y * width + x] as usize;
            let (a, b, xa) = columns[x];
            let top = luts[r1 + a][v] as f32 * (1.0 - xa) + luts[r1 + b][v] as f32 * xa;
            let bottom = luts[r2 + a][v] as f32 * (1.0 - xa) + luts[r2 + b][v] as f32 * xa;
            out[y * width + x] = saturate(top * (1.0 - ya) + bottom * ya);
        }
    }
    out
}

const XN: f32 = 0.950456;
const ZN: f32 = 1.088754;

/// OpenCV's fixed-point RGB to 8-bit L*a*b* (D65; stored as L*255/100, a+128, b+128): gamma and
/// cube-root tables, a 12-bit matrix, 15-bit results.
struct LabTables {
    gamma: [i64; 256],
    cbrt: Vec<i64>,
    matrix: [[i64; 3]; 3],
}

impl LabTables {
    fn new() -> LabTables {
        let gamma = std::array::from_fn(|i| {
            let x = i as f64 / 255.0;
            let v = if x <= 0.04045 {
                x / 12.92
            } else {
                ((x + 0.055) / 1.055).powf(2.4)
            };
            (255.0 * 8.0 * v).round_ties_even() as i64
        });
        let cbrt = (0..3072)
            .map(|i| {
                let x = i as f64 / 2040.0;
                let v = if x < 0.008856 {
                    x * 7.787 + 16.0 / 116.0
                } else {
                    x.cbrt()
                };
                ((1 << 15) as f64 * v).round_ties_even() as i64
            })
            .collect();
        const RGB_TO_XYZ: [[f64; 3]; 3] = [
            [0.412453, 0.357580, 0.180423],
            [0.212671, 0.715160, 0.072169],
            [0.019334, 0.119193, 0.950227],
        ];
        let white = [XN as f64, 1.0, ZN as f64];
        let matrix = std::array::from_fn(|i| {
            std::array::from_fn(|j| (4096.0 * RGB_TO_XYZ[i][j] / white[i]).round_ties_even() as i64)
        });
        LabTables {
            gamma,
            cbrt,
            matrix,
        }
    }

    fn lab(&self, r: u8, g: u8, b: u8) -> [u8; 3] {
        let rgb = [r, g, b].map(|c| self.gamma[c as usize]);
        let descale = |v: i64, n: u32| (v + (1 << (n - 1))) >> n;
        let [fx, fy, fz] = self.matrix.map(|row| {
            let v = descale(row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2], 12);
            self.cbrt[v.clamp(0, 3071) as usize]
        });
        // L scaled to 0..255: 116 * 255 / 100 and 16 * 255 / 100, in 15-bit fixed point.
        let l = descale(296 * fy - 1_336_934, 15);
        let a = descale(500 * (fx - fy) + (128 << 15), 15);
        let b = descale(200 * (fy - fz) + (128 << 15), 15);
        [l, a, b].map(|v| v.clamp(0, 255) as u8)
    }
}

fn linear_to_srgb(c: f32) -> u8 {
    let c = c.clamp(0.0, 1.0);
    let v = if c <= 0.0031308 {
        12.92 * c
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    };
    saturate(v * 255.0)
}

fn lab_to_rgb(l: u8, a: u8, b: u8) -> [u8; 3] {
    let l = l as f32 * 100.0 / 255.0;
    let (a, b) = (a as f32 - 128.0, b as f32 - 128.0);
    let (y, fy) = if l <= 7.9996 {
        let y = l / 903.3;
        (y, 7.787 * y + 16.0 / 116.0)
    } else {
        let fy = (l + 16.0) / 116.0;
        (fy * fy * fy, fy)
    };
    let inv = |f: f32| {
        if f > 0.206893 {
            f * f * f
        } else {
            (f - 16.0 / 116.0) / 7.787
        }
    };
    let x = inv(fy + a / 500.0) * XN;
    let z = inv(fy - b / 200.0) * ZN;
    [
        linear_to_srgb(3.240479 * x - 1.53715 * y - 0.498535 * z),
        linear_to_srgb(-0.969256 * x + 1.875991 * y + 0.041556 * z),
        linear_to_srgb(0.055648 * x - 0.204043 * y + 1.057311 * z),
    ]
}

/// NodeTool's `adaptive_contrast`: CLAHE on the lightness of the image converted with
/// `COLOR_BGR2Lab`. NodeTool hands OpenCV an RGB array, so OpenCV reads the bands reversed;
/// that reading is kept (red weighs in the lightness as blue would), as the results are.
pub fn adaptive_contrast(img: &Img, clip_limit: f64, grid: usize) -> Img {
    let tables = LabTables::new();
    let labs: Vec<[u8; 3]> = img
        .data
        .chunks_exact(3)
        .map(|p| tables.lab(p[2], p[1], p[0]))
        .collect();
    let lightness: Vec<u8> = labs.iter().map(|p| p[0]).collect();
    let equalized = clahe(&lightness, img.width, img.height, clip_limit, grid);
    let mut data = Vec::with_capacity(img.data.len());
    for (lab, l) in labs.iter().zip(equalized) {
        let [r, g, b] = lab_to_rgb(l, lab[1], lab[2]);
        data.extend_from_slice(&[b, g, r]);
    }
    Img { data, ..*img }
}

/// `cv2.Canny(image, low, high)` (3x3 Sobel, L1 gradient) on an RGB image: per pixel the band
/// with the strongest gradient, non-maximum suppression along the gradient, hysteresis between
/// the thresholds. The result is white edges on black, in all three bands.
pub fn canny(img: &Img, low: i64, high: i64) -> Img {
    let (w, h, n) = (img.width, img.height, img.bands);
    let (low, high) = if low > high { (high, low) } else { (low, high) };
    let at = |x: isize, y: isize, b: usize| {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        img.data[(y * w + x) * n + b] as i32
    };
    // Gradients: the band with the largest |dx| + |dy| (the first on ties).
    let mut dx = vec![0i32; w * h];
    let mut dy = vec![0i32; w * h];
    let mut mag = vec![0i32; w * h];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let i = y as usize * w + x as usize;
            for b in 0..n {
                let gx = at(x + 1, y - 1, b) - at(x - 1, y - 1, b)
                    + 2 * (at(x + 1, y, b) - at(x - 1, y, b))
                    + at(x + 1, y + 1, b)
                    - at(x - 1, y + 1, b);
                let gy = at(x - 1, y + 1, b) - at(x - 1, y - 1, b)
                    + 2 * (at(x, y + 1, b) - at(x, y - 1, b))
                    + at(x + 1, y + 1, b)
                    - at(x + 1, y - 1, b);
                let m = gx.abs() + gy.abs();
                if b == 0 || m > mag[i] {
                    (dx[i], dy[i], mag[i]) = (gx, gy, m);
                }
            }
        }
    }
    let m_at = |x: isize, y: isize| {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
            0
        } else {
            mag[y as usize * w + x as usize]
        }
    };
    // 0: not an edge, 1: a candidate, 2: an edge.
    const TG22: i64 = 13573; // tan(22.5°) in 15-bit fixed point
    let mut map = vec![0u8; w * h];
    let mut stack = Vec::new();
    for y in 0..h as isize {
        for x in 0..w as isize {
            let i = y as usize * w + x as usize;
            let m = mag[i];
            if (m as i64) <= low {
                continue;
            }
            let (xs, ys) = (dx[i] as i64, dy[i] as i64);
            let ax = xs.abs();
            let ay = ys.abs() << 15;
            let tg22x = ax * TG22;
            let peak = if ay < tg22x {
                m > m_at(x - 1, y) && m >= m_at(x + 1, y)
            } else if ay > tg22x + (ax << 16) {
                m > m_at(x, y - 1) && m >= m_at(x, y + 1)
            } else {
                let s = if (xs ^ ys) < 0 { -1 } else { 1 };
                m > m_at(x - s, y - 1) && m > m_at(x + s, y + 1)
            };
            if !peak {
                continue;
            }
            if m as i64 > high {
                map[i] = 2;
                stack.push(i);
            } else {
                map[i] = 1;
            }
        }
    }
    while let Some(i) = stack.pop() {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        for ny in y - 1..=y + 1 {
            for nx in x - 1..=x + 1 {
                if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                if map[j] == 1 {
                    map[j] = 2;
                    stack.push(j);
                }
            }
        }
    }
    let mut data = Vec::with_capacity(w * h * 3);
    for v in map {
        let e = if v == 2 { 255 } else { 0 };
        data.extend_from_slice(&[e, e, e]);
    }
    Img {
        width: w,
        height: h,
        bands: 3,
        data,
    }
}
