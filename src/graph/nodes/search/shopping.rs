//! The shopping families: `search.amazon.*`, `search.ebay.*`, `search.walmart.*`,
//! `search.retail.*` (Home Depot, the App Store) and `search.google_play.*`.

use serde_json::Value;

use super::answers::{head, part_or_whole, product_result, results_text, take_list};
use super::request::{Request, need, opt_float};
use super::specs::{OUTPUT, PRODUCT_ID, QUERY_NUM, RESULTS_TEXT, engine, node};
use super::text::{format_results, heading, known, listed, rating_line, set};
use crate::graph::nodes::serp::{Args, Engine, Query, Shaped};
use crate::graph::nodes::spec::Family;
use crate::graph::value::{Kind, py_str, truthy};

// ---- search.amazon ----

fn amazon_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    let domain = a.str("amazon_domain");
    Request::new("amazon")
        .set("amazon_url", format!("https://www.{domain}"))
        .set("amazon_domain", domain)
        .set("q", a.str("query"))
        .sent()
}

fn amazon_search_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "organic_results");
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "asin") {
            lines.push(format!("    ASIN: {}", py_str(v)));
        }
        if let Some(v) = set(r, "price") {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn amazon_product_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("product_id").is_empty(),
        "Product ID (ASIN) is required",
    )?;
    Request::new("amazon_product")
        .set("product_id", a.str("product_id"))
        .set("amazon_domain", a.str("amazon_domain"))
        .sent()
}

static AMAZON_SEARCH: Engine = engine(
    "amazon",
    RESULTS_TEXT,
    amazon_search_request,
    amazon_search_shape,
);
static AMAZON_PRODUCT: Engine = engine(
    "amazon_product",
    OUTPUT,
    amazon_product_request,
    product_result,
);

pub(crate) const AMAZON_FAMILY: Family = Family {
    prefixes: &["search.amazon."],
    nodes: &[
        (
            "AmazonSearch",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("amazon_domain", Kind::Str, "\"amazon.com\""),
                    ("num_results", Kind::Int, "10"),
                ],
                &AMAZON_SEARCH,
            ),
        ),
        (
            "AmazonProduct",
            node(
                &[
                    ("product_id", Kind::Str, "\"\""),
                    ("amazon_domain", Kind::Str, "\"amazon.com\""),
                ],
                &AMAZON_PRODUCT,
            ),
        ),
    ],
};

// ---- search.ebay ----

fn ebay_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    let condition = match a.str("condition") {
        c if c.to_lowercase() == "new" => "1000",
        c if c.to_lowercase() == "used" => "3000",
        c => c,
    };
    let (low, high) = (opt_float(a, "min_price")?, opt_float(a, "max_price")?);
    let mut r = Request::new("ebay")
        .set("_nkw", a.str("query"))
        .set("ebay_domain", a.str("ebay_domain"))
        .set_if(!condition.is_empty(), "LH_ItemCondition", condition);
    if let Some(low) = low {
        r = r.set("_udlo", low);
    }
    if let Some(high) = high {
        r = r.set("_udhi", high);
    }
    r.raw()
}

fn ebay_search_shape(a: &Args, mut answer: Value) -> Shaped {
    let results = head(
        take_list(&mut answer, "organic_results"),
        a.int("num_results"),
    );
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "product_id") {
            lines.push(format!("    ID: {}", py_str(v)));
        }
        match r.get("price") {
            Some(price @ Value::Object(_)) => {
                if let Some(raw) = set(price, "raw") {
                    lines.push(format!("    Price: {}", py_str(raw)));
                }
            }
            Some(price) if truthy(price) => lines.push(format!("    Price: {}", py_str(price))),
            _ => {}
        }
        if let Some(v) = set(r, "condition") {
            lines.push(format!("    Condition: {}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "shipping") {
            lines.push(format!("    Shipping: {}", py_str(v)));
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn ebay_product_request(a: &Args) -> Result<Query, String> {
    need(!a.str("product_id").is_empty(), "Product ID is required")?;
    Request::new("ebay_product")
        .set("product_id", a.str("product_id"))
        .set("ebay_domain", a.str("ebay_domain"))
        .raw()
}

fn ebay_product_shape(_: &Args, answer: Value) -> Shaped {
    vec![("output", part_or_whole(answer, "product_results"))]
}

static EBAY_SEARCH: Engine = engine("ebay", RESULTS_TEXT, ebay_search_request, ebay_search_shape);
static EBAY_PRODUCT: Engine = engine(
    "ebay_product",
    OUTPUT,
    ebay_product_request,
    ebay_product_shape,
);

pub(crate) const EBAY_FAMILY: Family = Family {
    prefixes: &["search.ebay."],
    nodes: &[
        (
            "EbaySearch",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("ebay_domain", Kind::Str, "\"ebay.com\""),
                    ("num_results", Kind::Int, "10"),
                    ("condition", Kind::Str, "\"\""),
                    ("min_price", Kind::Any, "null"),
                    ("max_price", Kind::Any, "null"),
                ],
                &EBAY_SEARCH,
            ),
        ),
        (
            "EbayProduct",
            node(
                &[
                    ("product_id", Kind::Str, "\"\""),
                    ("ebay_domain", Kind::Str, "\"ebay.com\""),
                ],
                &EBAY_PRODUCT,
            ),
        ),
    ],
};

// ---- search.walmart ----

fn walmart_search_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    let sort_by = a.str("sort_by");
    let (low, high) = (opt_float(a, "min_price")?, opt_float(a, "max_price")?);
    let mut r = Request::new("walmart").set("query", a.str("query")).set_if(
        !sort_by.is_empty() && sort_by != "best_match",
        "sort",
        sort_by,
    );
    if let Some(low) = low {
        r = r.set("min_price", low);
    }
    if let Some(high) = high {
        r = r.set("max_price", high);
    }
    r.raw()
}

fn walmart_search_shape(a: &Args, mut answer: Value) -> Shaped {
    let results = head(
        take_list(&mut answer, "organic_results"),
        a.int("num_results"),
    );
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "us_item_id") {
            lines.push(format!("    ID: {}", py_str(v)));
        }
        if let Some(v) = r.get("primary_offer").and_then(|o| set(o, "offer_price")) {
            lines.push(format!("    Price: ${}", py_str(v)));
        }
        lines.extend(rating_line(r));
        if let Some(v) = set(r, "seller_name") {
            lines.push(format!("    Seller: {}", py_str(v)));
        }
        if let Some(v) = set(r, "product_page_url") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

fn walmart_product_request(a: &Args) -> Result<Query, String> {
    need(!a.str("product_id").is_empty(), "Product ID is required")?;
    Request::new("walmart_product")
        .set("product_id", a.str("product_id"))
        .raw()
}

static WALMART_SEARCH: Engine = engine(
    "walmart",
    RESULTS_TEXT,
    walmart_search_request,
    walmart_search_shape,
);
static WALMART_PRODUCT: Engine = engine(
    "walmart_product",
    OUTPUT,
    walmart_product_request,
    product_result,
);

pub(crate) const WALMART_FAMILY: Family = Family {
    prefixes: &["search.walmart."],
    nodes: &[
        (
            "WalmartSearch",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("sort_by", Kind::Str, "\"best_match\""),
                    ("min_price", Kind::Any, "null"),
                    ("max_price", Kind::Any, "null"),
                ],
                &WALMART_SEARCH,
            ),
        ),
        ("WalmartProduct", node(PRODUCT_ID, &WALMART_PRODUCT)),
    ],
};

// ---- search.retail ----

fn home_depot_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("home_depot")
        .set("q", a.str("query"))
        .set("ps", a.int("num_results").min(48).to_string())
        .raw()
}

listed!(
    home_depot_shape,
    "products",
    &[
        ("brand", "Brand"),
        ("price", "Price"),
        ("rating", "Rating"),
        ("model_number", "Model"),
        ("link", ""),
    ],
    cut
);

fn home_depot_product_request(a: &Args) -> Result<Query, String> {
    need(!a.str("product_id").is_empty(), "Product ID is required")?;
    Request::new("home_depot_product")
        .set("product_id", a.str("product_id"))
        .raw()
}

fn app_store_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("apple_app_store")
        .set("term", a.str("query"))
        .set("country", a.str("country"))
        .set("num", a.int("num_results").min(200).to_string())
        .raw()
}

listed!(
    app_store_shape,
    "organic_results",
    &[
        ("developer", "Developer"),
        ("price", "Price"),
        ("rating", "Rating"),
        ("description", "Description"),
        ("link", ""),
    ],
    cut
);

static HOME_DEPOT: Engine = engine(
    "home_depot",
    RESULTS_TEXT,
    home_depot_request,
    home_depot_shape,
);
static HOME_DEPOT_PRODUCT: Engine = engine(
    "home_depot_product",
    OUTPUT,
    home_depot_product_request,
    product_result,
);
static APP_STORE: Engine = engine(
    "apple_app_store",
    RESULTS_TEXT,
    app_store_request,
    app_store_shape,
);

pub(crate) const RETAIL_FAMILY: Family = Family {
    prefixes: &["search.retail."],
    nodes: &[
        ("HomeDepotSearch", node(QUERY_NUM, &HOME_DEPOT)),
        ("HomeDepotProduct", node(PRODUCT_ID, &HOME_DEPOT_PRODUCT)),
        (
            "AppleAppStore",
            node(
                &[
                    ("query", Kind::Str, "\"\""),
                    ("num_results", Kind::Int, "10"),
                    ("country", Kind::Str, "\"us\""),
                ],
                &APP_STORE,
            ),
        ),
    ],
};

// ---- search.google_play ----

fn google_play_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    Request::new("google_play")
        .set("q", a.str("query"))
        .set("store", a.str("store"))
        .raw()
}

/// Google Play answers sections of items; NodeTool lists the items of all of them.
fn google_play_shape(a: &Args, mut answer: Value) -> Shaped {
    let items: Vec<Value> = take_list(&mut answer, "organic_results")
        .into_iter()
        .flat_map(|mut section| take_list(&mut section, "items"))
        .collect();
    let results = head(items, a.int("num_results"));
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        if let Some(v) = set(r, "product_id") {
            lines.push(format!("    ID: {}", py_str(v)));
        }
        if let Some(v) = known(r, "rating") {
            lines.push(format!("    Rating: {}", py_str(v)));
        }
        for (key, label) in [
            ("author", "Developer"),
            ("category", "Category"),
            ("downloads", "Downloads"),
        ] {
            if let Some(v) = set(r, key) {
                lines.push(format!("    {label}: {}", py_str(v)));
            }
        }
        if let Some(v) = set(r, "price").or_else(|| known(r, "extracted_price")) {
            lines.push(format!("    Price: {}", py_str(v)));
        }
        if let Some(v) = set(r, "description") {
            let desc = py_str(v);
            if desc.chars().count() > 150 {
                let cut: String = desc.chars().take(147).collect();
                lines.push(format!("    {cut}..."));
            } else {
                lines.push(format!("    {desc}"));
            }
        }
        if let Some(v) = set(r, "link") {
            lines.push(format!("    {}", py_str(v)));
        }
        lines.push(String::new());
    }
    results_text(results, lines.join("\n"))
}

static GOOGLE_PLAY: Engine = engine(
    "google_play",
    RESULTS_TEXT,
    google_play_request,
    google_play_shape,
);

pub(crate) const GOOGLE_PLAY_FAMILY: Family = Family {
    prefixes: &["search.google_play."],
    nodes: &[(
        "GooglePlaySearch",
        node(
            &[
                ("query", Kind::Str, "\"\""),
                ("store", Kind::Str, "\"apps\""),
                ("num_results", Kind::Int, "10"),
            ],
            &GOOGLE_PLAY,
        ),
    )],
};
