//! Nodes that ask a language model (`nodetool.agents.*`, `nodetool.generators.*`,
//! `anthropic.agents.ClaudeAgent`) and nodes that save into the caller's assets. What they do is
//! in `graph::effects`; here are their properties, with NodeTool's names and defaults.

use super::spec::{Behaviour, Effect, Family, Prop, Spec};
use crate::graph::value::Kind;

const TEXT_CHUNK: &[&str] = &["text", "chunk"];

const fn effect(e: Effect, props: &'static [Prop], outputs: &'static [&'static str]) -> Spec {
    Spec {
        behaviour: Behaviour::Effect(e),
        props,
        outputs,
        dynamic: false,
    }
}

const MODEL: Prop = ("model", Kind::Any, "null");
const IMAGE: Prop = ("image", Kind::Any, "null");
const AUDIO: Prop = ("audio", Kind::Any, "null");

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.agents."],
    nodes: &[
        (
            "Agent",
            effect(
                Effect::Agent,
                &[
                    MODEL,
                    ("system", Kind::Str, "\"You are a helpful assistant.\""),
                    ("prompt", Kind::Str, "\"\""),
                    ("history", Kind::List, "[]"),
                    ("max_tokens", Kind::Int, "8192"),
                    IMAGE,
                    AUDIO,
                    ("tools", Kind::List, "[]"),
                    ("thread_id", Kind::Any, "null"),
                ],
                TEXT_CHUNK,
            ),
        ),
        (
            "Summarizer",
            effect(
                Effect::Summarizer,
                &[
                    ("system_prompt", Kind::Str, "\"\""),
                    MODEL,
                    ("text", Kind::Str, "\"\""),
                    IMAGE,
                    AUDIO,
                ],
                TEXT_CHUNK,
            ),
        ),
        (
            "Extractor",
            effect(
                Effect::Extractor,
                &[
                    ("system_prompt", Kind::Str, "\"\""),
                    MODEL,
                    ("text", Kind::Str, "\"\""),
                    IMAGE,
                    AUDIO,
                ],
                &[],
            ),
        ),
        (
            "Classifier",
            effect(
                Effect::Classifier,
                &[
                    ("system_prompt", Kind::Str, "\"\""),
                    MODEL,
                    ("text", Kind::Str, "\"\""),
                    IMAGE,
                    AUDIO,
                    ("categories", Kind::List, "[]"),
                ],
                &["output"],
            ),
        ),
        (
            "ResearchAgent",
            effect(
                Effect::ResearchAgent,
                &[
                    ("objective", Kind::Str, "\"\""),
                    MODEL,
                    ("system_prompt", Kind::Str, "\"\""),
                    ("tools", Kind::List, "[]"),
                    ("max_tokens", Kind::Int, "8192"),
                ],
                &[],
            ),
        ),
    ],
};

pub(crate) const ANTHROPIC: Family = Family {
    prefixes: &["anthropic.agents."],
    nodes: &[(
        "ClaudeAgent",
        effect(
            Effect::ClaudeAgent,
            &[
                ("prompt", Kind::Str, "\"\""),
                MODEL,
                ("system_prompt", Kind::Str, "\"\""),
                ("max_turns", Kind::Int, "20"),
                (
                    "allowed_tools",
                    Kind::List,
                    "[\"Read\", \"Write\", \"Bash\"]",
                ),
                ("permission_mode", Kind::Str, "\"acceptEdits\""),
                ("use_claude_credentials", Kind::Bool, "false"),
            ],
            TEXT_CHUNK,
        ),
    )],
};

const GENERATOR: &[Prop] = &[
    MODEL,
    ("prompt", Kind::Str, "\"\""),
    ("input_text", Kind::Str, "\"\""),
    ("max_tokens", Kind::Int, "4096"),
];

pub(crate) const GENERATORS: Family = Family {
    prefixes: &["nodetool.generators."],
    nodes: &[
        (
            "ListGenerator",
            effect(Effect::ListGenerator, GENERATOR, &["item", "index"]),
        ),
        (
            "DataGenerator",
            effect(
                Effect::DataGenerator,
                &[
                    MODEL,
                    ("prompt", Kind::Str, "\"\""),
                    ("input_text", Kind::Str, "\"\""),
                    ("max_tokens", Kind::Int, "4096"),
                    (
                        "columns",
                        Kind::Any,
                        "{\"type\": \"record_type\", \"columns\": []}",
                    ),
                ],
                // `output`: the older name of the table, still used by NodeTool's examples.
                &["record", "dataframe", "index", "output"],
            ),
        ),
        (
            "ChartGenerator",
            effect(
                Effect::ChartGenerator,
                &[
                    MODEL,
                    ("prompt", Kind::Str, "\"\""),
                    (
                        "data",
                        Kind::Any,
                        "{\"type\": \"dataframe\", \"columns\": null, \"data\": null}",
                    ),
                    ("max_tokens", Kind::Int, "4096"),
                ],
                &["output"],
            ),
        ),
        (
            "StructuredOutputGenerator",
            effect(
                Effect::StructuredOutput,
                &[
                    ("system_prompt", Kind::Str, "\"\""),
                    MODEL,
                    ("instructions", Kind::Str, "\"\""),
                    ("context", Kind::Str, "\"\""),
                    ("max_tokens", Kind::Int, "4096"),
                ],
                &[],
            ),
        ),
    ],
};

pub(crate) const SAVE_JSON: Family = Family {
    prefixes: &["nodetool.dictionary."],
    nodes: &[(
        "SaveJSON",
        effect(
            Effect::SaveJson,
            &[
                ("data", Kind::Any, "{}"),
                ("folder", Kind::Str, "\"\""),
                ("name", Kind::Str, "\"%Y-%m-%d-%H-%M-%S.json\""),
                ("indent", Kind::Int, "2"),
            ],
            &["output"],
        ),
    )],
};

pub(crate) const SAVE_TEXT: Family = Family {
    prefixes: &["nodetool.text."],
    nodes: &[(
        "SaveText",
        effect(
            Effect::SaveText,
            &[
                ("text", Kind::Str, "\"\""),
                ("folder", Kind::Any, "null"),
                ("name", Kind::Str, "\"%Y-%m-%d-%H-%M-%S.txt\""),
            ],
            &["output"],
        ),
    )],
};

const IMAGE_MODEL: Prop = (
    "model",
    Kind::Any,
    "{\"type\": \"image_model\", \"provider\": \"empty\", \"id\": \"\"}",
);

pub(crate) const IMAGE_MEDIA: Family = Family {
    prefixes: &["nodetool.image."],
    nodes: &[
        (
            "ImageToImage",
            effect(
                Effect::ImageToImage,
                &[
                    IMAGE_MODEL,
                    (
                        "image",
                        Kind::Any,
                        "{\"type\": \"image\", \"uri\": \"\", \"asset_id\": null, \"data\": null}",
                    ),
                    (
                        "prompt",
                        Kind::Str,
                        "\"A photorealistic version of the input image\"",
                    ),
                    ("negative_prompt", Kind::Str, "\"\""),
                    ("strength", Kind::Float, "0.8"),
                    ("guidance_scale", Kind::Float, "7.5"),
                    ("num_inference_steps", Kind::Int, "30"),
                    ("target_width", Kind::Int, "512"),
                    ("target_height", Kind::Int, "512"),
                    ("seed", Kind::Int, "-1"),
                    ("scheduler", Kind::Str, "\"\""),
                    ("safety_check", Kind::Bool, "true"),
                    ("timeout_seconds", Kind::Int, "0"),
                ],
                &["output"],
            ),
        ),
        (
            "TextToImage",
            effect(
                Effect::TextToImage,
                &[
                    IMAGE_MODEL,
                    (
                        "prompt",
                        Kind::Str,
                        "\"A cat holding a sign that says hello world\"",
                    ),
                    ("negative_prompt", Kind::Str, "\"\""),
                    ("width", Kind::Int, "512"),
                    ("height", Kind::Int, "512"),
                    ("guidance_scale", Kind::Float, "7.5"),
                    ("num_inference_steps", Kind::Int, "30"),
                    ("seed", Kind::Int, "-1"),
                    ("safety_check", Kind::Bool, "true"),
                    ("timeout_seconds", Kind::Int, "0"),
                ],
                &["output"],
            ),
        ),
    ],
};

/// kie.ai's image models, as NodeTool's kie package names them.
pub(crate) const KIE_IMAGE: Family = Family {
    prefixes: &["kie.image."],
    nodes: &[(
        "NanoBanana",
        effect(
            Effect::KieImage("google/nano-banana"),
            &[
                ("prompt", Kind::Str, "\"\""),
                ("image_size", Kind::Str, "\"1:1\""),
            ],
            &["output"],
        ),
    )],
};

/// fal.ai's image models, as NodeTool's fal package names them.
pub(crate) const FAL_IMAGE: Family = Family {
    prefixes: &["fal.text_to_image."],
    nodes: &[(
        "NanoBanana2",
        effect(
            Effect::FalImage("fal-ai/nano-banana-2"),
            &[
                ("prompt", Kind::Str, "\"\""),
                ("aspect_ratio", Kind::Str, "\"1:1\""),
                ("resolution", Kind::Str, "\"1K\""),
                ("num_images", Kind::Int, "1"),
                ("output_format", Kind::Str, "\"png\""),
                ("seed", Kind::Int, "-1"),
            ],
            &["output"],
        ),
    )],
};

pub(crate) const SPEECH_TO_TEXT: Family = Family {
    prefixes: &["nodetool.text."],
    nodes: &[(
        "AutomaticSpeechRecognition",
        effect(
            Effect::SpeechToText,
            &[("model", Kind::Any, "null"), ("audio", Kind::Any, "null")],
            &["text"],
        ),
    )],
};

pub(crate) const TEXT_TO_SPEECH: Family = Family {
    prefixes: &["nodetool.audio."],
    nodes: &[(
        "TextToSpeech",
        effect(
            Effect::TextToSpeech,
            &[
                ("model", Kind::Any, "null"),
                (
                    "text",
                    Kind::Str,
                    "\"Hello! This is a text-to-speech demonstration.\"",
                ),
                ("speed", Kind::Float, "1.0"),
            ],
            &["audio", "chunk"],
        ),
    )],
};
