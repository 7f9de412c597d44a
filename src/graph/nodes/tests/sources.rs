//! Cases for constants, inputs and outputs: NodeTool's type strings, value kinds and defaults,
//! and the constants that compute.

use serde_json::{Value, json};

use super::run;
use crate::graph::nodes::{Behaviour, Spec, prop_kind, spec};
use crate::graph::value::Kind;

/// The spec and its `value` default, parsed.
fn value_default(ty: &str) -> (Spec, Value) {
    let s = spec(ty).unwrap_or_else(|| panic!("{ty} is not registered"));
    let default = s
        .props
        .iter()
        .find(|(n, _, _)| *n == "value")
        .map(|(_, _, d)| serde_json::from_str(d).unwrap())
        .unwrap_or_else(|| panic!("{ty} has no value"));
    (s, default)
}

fn empty_ref(kind: &str) -> Value {
    json!({"type": kind, "uri": "", "asset_id": null, "data": null, "metadata": null})
}

#[test]
fn every_constant_is_registered_with_its_kind_and_default() {
    let plain = [
        ("String", Kind::Str, json!("")),
        ("Select", Kind::Str, json!("")),
        ("Integer", Kind::Int, json!(0)),
        ("Float", Kind::Float, json!(0.0)),
        ("Bool", Kind::Bool, json!(false)),
        ("List", Kind::List, json!([])),
        ("TextList", Kind::List, json!([])),
        ("ImageList", Kind::List, json!([])),
        ("VideoList", Kind::List, json!([])),
        ("AudioList", Kind::List, json!([])),
        ("Dict", Kind::Dict, json!({})),
        ("JSON", Kind::Any, empty_ref("json")),
        ("Image", Kind::Any, empty_ref("image")),
        ("Audio", Kind::Any, empty_ref("audio")),
        ("Document", Kind::Any, empty_ref("document")),
        (
            "Video",
            Kind::Any,
            json!({"type": "video", "uri": "", "asset_id": null, "data": null, "metadata": null,
                   "duration": null, "format": null}),
        ),
        (
            "DataFrame",
            Kind::Any,
            json!({"type": "dataframe", "uri": "", "asset_id": null, "data": null,
                   "metadata": null, "columns": null}),
        ),
        (
            "LanguageModelConstant",
            Kind::Any,
            json!({"type": "language_model", "provider": "empty", "id": "", "name": "",
                   "path": null, "supported_tasks": []}),
        ),
        (
            "EmbeddingModelConstant",
            Kind::Any,
            json!({"type": "embedding_model", "provider": "empty", "id": "", "name": "",
                   "dimensions": 0}),
        ),
    ];
    for (name, kind, default) in plain {
        let ty = format!("nodetool.constant.{name}");
        let (s, d) = value_default(&ty);
        assert_eq!(s.behaviour, Behaviour::Constant, "{ty}");
        assert_eq!(prop_kind(&s, "value"), Some(kind), "{ty}");
        assert_eq!(d, default, "{ty}");
        assert_eq!(s.outputs, ["output"], "{ty}");
    }
    let base = spec("nodetool.constant.Constant").unwrap();
    assert_eq!(base.behaviour, Behaviour::Constant);
    assert!(base.outputs.is_empty());
    for name in [
        "ImageModelConstant",
        "VideoModelConstant",
        "TTSModelConstant",
        "ASRModelConstant",
    ] {
        let (s, d) = value_default(&format!("nodetool.constant.{name}"));
        assert_eq!(s.behaviour, Behaviour::Constant);
        assert_eq!(d["provider"], "empty", "{name}");
    }
    // These compute their output.
    for name in ["Model3D", "ImageSize", "Date", "DateTime"] {
        let s = spec(&format!("nodetool.constant.{name}")).unwrap();
        assert!(matches!(s.behaviour, Behaviour::Op(_)), "{name}");
    }
}

#[test]
fn every_input_is_registered_with_its_kind_and_default() {
    let inputs = [
        ("StringInput", Kind::Str, json!("")),
        ("SelectInput", Kind::Str, json!("")),
        ("IntegerInput", Kind::Int, json!(0)),
        ("FloatInput", Kind::Float, json!(0.0)),
        ("BooleanInput", Kind::Bool, json!(false)),
        ("StringListInput", Kind::List, json!([])),
        ("TextListInput", Kind::List, json!([])),
        ("ImageListInput", Kind::List, json!([])),
        ("VideoListInput", Kind::List, json!([])),
        ("AudioListInput", Kind::List, json!([])),
        ("MessageListInput", Kind::List, json!([])),
        ("ImageInput", Kind::Any, empty_ref("image")),
        ("AudioInput", Kind::Any, empty_ref("audio")),
        ("DocumentInput", Kind::Any, empty_ref("document")),
        (
            "ImageSizeInput",
            Kind::Any,
            json!({"type": "image_size", "width": 1024, "height": 1024, "preset": null}),
        ),
        (
            "ColorInput",
            Kind::Any,
            json!({"type": "color", "value": null}),
        ),
        (
            "TTSModelInput",
            Kind::Any,
            json!({"type": "tts_model", "provider": "empty", "id": "", "name": "",
                   "path": null, "voices": [], "selected_voice": ""}),
        ),
        (
            "ASRModelInput",
            Kind::Any,
            json!({"type": "asr_model", "provider": "empty", "id": "", "name": "",
                   "path": null}),
        ),
        (
            "HuggingFaceModelInput",
            Kind::Any,
            json!({"type": "hf.model", "repo_id": "", "path": null, "variant": null,
                   "allow_patterns": null, "ignore_patterns": null}),
        ),
        // Desktop and streaming inputs are registered with any value.
        ("FolderPathInput", Kind::Any, json!("")),
        ("FilePathInput", Kind::Any, json!("")),
        ("DocumentFileInput", Kind::Any, json!("")),
        ("AssetFolderInput", Kind::Any, empty_ref("folder")),
        ("RealtimeAudioInput", Kind::Any, empty_ref("audio")),
    ];
    for (name, kind, default) in inputs {
        let ty = format!("nodetool.input.{name}");
        let (s, d) = value_default(&ty);
        assert_eq!(s.behaviour, Behaviour::Input, "{ty}");
        assert_eq!(prop_kind(&s, "value"), Some(kind), "{ty}");
        assert_eq!(d, default, "{ty}");
        // Name, description, min, max and options are editor metadata.
        assert_eq!(s.props.len(), 1, "{ty}");
    }
    for name in [
        "VideoInput",
        "DataframeInput",
        "Model3DInput",
        "LanguageModelInput",
        "ImageModelInput",
        "VideoModelInput",
        "EmbeddingModelInput",
        "MessageInput",
    ] {
        let (s, d) = value_default(&format!("nodetool.input.{name}"));
        assert_eq!(s.behaviour, Behaviour::Input, "{name}");
        assert!(d.is_object(), "{name}");
    }
    let families = crate::graph::nodes::catalogue();
    let count = |prefix: &str| families.iter().filter(|(p, _, _)| *p == prefix).count();
    assert_eq!(count("nodetool.constant."), 28);
    assert_eq!(count("nodetool.input."), 33);
}

#[test]
fn date_constant_checks_like_python() {
    assert_eq!(
        run("nodetool.constant.Date", json!({})),
        Ok(json!({"type": "date", "year": 1900, "month": 1, "day": 1}))
    );
    assert_eq!(
        run(
            "nodetool.constant.Date",
            json!({"year": 2024, "month": 2, "day": 29})
        ),
        Ok(json!({"type": "date", "year": 2024, "month": 2, "day": 29}))
    );
    assert_eq!(
        run(
            "nodetool.constant.Date",
            json!({"year": 2023, "month": 2, "day": 29})
        ),
        Err("day is out of range for month".into())
    );
    assert_eq!(
        run("nodetool.constant.Date", json!({"year": 0})),
        Err("year 0 is out of range".into())
    );
    assert_eq!(
        run("nodetool.constant.Date", json!({"month": 13})),
        Err("month must be in 1..12".into())
    );
}

#[test]
fn date_time_constant_builds_the_record() {
    assert_eq!(
        run(
            "nodetool.constant.DateTime",
            json!({"year": 2024, "month": 5, "day": 6, "hour": 7, "minute": 8, "second": 9,
                   "millisecond": 250, "tzinfo": "CET", "utc_offset": 60})
        ),
        Ok(json!({
            "type": "datetime", "year": 2024, "month": 5, "day": 6, "hour": 7, "minute": 8,
            "second": 9, "microsecond": 250_000, "tzinfo": "CET", "utc_offset": 3600.0,
        }))
    );
    assert_eq!(
        run("nodetool.constant.DateTime", json!({})).map(|v| v["utc_offset"].clone()),
        Ok(json!(0.0))
    );
    assert_eq!(
        run(
            "nodetool.constant.DateTime",
            json!({"millisecond": i64::MAX})
        ),
        Err("property 'millisecond' is too large".into())
    );
}

#[test]
fn image_size_constant_splits_its_dimensions() {
    assert_eq!(
        run("nodetool.constant.ImageSize", json!({})),
        Ok(json!({
            "image_size": {"type": "image_size", "width": 1024, "height": 1024, "preset": null},
            "width": 1024,
            "height": 1024,
        }))
    );
    assert_eq!(
        run(
            "nodetool.constant.ImageSize",
            json!({"value": {"type": "image_size", "width": 640}})
        ),
        Ok(json!({
            "image_size": {"type": "image_size", "width": 640},
            "width": 640,
            "height": 1024,
        }))
    );
    assert_eq!(
        run("nodetool.constant.ImageSize", json!({"value": "big"})),
        Err("property 'value' must be an image size object, got string".into())
    );
}

#[test]
fn model_3d_constant_takes_its_format_from_the_uri() {
    let model = |v: Value| run("nodetool.constant.Model3D", json!({"value": v}));
    assert_eq!(
        model(json!({"type": "model_3d", "uri": "https://x.org/m/Robot.GLB?v=2"}))
            .map(|m| m["format"].clone()),
        Ok(json!("glb"))
    );
    assert_eq!(
        model(json!({"type": "model_3d", "uri": "https://x.org/m/robot.obj", "format": "stl"}))
            .map(|m| m["format"].clone()),
        Ok(json!("stl"))
    );
    // A leading dot names a hidden file, not an extension.
    assert_eq!(
        model(json!({"type": "model_3d", "uri": "/m/.hidden"})).map(|m| m.get("format").cloned()),
        Ok(None)
    );
    assert_eq!(
        run("nodetool.constant.Model3D", json!({})).map(|m| m["format"].clone()),
        Ok(Value::Null)
    );
}

#[test]
fn message_deconstructor_splits_a_message() {
    let message = json!({
        "type": "message",
        "id": "m1",
        "thread_id": "t1",
        "role": "user",
        "provider": "openai",
        "model": "gpt-4o",
        "content": [
            {"type": "text", "text": "first"},
            {"type": "image_url", "image": {"type": "image", "uri": "http://x/i.png"}},
            {"type": "text", "text": "last"},
            {"type": "audio"},
        ],
    });
    assert_eq!(
        run(
            "nodetool.input.MessageDeconstructor",
            json!({"value": message})
        ),
        Ok(json!({
            "id": "m1",
            "thread_id": "t1",
            "role": "user",
            "text": "last",
            "image": {"type": "image", "uri": "http://x/i.png"},
            "audio": empty_ref("audio"),
            "model": {"type": "language_model", "provider": "openai", "id": "gpt-4o",
                      "name": "", "path": null, "supported_tasks": []},
        }))
    );
    assert_eq!(
        run(
            "nodetool.input.MessageDeconstructor",
            json!({"value": {"role": "assistant", "content": "hi", "model": "m"}})
        ),
        Ok(json!({
            "id": null, "thread_id": null, "role": "assistant", "text": "hi",
            "image": null, "audio": null, "model": null,
        }))
    );
    assert_eq!(
        run("nodetool.input.MessageDeconstructor", json!({})).map(|v| v["role"].clone()),
        Ok(json!(""))
    );
    assert_eq!(
        run("nodetool.input.MessageDeconstructor", json!({"value": 3})),
        Err("property 'value' must be a message object, got integer".into())
    );
}

#[test]
fn outputs_and_helpers_keep_their_behaviour() {
    assert_eq!(
        spec("nodetool.output.Output").map(|s| s.behaviour),
        Some(Behaviour::Output)
    );
    assert_eq!(
        spec("nodetool.workflows.test_helper.IntInput").map(|s| s.behaviour),
        Some(Behaviour::Input)
    );
    assert_eq!(
        run(
            "nodetool.workflows.test_helper.FormatText",
            json!({"text": "you"})
        ),
        Ok(json!("Hello, you"))
    );
}
