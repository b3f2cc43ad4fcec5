//! Just enough reading of our own Rust sources to check the template against them: string literals,
//! identifiers after a `.`, function bodies, and `crate::` / `shared::` module references, with
//! comments, strings and `#[cfg(test)]` items kept out of the code being read.

use std::collections::{BTreeMap, BTreeSet};
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

fn is_ident_byte(b: u8) -> bool {
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

/// Resolves Rust paths between the files of one crate, item by item: `crate::a::b::Name` reaches the
/// file that defines `Name`, following `pub use` re-exports, so using one type of a module does not
/// pull in every file of it.
pub struct CrateFiles {
    src: PathBuf,
    files: BTreeMap<PathBuf, SourceFile>,
}

impl CrateFiles {
    pub fn load(src: &Path) -> CrateFiles {
        let files = rust_files(src)
            .into_iter()
            .map(|p| (p.clone(), SourceFile::read(&p)))
            .collect();
        CrateFiles {
            src: src.to_path_buf(),
            files,
        }
    }

    pub fn file(&self, path: &Path) -> Option<&SourceFile> {
        self.files.get(path)
    }

    fn lib(&self) -> PathBuf {
        self.src.join("lib.rs")
    }

    fn child_dir(&self, module: &Path) -> PathBuf {
        let name = module
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if matches!(name, "mod.rs" | "lib.rs" | "main.rs") {
            module.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            module.with_extension("")
        }
    }

    fn module_file(&self, dir: &Path, name: &str) -> Option<PathBuf> {
        [
            dir.join(format!("{name}.rs")),
            dir.join(name).join("mod.rs"),
        ]
        .into_iter()
        .find(|p| self.files.contains_key(p))
    }

    fn parent_module(&self, module: &Path) -> PathBuf {
        let name = module
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let dir = if name == "mod.rs" {
            module.parent().and_then(Path::parent)
        } else {
            module.parent()
        };
        let Some(dir) = dir else { return self.lib() };
        if dir == self.src {
            return self.lib();
        }
        let parent_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        dir.parent()
            .and_then(|grand| self.module_file(grand, parent_name))
            .unwrap_or_else(|| self.lib())
    }

    /// The files a path used in `from` reaches (external crates reach nothing).
    pub fn resolve(&self, from: &Path, segments: &[String]) -> Vec<PathBuf> {
        self.resolve_depth(from, segments, 0)
    }

    fn resolve_depth(&self, from: &Path, segments: &[String], depth: usize) -> Vec<PathBuf> {
        if depth > 16 || segments.is_empty() {
            return Vec::new();
        }
        let mut current = from.to_path_buf();
        let first = segments[0].as_str();
        let relative_ok = matches!(first, "crate" | "super" | "self")
            || self.module_file(&self.child_dir(from), first).is_some();
        if !relative_ok {
            return Vec::new();
        }
        for (i, segment) in segments.iter().enumerate() {
            match segment.as_str() {
                "crate" => current = self.lib(),
                "super" => current = self.parent_module(&current),
                "self" => {}
                "*" => return vec![current],
                name => match self.module_file(&self.child_dir(&current), name) {
                    Some(module) => current = module,
                    None => {
                        let _ = i;
                        return self.resolve_item(&current, name, depth);
                    }
                },
            }
        }
        vec![current]
    }

    /// The file that defines `name` as seen from `module`: a `pub use` re-export is followed.
    fn resolve_item(&self, module: &Path, name: &str, depth: usize) -> Vec<PathBuf> {
        let Some(file) = self.files.get(module) else {
            return Vec::new();
        };
        let mut globs = Vec::new();
        for path in use_paths(&file.code, true) {
            let Some(last) = path.last() else { continue };
            if last == name {
                let reached = self.resolve_depth(module, &path, depth + 1);
                if !reached.is_empty() {
                    return reached;
                }
            } else if last == "*" {
                globs.push(path);
            }
        }
        if defines(&file.code, name) {
            return vec![module.to_path_buf()];
        }
        for glob in globs {
            let mut path = glob[..glob.len() - 1].to_vec();
            path.push(name.to_string());
            let reached = self.resolve_depth(module, &path, depth + 1);
            if !reached.is_empty() {
                return reached;
            }
        }
        vec![module.to_path_buf()]
    }
}

/// Whether the file defines an item called `name` at any level.
fn defines(code: &str, name: &str) -> bool {
    [
        "struct", "enum", "fn", "trait", "type", "const", "static", "mod", "union",
    ]
    .iter()
    .any(|kind| {
        let mut from = 0;
        while let Some(at) = find_word(code, kind, from) {
            from = at + kind.len();
            let rest = code[from..].trim_start();
            if rest.starts_with(name)
                && rest[name.len()..].starts_with(|c: char| !(c.is_alphanumeric() || c == '_'))
            {
                return true;
            }
        }
        false
    })
}

/// Paths of the `use` statements (only `pub use` when `public_only`), groups expanded, aliases
/// (`as x`) named by their alias.
fn use_paths(code: &str, public_only: bool) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(at) = find_word(code, "use", from) {
        from = at + 3;
        let before = code[..at].trim_end();
        if public_only && !(before.ends_with("pub") || before.ends_with(')')) {
            continue;
        }
        let Some(end) = code[from..].find(';').map(|i| from + i) else {
            break;
        };
        expand_tree(&[], code[from..end].trim(), &mut paths);
        from = end;
    }
    paths
}

fn expand_tree(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim().trim_start_matches("::");
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut new_prefix = prefix.to_vec();
        new_prefix.extend(head);
        let close = matching_brace(tree, open).unwrap_or(tree.len() - 1);
        let inner = &tree[open + 1..close];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_tree(&new_prefix, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_tree(&new_prefix, &inner[start..], out);
    } else {
        let mut path = prefix.to_vec();
        let (tree, alias) = match tree.split_once(" as ") {
            Some((t, a)) => (t, Some(a.trim())),
            None => (tree, None),
        };
        path.extend(
            tree.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        if path.last().is_some_and(|l| l == "self") {
            path.pop();
        }
        if let (Some(alias), Some(last)) = (alias, path.last_mut()) {
            if alias != "_" {
                *last = alias.to_string();
            }
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
}

/// Every path with at least one `::` in the code (`a::b::c`, `a::{b, c::d}`), expanded.
pub fn code_paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_ident = is_ident_byte(bytes[i])
            && (i == 0 || !(is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b':'));
        if !starts_ident {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        loop {
            while end < bytes.len() && is_ident_byte(bytes[end]) {
                end += 1;
            }
            if code[end..].starts_with("::{") {
                end = matching_brace(code, end + 2).map_or(bytes.len(), |c| c + 1);
                break;
            }
            if code[end..].starts_with("::")
                && bytes
                    .get(end + 2)
                    .is_some_and(|b| is_ident_byte(*b) || *b == b'*')
            {
                end += 2;
                if bytes.get(end) == Some(&b'*') {
                    end += 1;
                    break;
                }
                continue;
            }
            break;
        }
        let text = &code[start..end];
        if text.contains("::") {
            expand_tree(&[], text, &mut paths);
        }
        i = end.max(i + 1);
    }
    paths
}

/// A top-level item of a file: its byte range and the names it belongs to (`fn x` -> x; an `impl`
/// block -> the types its header names).
#[derive(Debug, Clone)]
pub struct Item {
    pub start: usize,
    pub end: usize,
    pub names: BTreeSet<String>,
    pub is_use: bool,
}

/// Splits a file's code into its top-level items.
pub fn top_level_items(code: &str) -> Vec<Item> {
    let bytes = code.as_bytes();
    let mut items = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    // `struct X { .. }` ends here; so do `fn`, `impl`, `mod`, `trait` bodies. An
                    // expression item (`const X: T = T { .. };`) ends at its `;`.
                    let next = code[i + 1..].trim_start();
                    if !next.starts_with(';') {
                        items.push(item(code, start, i + 1));
                        start = i + 1;
                    }
                }
            }
            b';' if depth == 0 => {
                items.push(item(code, start, i + 1));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    items.retain(|it| !code[it.start..it.end].trim().is_empty());
    items
}

fn item(code: &str, start: usize, end: usize) -> Item {
    let text = &code[start..end];
    let header = &text[..text.find('{').unwrap_or(text.len())];
    let mut names = BTreeSet::new();
    let words: Vec<&str> = header
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let is_use = words.contains(&"use") && !words.iter().any(|w| matches!(*w, "fn" | "impl"));
    if let Some(at) = header.find("impl").filter(|_| words.contains(&"impl")) {
        // An impl block belongs to its self type: `impl<S> Port for Adapter<S>` to Adapter.
        let mut rest = header[at + 4..].trim_start();
        if rest.starts_with('<') {
            let mut depth = 0;
            let mut cut = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '<' => depth += 1,
                    '>' => {
                        depth -= 1;
                        if depth == 0 {
                            cut = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = rest[cut..].trim_start();
        }
        if let Some(for_at) = find_word(rest, "for", 0) {
            rest = rest[for_at + 3..].trim_start();
        }
        let self_type: String = rest
            .trim_start_matches(['&', '(', ' '])
            .split("::")
            .last()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let _ = at;
        if !self_type.is_empty() {
            names.insert(self_type);
        }
    } else {
        for kind in [
            "fn",
            "struct",
            "enum",
            "trait",
            "type",
            "const",
            "static",
            "mod",
            "union",
            "macro_rules",
        ] {
            if let Some(at) = words.iter().position(|w| *w == kind) {
                if let Some(name) = words.get(at + 1) {
                    names.insert((*name).to_string());
                }
                break;
            }
        }
    }
    Item {
        start,
        end,
        names,
        is_use,
    }
}

/// What of a file a function reaches: all of it, or some of its top-level items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Whole,
    Items(BTreeSet<String>),
}

impl CrateFiles {
    /// Item-level reachability: each reached item's code is followed (its paths, the `use`d names it
    /// mentions, the same file's items it mentions), so two functions defined side by side in one
    /// file do not reach each other's dependencies.
    pub fn reachable_items(
        &self,
        entry: &[SourceFile],
        root_alias: &str,
    ) -> BTreeMap<PathBuf, Reach> {
        let mut reached: BTreeMap<PathBuf, Reach> = BTreeMap::new();
        let mut pending: Vec<(PathBuf, Option<String>)> = Vec::new();
        for file in entry {
            for mut path in code_paths(&file.code) {
                if path[0] != root_alias {
                    continue;
                }
                path[0] = "crate".to_string();
                pending.extend(self.resolve_to_items(&self.lib(), &path));
            }
        }
        while let Some((path, name)) = pending.pop() {
            let Some(file) = self.files.get(&path) else {
                continue;
            };
            let items = top_level_items(&file.code);
            let new_items: Vec<&Item> = match (&name, reached.get(&path)) {
                (_, Some(Reach::Whole)) => continue,
                (None, _) => {
                    reached.insert(path.clone(), Reach::Whole);
                    items.iter().filter(|i| !i.is_use).collect()
                }
                (Some(name), existing) => {
                    let mut known = match existing {
                        Some(Reach::Items(known)) => known.clone(),
                        _ => BTreeSet::new(),
                    };
                    if !known.insert(name.clone()) {
                        continue;
                    }
                    reached.insert(path.clone(), Reach::Items(known));
                    items.iter().filter(|i| i.names.contains(name)).collect()
                }
            };
            let uses: Vec<Vec<String>> = items
                .iter()
                .filter(|i| i.is_use)
                .flat_map(|i| use_paths(&file.code[i.start..i.end], false))
                .collect();
            let local_names: BTreeSet<&String> =
                items.iter().flat_map(|i| i.names.iter()).collect();
            for item in new_items {
                let text = &file.code[item.start..item.end];
                for segments in code_paths(text) {
                    pending.extend(self.resolve_to_items(&path, &segments));
                }
                let words: BTreeSet<&str> = text
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .collect();
                for use_path in &uses {
                    if use_path
                        .last()
                        .is_some_and(|last| words.contains(last.as_str()))
                    {
                        pending.extend(self.resolve_to_items(&path, use_path));
                    }
                }
                for local in &local_names {
                    if words.contains(local.as_str()) {
                        pending.push((path.clone(), Some((*local).clone())));
                    }
                }
            }
        }
        reached
    }

    /// Like [`CrateFiles::resolve`], naming the item when the path ends on one.
    fn resolve_to_items(&self, from: &Path, segments: &[String]) -> Vec<(PathBuf, Option<String>)> {
        let files = self.resolve(from, segments);
        let Some(last) = segments.last() else {
            return Vec::new();
        };
        files
            .into_iter()
            .map(|file| {
                let names_item = self.files.get(&file).is_some_and(|f| {
                    top_level_items(&f.code)
                        .iter()
                        .any(|i| i.names.contains(last))
                });
                let is_module = self.module_file(&self.child_dir(&file), last).is_some()
                    || file.file_stem().is_some_and(|s| s == last.as_str())
                    || file
                        .parent()
                        .and_then(|p| p.file_name())
                        .is_some_and(|p| p == last.as_str());
                if names_item && !is_module {
                    (file, Some(last.clone()))
                } else {
                    (file, None)
                }
            })
            .collect()
    }
}
