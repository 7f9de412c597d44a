//! Why a node type does not run on this server. A workflow that uses one is still saved (NodeTool's
//! CLI syncs whole projects), but a run is refused up front naming every such type, so a user
//! learns all of it at once instead of one failed run at a time.

/// Namespaces whose nodes need something a server in a sandbox does not have, most specific
/// first, with the reason shown to the user.
const CANNOT: &[(&str, &str)] = &[
    (
        "nodetool.input.FolderPathInput",
        "reads the server's file system",
    ),
    (
        "nodetool.input.FilePathInput",
        "reads the server's file system",
    ),
    (
        "nodetool.input.DocumentFileInput",
        "reads the server's file system",
    ),
    (
        "nodetool.input.RealtimeAudioInput",
        "needs a realtime audio stream",
    ),
    (
        "nodetool.image.LoadImageFolder",
        "reads the server's file system",
    ),
    (
        "lib.http.DownloadFiles",
        "writes into a folder of the server's file system",
    ),
    (
        "openai.agents.RealtimeAgent",
        "needs a realtime audio stream",
    ),
    (
        "nodetool.workspace.",
        "reads or writes the server's file system",
    ),
    ("lib.os.", "reads or writes the server's file system"),
    ("nodetool.code.", "runs code on the server"),
    ("lib.shell", "runs shell commands on the server"),
    ("lib.browser.", "needs a web browser"),
    ("lib.playwright.", "needs a web browser"),
    (
        "nodetool.video.",
        "processes video, which this server does not do",
    ),
    (
        "lib.ytdlp.",
        "downloads video, which this server does not do",
    ),
    (
        "huggingface.",
        "runs a local model, which this server does not host",
    ),
    (
        "mlx.",
        "runs a local model, which this server does not host",
    ),
    (
        "comfy.",
        "runs a local model, which this server does not host",
    ),
    ("vector.", "needs a local vector database"),
    ("lib.sqlite.", "needs a local SQLite database file"),
    ("lib.mail.", "needs a mail account"),
    ("lib.pymupdf.", "needs a native PDF library"),
    ("lib.pdfplumber.", "needs a native PDF library"),
    (
        "lib.ocr.",
        "runs a local model, which this server does not host",
    ),
];

/// The reason `ty` cannot run here.
pub fn reason(ty: &str) -> &'static str {
    CANNOT
        .iter()
        .find(|(prefix, _)| ty.starts_with(prefix))
        .map(|(_, why)| *why)
        .unwrap_or("is not implemented on this server")
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn a_node_that_writes_files_says_so_and_an_unknown_one_is_unimplemented() {
        // NodeTool's DownloadFiles saves each URL into a local folder.
        assert_eq!(
            reason("lib.http.DownloadFiles"),
            "writes into a folder of the server's file system"
        );
        assert_eq!(
            reason("lib.http.GetRequestDocument"),
            "is not implemented on this server"
        );
    }
}
