//! A chart's key laid out in rows of its own above the plot, so that no
//! key sits on a curve or runs off the chart, at any text size.

/// Roughly how wide a character of chart text is, in ems.
pub const CHAR_EM: f64 = 0.62;

/// One key's place: its row (0 = the first) and its left edge.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyPlace {
    pub row: u32,
    pub x: f64,
}

/// Places `keys` left to right from `left` in rows no wider than `width`
/// (text `text` units high, `gap` units between keys): a key that does not
/// fit beside the one before starts a new row.
pub fn key_rows(keys: &[&str], left: f64, width: f64, text: f64) -> Vec<KeyPlace> {
    let gap = text;
    let mut row = 0;
    let mut x = left;
    keys.iter()
        .map(|k| {
            let w = text * CHAR_EM * k.chars().count() as f64;
            if x > left && x + w > width {
                row += 1;
                x = left;
            }
            let place = KeyPlace { row, x };
            x += w + gap;
            place
        })
        .collect()
}

/// How many rows a layout from [`key_rows`] takes.
pub fn row_count(places: &[KeyPlace]) -> u32 {
    places.iter().map(|p| p.row + 1).max().unwrap_or(0)
}
