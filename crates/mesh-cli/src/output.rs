//! Results for people (aligned `name  value` lines) or for scripts (one
//! JSON value on stdout).

use serde_json::Value;

/// Where and how results are printed.
pub struct Output {
    json: bool,
}

impl Output {
    /// JSON when `json`, else text for people.
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Prints a record: its fields as aligned lines, or as a JSON object.
    pub fn record(&self, fields: &[(&str, Value)]) {
        if self.json {
            let object: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect();
            println!("{}", Value::Object(object));
            return;
        }
        let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        for (name, value) in fields {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Null => "-".to_string(),
                other => other.to_string(),
            };
            println!("{name:width$}  {text}");
        }
    }

    /// Prints a one-line message for people; in JSON mode, `fields` as an
    /// object instead.
    pub fn done(&self, message: &str, fields: &[(&str, Value)]) {
        if self.json {
            self.record(fields);
        } else {
            println!("{message}");
        }
    }

    /// Prints rows under a header, each column as wide as its widest
    /// cell, for people (scripts get JSON from the command itself).
    pub fn table(&self, header: &[&str], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = header.iter().map(|name| name.len()).collect();
        for row in rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let padded: Vec<String> = cells
                .zip(&widths)
                .map(|(cell, &width)| format!("{cell:width$}"))
                .collect();
            println!("{}", padded.join("  ").trim_end());
        };
        line(&mut header.iter().copied());
        for row in rows {
            line(&mut row.iter().map(String::as_str));
        }
    }

    /// Whether results go out as JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }
}
