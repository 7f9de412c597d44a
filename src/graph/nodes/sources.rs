//! Where values enter and leave a graph: `nodetool.constant.*`, `nodetool.input.*`,
//! `nodetool.output.*`, NodeTool's test helpers, and the editor's own nodes.
//!
//! Constants and inputs carry one typed `value` whose default is NodeTool's own (an empty asset
//! or model reference where the Python field is one). Their other fields (name, description,
//! min, max, options, ...) are editor metadata, not inputs. The few constants that compute
//! something (Date, DateTime, ImageSize, Model3D) and `MessageDeconstructor` are operations.

use serde_json::{Map, Value, json};

use super::spec::{Behaviour, Emitted, Family, OUT, Op, Prop, Props, Spec, one, op, source};
use super::text::format_text;
use crate::graph::value::{Kind, type_name};

const fn constant(kind: Kind) -> Spec {
    source(Behaviour::Constant, kind)
}

const fn input(kind: Kind) -> Spec {
    source(Behaviour::Input, kind)
}

/// A constant or input whose `value` has a structured default (a reference or a model).
const fn valued(behaviour: Behaviour, props: &'static [Prop]) -> Spec {
    Spec {
        behaviour,
        props,
        outputs: OUT,
        dynamic: false,
    }
}

// NodeTool's empty references and models, as its editor stores them.
const IMAGE: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"image","uri":"","asset_id":null,"data":null,"metadata":null}"#,
)];
const AUDIO: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"audio","uri":"","asset_id":null,"data":null,"metadata":null}"#,
)];
const VIDEO: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"video","uri":"","asset_id":null,"data":null,"metadata":null,"duration":null,"format":null}"#,
)];
const DOCUMENT: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"document","uri":"","asset_id":null,"data":null,"metadata":null}"#,
)];
const DATAFRAME: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"dataframe","uri":"","asset_id":null,"data":null,"metadata":null,"columns":null}"#,
)];
const JSON_REF: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"json","uri":"","asset_id":null,"data":null,"metadata":null}"#,
)];
const MODEL_3D: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"model_3d","uri":"","asset_id":null,"data":null,"metadata":null,"format":null,"material_file":null,"texture_files":[]}"#,
)];
const FOLDER: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"folder","uri":"","asset_id":null,"data":null,"metadata":null}"#,
)];
const IMAGE_SIZE: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"image_size","width":1024,"height":1024,"preset":null}"#,
)];
const COLOR: &[Prop] = &[("value", Kind::Any, r#"{"type":"color","value":null}"#)];
const HF_MODEL: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"hf.model","repo_id":"","path":null,"variant":null,"allow_patterns":null,"ignore_patterns":null}"#,
)];
const LANGUAGE_MODEL: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"language_model","provider":"empty","id":"","name":"","path":null,"supported_tasks":[]}"#,
)];
const IMAGE_MODEL: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"image_model","provider":"empty","id":"","name":"","path":null,"supported_tasks":[]}"#,
)];
const VIDEO_MODEL: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"video_model","provider":"empty","id":"","name":"","path":null,"supported_tasks":[]}"#,
)];
const TTS_MODEL: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"tts_model","provider":"empty","id":"","name":"","path":null,"voices":[],"selected_voice":""}"#,
)];
const ASR_MODEL: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"asr_model","provider":"empty","id":"","name":"","path":null}"#,
)];
const EMBEDDING_MODEL: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"embedding_model","provider":"empty","id":"","name":"","dimensions":0}"#,
)];
const MESSAGE: &[Prop] = &[(
    "value",
    Kind::Any,
    r#"{"type":"message","id":null,"workflow_id":null,"graph":null,"thread_id":null,"tools":null,"tool_call_id":null,"role":"","name":null,"content":null,"tool_calls":null,"collections":null,"input_files":null,"created_at":null,"provider":null,"model":null,"agent_mode":null,"help_mode":null,"agent_execution_id":null,"execution_event_type":null,"workflow_target":null,"workflow_message_input_name":null,"workflow_messages_input_name":null}"#,
)];
/// A local path typed into a desktop file picker: kept as text, whatever arrives.
const PATH: &[Prop] = &[("value", Kind::Any, "\"\"")];

pub(crate) const OUTPUT_SPEC: Spec = Spec {
    behaviour: Behaviour::Output,
    props: &[("value", Kind::Any, "null")],
    outputs: OUT,
    // Older typed outputs and NodeTool's own graphs connect to `value`; accept any handle.
    dynamic: true,
};

pub(crate) const CONSTANT: Family = Family {
    prefixes: &["nodetool.constant."],
    nodes: &[
        // The base class of the others: NodeTool lists it, with no outputs.
        (
            "Constant",
            Spec {
                outputs: &[],
                ..constant(Kind::Any)
            },
        ),
        ("String", constant(Kind::Str)),
        ("Select", constant(Kind::Str)),
        ("Integer", constant(Kind::Int)),
        ("Float", constant(Kind::Float)),
        ("Bool", constant(Kind::Bool)),
        ("List", constant(Kind::List)),
        ("TextList", constant(Kind::List)),
        ("ImageList", constant(Kind::List)),
        ("VideoList", constant(Kind::List)),
        ("AudioList", constant(Kind::List)),
        ("Dict", constant(Kind::Dict)),
        ("JSON", valued(Behaviour::Constant, JSON_REF)),
        ("Image", valued(Behaviour::Constant, IMAGE)),
        ("Audio", valued(Behaviour::Constant, AUDIO)),
        ("Video", valued(Behaviour::Constant, VIDEO)),
        ("Document", valued(Behaviour::Constant, DOCUMENT)),
        ("DataFrame", valued(Behaviour::Constant, DATAFRAME)),
        ("Model3D", op(model_3d, MODEL_3D)),
        (
            "ImageSize",
            Spec {
                outputs: &["image_size", "width", "height"],
                ..op(image_size, IMAGE_SIZE)
            },
        ),
        (
            "Date",
            op(
                date,
                &[
                    ("year", Kind::Int, "1900"),
                    ("month", Kind::Int, "1"),
                    ("day", Kind::Int, "1"),
                ],
            ),
        ),
        (
            "DateTime",
            op(
                date_time,
                &[
                    ("year", Kind::Int, "1900"),
                    ("month", Kind::Int, "1"),
                    ("day", Kind::Int, "1"),
                    ("hour", Kind::Int, "0"),
                    ("minute", Kind::Int, "0"),
                    ("second", Kind::Int, "0"),
                    ("millisecond", Kind::Int, "0"),
                    ("tzinfo", Kind::Str, "\"UTC\""),
                    ("utc_offset", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "LanguageModelConstant",
            valued(Behaviour::Constant, LANGUAGE_MODEL),
        ),
        (
            "ImageModelConstant",
            valued(Behaviour::Constant, IMAGE_MODEL),
        ),
        (
            "VideoModelConstant",
            valued(Behaviour::Constant, VIDEO_MODEL),
        ),
        ("TTSModelConstant", valued(Behaviour::Constant, TTS_MODEL)),
        ("ASRModelConstant", valued(Behaviour::Constant, ASR_MODEL)),
        (
            "EmbeddingModelConstant",
            valued(Behaviour::Constant, EMBEDDING_MODEL),
        ),
    ],
};

pub(crate) const INPUT: Family = Family {
    prefixes: &["nodetool.input."],
    nodes: &[
        ("StringInput", input(Kind::Str)),
        ("SelectInput", input(Kind::Str)),
        ("IntegerInput", input(Kind::Int)),
        ("FloatInput", input(Kind::Float)),
        ("BooleanInput", input(Kind::Bool)),
        ("StringListInput", input(Kind::List)),
        ("TextListInput", input(Kind::List)),
        ("ImageListInput", input(Kind::List)),
        ("VideoListInput", input(Kind::List)),
        ("AudioListInput", input(Kind::List)),
        ("MessageListInput", input(Kind::List)),
        ("ImageInput", valued(Behaviour::Input, IMAGE)),
        ("AudioInput", valued(Behaviour::Input, AUDIO)),
        ("VideoInput", valued(Behaviour::Input, VIDEO)),
        ("DocumentInput", valued(Behaviour::Input, DOCUMENT)),
        ("DataframeInput", valued(Behaviour::Input, DATAFRAME)),
        ("Model3DInput", valued(Behaviour::Input, MODEL_3D)),
        ("ImageSizeInput", valued(Behaviour::Input, IMAGE_SIZE)),
        ("ColorInput", valued(Behaviour::Input, COLOR)),
        ("HuggingFaceModelInput", valued(Behaviour::Input, HF_MODEL)),
        (
            "LanguageModelInput",
            valued(Behaviour::Input, LANGUAGE_MODEL),
        ),
        ("ImageModelInput", valued(Behaviour::Input, IMAGE_MODEL)),
        ("VideoModelInput", valued(Behaviour::Input, VIDEO_MODEL)),
        ("TTSModelInput", valued(Behaviour::Input, TTS_MODEL)),
        ("ASRModelInput", valued(Behaviour::Input, ASR_MODEL)),
        (
            "EmbeddingModelInput",
            valued(Behaviour::Input, EMBEDDING_MODEL),
        ),
        ("MessageInput", valued(Behaviour::Input, MESSAGE)),
        // Desktop-only or streaming inputs: registered so graphs load; the server decides
        // whether to run them. NodeTool names some of their outputs differently (`chunk`,
        // `document`/`path`); here they emit their value on `output`.
        ("FolderPathInput", valued(Behaviour::Input, PATH)),
        ("FilePathInput", valued(Behaviour::Input, PATH)),
        ("DocumentFileInput", valued(Behaviour::Input, PATH)),
        ("AssetFolderInput", valued(Behaviour::Input, FOLDER)),
        ("RealtimeAudioInput", valued(Behaviour::Input, AUDIO)),
        (
            "MessageDeconstructor",
            Spec {
                outputs: &["id", "thread_id", "role", "text", "image", "audio", "model"],
                ..op(message_deconstructor, MESSAGE)
            },
        ),
    ],
};

pub(crate) const OUTPUT: Family = Family {
    prefixes: &["nodetool.output."],
    nodes: &[("Output", OUTPUT_SPEC)],
};

pub(crate) const TEST_HELPER: Family = Family {
    prefixes: &["nodetool.workflows.test_helper."],
    nodes: &[
        ("StringInput", input(Kind::Str)),
        ("FloatInput", input(Kind::Float)),
        ("IntInput", input(Kind::Int)),
        (
            "FormatText",
            Spec {
                behaviour: Behaviour::Op(Op(format_text)),
                props: &[
                    ("template", Kind::Str, "\"Hello, {{ text }}\""),
                    ("text", Kind::Str, "\"\""),
                ],
                outputs: OUT,
                dynamic: false,
            },
        ),
        ("StringOutput", OUTPUT_SPEC),
        ("FloatOutput", OUTPUT_SPEC),
        ("IntOutput", OUTPUT_SPEC),
    ],
};

pub(crate) const BASE_NODE: Family = Family {
    prefixes: &["nodetool.workflows.base_node."],
    nodes: &[
        (
            "Comment",
            Spec {
                behaviour: Behaviour::Ignored,
                props: &[],
                outputs: &[],
                dynamic: true,
            },
        ),
        (
            "Preview",
            Spec {
                behaviour: Behaviour::Preview,
                props: &[("value", Kind::Any, "null"), ("name", Kind::Str, "\"\"")],
                outputs: &[],
                dynamic: false,
            },
        ),
    ],
};

/// The object a structured `value` must be, or an error naming what arrived instead.
fn object_value<'a>(p: &'a Props, what: &str) -> Result<&'a Map<String, Value>, String> {
    p.dict("value").ok_or_else(|| {
        format!(
            "property 'value' must be {what}, got {}",
            type_name(p.get("value"))
        )
    })
}

/// Python's `date(year, month, day)` checks, in its order and words.
fn check_date(year: i64, month: i64, day: i64) -> Result<(), String> {
    if !(1..=9999).contains(&year) {
        return Err(format!("year {year} is out of range"));
    }
    if !(1..=12).contains(&month) {
        return Err("month must be in 1..12".into());
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days).contains(&day) {
        return Err("day is out of range for month".into());
    }
    Ok(())
}

fn date(p: &Props) -> Result<Emitted, String> {
    let (year, month, day) = (p.int("year"), p.int("month"), p.int("day"));
    check_date(year, month, day)?;
    one(json!({"type": "date", "year": year, "month": month, "day": day}))
}

/// NodeTool builds the Datetime record without validating it (only its editor bounds the
/// fields), so any integers pass; the offset arrives in minutes and leaves in seconds.
fn date_time(p: &Props) -> Result<Emitted, String> {
    let microsecond = p
        .int("millisecond")
        .checked_mul(1000)
        .ok_or("property 'millisecond' is too large")?;
    let offset = p
        .int("utc_offset")
        .checked_mul(60)
        .ok_or("property 'utc_offset' is too large")?;
    one(json!({
        "type": "datetime",
        "year": p.int("year"),
        "month": p.int("month"),
        "day": p.int("day"),
        "hour": p.int("hour"),
        "minute": p.int("minute"),
        "second": p.int("second"),
        "microsecond": microsecond,
        "tzinfo": p.str("tzinfo"),
        "utc_offset": offset as f64,
    }))
}

/// The size record and its two dimensions, missing ones at NodeTool's 1024.
fn image_size(p: &Props) -> Result<Emitted, String> {
    let size = object_value(p, "an image size object")?;
    let dim = |name: &str| match size.get(name) {
        None | Some(Value::Null) => Ok(json!(1024)),
        Some(v) if v.is_i64() => Ok(v.clone()),
        Some(v) => Err(format!(
            "image size '{name}' must be an integer, got {}",
            type_name(v)
        )),
    };
    let (width, height) = (dim("width")?, dim("height")?);
    Ok(vec![
        ("image_size", Value::Object(size.clone())),
        ("width", width),
        ("height", height),
    ])
}

/// The model reference, with `format` taken from the URI's extension when it is not set.
/// (NodeTool also looks at the stored asset's file name; this server has no asset names.)
fn model_3d(p: &Props) -> Result<Emitted, String> {
    let Some(model) = p.dict("value") else {
        // Anything else passes through, as the plain constant it used to be.
        return one(p.get("value").clone());
    };
    let mut model = model.clone();
    let has_format = model
        .get("format")
        .is_some_and(|f| f.as_str().is_some_and(|s| !s.is_empty()));
    let uri = model.get("uri").and_then(Value::as_str).unwrap_or_default();
    if !has_format && !uri.is_empty() {
        let path = uri.split('?').next().unwrap_or_default();
        if let Some(ext) = extension(path) {
            let format = ext.to_lowercase().trim_start_matches('.').to_string();
            model.insert("format".into(), Value::String(format));
        }
    }
    one(Value::Object(model))
}

/// Python's `os.path.splitext(path)[1]` (POSIX): the last dot of the last segment, unless
/// the segment's leading dots are all it has before it.
fn extension(path: &str) -> Option<&str> {
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    let dot = path.rfind('.').filter(|&d| d >= name_start)?;
    path[name_start..dot]
        .bytes()
        .any(|b| b != b'.')
        .then(|| &path[dot..])
}

/// A message's parts on their own handles, as NodeTool's MessageDeconstructor reads them.
fn message_deconstructor(p: &Props) -> Result<Emitted, String> {
    let msg = object_value(p, "a message object")?;
    let field = |name: &str| msg.get(name).cloned().unwrap_or(Value::Null);
    let (mut text, mut image, mut audio) = (String::new(), Value::Null, Value::Null);
    match msg.get("content") {
        Some(Value::String(s)) => text = s.clone(),
        Some(Value::Array(items)) => {
            // Later parts of a kind replace earlier ones, as in NodeTool.
            for item in items {
                match item.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        text = item
                            .get("text")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    }
                    Some("image_url") => image = part_ref(item, "image"),
                    Some("audio") => audio = part_ref(item, "audio"),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let provider = msg.get("provider").and_then(Value::as_str);
    let model_id = msg.get("model").and_then(Value::as_str);
    let model = match (provider, model_id) {
        (Some(provider), Some(id)) if !provider.is_empty() && !id.is_empty() => json!({
            "type": "language_model",
            "provider": provider,
            "id": id,
            "name": "",
            "path": null,
            "supported_tasks": [],
        }),
        _ => Value::Null,
    };
    let role = msg.get("role").and_then(Value::as_str).unwrap_or_default();
    Ok(vec![
        ("id", field("id")),
        ("thread_id", field("thread_id")),
        ("role", Value::String(role.to_string())),
        ("text", Value::String(text)),
        ("image", image),
        ("audio", audio),
        ("model", model),
    ])
}

/// The media reference of a message part, NodeTool's empty one when the part has none.
fn part_ref(item: &Value, kind: &str) -> Value {
    match item.get(kind) {
        Some(v) if !v.is_null() => v.clone(),
        _ => json!({"type": kind, "uri": "", "asset_id": null, "data": null, "metadata": null}),
    }
}
