//! Which items of a crate a function reaches: Rust paths resolved between the files of one crate,
//! item by item, over the blanked code of [`crate::source`].

use crate::source::{find_word, is_ident_byte, matching_brace, rust_files, SourceFile};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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
