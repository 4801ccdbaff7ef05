//! The few POSIX shell behaviours ds-identify's decision depends on, as pure
//! functions: `read` without `-r`, word splitting, `trim`, `unquote`, and
//! the line parsers built from them (`_read_config`, `parse_yaml_array`,
//! both generations of `check_config`).

use crate::prelude::*;

/// What `read var` (no `-r`, default IFS) stores from the start of `text`,
/// and whether it met a newline (`read`'s exit status). Backslash escapes the
/// next character (and a backslash-newline continues the line); leading and
/// trailing blanks go. Also returns how many bytes it consumed.
pub fn read(text: &str) -> (String, bool, usize) {
    let mut out = String::new();
    let mut chars = text.char_indices();
    let mut ended = false;
    let mut used = text.len();
    // Characters taken literally after a backslash survive the trim.
    let mut keep_from: Option<usize> = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, e)) => {
                    out.push(e);
                    keep_from = Some(out.len());
                }
                None => {}
            },
            '\n' => {
                ended = true;
                used = i + 1;
                break;
            }
            c => out.push(c),
        }
    }
    let start = out.len() - out.trim_start_matches([' ', '\t', '\n']).len();
    let mut end = out.trim_end_matches([' ', '\t', '\n']).len();
    if let Some(k) = keep_from {
        end = end.max(k);
    }
    let start = start.min(end);
    (out[start..end].to_string(), ended, used)
}

/// The lines `while read line; do …; done < file` sees: an unterminated last
/// line makes `read` fail, so the loop never sees it.
pub fn read_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (line, ended, used) = read(rest);
        if !ended {
            break;
        }
        lines.push(line);
        rest = &rest[used..];
    }
    lines
}

/// `set -- $var` with the default IFS and `set -f`: blank-separated words.
pub fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t', '\n']).filter(|w| !w.is_empty())
}

fn is_space(c: char) -> bool {
    // [[:space:]] in the C locale
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// ds-identify's `trim`.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// ds-identify's `unquote`: one pair of matching quotes around the value.
pub fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// `parse_yaml_array`: one `[` and one `]` off the ends, split at commas
/// (`IFS=,`: a trailing empty field is dropped), each item trimmed and
/// unquoted, joined with spaces. The result is later split into words again.
pub fn parse_yaml_array(val: &str) -> String {
    let val = val.strip_prefix('[').unwrap_or(val);
    let val = val.strip_suffix(']').unwrap_or(val);
    let mut fields: Vec<&str> = val.split(',').collect();
    if fields.last() == Some(&"") {
        fields.pop();
    }
    let mut ret = String::new();
    for f in fields {
        ret.push(' ');
        ret.push_str(unquote(trim(f)));
    }
    ret.strip_prefix(' ').unwrap_or(&ret).to_string()
}

/// `_read_config KEY < file` for ds-identify.cfg: the value of the first
/// `key: value` line whose key is `key` (comments dropped, unquoted).
pub fn read_config_key(text: &str, key: &str) -> Option<String> {
    for line in read_lines(text) {
        let line = line.split('#').next().unwrap_or("");
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if trim(k) == key {
            return Some(unquote(trim(v)).to_string());
        }
    }
    None
}

/// `_read_config < file` without a key: the last `datasource:` and `policy:`.
pub fn read_config_all(text: &str) -> (Option<String>, Option<String>) {
    let (mut ds, mut policy) = (None, None);
    for line in read_lines(text) {
        let line = line.split('#').next().unwrap_or("");
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = unquote(trim(v)).to_string();
        match trim(k) {
            "datasource" => ds = Some(v),
            "policy" => policy = Some(v),
            _ => {}
        }
    }
    (ds, policy)
}

/// The files `check_config` looks at, in the order its glob gives them.
pub type Files<'a> = [(&'a str, &'a str)];

/// 22.4.2's `check_config KEY`: every file read with `while read line`, a
/// line (comment dropped) that starts `KEY: ` or is exactly `KEY:`; the last
/// one wins, its value after the first colon less one space.
pub fn check_config_v22(files: &Files, key: &str) -> Option<String> {
    let mut ret = None;
    let with_space = format!("{key}: ");
    let bare = format!("{key}:");
    for (_, text) in files {
        for line in read_lines(text) {
            let line = line.split('#').next().unwrap_or("");
            if line.starts_with(&with_space) || line == bare {
                let v = &line[line.find(':').unwrap_or(0) + 1..];
                ret = Some(v.strip_prefix(' ').unwrap_or(v).to_string());
            }
        }
    }
    ret
}

/// 23.x+'s `check_config KEY`: `grep "KEY[\"\\']*[[:space:]]*:"` over the
/// files (several, so grep names them), comment dropped, empty lines
/// skipped; the last hit's text after its first `": "` wins.
pub fn check_config_grep(files: &Files, key: &str) -> Option<String> {
    let mut ret = None;
    for (_, text) in files {
        for line in text.split('\n') {
            if !grep_key(line, key) {
                continue;
            }
            let line = line.split('#').next().unwrap_or("");
            if line.is_empty() {
                continue;
            }
            let v = match line.find(": ") {
                Some(i) => &line[i + 2..],
                None => line,
            };
            ret = Some(v.to_string());
        }
    }
    ret
}

/// The BRE `KEY["\']*[[:space:]]*:` anywhere in the line.
fn grep_key(line: &str, key: &str) -> bool {
    let mut from = 0;
    while let Some(i) = line[from..].find(key) {
        let at = from + i + key.len();
        let rest = line[at..].trim_start_matches(['"', '\\', '\'']);
        let rest = rest.trim_start_matches(|c: char| is_space(c));
        if rest.starts_with(':') {
            return true;
        }
        from += i + 1;
        while !line.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// `get_value`: the text after the value's last colon, trimmed, if any.
pub fn get_value(value: &str) -> Option<&str> {
    let v = trim(value.rsplit(':').next().unwrap_or(value));
    (!v.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_is_not_read_r() {
        assert_eq!(read("  a\\ b\\\\c  \nx"), ("a b\\c".into(), true, 12));
        assert_eq!(read("abc"), ("abc".into(), false, 3));
        assert_eq!(read("a\\\nb\n").0, "ab");
        assert_eq!(read_lines("a\nb"), vec!["a".to_string()]);
    }

    #[test]
    fn yaml_arrays_as_the_shell_splits_them() {
        assert_eq!(parse_yaml_array("[ 'NoCloud', \"None\" ]"), "NoCloud None");
        assert_eq!(parse_yaml_array("NoCloud,"), "NoCloud");
        assert_eq!(parse_yaml_array("[ ]"), "");
        assert_eq!(parse_yaml_array("[a,,b]"), "a  b");
    }

    #[test]
    fn check_config_generations() {
        let f = [
            (
                "cloud.cfg",
                "datasource_list: [ A ]\n  # datasource_list: [ X ]\n",
            ),
            ("90.cfg", " \"datasource_list\" : [ B, C ]"),
        ];
        assert_eq!(
            check_config_grep(&f, "datasource_list").as_deref(),
            Some("[ B, C ]")
        );
        // 22.4.2 never sees an unterminated last line, nor a quoted key.
        assert_eq!(
            check_config_v22(&f, "datasource_list").as_deref(),
            Some("[ A ]")
        );
        assert_eq!(get_value("[ B, C ]"), Some("[ B, C ]"));
        assert_eq!(get_value("  "), None);
        assert!(grep_key("datasource:\n", "datasource"));
        assert!(!grep_key("NoCloudx:", "NoCloud"));
    }
}
