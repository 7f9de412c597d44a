//! Cases for `lib.markdown.*` and `lib.beautifulsoup.*`. The expected values are what
//! NodeTool's Python nodes (BeautifulSoup 4 over Python 3.11's `html.parser`) return.

use serde_json::{Value, json};

use super::{emitted, run};

/// The values emitted on one handle.
fn on(ty: &str, props: Value, handle: &str) -> Result<Vec<Value>, String> {
    Ok(emitted(ty, props)?
        .into_iter()
        .filter(|(h, _)| h == handle)
        .map(|(_, v)| v)
        .collect())
}

/// The URIs of the media references a node streams.
fn uris(ty: &str, html: &str, base: &str, handle: &str) -> Result<Vec<String>, String> {
    let refs = on(ty, json!({"html": html, "base_url": base}), handle)?;
    Ok(refs
        .iter()
        .map(|r| {
            assert_eq!(r["type"], handle);
            r["uri"].as_str().unwrap().to_string()
        })
        .collect())
}

const PAGE: &str = r#"<!DOCTYPE html><html><head><title>News &amp; Notes</title>
<meta name="description" content="Daily &quot;notes&quot;">
<style>body { color: red }</style><script>var x = "<p>not text</p>";</script></head>
<body><header><a href="/">Home</a></header>
<nav><a href="/about">About</a></nav>
<article><h1>Big&nbsp;news</h1><p>First line<br>second   line</p>
<p>See <a href="https://other.org/x">the <b>source</b></a> &#150; or <a href="/local">here</a>.</p>
<ul><li>one</li><li>two</li></ul><footer>foot</footer></article>
<!-- a comment --></body></html>"#;

#[test]
fn markdown_links() {
    let md = "See [NodeTool](https://nodetool.ai) and <https://x.y/z>, [empty]() [a](b and [x] (y) [t](u)";
    assert_eq!(
        run("lib.markdown.ExtractLinks", json!({"markdown": md})),
        Ok(json!([
            {"url": "https://nodetool.ai", "title": "NodeTool"},
            {"url": "https://x.y/z", "title": ""},
            {"url": "b and [x] (y", "title": "a"},
            {"url": "u", "title": "t"},
        ]))
    );
    assert_eq!(
        run(
            "lib.markdown.ExtractLinks",
            json!({"markdown": "[a](b) <c>", "include_titles": false})
        ),
        Ok(json!([{"url": "b", "title": ""}, {"url": "c", "title": ""}]))
    );
    assert_eq!(run("lib.markdown.ExtractLinks", json!({})), Ok(json!([])));
    // Not the HTML node of the same name.
    assert_eq!(
        run(
            "lib.markdown.ExtractLinks",
            json!({"markdown": "<a href='x'>"})
        ),
        Ok(json!([{"url": "a href='x'", "title": ""}]))
    );
}

#[test]
fn markdown_headers() {
    let md = "# Title\n## Sub  \n####### seven\n#nospace\n###   \n  # indented\n### Deep\n#\tTab";
    assert_eq!(
        run(
            "lib.markdown.ExtractHeaders",
            json!({"markdown": md, "max_level": 2})
        ),
        Ok(json!([
            {"level": 1, "text": "Title", "index": 0},
            {"level": 2, "text": "Sub", "index": 1},
            {"level": 1, "text": "Tab", "index": 2},
        ]))
    );
    // A marker followed by spaces only is a header with empty text.
    assert_eq!(
        run("lib.markdown.ExtractHeaders", json!({"markdown": md})),
        Ok(json!([
            {"level": 1, "text": "Title", "index": 0},
            {"level": 2, "text": "Sub", "index": 1},
            {"level": 3, "text": "", "index": 2},
            {"level": 3, "text": "Deep", "index": 3},
            {"level": 1, "text": "Tab", "index": 4},
        ]))
    );
    assert_eq!(
        run(
            "lib.markdown.ExtractHeaders",
            json!({"markdown": "# a", "max_level": 0})
        ),
        Ok(json!([]))
    );
}

#[test]
fn markdown_lists() {
    assert_eq!(
        run(
            "lib.markdown.ExtractBulletLists",
            json!({"markdown": "- a\n* b\n+  c  \ntext\n  - d\n-e\n- "})
        ),
        Ok(json!([
            [{"text": "a"}, {"text": "b"}, {"text": "c"}],
            [{"text": "d"}],
        ]))
    );
    // Any Unicode decimal digits number an item, as Python's `\d` has it.
    assert_eq!(
        run(
            "lib.markdown.ExtractNumberedLists",
            json!({"markdown": "1. one\n2.  two\nx\n\u{661}\u{662}. arabic\n3.no\n10. ten"})
        ),
        Ok(json!([["one", "two"], ["arabic"], ["ten"]]))
    );
    assert_eq!(
        run("lib.markdown.ExtractNumberedLists", json!({"markdown": ""})),
        Ok(json!([]))
    );
}

#[test]
fn markdown_code_blocks() {
    let md = "```python\nprint(1)\n```\ntext\n```\n  x  \n```\n```bad lang\nno\n```\n```\n\n```";
    assert_eq!(
        run("lib.markdown.ExtractCodeBlocks", json!({"markdown": md})),
        Ok(json!([
            {"language": "python", "code": "print(1)"},
            {"language": "text", "code": "x"},
            {"language": "text", "code": "```"},
        ]))
    );
    assert_eq!(
        run(
            "lib.markdown.ExtractCodeBlocks",
            json!({"markdown": "```rust\nfn main() {}"})
        ),
        Ok(json!([]))
    );
}

#[test]
fn markdown_tables() {
    let md = "intro\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 |\n|x\nafter\n| c | d |\n|-|-|\n|5|6|";
    assert_eq!(
        run("lib.markdown.ExtractTables", json!({"markdown": md})),
        Ok(json!({
            "type": "dataframe",
            "uri": "",
            "asset_id": null,
            "columns": [
                {"name": "a", "data_type": "string", "description": ""},
                {"name": "b", "data_type": "string", "description": ""},
            ],
            "data": [["1", "2"], ["3"]],
        }))
    );
    // A header and a separator without rows is no table.
    assert_eq!(
        run(
            "lib.markdown.ExtractTables",
            json!({"markdown": "| a | b |\n|---|---|"})
        ),
        Ok(json!({"type": "dataframe", "uri": "", "asset_id": null, "columns": [], "data": []}))
    );
}

#[test]
fn markdown_lists_are_bounded() {
    let many = "<x>".repeat(100_001);
    assert_eq!(
        run("lib.markdown.ExtractLinks", json!({"markdown": many})),
        Err("the result would have more than 100000 items".into())
    );
}

#[test]
fn html_to_text_keeps_line_structure() {
    assert_eq!(
        run("lib.beautifulsoup.HTMLToText", json!({"text": PAGE})),
        Ok(json!(
            "News & Notes\n\nHome\nAbout\nBig\u{a0}news\nFirst line\nsecond line\n\nSee the source \u{2013} or here.\n\none\ntwo\nfoot"
        ))
    );
    assert_eq!(
        run(
            "lib.beautifulsoup.HTMLToText",
            json!({"text": PAGE, "preserve_linebreaks": false})
        ),
        Ok(json!(
            "News & Notes\n\nHome\nAbout\nBig\u{a0}newsFirst linesecond line\nSee the source \u{2013} or here.\nonetwofoot"
        ))
    );
    assert_eq!(
        run(
            "lib.beautifulsoup.HTMLToText",
            json!({"text": "<p>a</p>\n\n\n<p>b</p>   c"})
        ),
        Ok(json!("a\n\nb\n c"))
    );
    assert_eq!(
        run("lib.beautifulsoup.HTMLToText", json!({})),
        Ok(json!(""))
    );
}

#[test]
fn html_text_decodes_like_beautifulsoup() {
    let text = |html: &str| run("lib.beautifulsoup.HTMLToText", json!({"text": html}));
    // Numeric references use Windows-1252 for 128..159 and U+FFFD for 0; unknown names stay,
    // losing their `;`; a name at the very end is not decoded.
    assert_eq!(
        text("a &#150; &#0; &#x1F600; &foo; &copy &amp"),
        Ok(json!("a \u{2013} \u{fffd} \u{1f600} &foo \u{a9} &amp"))
    );
    assert_eq!(
        text("<a title='x'>&lt;tag&gt;</a><![CDATA[cd]]><!--c--><?pi?>"),
        Ok(json!("<tag>cd"))
    );
    // Whitespace-only strings shrink to one character except inside <pre>.
    assert_eq!(text("<pre>\n  \n</pre><p>  </p>x"), Ok(json!("x")));
    // The text of template, rt and rp elements is not the page's text.
    assert_eq!(
        text("<template><p>t</p></template><ruby>k<rt>r</rt><rp>(</rp></ruby>"),
        Ok(json!("k"))
    );
    // An unclosed quote turns the tag into text up to the next `>`.
    assert_eq!(text("<a href='x>y</a>"), Ok(json!("<a href='x>y")));
    // A second malformed `&#` leaves the rest of the page as text, as Python's parser does.
    assert_eq!(
        text("a &#abc; <b>x</b> &#zz; <i>y</i>"),
        Ok(json!("a &#abc; x &#zz; <i>y</i>"))
    );
}

#[test]
fn html_parser_rejections_are_pythons() {
    let prefix = "The markup you provided was rejected by the parser. Trying a different parser or \
                  a different encoding may help.\n\nOriginal exception(s) from parser:\n \
                  AssertionError: ";
    assert_eq!(
        run("lib.beautifulsoup.HTMLToText", json!({"text": "x<![ foo"})),
        Err(format!("{prefix}expected name token at '<![ foo'"))
    );
    assert_eq!(
        run(
            "lib.beautifulsoup.HTMLToText",
            json!({"text": "<![xyz[a]]>b"})
        ),
        Err(format!(
            "{prefix}unknown status keyword 'xyz' in marked section"
        ))
    );
}

#[test]
fn html_links_stream_per_link() {
    let out = emitted(
        "lib.beautifulsoup.ExtractLinks",
        json!({"html": PAGE, "base_url": "https://news.example"}),
    );
    let expected = [
        ("/", "Home", "internal"),
        ("/about", "About", "internal"),
        ("https://other.org/x", "the source", "external"),
        ("/local", "here", "internal"),
    ];
    let expected: Vec<(String, Value)> = expected
        .iter()
        .flat_map(|(h, t, k)| {
            [
                ("href".to_string(), json!(h)),
                ("text".to_string(), json!(t)),
                ("type".to_string(), json!(k)),
            ]
        })
        .collect();
    assert_eq!(out, Ok(expected));
    // Attribute values are unescaped like html.unescape; the last of a repeated attribute
    // wins; an empty href still counts; with no base URL every link is internal.
    let html = "<a href='/p?a=1&amp;b=2&copy=3&notit;'>x</a><a href=\"q\" href='r'>dup</a>\
                <a>no href</a><a href=''> </a><A HREF=\"UP\">Up</A>";
    assert_eq!(
        on(
            "lib.beautifulsoup.ExtractLinks",
            json!({"html": html}),
            "href"
        ),
        Ok(vec![
            json!("/p?a=1&b=2\u{a9}=3\u{ac}it;"),
            json!("r"),
            json!(""),
            json!("UP")
        ])
    );
    assert_eq!(
        on(
            "lib.beautifulsoup.ExtractLinks",
            json!({"html": html}),
            "type"
        ),
        Ok(vec![json!("internal"); 4])
    );
    assert_eq!(
        emitted(
            "lib.beautifulsoup.ExtractLinks",
            json!({"html": "<p>none</p>"})
        ),
        Ok(vec![])
    );
}

#[test]
fn html_metadata() {
    assert_eq!(
        run("lib.beautifulsoup.ExtractMetadata", json!({"html": PAGE})),
        Ok(json!({"title": "News & Notes", "description": "Daily \"notes\"", "keywords": null}))
    );
    let meta = |html: &str| run("lib.beautifulsoup.ExtractMetadata", json!({"html": html}));
    // `.string` needs a single child, looking through one element.
    assert_eq!(
        meta("<title><b>x</b> y</title>").map(|m| m["title"].clone()),
        Ok(Value::Null)
    );
    assert_eq!(
        meta("<title><b>only</b></title>").map(|m| m["title"].clone()),
        Ok(json!("only"))
    );
    assert_eq!(
        meta("<title>  </title>").map(|m| m["title"].clone()),
        Ok(json!(" "))
    );
    assert_eq!(
        meta("<meta name=keywords content='a,b'><title>t</title><title>u</title>"),
        Ok(json!({"title": "t", "description": null, "keywords": "a,b"}))
    );
    // Python's KeyError for a meta tag without content.
    assert_eq!(meta("<meta name='description'>"), Err("'content'".into()));
}

#[test]
fn html_images_resolve_against_the_base() {
    assert_eq!(
        uris(
            "lib.beautifulsoup.ExtractImages",
            "<img src='a.png'><img><img src='/b.jpg'><IMG SRC='//cdn.x/c.gif'>",
            "https://site.org/dir/page.html",
            "image"
        ),
        // NodeTool repeats the previous URL for an <img> without a src.
        Ok(vec![
            "https://site.org/dir/a.png".to_string(),
            "https://site.org/dir/a.png".into(),
            "https://site.org/b.jpg".into(),
            "https://cdn.x/c.gif".into(),
        ])
    );
    assert_eq!(
        uris(
            "lib.beautifulsoup.ExtractImages",
            "<img><img src=a>",
            "",
            "image"
        ),
        Err(
            "cannot access local variable 'full_url' where it is not associated with a value"
                .into()
        )
    );
    assert_eq!(
        on(
            "lib.beautifulsoup.ExtractImages",
            json!({"html": "<img src=x.png>"}),
            "image"
        ),
        Ok(vec![json!({
            "type": "image", "uri": "x.png", "asset_id": null, "data": null, "metadata": null
        })])
    );
}

#[test]
fn html_videos_and_audio() {
    let videos = "<video src='v.mp4'></video><video><source src='s.webm'></video><video></video>\
                  <iframe src='https://yt/embed'></iframe><iframe></iframe>";
    assert_eq!(
        uris(
            "lib.beautifulsoup.ExtractVideos",
            videos,
            "http://h/a/",
            "video"
        ),
        Ok(vec![
            "http://h/a/v.mp4".to_string(),
            "http://h/a/s.webm".into(),
            "https://yt/embed".into(),
        ])
    );
    assert_eq!(
        on(
            "lib.beautifulsoup.ExtractVideos",
            json!({"html": "<video src=v>"}),
            "video"
        )
        .map(|v| v[0]["duration"].clone()),
        Ok(Value::Null)
    );
    // Every <source> counts as audio, a video's too.
    let audio = "<audio src='a.mp3'></audio><audio><source src='b.ogg'></audio>\
                 <video><source src='c.mp4'></video><source>";
    assert_eq!(
        uris(
            "lib.beautifulsoup.ExtractAudio",
            audio,
            "http://h/a/b",
            "audio"
        ),
        Ok(vec![
            "http://h/a/a.mp3".to_string(),
            "http://h/a/b.ogg".into(),
            "http://h/a/c.mp4".into(),
        ])
    );
}

#[test]
fn urls_join_like_urllib() {
    let join = |base: &str, src: &str| {
        uris(
            "lib.beautifulsoup.ExtractAudio",
            &format!("<source src=\"{src}\">"),
            base,
            "audio",
        )
        .map(|u| u.join(" "))
    };
    let base = "http://a/b/c/d;p?q";
    for (src, want) in [
        ("g", "http://a/b/c/g"),
        ("../../g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("../../../g", "http://a/g"),
        ("g;x=1/../y", "http://a/b/c/y"),
        (".", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("mailto:x@y", "mailto:x@y"),
    ] {
        assert_eq!(join(base, src), Ok(want.to_string()), "{src}");
    }
    assert_eq!(join("https://a/b", "http:g"), Ok("http:g".into()));
    assert_eq!(join("", "rel"), Ok("rel".into()));
    assert_eq!(join("http://[::1/", "x"), Err("Invalid IPv6 URL".into()));
}

#[test]
fn base_url() {
    let base = |url: &str| run("lib.beautifulsoup.BaseUrl", json!({"url": url}));
    assert_eq!(
        base("https://www.example.com:8080/path/page?q=1#f"),
        Ok(json!("https://www.example.com:8080"))
    );
    assert_eq!(base("HTTP://Host.COM"), Ok(json!("http://Host.COM")));
    assert_eq!(base("  https://trim.me/x"), Ok(json!("https://trim.me")));
    assert_eq!(base("http://[::1]:80/"), Ok(json!("http://[::1]:80")));
    // urlparse finds no scheme or host here, and NodeTool joins the empty parts.
    assert_eq!(base("example.com/x"), Ok(json!("://")));
    assert_eq!(base("mailto:someone@x.org"), Ok(json!("mailto://")));
    assert_eq!(base("//cdn.example/lib.js"), Ok(json!("://cdn.example")));
    assert_eq!(base(""), Err("URL must not be empty".into()));
    assert_eq!(base("http://[::1/"), Err("Invalid IPv6 URL".into()));
    assert_eq!(
        base("http://[1.2.3.4]/"),
        Err("An IPv4 address cannot be in brackets".into())
    );
    assert_eq!(
        base("http://[nothost]/"),
        Err("'nothost' does not appear to be an IPv4 or IPv6 address".into())
    );
}

#[test]
fn website_content() {
    let content = |html: &str| {
        run(
            "lib.beautifulsoup.WebsiteContentExtractor",
            json!({"html_content": html}),
        )
    };
    assert_eq!(
        content(PAGE),
        Ok(json!(
            "Big newsFirst linesecond line See the source \u{2013} or here. onetwo"
        ))
    );
    assert_eq!(
        content(
            "<div id='main-content'><p>Body</p><nav>menu</nav></div><div class='content'>x</div>"
        ),
        Ok(json!("Body"))
    );
    // Selectors do not look inside <template>; the body fallback is a plain search.
    assert_eq!(
        content(
            "<body><template><article>hidden</article></template><p>Visible  text</p>\
             <sidebar>s</sidebar></body>"
        ),
        Ok(json!("Visible text"))
    );
    assert_eq!(
        content("<main>M<header>h</header></main><article>A</article>"),
        Ok(json!("A"))
    );
    assert_eq!(
        content("<p>no body</p>"),
        Ok(json!("No main content found"))
    );
}

#[test]
fn html_parsing_is_bounded() {
    // Tags that never close make Python's parser rescan the page; here that stops early.
    let rescans = "<a ".repeat(20_000);
    let err = run("lib.beautifulsoup.HTMLToText", json!({"text": rescans})).unwrap_err();
    assert!(err.starts_with("the HTML is too malformed"), "{err}");
    // Nested links repeat their text; what one run may build is bounded.
    let nested = format!("{}{}", "<a href=x>".repeat(3_000), "t".repeat(1_000));
    let err = emitted("lib.beautifulsoup.ExtractLinks", json!({"html": nested})).unwrap_err();
    assert_eq!(err, "the text would exceed 2097152 bytes");
    let nodes = "<b>".repeat(500_001);
    assert_eq!(
        run("lib.beautifulsoup.HTMLToText", json!({"text": nodes})),
        Err("the HTML has more than 500000 tags and text pieces; pass a smaller part of it".into())
    );
    // Deep nesting is walked without recursion.
    let deep = format!("{}x{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
    assert_eq!(
        run("lib.beautifulsoup.HTMLToText", json!({"text": deep})),
        Ok(json!("x"))
    );
}
