//! Cases for the image nodes (`lib.pillow.*`, `lib.grid.*`): each node run on small images
//! made here, its pixels checked against what NodeTool's nodes compute with Pillow and OpenCV for
//! the same inputs, and its sizes, modes and errors.

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ColorType, ExtendedColorType, ImageEncoder};
use serde_json::{Map, Value, json};

use super::super::*;

fn run_image(ty: &str, images: &[Vec<u8>], props: Value) -> Result<Vec<u8>, String> {
    let spec = spec(ty).unwrap_or_else(|| panic!("{ty} is registered"));
    let Behaviour::Effect(Effect::Image(node)) = spec.behaviour else {
        panic!("{ty} is not an image node")
    };
    let mut values = Map::new();
    for (name, _, default) in spec.props {
        values.insert((*name).into(), serde_json::from_str(default).unwrap());
    }
    for (k, v) in props.as_object().unwrap() {
        values.insert(k.clone(), typed(&spec, k, v)?);
    }
    (node.run)(images, &values)
}

/// An encoded image of `bands` bands from its pixels.
fn encode_with(kind: &str, width: u32, height: u32, bands: usize, data: &[u8]) -> Vec<u8> {
    let color = match bands {
        1 => ExtendedColorType::L8,
        3 => ExtendedColorType::Rgb8,
        _ => ExtendedColorType::Rgba8,
    };
    let mut out = Vec::new();
    match kind {
        "png" => PngEncoder::new(&mut out)
            .write_image(data, width, height, color)
            .unwrap(),
        "jpeg" => JpegEncoder::new_with_quality(&mut out, 95)
            .write_image(data, width, height, color)
            .unwrap(),
        "webp" => WebPEncoder::new_lossless(&mut out)
            .write_image(data, width, height, color)
            .unwrap(),
        "gif" => GifEncoder::new(&mut out)
            .encode(data, width, height, color)
            .unwrap(),
        _ => unreachable!(),
    }
    out
}

fn png(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let f = &f;
    let data: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).flat_map(move |x| f(x, y)))
        .collect();
    encode_with("png", width, height, 3, &data)
}

fn flat(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    png(width, height, |_, _| rgb)
}

/// The 6x5 image the Pillow references were computed on.
fn sample() -> Vec<u8> {
    png(6, 5, |x, y| {
        [
            ((x * 53 + y * 31) % 256) as u8,
            ((x * 17 + y * 89 + 40) % 256) as u8,
            ((x * x * 7 + y * 113 + 9) % 256) as u8,
        ]
    })
}

#[derive(Debug)]
struct Out {
    width: u32,
    height: u32,
    bands: usize,
    data: Vec<u8>,
}

impl Out {
    fn px(&self, x: u32, y: u32) -> &[u8] {
        let at = (y * self.width + x) as usize * self.bands;
        &self.data[at..at + self.bands]
    }
}

fn out(png: &[u8]) -> Out {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap();
    let (width, height) = (img.width(), img.height());
    let (bands, data) = match img.color() {
        ColorType::L8 => (1, img.into_luma8().into_raw()),
        ColorType::Rgb8 => (3, img.into_rgb8().into_raw()),
        ColorType::Rgba8 => (4, img.into_rgba8().into_raw()),
        other => panic!("unexpected output {other:?}"),
    };
    Out {
        width,
        height,
        bands,
        data,
    }
}

fn ok(ty: &str, images: &[Vec<u8>], props: Value) -> Out {
    out(&run_image(ty, images, props).unwrap_or_else(|e| panic!("{ty}: {e}")))
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// NodeTool's node output on `sample()` (Pillow 12, numpy 2): type, properties, pixels.
const PILLOW: &[(&str, &str, &str)] = &[
    (
        "lib.pillow.enhance.Contrast",
        r#"{"factor": 1.5}"#,
        "0000001016005f2f00af492cfe6276007cd40082773e9b828eb5a1ddced6ffe8ff00ff001dffff6dffffbcff00ff00000000492b07a74c0d4a9b2655eb4074ff59a90a73f2598c007a92f4caacfeffc5ff00df0038f81c88ff7a",
    ),
    (
        "lib.pillow.enhance.Brightness",
        r#"{"factor": 0.5}"#,
        "0014041a1c083525124f2d246a363c043e5c0f403d2a494044514b5f5a5c796275146b141f6d75397579547e036e0615090f2d23174d2e192e492231632a3c7e334d183b663344053e4666584e6a7357740d5f0628681e42703e",
    ),
    (
        "lib.pillow.enhance.Sharpen",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a54929c89c3d1def4ffffffff28d6293edaeb73ffffa8ff00ff0000000036472f9a5d335c92001ee71573ff46d60077ff66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.enhance.AutoContrast",
        r#"{"cutoff": 10}"#,
        "000000220e0467281cad4145f35a7d0074c6057a7e4a938790ac9fd6c6c7ffdfff11f9212efeff73ffffb9ff00ff002200005b3900a356055c9c1f64e2387cff52a51c6bdd6284007f8adec5a4e6ffbdfe00d60045f0388bff81",
    ),
    (
        "lib.pillow.enhance.UnsharpMask",
        r#"{"radius": 2, "percent": 150, "threshold": 3}"#,
        "0000000000006a0a00e42e0fff5480007dff00918d39b79faedfd2ffffffffffff00ff0000ffff73fffff1ff00ff00000000390d00d636000eb4002aff046cff2acf0052ff597800768cfff7b5ffffdbff00ff0017ff00a4ff97",
    ),
    (
        "lib.pillow.enhance.Color",
        r#"{"factor": 0.5}"#,
        "0c20113436215c4c3a86645ab07c83356f8c41726e69887f919e98bbb6b8e5cee05bb25b75c3cc9dd9ddb7e167952d3c191f3e44386e503b50785161a16879ca7f9a4e719c6b7c3d858daeada3bed5b9d74a9c4374b46b9fcd9b",
    ),
    (
        "lib.pillow.enhance.Sharpness",
        r#"{"factor": 2.0}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a54929189b7bad2dbf1ffffff28d6293edaeb73ffffa8ff00ff0000000044472f9a5d335c920938db2e75ff52bf0a77ff66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.enhance.Equalize",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a54928189a396beb4b9f3c5ea28d6293edaeb73ebf2a8fc07dd0d2a121e5b472f9a5d335c924463c75578fc669b3177cc66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.enhance.EdgeEnhance",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a5492ec89ffffffffffffffff28d6293edaeb73ffffa8ff00ff0000000000472f9a5d335c920000ff0063ff00ff0077ff66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.enhance.Detail",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a54927f89a3bebedfe1fff0ff28d6293edaeb73ffffa8ff00ff000000002e472f9a5d335c921936c72a76ff66c30677ff66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.enhance.RankFilter",
        r#"{"size": 3, "rank": 3}"#,
        "0028093539106a4a259f5b489f6c79097d791f817a3e8125735b2a9f5b48475b5b286c793e817a5d8178926678a8667847665b3177295d8ccd7c8c78a8666350663d47663d47775b7c8ccd928ccdb19d7850ae3d50bf3d66d03d",
    ),
    (
        "lib.pillow.color_grading.Exposure",
        r#"{"exposure": 0.2, "contrast": 0.1, "highlights": -0.1, "shadows": 0.1}"#,
        "0030083d420e7d5426bd674fff7e8e0092dc1a968d5fae98a6c6b6ecdfe6fff8ff2cff2d4bffff91ffffd4ff09ff0a2e1323705335bc6e396dae4c73ee5e8aff77ba3189f575a00293a7fad9c0ffffd9ff19e8065fff47a6ff9a",
    ),
    (
        "lib.pillow.color_grading.SaturationVibrance",
        r#"{"saturation": 0.5, "vibrance": 0.4}"#,
        "002b02343a007a470dc45232ff5b710085d7008b80309c7f76a98fc5b1bbffb9ff00ec0000e9ff34fbff9aff00ff00210a1c7b4d27d4732a71bb366bff427dff4ea60f7bff608d006e8affbb95fdff9fff00cf0021e30456f446",
    ),
    (
        "lib.pillow.color_grading.LiftGammaGain",
        r#"{"lift_r": 0.1, "gamma_g": 1.5, "gain_b": 0.8, "gamma_master": 0.9}"#,
        "1340044454097a6517b17630eb86561b968a2f995763a85d9ab76ed3c58bffd2b438df1a4de3b583f0bbbbfc03f51c1a23343f5648716c4d40a45f45dd7156ff817240909b76a0068ca39cc5b2a2ffc0b42ccd065fdb2896e859",
    ),
    (
        "lib.pillow.color_grading.CDL",
        r#"{"slope_r": 1.2, "offset_g": -0.05, "power_b": 1.3, "saturation": 0.7}"#,
        "0518083a2c126e4024a35440d8696a236a91376e616b826ea09687d5ababffc0de50bb3f69c5d69ed9e4cde741cb11221512354b276c5e2b40933f4cc75363fd67864769a47878259182afc595bdfaa9d73fa52b74b94ca9ce7f",
    ),
    (
        "lib.pillow.color_grading.ColorBalance",
        r#"{"temperature": 0.4, "tint": -0.3}"#,
        "133e00484f007d6000b2711de7824e1c938d32974f67a8569cb96bd1ca8effdbbf3bec0051f0c086ffc7bbff00f023002534305a456f704931a55a38da6b4dff7c70448da1799e008fa2a2c4b3a9f9c4be2ed50063e61298f751",
    ),
    (
        "lib.pillow.color_grading.HSLAdjust",
        r#"{"color_range": "greens", "hue_shift": 0.3, "saturation": 0.5, "luminance": -0.2}"#,
        "00231b30370d6a4a259f5b48d46c79097cb81f81795392817d9992beb4b9f3c5ea00b08b3ddaeb73ebf24be900dd0c29111d5b462f9a5d325c924462c75577fc669b3077cc3b80007c8ccdb19cd4e6aee900997900a77d3cb59b",
    ),
    (
        "lib.pillow.color_grading.Curves",
        r#"{"black_point": 0.1, "white_point": 0.9, "shadows": 0.2, "midtones": 0.3, "highlights": -0.2, "red_midtones": 0.1}"#,
        "001f003c3a0083521abd684fef7d8d0092d213968e68aa96a6bcaedcced3ffdfff26f0214af4ff8effffc6ff00f70022000c68572bb2743169b04a72e4608cff76b4358be67f9e0098a3e7cfb6eeffc8ff07d90063ea40a2fa91",
    ),
    (
        "lib.pillow.color_grading.Vignette",
        r#"{"amount": 0.6, "roundness": 0.5}"#,
        "0010031516062a1d0e3f241c542b300332490c33303053496c8176a79ea2c09cb9167a171d676f5fc2c8a8fc07dd0d2a121e5b3a267f2c182b783852c75578fc669b3177cc547009313852655979b689b817a80a3fa4304c8046",
    ),
    (
        "lib.pillow.color_grading.FilmLook",
        r#"{"preset": "vintage", "intensity": 0.8}"#,
        "0c260e3536185d462b865749b068711f6e962e726c58827684958bb0a8a9ddbbd143ba4159c3cc85d6d7abe336aa192b191f4742307852334e7a4458a3546ccd668a3b6ba56179227681ada293b8cea6cc34a52860b8518dcc83",
    ),
    (
        "lib.pillow.color_grading.SplitToning",
        r#"{"balance": 0.3}"#,
        "00332c18422c555039925f54d66f760081c413848556957e97a787d4bba2ffcfcb38db1855e1d391f5d3c8ff00c2154400297d2c37b4433b75804974bd5881ff6994267ad6618b0f848fc4c2a2c2feb6d024c20262d62a9fe961",
    ),
    (
        "lib.pillow.filter.Solarize",
        r#"{"threshold": 100}"#,
        "002809353910954a25605b482b93860982471f7e85546d7e765c69414b460c3a152829293e25148c140d570307220d2a121e5b472f655d335c6d446338558703996431883399770b8373324e622b1951161b400c502f3d7a1e83",
    ),
    (
        "lib.pillow.filter.Posterize",
        r#"{"bits": 3}"#,
        "002000202000604020804040c060600060a000806040808080a080a0a0a0e0c0e020c02020c0e060e0e0a0e000c00020000040402080402040804060c04060e060802060c06080006080c0a080c0e0a0e000a00040c02080e060",
    ),
    (
        "lib.pillow.filter.Blur",
        r#"{"radius": 1}"#,
        "23533a455e40756a4e98756a8b8183568b8c377e7159866d8587699e807786818359897d54959b759a8d9991739c7870756e7756746f717f9f8e8797a589819381716b826c5d8a61847eae9c87ada294947f9f6c64aa5f68b55e",
    ),
    (
        "lib.pillow.filter.Contour",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817affffffffffffffffffffffff28d6293edaebffffffffff00ff0000000000472f9a5d335cff0000ff00d5ff00ff00ffff66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.filter.Emboss",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a9638169638249638ff96ffff28d6293edaeb96ffff96ff24963832003840472f9a5d335c9638169638249638329638ff66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.filter.FindEdges",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a0000d600ffffffffffffffff28d6293edaeb00ffff00ff00ff0000000000472f9a5d335c000000ff0000ff00ff0000ff66880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.filter.Smooth",
        r#"{}"#,
        "0028093539106a4a259f5b48d46c79097db81f817a549271898f72aa8d81a48a9e28d6293edaeb73b0a6a8ad59b65c68615972472f9a5d335c927f8eb37c7bad7a7758778066880b7c8ccdb19dd4e6aee91bbf0c50d03d85e17c",
    ),
    (
        "lib.pillow.filter.ConvertToGrayscale",
        r#"{}"#,
        "19334f6d8d61637e9ab8d78eadc8c74e2142445f7b996c708fa9c57a99ba",
    ),
];

#[test]
fn pixels_match_nodetool_on_pillow() {
    for (ty, props, expected) in PILLOW {
        let props: Value = serde_json::from_str(props).unwrap();
        let got = ok(ty, &[sample()], props.clone());
        assert_eq!((got.width, got.height), (6, 5), "{ty}");
        assert_eq!(hex(&got.data), *expected, "{ty} {props}");
    }
}

#[test]
fn the_older_prefix_names_the_same_nodes() {
    let types: Vec<String> = catalogue()
        .into_iter()
        .filter(|(_, _, s)| matches!(s.behaviour, Behaviour::Effect(Effect::Image(_))))
        .map(|(p, n, _)| format!("{p}{n}"))
        .collect();
    let current: Vec<&String> = types
        .iter()
        .filter(|t| t.starts_with("lib.pillow.") || t.starts_with("lib.grid."))
        .collect();
    assert_eq!(current.len(), 40);
    for t in current.iter().filter(|t| t.starts_with("lib.pillow.")) {
        let old = format!("nodetool.{t}");
        assert!(types.contains(&old), "{old}");
        let (a, b) = (spec(t).unwrap(), spec(&old).unwrap());
        assert_eq!(a.behaviour, b.behaviour);
    }
    assert_eq!(
        hex(&ok(
            "nodetool.lib.pillow.enhance.Contrast",
            &[sample()],
            json!({"factor": 1.5})
        )
        .data),
        PILLOW[0].2
    );
}

#[test]
fn every_image_node_runs_on_its_defaults() {
    for (prefix, name, s) in catalogue() {
        let Behaviour::Effect(Effect::Image(node)) = s.behaviour else {
            continue;
        };
        let ty = format!("{prefix}{name}");
        let images: Vec<Vec<u8>> = node.inputs.iter().map(|_| sample()).collect();
        let got = ok(&ty, &images, json!({}));
        let size = match name {
            "Background" | "GaussianNoise" => (512, 512),
            _ => (6, 5),
        };
        assert_eq!((got.width, got.height), size, "{ty}");
        let bands = match name {
            "ConvertToGrayscale" | "GetChannel" => 1,
            "Composite" | "CombineImageGrid" => 4,
            _ => 3,
        };
        assert_eq!(got.bands, bands, "{ty}");
    }
}

#[test]
fn enhance_factors_blend_from_pillows_degenerate_images() {
    let img = sample();
    let input = out(&img);
    let black = ok(
        "lib.pillow.enhance.Brightness",
        std::slice::from_ref(&img),
        json!({"factor": 0}),
    );
    assert!(black.data.iter().all(|&v| v == 0));
    for ty in ["Brightness", "Contrast", "Color", "Sharpness"] {
        let same = ok(
            &format!("lib.pillow.enhance.{ty}"),
            std::slice::from_ref(&img),
            json!({"factor": 1}),
        );
        assert_eq!(same.data, input.data, "{ty} 1.0 is the image");
    }
    // Contrast 0: the mean gray level, everywhere.
    let gray = ok(
        "lib.pillow.enhance.Contrast",
        std::slice::from_ref(&img),
        json!({"factor": 0.0}),
    );
    assert!(gray.data.iter().all(|&v| v == gray.data[0]));
    // Color 0: the image's luma in every band.
    let mono = ok(
        "lib.pillow.enhance.Color",
        std::slice::from_ref(&img),
        json!({"factor": 0.0}),
    );
    for (p, q) in mono.data.chunks(3).zip(input.data.chunks(3)) {
        let l =
            ((q[0] as u32 * 19595 + q[1] as u32 * 38470 + q[2] as u32 * 7471 + 0x8000) >> 16) as u8;
        assert_eq!(p, [l, l, l]);
    }
    // Extrapolation clips.
    let bright = ok(
        "lib.pillow.enhance.Brightness",
        &[flat(3, 3, [100, 200, 10])],
        json!({"factor": 2}),
    );
    assert_eq!(bright.px(1, 1), [200, 255, 20]);
}

#[test]
fn autocontrast_stretches_and_cuts_off_as_pillow() {
    // Values 50..=150 stretch over 0..=255.
    let img = png(101, 1, |x, _| [50 + x as u8, 100, 150 - x as u8]);
    let got = ok(
        "lib.pillow.enhance.AutoContrast",
        std::slice::from_ref(&img),
        json!({}),
    );
    assert_eq!(got.px(0, 0), [0, 100, 255]);
    assert_eq!(got.px(100, 0), [255, 100, 0]);
    assert_eq!(got.px(50, 0), [127, 100, 127]);
    // A cutoff of 10% drops 10 values from each end: 60..=140 stretch.
    let cut = ok(
        "lib.pillow.enhance.AutoContrast",
        std::slice::from_ref(&img),
        json!({"cutoff": 10}),
    );
    assert_eq!(cut.px(10, 0)[0], 0);
    assert_eq!(cut.px(90, 0)[0], 255);
    assert_eq!(cut.px(5, 0)[0], 0);
    // Cutting more than half (NodeTool's Image Enhance example uses 108) leaves the image.
    let all = ok(
        "lib.pillow.enhance.AutoContrast",
        std::slice::from_ref(&img),
        json!({"cutoff": 108}),
    );
    assert_eq!(all.data, out(&img).data);
}

#[test]
fn unsharp_mask_sharpens_only_past_the_threshold() {
    let flat_img = flat(9, 9, [90, 120, 30]);
    let same = ok(
        "lib.pillow.enhance.UnsharpMask",
        std::slice::from_ref(&flat_img),
        json!({}),
    );
    assert_eq!(same.data, out(&flat_img).data);
    let step = png(12, 3, |x, _| if x < 6 { [60; 3] } else { [180; 3] });
    let sharp = ok(
        "lib.pillow.enhance.UnsharpMask",
        std::slice::from_ref(&step),
        json!({"radius": 2, "percent": 150, "threshold": 3}),
    );
    assert!(sharp.px(5, 1)[0] < 60 && sharp.px(6, 1)[0] > 180);
    assert_eq!(sharp.px(0, 1)[0], 60);
    let untouched = ok(
        "lib.pillow.enhance.UnsharpMask",
        std::slice::from_ref(&step),
        json!({"threshold": 200}),
    );
    assert_eq!(untouched.data, out(&step).data);
}

#[test]
fn rank_filter_picks_the_ranked_value_and_refuses_bad_sizes() {
    let img = sample();
    let input = out(&img);
    let identity = ok(
        "lib.pillow.enhance.RankFilter",
        std::slice::from_ref(&img),
        json!({"size": 1, "rank": 0}),
    );
    assert_eq!(identity.data, input.data);
    // A 7x7 window over a 6x5 image with edges extended: rank 0 is each band's minimum.
    let min = ok(
        "lib.pillow.enhance.RankFilter",
        std::slice::from_ref(&img),
        json!({"size": 7, "rank": 0}),
    );
    // ...and the sliding histogram used for large windows agrees with it.
    let large = ok(
        "lib.pillow.enhance.RankFilter",
        std::slice::from_ref(&img),
        json!({"size": 9, "rank": 0}),
    );
    for b in 0..3 {
        let lowest = input.data.iter().skip(b).step_by(3).min().unwrap();
        assert_eq!(min.px(2, 2)[b], *lowest);
        assert_eq!(large.px(2, 2)[b], *lowest);
    }
    let err = |props| {
        run_image(
            "lib.pillow.enhance.RankFilter",
            std::slice::from_ref(&img),
            props,
        )
        .unwrap_err()
    };
    assert_eq!(err(json!({"size": 4})), "bad filter size");
    assert_eq!(err(json!({"size": 3, "rank": 9})), "bad rank value");
    assert!(err(json!({"size": 601, "rank": 1})).contains("too large"));
}

#[test]
fn canny_and_adaptive_contrast_follow_opencv() {
    let square = png(8, 8, |x, y| {
        if (2..6).contains(&x) && (2..6).contains(&y) {
            [220, 200, 180]
        } else {
            [20; 3]
        }
    });
    let edges = ok("lib.pillow.filter.Canny", &[square], json!({}));
    assert_eq!(
        hex(&edges.data),
        "000000000000000000000000000000000000000000000000000000000000000000ffffffffffff000000000000000000000000000000ffffff000000000000ffffff000000000000000000ffffff000000000000000000ffffff000000000000000000ffffff000000000000000000ffffff000000000000000000000000ffffffffffffffffffffffff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    );
    // OpenCV converts to L*a*b* with tables; the floating-point conversion here lands within a
    // few levels.
    let got = ok(
        "lib.pillow.enhance.AdaptiveContrast",
        &[sample()],
        json!({"clip_limit": 2.0, "grid_size": 2}),
    );
    let expected: Vec<u8> = (0.."001e002b2e0372512da96455d16977218cca1a7d765594828ca69ac5bcc2fecff44efa5b3ddaea8bffffb5ff3acf000a000a4649329d4b224b8b3e5ebe4d6df76298367cd35b7d007d8ed0ccb8f2ffdfff30d03467e85da3ff9d".len() / 2)
        .map(|i| u8::from_str_radix(&"001e002b2e0372512da96455d16977218cca1a7d765594828ca69ac5bcc2fecff44efa5b3ddaea8bffffb5ff3acf000a000a4649329d4b224b8b3e5ebe4d6df76298367cd35b7d007d8ed0ccb8f2ffdfff30d03467e85da3ff9d"[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let worst = got
        .data
        .iter()
        .zip(&expected)
        .map(|(a, b)| (*a as i32 - *b as i32).abs())
        .max();
    assert!(worst <= Some(4), "{worst:?}");
}

#[test]
fn blend_fits_a_differently_sized_image_first() {
    let other = png(4, 5, |x, y| {
        let (x, y) = (x, 4 - y);
        [
            ((x * x * 7 + y * 113 + 9) % 256) as u8,
            ((x * 17 + y * 89 + 40) % 256) as u8,
            ((x * 53 + y * 31) % 256) as u8,
        ]
    });
    let got = ok(
        "lib.pillow.Blend",
        &[sample(), other],
        json!({"alpha": 0.25}),
    );
    assert_eq!((got.width, got.height), (6, 5));
    assert_eq!(
        hex(&got.data),
        "1d2e20453d2b704d45a05c69c26f8c2380b737786f61877b879794a2a7b7ceabe93eaf5e69d9bf95e8cab3f924ae49471036764023ab70504e995e5abf6f73da7e964483c571863b70809e988fa9c39fc331ae2660c1548cd28a"
    );
    let halves = ok(
        "lib.pillow.Blend",
        &[flat(2, 2, [0, 100, 200]), flat(2, 2, [100, 0, 201])],
        json!({}),
    );
    assert_eq!(halves.px(1, 1), [50, 50, 200]);
}

#[test]
fn composite_gives_image1_as_nodetool_computes_it() {
    // NodeTool converts the mask to RGBA, whose alpha (the band Pillow pastes by) is opaque.
    let got = ok(
        "lib.pillow.Composite",
        &[sample(), flat(3, 3, [1, 2, 3]), flat(6, 5, [0; 3])],
        json!({}),
    );
    let input = out(&sample());
    assert_eq!(got.bands, 4);
    for (p, q) in got.data.chunks(4).zip(input.data.chunks(3)) {
        assert_eq!(p, [q[0], q[1], q[2], 255]);
    }
    let err = run_image(
        "lib.pillow.Composite",
        &[sample(), sample(), b"junk".to_vec()],
        json!({}),
    );
    assert!(err.unwrap_err().contains("property 'mask'"));
}

#[test]
fn grid_of_tiles_in_cells_of_the_largest_tile() {
    let tile = |v: u8| flat(10, 8, [v, v, v]);
    let four = ok(
        "lib.grid.CombineImageGrid",
        &[tile(10), tile(20), tile(30), tile(40)],
        json!({}),
    );
    assert_eq!((four.width, four.height, four.bands), (20, 16, 4));
    assert_eq!(four.px(0, 0), [10, 10, 10, 255]);
    assert_eq!(four.px(19, 0), [20, 20, 20, 255]);
    assert_eq!(four.px(0, 15), [30, 30, 30, 255]);
    assert_eq!(four.px(10, 8), [40, 40, 40, 255]);
    // Three columns for two tiles: the third cell stays transparent; a smaller tile sits in the
    // top-left of its cell.
    let wide = ok(
        "lib.grid.CombineImageGrid",
        &[tile(10), flat(4, 3, [99; 3])],
        json!({"columns": 3}),
    );
    assert_eq!((wide.width, wide.height), (30, 8));
    assert_eq!(wide.px(10, 0), [99, 99, 99, 255]);
    assert_eq!(wide.px(15, 5), [0, 0, 0, 0]);
    assert_eq!(wide.px(25, 0), [0, 0, 0, 0]);
    // No columns: the integer square root of the count (3 tiles: one column).
    let column = ok(
        "lib.grid.CombineImageGrid",
        &[tile(1), tile(2), tile(3)],
        json!({"columns": 0}),
    );
    assert_eq!((column.width, column.height), (10, 24));
    assert_eq!(
        run_image("lib.grid.CombineImageGrid", &[], json!({})),
        Err("No tiles provided for combining.".into())
    );
    let bad = run_image(
        "lib.grid.CombineImageGrid",
        &[tile(1), b"junk".to_vec()],
        json!({}),
    );
    assert!(bad.unwrap_err().contains("property 'tiles[1]'"));
    let huge = run_image(
        "lib.grid.CombineImageGrid",
        &[tile(1)],
        json!({"columns": 1_000_000}),
    );
    assert!(huge.unwrap_err().contains("megapixels"));
}

#[test]
fn render_text_draws_where_pillow_draws() {
    let black = flat(80, 30, [0; 3]);
    let props = json!({"text": "Hello", "x": 3, "y": 2, "size": 20,
                       "color": {"type": "color", "value": "#FFFFFF"}});
    let got = ok(
        "lib.pillow.draw.RenderText",
        std::slice::from_ref(&black),
        props,
    );
    let lit: Vec<(u32, u32)> = (0..30)
        .flat_map(|y| (0..80).map(move |x| (x, y)))
        .filter(|&(x, y)| got.px(x, y)[0] > 0)
        .collect();
    let (x0, x1) = (
        lit.iter().map(|p| p.0).min().unwrap(),
        lit.iter().map(|p| p.0).max().unwrap(),
    );
    let (y0, y1) = (
        lit.iter().map(|p| p.1).min().unwrap(),
        lit.iter().map(|p| p.1).max().unwrap(),
    );
    // Pillow with DejaVu Sans draws "Hello" at (3, 2), size 20, over x 4..53 and y 6..21.
    assert!(
        x0.abs_diff(4) <= 1 && (x1 + 1).abs_diff(53) <= 1,
        "{x0}..{x1}"
    );
    assert!(
        y0.abs_diff(6) <= 1 && (y1 + 1).abs_diff(21) <= 1,
        "{y0}..{y1}"
    );
    assert!(lit.iter().any(|&(x, y)| got.px(x, y) == [255, 255, 255]));
    // Colored, bold, and nothing for no text.
    let yellow = ok(
        "lib.pillow.draw.RenderText",
        std::slice::from_ref(&black),
        json!({"text": "Hi", "size": 24, "color": {"type": "color", "value": "#FFFF00"}}),
    );
    assert!(yellow.data.chunks(3).any(|p| p == [255, 255, 0]));
    assert!(yellow.data.chunks(3).all(|p| p[2] == 0 && p[0] == p[1]));
    let count = |o: &Out| o.data.chunks(3).filter(|p| p[0] > 0).count();
    let regular = ok(
        "lib.pillow.draw.RenderText",
        std::slice::from_ref(&black),
        json!({"text": "Hi", "size": 24, "color": "#FFFFFF", "font": {"type": "font", "name": "DejaVuSans"}}),
    );
    let bold = ok(
        "lib.pillow.draw.RenderText",
        std::slice::from_ref(&black),
        json!({"text": "Hi", "size": 24, "color": "#FFFFFF", "font": {"type": "font", "name": "DejaVuSans-Bold"}}),
    );
    assert!(count(&bold) > count(&regular));
    let none = ok(
        "lib.pillow.draw.RenderText",
        std::slice::from_ref(&black),
        json!({"text": ""}),
    );
    assert_eq!(none.data, out(&black).data);
    // Lines are aligned against the widest: centered, the short one starts further right.
    let two = |align: &str| {
        ok(
            "lib.pillow.draw.RenderText",
            &[flat(120, 60, [0; 3])],
            json!({"text": "ii\nWWWWW", "size": 16, "color": "#FFFFFF", "align": align}),
        )
    };
    let first_lit = |o: &Out| {
        (0..120)
            .find(|&x| (0..18).any(|y| o.px(x, y)[0] > 0))
            .unwrap()
    };
    assert!(first_lit(&two("center")) > first_lit(&two("left")) + 10);
    assert!(first_lit(&two("right")) > first_lit(&two("center")) + 10);
    let err = |props| {
        run_image(
            "lib.pillow.draw.RenderText",
            std::slice::from_ref(&black),
            props,
        )
        .unwrap_err()
    };
    assert_eq!(
        err(json!({"text": "a", "align": "justify"})),
        "'justify' is not a valid TextAlignment"
    );
    assert!(err(json!({"text": "a", "size": 0})).contains("font size"));
    assert!(err(json!({"text": "a", "color": "#12"})).contains("unknown color"));
    // Far outside the image nothing is drawn, and nothing overflows.
    let away = ok(
        "lib.pillow.draw.RenderText",
        std::slice::from_ref(&black),
        json!({"text": "a", "x": i64::MAX, "y": i64::MIN}),
    );
    assert_eq!(away.data, out(&black).data);
}

#[test]
fn background_and_noise_make_new_images() {
    let bg = ok(
        "lib.pillow.draw.Background",
        &[],
        json!({"width": 40, "height": 30,
        "color": {"type": "color", "value": "#3366CC"}}),
    );
    assert_eq!((bg.width, bg.height, bg.bands), (40, 30, 3));
    assert!(bg.data.chunks(3).all(|p| p == [0x33, 0x66, 0xcc]));
    let named = ok(
        "lib.pillow.draw.Background",
        &[],
        json!({"width": 2, "height": 2, "color": "rgb(1, 2, 3)"}),
    );
    assert_eq!(named.px(1, 1), [1, 2, 3]);
    let bg = |props| run_image("lib.pillow.draw.Background", &[], props).unwrap_err();
    assert!(bg(json!({"width": 0})).contains("no pixels"));
    assert!(bg(json!({"width": 8000, "height": 6000})).contains("over the limit of 40 megapixels"));
    let noise = |props: Value| ok("lib.pillow.draw.GaussianNoise", &[], props);
    let a = noise(json!({"mean": 0.5, "stddev": 0.1, "width": 64, "height": 64}));
    assert_eq!((a.width, a.height, a.bands), (64, 64, 3));
    let mean = a.data.iter().map(|&v| v as f64).sum::<f64>() / a.data.len() as f64;
    assert!((mean - 127.0).abs() < 2.0, "{mean}");
    let spread =
        a.data.iter().filter(|&&v| (102..=153).contains(&v)).count() as f64 / a.data.len() as f64;
    assert!((spread - 0.68).abs() < 0.03, "{spread}");
    // Seeded by its properties: the same ones give the same noise.
    assert_eq!(
        a.data,
        noise(json!({"mean": 0.5, "stddev": 0.1, "width": 64, "height": 64})).data
    );
    assert_ne!(
        a.data,
        noise(json!({"mean": 0.5, "stddev": 0.2, "width": 64, "height": 64})).data
    );
}

#[test]
fn filters_on_simple_images() {
    let img = flat(3, 2, [10, 130, 250]);
    let run = |ty: &str, props: Value| {
        ok(
            &format!("lib.pillow.filter.{ty}"),
            std::slice::from_ref(&img),
            props,
        )
    };
    assert_eq!(run("Invert", json!({})).px(0, 0), [245, 125, 5]);
    assert_eq!(
        run("Solarize", json!({"threshold": 128})).px(0, 0),
        [10, 125, 5]
    );
    assert_eq!(
        run("Solarize", json!({"threshold": 0})).px(0, 0),
        [245, 125, 5]
    );
    assert_eq!(run("Posterize", json!({"bits": 2})).px(0, 0), [0, 128, 192]);
    assert_eq!(
        run("Posterize", json!({"bits": 8})).px(0, 0),
        [10, 130, 250]
    );
    let expanded = run("Expand", json!({"border": 2, "fill": 128}));
    assert_eq!((expanded.width, expanded.height), (7, 6));
    // An integer fill on RGB is a packed pixel: 128 is a dark red.
    assert_eq!(expanded.px(0, 0), [128, 0, 0]);
    assert_eq!(expanded.px(2, 2), [10, 130, 250]);
    assert_eq!(
        run("Expand", json!({"border": 1, "fill": 0x336699})).px(0, 0),
        [0x99, 0x66, 0x33]
    );
    let gray = run("ConvertToGrayscale", json!({}));
    assert_eq!((gray.bands, gray.px(0, 0)), (1, &[108u8][..]));
    let green = run("GetChannel", json!({"channel": "G"}));
    assert_eq!((green.bands, green.px(2, 1)), (1, &[130u8][..]));
    assert_eq!(run("Blur", json!({"radius": 0})).data, out(&img).data);
    assert_eq!(run("Blur", json!({"radius": 5})).px(1, 1), [10, 130, 250]);
    // 3x3 kernels leave images smaller than the kernel as they are.
    assert_eq!(run("Emboss", json!({})).data, out(&img).data);
    let err = |ty: &str, props| {
        run_image(
            &format!("lib.pillow.filter.{ty}"),
            std::slice::from_ref(&img),
            props,
        )
        .unwrap_err()
    };
    assert_eq!(
        err("Posterize", json!({"bits": 9})),
        "bits must be at most 8, got 9"
    );
    assert_eq!(
        err("GetChannel", json!({"channel": "A"})),
        "'A' is not a valid ChannelEnum"
    );
    assert!(err("Expand", json!({"border": 5000})).contains("megapixels"));
    assert!(err("Expand", json!({"border": -1})).contains("negative"));
}

#[test]
fn color_grading_errors_follow_python() {
    let img = sample();
    let err = |ty: &str, props| {
        run_image(
            &format!("lib.pillow.color_grading.{ty}"),
            std::slice::from_ref(&img),
            props,
        )
        .unwrap_err()
    };
    assert_eq!(
        err("LiftGammaGain", json!({"gamma_master": 0})),
        "float division by zero"
    );
    assert_eq!(
        err("Curves", json!({"midtones": -1})),
        "float division by zero"
    );
    assert_eq!(
        err("HSLAdjust", json!({"color_range": "browns"})),
        "'browns' is not a valid ColorRange"
    );
    assert_eq!(
        err("FilmLook", json!({"preset": "sepia"})),
        "'sepia' is not a valid FilmLookPreset"
    );
    let e = run_image(
        "lib.pillow.enhance.AdaptiveContrast",
        std::slice::from_ref(&img),
        json!({"grid_size": 0}),
    );
    assert!(e.unwrap_err().contains("grid_size"));
    // Equal white and black points divide by zero in numpy without raising: no panic here.
    ok(
        "lib.pillow.color_grading.Curves",
        &[img],
        json!({"black_point": 0.5, "white_point": 0.5}),
    );
}

/// A PNG that declares `width` x `height` pixels and holds none of them.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&chunk);
    png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    // The start of an image stream (a zlib header), where the decoder stops reading the header.
    let data = b"IDAT\x78\x9c";
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(data);
    png.extend_from_slice(&crc32(data).to_be_bytes());
    png
}

#[test]
fn inputs_are_refused_with_the_property_named() {
    let run = |ty: &str, images: &[Vec<u8>]| run_image(ty, images, json!({})).unwrap_err();
    assert_eq!(
        run("lib.pillow.filter.Invert", &[b"plain text".to_vec()]),
        "property 'image' is not a PNG, JPEG, WebP or GIF image"
    );
    let truncated = sample()[..40].to_vec();
    assert!(
        run("lib.pillow.filter.Invert", &[truncated])
            .starts_with("property 'image' is not a readable image")
    );
    assert!(run("lib.pillow.Blend", &[sample(), b"BM....".to_vec()]).contains("property 'image2'"));
    assert_eq!(
        run("lib.pillow.Blend", &[sample()]),
        "property 'image2' has no image"
    );
    // Refused from the header, before any pixel is decoded.
    let big = run("lib.pillow.filter.Invert", &[png_header(10_000, 5_000)]);
    assert_eq!(
        big,
        "property 'image': a 10000x5000 image is over the limit of 40 megapixels"
    );
    assert!(
        run("lib.pillow.filter.Invert", &[png_header(6_000, 6_000)])
            .starts_with("property 'image' is not a readable image")
    );
}

#[test]
fn jpeg_webp_gif_and_other_pngs_are_read_as_rgb() {
    let rgb: Vec<u8> = (0..16 * 16)
        .flat_map(|i| [(i % 16 * 16) as u8, (i / 16 * 16) as u8, 77])
        .collect();
    for kind in ["png", "jpeg", "webp", "gif"] {
        let got = ok(
            "lib.pillow.filter.Invert",
            &[encode_with(kind, 16, 16, 3, &rgb)],
            json!({}),
        );
        assert_eq!((got.width, got.height, got.bands), (16, 16, 3), "{kind}");
        let worst = got
            .data
            .iter()
            .zip(&rgb)
            .map(|(a, b)| (255 - *a as i32 - *b as i32).abs())
            .max()
            .unwrap();
        // JPEG is lossy and GIF quantizes to a palette.
        let bound = match kind {
            "jpeg" => 12,
            "gif" => 40,
            _ => 0,
        };
        assert!(worst <= bound, "{kind}: {worst}");
    }
    // An alpha band is dropped, as convert("RGB") does; gray is spread over the bands.
    let rgba = encode_with("png", 1, 1, 4, &[10, 20, 30, 0]);
    assert_eq!(
        ok("lib.pillow.filter.Invert", &[rgba], json!({})).data,
        [245, 235, 225]
    );
    let gray = encode_with("png", 1, 1, 1, &[40]);
    assert_eq!(
        ok("lib.pillow.filter.Invert", &[gray], json!({})).data,
        [215, 215, 215]
    );
}
