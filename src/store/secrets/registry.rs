//! The secret keys NodeTool lets a user configure (reference 5.3, `config/settings.py`).

pub const REGISTRY: &[&str] = &[
    "TRACELOOP_API_KEY",
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "ANTHROPIC_API_KEY",
    "CEREBRAS_API_KEY",
    "TOGETHER_API_KEY",
    "GROQ_API_KEY",
    "ZHIPU_API_KEY",
    "MISTRAL_API_KEY",
    "MINIMAX_API_KEY",
    "GEMINI_API_KEY",
    "HF_TOKEN",
    "LLAMA_API_KEY",
    "REPLICATE_API_TOKEN",
    "AIME_API_KEY",
    "GOOGLE_MAIL_USER",
    "GOOGLE_APP_PASSWORD",
    "ELEVENLABS_API_KEY",
    "FAL_API_KEY",
    "SERPAPI_API_KEY",
    "APIFY_API_KEY",
    "BROWSER_URL",
    "RUNPOD_API_KEY",
    "RUNPOD_COMFYUI_ENDPOINT_ID",
    "NODE_SUPABASE_KEY",
    "DATA_FOR_SEO_LOGIN",
    "DATA_FOR_SEO_PASSWORD",
    "KIE_API_KEY",
    "MESHY_API_KEY",
    "RODIN_API_KEY",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "SERVER_AUTH_TOKEN",
];

pub fn is_registered(key: &str) -> bool {
    REGISTRY.contains(&key)
}
