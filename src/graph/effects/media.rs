//! Nodes that make or read media through a provider: `nodetool.image.TextToImage`,
//! `nodetool.text.AutomaticSpeechRecognition` and `nodetool.audio.TextToSpeech`. What they make is
//! stored in the caller's assets and passed on as NodeTool's references
//! (`{"type": "image", "uri", "asset_id"}`), which `/storage` serves.

use serde_json::{Value, json};

use super::{Call, Effects, Media, Outputs};
use crate::graph::nodes::ImageNode;

/// `{"provider", "id"}` of an image, ASR or TTS model; an empty provider is the server's
/// OpenAI-compatible one.
fn model(call: &Call<'_>, default: &str) -> (String, String) {
    let m = call.get("model");
    let provider = m.get("provider").and_then(Value::as_str).unwrap_or("");
    let provider = if provider == "empty" { "" } else { provider };
    let id = m
        .get("id")
        .and_then(Value::as_str)
        .filter(|i| !i.is_empty())
        .unwrap_or(default);
    (provider.to_string(), id.to_string())
}

/// Whether a media reference points at anything.
pub fn is_set(r: &Value) -> bool {
    let filled = |k: &str| {
        r.get(k)
            .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    };
    filled("uri") || filled("asset_id") || filled("data")
}

fn reference(kind: &str, saved: &Value) -> Value {
    json!({"type": kind, "uri": saved["uri"], "asset_id": saved["asset_id"], "data": null})
}

pub async fn text_to_image<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let (provider, model) = model(call, "gpt-image-1");
    let prompt = prompt(call)?;
    let size = |k: &str| call.get(k).as_i64().unwrap_or(512).clamp(64, 4096);
    let image = fx
        .media(
            &provider,
            Media::Image {
                model,
                prompt: prompt.to_string(),
                width: size("width"),
                height: size("height"),
            },
        )
        .await?;
    let saved = fx.save_asset("image.png", "image/png", image).await?;
    Ok(vec![("output".into(), reference("image", &saved))])
}

/// `kie.image.*`: the task goes to kie.ai, which answers with a URL of the image once done.
pub async fn kie_image<E: Effects>(
    model: &str,
    call: &Call<'_>,
    fx: &E,
) -> Result<Outputs, String> {
    let prompt = prompt(call)?;
    let input = json!({"prompt": prompt, "output_format": "png",
                       "image_size": or_default(call.str("image_size"), "1:1")});
    task_image("kie", model, input, "png", fx).await
}

/// `fal.text_to_image.*`: the request goes to fal.ai's queue, which answers with the image's
/// URL once done. Like NodeTool's node, it asks for `num_images` and passes on the first.
pub async fn fal_image<E: Effects>(
    model: &str,
    call: &Call<'_>,
    fx: &E,
) -> Result<Outputs, String> {
    let prompt = prompt(call)?;
    let format = match call.str("output_format") {
        "" | "png" => "png",
        f @ ("jpeg" | "webp") => f,
        other => {
            return Err(format!(
                "property 'output_format' is '{other}'; fal.ai makes png, jpeg or webp"
            ));
        }
    };
    let mut input = json!({
        "prompt": prompt,
        "aspect_ratio": or_default(call.str("aspect_ratio"), "1:1"),
        "resolution": or_default(call.str("resolution"), "1K"),
        "num_images": call.get("num_images").as_i64().unwrap_or(1).clamp(1, 4),
        "output_format": format,
    });
    // A negative seed is NodeTool's "random": fal.ai picks one when none is sent.
    if let Some(seed) = call.get("seed").as_i64().filter(|s| *s >= 0) {
        input["seed"] = json!(seed);
    }
    task_image("fal", model, input, format, fx).await
}

/// A task-queue provider's image (`format` is its file extension), kept as the caller's asset.
async fn task_image<E: Effects>(
    service: &str,
    model: &str,
    input: Value,
    format: &str,
    fx: &E,
) -> Result<Outputs, String> {
    let task = Media::Task {
        model: model.to_string(),
        input,
    };
    let image = fx.media(service, task).await?;
    let saved = fx
        .save_asset(
            &format!("image.{format}"),
            &format!("image/{format}"),
            image,
        )
        .await?;
    Ok(vec![("output".into(), reference("image", &saved))])
}

/// The node's `prompt`, which must say something.
fn prompt<'c>(call: &'c Call<'_>) -> Result<&'c str, String> {
    let prompt = call.str("prompt");
    if prompt.trim().is_empty() {
        return Err("property 'prompt' is empty".into());
    }
    Ok(prompt)
}

fn or_default<'v>(value: &'v str, default: &'v str) -> &'v str {
    if value.is_empty() { default } else { value }
}

pub async fn image_to_image<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let image = call.get("image");
    if !is_set(image) {
        return Err("property 'image' is not set".into());
    }
    let (bytes, content_type) = fx.read_media(image).await?;
    let (provider, model) = model(call, "gpt-image-1");
    let size = |k: &str| call.get(k).as_i64().unwrap_or(512).clamp(64, 4096);
    let edited = fx
        .media(
            &provider,
            Media::ImageEdit {
                model,
                prompt: call.str("prompt").to_string(),
                image: bytes,
                content_type,
                width: size("target_width"),
                height: size("target_height"),
            },
        )
        .await?;
    let saved = fx.save_asset("image.png", "image/png", edited).await?;
    Ok(vec![("output".into(), reference("image", &saved))])
}

pub async fn speech_to_text<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let audio = call.get("audio");
    if !is_set(audio) {
        return Err("property 'audio' is not set".into());
    }
    let (bytes, content_type) = fx.read_media(audio).await?;
    let (provider, model) = model(call, "whisper-1");
    let answer = fx
        .media(
            &provider,
            Media::Transcription {
                model,
                audio: bytes,
                content_type,
            },
        )
        .await?;
    let text = String::from_utf8(answer).map_err(|_| "the transcription is not text")?;
    Ok(vec![("text".into(), Value::String(text))])
}

pub async fn text_to_speech<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let text = call.str("text");
    if text.trim().is_empty() {
        return Err("property 'text' is empty".into());
    }
    let (provider, model) = model(call, "tts-1");
    let voice = call
        .get("model")
        .get("voice")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .unwrap_or("alloy")
        .to_string();
    let audio = fx
        .media(
            &provider,
            Media::Speech {
                model,
                voice,
                text: text.to_string(),
                speed: call.get("speed").as_f64().unwrap_or(1.0).clamp(0.25, 4.0),
            },
        )
        .await?;
    let saved = fx.save_asset("speech.mp3", "audio/mpeg", audio).await?;
    let chunk = json!({"type": "chunk", "node_id": call.node_id, "content_type": "audio",
                       "content": "", "done": true});
    Ok(vec![
        ("chunk".into(), chunk),
        ("audio".into(), reference("audio", &saved)),
    ])
}

/// Reads the images `node.inputs` name, runs the computation, and saves its PNG.
pub async fn image<E: Effects>(
    node: ImageNode,
    call: &Call<'_>,
    fx: &E,
) -> Result<Outputs, String> {
    let mut images = Vec::new();
    for prop in node.inputs {
        let refs: Vec<&Value> = match call.get(prop) {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for r in refs {
            if !is_set(r) {
                return Err(format!("property '{prop}' has no image"));
            }
            images.push(fx.read_media(r).await?.0);
        }
    }
    let png = (node.run)(&images, call.values)?;
    let saved = fx.save_asset("image.png", "image/png", png).await?;
    Ok(vec![("output".into(), reference("image", &saved))])
}
