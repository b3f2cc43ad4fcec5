//! Just enough reading of our own Rust sources to check the template against them: string literals,
//! identifiers after a `.`, function bodies and called names, with comments, strings and
//! `#[cfg(test)]` items kept out of the code being read. Paths between files are `crate_files`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One source file: its original text and the same text with comments blanked and string-literal
/// contents blanked (same byte positions), so braces and calls can be found without being fooled by
/// `"{}"` or a comment. `#[cfg(test)]` items are blanked too.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub code: String,
    /// Byte ranges (contents only, quotes excluded) of the string literals left in `code`.
    pub literals: Vec<(usize, usize)>,
}

impl SourceFile {
    pub fn read(path: &Path) -> SourceFile {
        let text = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let (code, literals) = blank(&text);
        let mut file = SourceFile {
            path: path.to_path_buf(),
            text,
            code,
            literals,
        };
        file.blank_test_items();
        file
    }

    /// String literals outside tests, with the code that precedes each (for context checks).
    pub fn string_literals(&self) -> impl Iterator<Item = (&str, &str)> {
        self.literals
            .iter()
            .filter(|(start, _)| self.code.as_bytes()[start - 1] == b'"')
            .map(|&(start, end)| (&self.text[start..end], &self.code[..start - 1]))
    }

    /// Blanks every item annotated `#[cfg(test)]` (a `mod tests { .. }`, a test helper fn).
    fn blank_test_items(&mut self) {
        let marker = "#[cfg(test)]";
        let mut from = 0;
        while let Some(found) = self.code[from..].find(marker) {
            let start = from + found;
            let after = start + marker.len();
            let open = self.code[after..].find('{').map(|i| after + i);
            let semi = self.code[after..].find(';').map(|i| after + i);
            let end = match (open, semi) {
                (Some(open), Some(semi)) if semi < open => semi + 1,
                (Some(open), _) => {
                    matching_brace(&self.code, open).map_or(self.code.len(), |c| c + 1)
                }
                (None, Some(semi)) => semi + 1,
                (None, None) => self.code.len(),
            };
            let blanks = " ".repeat(end - start);
            self.code.replace_range(start..end, &blanks);
            self.literals.retain(|&(s, _)| s < start || s >= end);
            from = end;
        }
    }
}

/// Blanks comments and string/char literal contents, keeping byte positions; returns the blanked text
/// and the content ranges of string literals.
fn blank(text: &str) -> (String, Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut literals = Vec::new();
    let mut i = 0;
    let blank_range = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                blank_range(&mut out, i, end);
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                let mut j = i;
                while j < bytes.len() {
                    if bytes[j] == b'/' && bytes.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                blank_range(&mut out, i, j);
                i = j;
            }
            b'r' if is_raw_string_start(bytes, i) => {
                let mut j = i + 1;
                let mut hashes = 0;
                while bytes[j] == b'#' {
                    hashes += 1;
                    j += 1;
                }
                let start = j + 1;
                let closing = format!("\"{}", "#".repeat(hashes));
                let end = text[start..]
                    .find(&closing)
                    .map_or(bytes.len(), |n| start + n);
                blank_range(&mut out, start, end);
                literals.push((start, end));
                i = (end + closing.len()).min(bytes.len());
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = j.min(bytes.len());
                blank_range(&mut out, start, end);
                literals.push((start, end));
                i = end + 1;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only the former is blanked.
                if bytes.get(i + 1) == Some(&b'\\') {
                    let end = text[i + 2..].find('\'').map_or(bytes.len(), |n| i + 2 + n);
                    blank_range(&mut out, i + 1, end);
                    i = end + 1;
                } else if let Some(c) = text[i + 1..].chars().next() {
                    let after = i + 1 + c.len_utf8();
                    if bytes.get(after) == Some(&b'\'') {
                        blank_range(&mut out, i + 1, after);
                        i = after + 1;
                    } else {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    let code = String::from_utf8(out).unwrap_or_else(|_| text.to_string());
    (code, literals)
}

fn is_raw_string_start(bytes: &[u8], i: usize) -> bool {
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return false;
    }
    let mut j = i + 1;
    while j < bytes.len() && bytes[j] == b'#' {
        j += 1;
    }
    j < bytes.len() && bytes[j] == b'"'
}

/// The index of the `}` that closes the `{` at `open`.
pub fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in code.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

pub fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The next occurrence of `word` as a whole identifier at or after `from`.
pub fn find_word(code: &str, word: &str, from: usize) -> Option<usize> {
    let bytes = code.as_bytes();
    let mut at = from;
    while let Some(found) = code.get(at..)?.find(word) {
        let start = at + found;
        let end = start + word.len();
        let before_ok = start == 0 || !is_ident_byte(bytes[start - 1]);
        let after_ok = end >= bytes.len() || !is_ident_byte(bytes[end]);
        if before_ok && after_ok {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// Identifiers called as methods or functions in `code`: `.name(`, `name(`, `Self::name(`, with or
/// without turbofish.
pub fn called_names(code: &str) -> BTreeSet<String> {
    let bytes = code.as_bytes();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if is_ident_byte(bytes[i]) && (i == 0 || !is_ident_byte(bytes[i - 1])) {
            let start = i;
            while i < bytes.len() && is_ident_byte(bytes[i]) {
                i += 1;
            }
            let name = &code[start..i];
            let mut j = i;
            if code[j..].starts_with("::<") {
                let mut depth = 0;
                while j < bytes.len() {
                    match bytes[j] {
                        b'<' => depth += 1,
                        b'>' => {
                            depth -= 1;
                            if depth == 0 {
                                j += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
            }
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if bytes.get(j) == Some(&b'(')
                && !name.chars().next().is_some_and(|c| c.is_ascii_digit())
            {
                names.insert(name.to_string());
            }
        } else {
            i += 1;
        }
    }
    names
}

/// Every `.rs` file under `dir` (sorted), or the file itself.
pub fn rust_files(path: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if path.is_file() {
        files.push(path.to_path_buf());
    } else if let Ok(entries) = fs::read_dir(path) {
        let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() {
                files.extend(rust_files(&entry));
            } else if entry.extension().is_some_and(|e| e == "rs") {
                files.push(entry);
            }
        }
    }
    files
}
