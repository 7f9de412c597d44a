//! Google Flights and Google Hotels, for `search.google_extra.*`.

use serde_json::Value;

use super::answers::{results_text, take_list};
use super::request::{Request, need};
use super::text::{first_chars, known, or, set};
use crate::graph::nodes::serp::{Args, Query, Shaped};
use crate::graph::value::{py_float, py_str};

pub(super) fn google_flights_request(a: &Args) -> Result<Query, String> {
    need(
        !a.str("departure_id").is_empty() && !a.str("arrival_id").is_empty(),
        "Both departure_id and arrival_id are required",
    )?;
    need(
        !a.str("outbound_date").is_empty(),
        "Outbound date is required",
    )?;
    need(
        a.int("trip_type") != 1 || !a.str("return_date").is_empty(),
        "Return date is required for round trip flights",
    )?;
    let (stops, sort_by) = (a.int("stops"), a.int("sort_by"));
    Request::new("google_flights")
        .set("departure_id", a.str("departure_id"))
        .set("arrival_id", a.str("arrival_id"))
        .set("outbound_date", a.str("outbound_date"))
        .set("type", a.int("trip_type").to_string())
        .set("adults", a.int("adults").to_string())
        .set("travel_class", a.int("travel_class").to_string())
        .set("currency", a.str("currency"))
        .text("return_date", a, "return_date")
        .set_if(stops != 0, "stops", stops.to_string())
        .set_if(sort_by != 1, "sort_by", sort_by.to_string())
        .raw()
}

/// Python's `divmod(minutes, 60)` as text, for numbers.
fn hours_minutes(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Bool(b) => Some(("0".into(), (*b as i64).to_string())),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some((i.div_euclid(60).to_string(), i.rem_euclid(60).to_string())),
            None => {
                let f = n.as_f64()?;
                Some((py_float((f / 60.0).floor()), py_float(f.rem_euclid(60.0))))
            }
        },
        _ => None,
    }
}

/// NodeTool's text of flight options: each with its price, duration, legs and layovers.
fn format_flights(flights: &[Value]) -> String {
    let mut lines = Vec::new();
    for (i, option) in flights.iter().enumerate() {
        lines.push(format!("--- Option {} ---", i + 1));
        if let Some(v) = set(option, "price") {
            lines.push(format!("  Price: {}", py_str(v)));
        }
        if let Some((h, m)) = set(option, "total_duration").and_then(hours_minutes) {
            lines.push(format!("  Total Duration: {h}h {m}m"));
        }
        if let Some(v) = set(option, "type") {
            lines.push(format!("  Type: {}", py_str(v)));
        }
        let co2 = option
            .get("carbon_emissions")
            .and_then(|c| set(c, "this_flight"));
        if let Some(v) = co2 {
            lines.push(format!("  CO2 Emissions: {}g", py_str(v)));
        }
        let legs = option.get("flights").and_then(Value::as_array);
        for (j, seg) in legs.into_iter().flatten().enumerate() {
            let place = |key: &str| {
                let p = seg.get(key).unwrap_or(&Value::Null);
                format!(
                    "{} ({}) {}",
                    or(p, "name", "?"),
                    or(p, "id", "?"),
                    or(p, "time", "?")
                )
            };
            lines.push(format!(
                "  Leg {}: {} -> {}",
                j + 1,
                place("departure_airport"),
                place("arrival_airport")
            ));
            if let Some(v) = set(seg, "airline") {
                lines.push(format!(
                    "    Airline: {} {}",
                    py_str(v),
                    or(seg, "flight_number", "")
                ));
            }
            if let Some(v) = set(seg, "duration") {
                lines.push(format!("    Duration: {} min", py_str(v)));
            }
            if let Some(v) = set(seg, "travel_class") {
                lines.push(format!("    Class: {}", py_str(v)));
            }
        }
        let layovers = option.get("layovers").and_then(Value::as_array);
        for lay in layovers.into_iter().flatten() {
            lines.push(format!(
                "  Layover: {} ({}) - {} min",
                or(lay, "name", "?"),
                or(lay, "id", "?"),
                or(lay, "duration", "?")
            ));
        }
        lines.push(String::new());
    }
    lines.join("\n")
}

pub(super) fn google_flights_shape(_: &Args, mut answer: Value) -> Shaped {
    let best = take_list(&mut answer, "best_flights");
    let other = take_list(&mut answer, "other_flights");
    let mut parts = Vec::new();
    if !best.is_empty() {
        parts.push(format!("=== Best Flights ===\n{}", format_flights(&best)));
    }
    if !other.is_empty() {
        parts.push(format!("=== Other Flights ===\n{}", format_flights(&other)));
    }
    if let Some(insights) = set(&answer, "price_insights") {
        if let Some(v) = set(insights, "lowest_price") {
            parts.push(format!("Lowest Price: {}", py_str(v)));
        }
        if let Some(v) = set(insights, "typical_price_range") {
            parts.push(format!("Typical Range: {}", py_str(v)));
        }
    }
    let text = if parts.is_empty() {
        "No flights found.".to_string()
    } else {
        parts.join("\n")
    };
    results_text(best.into_iter().chain(other).collect(), text)
}

pub(super) fn google_hotels_request(a: &Args) -> Result<Query, String> {
    need(!a.str("query").is_empty(), "Query is required")?;
    need(
        !a.str("check_in_date").is_empty() && !a.str("check_out_date").is_empty(),
        "Both check_in_date and check_out_date are required",
    )?;
    let int = |k: &str| a.int(k);
    Request::new("google_hotels")
        .set("q", a.str("query"))
        .set("check_in_date", a.str("check_in_date"))
        .set("check_out_date", a.str("check_out_date"))
        .set("adults", int("adults").to_string())
        .set("currency", a.str("currency"))
        .set_if(int("children") > 0, "children", int("children").to_string())
        .set_if(int("sort_by") != 0, "sort_by", int("sort_by").to_string())
        .set_if(
            int("min_price") > 0,
            "min_price",
            int("min_price").to_string(),
        )
        .set_if(
            int("max_price") > 0,
            "max_price",
            int("max_price").to_string(),
        )
        .set_if(
            int("hotel_class") >= 2,
            "hotel_class",
            int("hotel_class").to_string(),
        )
        .raw()
}

pub(super) fn google_hotels_shape(_: &Args, mut answer: Value) -> Shaped {
    let results = take_list(&mut answer, "properties");
    let mut lines = Vec::new();
    for (i, p) in results.iter().enumerate() {
        lines.push(format!("[{}] {}", i + 1, or(p, "name", "Untitled")));
        if let Some(v) = set(p, "type") {
            lines.push(format!("    Type: {}", py_str(v)));
        }
        if let Some(v) = set(p, "hotel_class").or_else(|| set(p, "extracted_hotel_class")) {
            lines.push(format!("    Class: {}-star", py_str(v)));
        }
        if let Some(rating) = known(p, "overall_rating") {
            let mut line = format!("    Rating: {}", py_str(rating));
            if let Some(reviews) = known(p, "reviews") {
                line.push_str(&format!(" ({} reviews)", py_str(reviews)));
            }
            lines.push(line);
        }
        let lowest = |key: &str| p.get(key).and_then(|r| set(r, "lowest"));
        if let Some(v) = lowest("rate_per_night") {
            lines.push(format!("    Price: {}/night", py_str(v)));
        }
        if let Some(v) = lowest("total_rate") {
            lines.push(format!("    Total: {}", py_str(v)));
        }
        if let Some(v) = set(p, "description") {
            lines.push(format!("    {}", first_chars(v, 200)));
        }
        let (check_in, check_out) = (set(p, "check_in_time"), set(p, "check_out_time"));
        if check_in.is_some() || check_out.is_some() {
            let shown = |v: Option<&Value>| v.map_or_else(|| "N/A".to_string(), py_str);
            lines.push(format!(
                "    Check-in: {} / Check-out: {}",
                shown(check_in),
                shown(check_out)
            ));
        }
        lines.push(String::new());
    }
    let text = if lines.is_empty() {
        "No hotels found.".to_string()
    } else {
        lines.join("\n")
    };
    results_text(results, text)
}
