//! Output of client and admin commands: aligned tables for people, JSON for scripts.

use serde_json::Value;

/// `--output` choices.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Format {
    /// Human-readable table.
    #[default]
    Table,
    /// JSON, one document.
    Json,
}

/// Prints `rows` (objects) as a table with `columns`, or `json` as JSON.
pub(crate) fn print(format: Format, json: &Value, columns: &[&str], rows: &[Value]) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(json).unwrap_or_default()),
        Format::Table => print!("{}", table(columns, rows)),
    }
}

/// Prints a single object as `Field  value` lines, or JSON.
pub(crate) fn print_object(format: Format, json: &Value, object: &Value) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(json).unwrap_or_default()),
        Format::Table => {
            if let Value::Object(m) = object {
                let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
                for (k, v) in m {
                    println!("{k:width$}  {}", cell(v));
                }
            }
        }
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Renders an aligned table.
pub(crate) fn table(columns: &[&str], rows: &[Value]) -> String {
    let cells: Vec<Vec<String>> =
        rows.iter().map(|r| columns.iter().map(|c| r.get(*c).map(cell).unwrap_or_default()).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|r| r[i].chars().count()).chain([c.len()]).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let line = |vals: Vec<&str>, out: &mut String| {
        let parts: Vec<String> = vals.iter().zip(&widths).map(|(v, w)| format!("{v:w$}")).collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(columns.to_vec(), &mut out);
    for r in &cells {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_columns() {
        let t = table(&["KeyId", "State"], &[json!({"KeyId": "abc", "State": "Enabled"}), json!({"KeyId": "a"})]);
        assert_eq!(t, "KeyId  State\nabc    Enabled\na\n");
    }
}
