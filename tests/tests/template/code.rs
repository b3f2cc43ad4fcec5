//! What the code needs from its deployment, read from the sources: which binaries exist, which
//! environment variables each function reads, which AWS operations it can reach, which events it emits.
//!
//! A function's code is its `functions/<name>/src` plus every `shared` module reachable from it
//! (`shared::x` in the function, then `crate::y` inside `shared`), tests left out. Its AWS calls are
//! found through the ports: the port methods its code calls, mapped through what each adapter
//! declares it sends for each method (`shared::store::entities::PORT_METHOD_TABLE_OPS` with
//! `shared::store::dynamo::iam_action`, `shared::bus::EVENTBRIDGE_IAM_ACTIONS`,
//! `shared::vault::SECRETS_MANAGER_IAM_ACTIONS`), so where functions sit in files does not matter.
//! Those declarations are held to the code: `shared/tests/store_table_use.rs` runs every store
//! method on a recording table, and the template test compares them with the SDK operations the
//! adapters call and the methods the port traits have.

use crate::aws::{declared_actions, Service};
use crate::crate_files::{top_level_items, CrateFiles, Reach};
use crate::source::{called_names, find_word, matching_brace, rust_files, SourceFile};
use shared::events::ProductEvent;
use shared::store::TableOp;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub struct Codebase {
    root: PathBuf,
    /// Per service, the `shared` files of its AWS adapter.
    adapters: BTreeMap<Service, Vec<SourceFile>>,
    /// Methods of the port traits (`shared/src/ports`).
    port_methods: BTreeSet<String>,
    /// The same, by trait.
    port_traits: BTreeMap<String, BTreeSet<String>>,
    shared: CrateFiles,
    /// Each `functions/<name>/src`'s files.
    functions: BTreeMap<String, Vec<SourceFile>>,
}

/// A reached piece of code: a whole file or one of its top-level items.
pub struct Chunk<'a> {
    pub file: &'a SourceFile,
    pub start: usize,
    pub end: usize,
}

impl<'a> Chunk<'a> {
    pub fn code(&self) -> &'a str {
        &self.file.code[self.start..self.end]
    }

    /// The chunk's string literals, each with the code before it (from the chunk's start).
    fn string_literals(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.file
            .string_literals()
            .filter(|(literal, _)| {
                let at = literal.as_ptr() as usize - self.file.text.as_ptr() as usize;
                at >= self.start && at < self.end
            })
            .map(|(literal, before)| (literal, &before[self.start.min(before.len())..]))
    }
}

impl Codebase {
    pub fn load(root: &Path) -> Codebase {
        let shared_src = root.join("shared/src");
        let lib = SourceFile::read(&shared_src.join("lib.rs"));
        let mut modules = BTreeMap::new();
        for line in lib.code.lines() {
            let line = line.trim();
            if let Some(name) = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))
                .and_then(|rest| rest.strip_suffix(';'))
            {
                let file = shared_src.join(format!("{name}.rs"));
                let dir = shared_src.join(name);
                let files: Vec<SourceFile> = rust_files(&file)
                    .into_iter()
                    .chain(rust_files(&dir))
                    .map(|p| SourceFile::read(&p))
                    .collect();
                modules.insert(name.to_string(), files);
            }
        }

        let mut adapters: BTreeMap<Service, Vec<SourceFile>> = BTreeMap::new();
        for service in Service::ALL {
            let mut paths = BTreeSet::new();
            for file in modules.values().flatten() {
                // An adapter file names the SDK crate and calls the client (a file that only builds
                // a client, like a function's wiring, is not one).
                let calls_client = method_calls(&file.code)
                    .iter()
                    .any(|m| service.operations().contains(&m.as_str()));
                if find_word(&file.code, service.sdk_crate(), 0).is_none() || !calls_client {
                    continue;
                }
                // The adapter is the module the file is: `x.rs` with its `x/` folder, or `x/mod.rs`'s folder.
                paths.insert(file.path.clone());
                let subtree = if file.path.file_name().is_some_and(|n| n == "mod.rs") {
                    file.path.parent().map(Path::to_path_buf)
                } else {
                    Some(file.path.with_extension(""))
                };
                if let Some(dir) = subtree.filter(|d| *d != shared_src) {
                    paths.extend(rust_files(&dir));
                }
            }
            adapters.insert(service, paths.iter().map(|p| SourceFile::read(p)).collect());
        }

        let mut port_traits: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in modules.get("ports").into_iter().flatten() {
            let mut from = 0;
            while let Some(at) = find_word(&file.code, "trait", from) {
                let Some(open) = file.code[at..].find('{').map(|i| at + i) else {
                    break;
                };
                let trait_name: String = file.code[at + "trait".len()..]
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let close = matching_brace(&file.code, open).unwrap_or(file.code.len() - 1);
                let body = &file.code[open..close];
                let mut inner = 0;
                while let Some(fn_at) = find_word(body, "fn", inner) {
                    let name: String = body[fn_at + 2..]
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    port_traits
                        .entry(trait_name.clone())
                        .or_default()
                        .insert(name);
                    inner = fn_at + 2;
                }
                from = close;
            }
        }
        let port_methods = port_traits.values().flatten().cloned().collect();

        Codebase {
            root: root.to_path_buf(),
            adapters,
            port_methods,
            port_traits,
            shared: CrateFiles::load(&shared_src),
            functions: rust_files(&root.join("functions"))
                .into_iter()
                .filter_map(|path| {
                    let rest = path.strip_prefix(root.join("functions")).ok()?;
                    let name = rest.components().next()?.as_os_str().to_str()?.to_string();
                    rest.components()
                        .nth(1)
                        .filter(|c| c.as_os_str() == "src")?;
                    Some((name, SourceFile::read(&path)))
                })
                .fold(
                    BTreeMap::new(),
                    |mut map: BTreeMap<String, Vec<SourceFile>>, (name, file)| {
                        map.entry(name).or_default().push(file);
                        map
                    },
                ),
        }
    }

    /// `[[bin]]` targets of the `functions/*` crates, by name, with their crate folder (from
    /// `cargo metadata`, so it is Cargo's own view of the workspace).
    pub fn function_binaries(&self) -> BTreeMap<String, PathBuf> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = std::process::Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .current_dir(&self.root)
            .output()
            .expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let functions_dir = self.root.join("functions");
        let mut binaries = BTreeMap::new();
        for package in metadata["packages"].as_array().into_iter().flatten() {
            let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap_or_default());
            let Some(crate_dir) = manifest.parent() else {
                continue;
            };
            if crate_dir.parent() != Some(functions_dir.as_path()) {
                continue;
            }
            for target in package["targets"].as_array().into_iter().flatten() {
                if target["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
                {
                    let name = target["name"].as_str().unwrap_or_default().to_string();
                    binaries.insert(name, crate_dir.to_path_buf());
                }
            }
        }
        binaries
    }

    fn function_files(&self, binary: &str) -> &[SourceFile] {
        match self.functions.get(binary) {
            Some(files) if !files.is_empty() => files,
            _ => panic!("functions/{binary}/src has no sources"),
        }
    }

    /// Whether the function's binary uses the library (a placeholder `main` does not).
    pub fn is_wired(&self, binary: &str) -> bool {
        self.function_files(binary)
            .iter()
            .any(|f| find_word(&f.code, "shared", 0).is_some())
    }

    /// The code a function can reach: its own files whole, and the `shared` items reachable from
    /// them (item by item, through `use` paths, re-exports and same-file references).
    pub fn reachable_chunks(&self, binary: &str) -> Vec<Chunk<'_>> {
        let own = self.function_files(binary);
        let mut chunks: Vec<Chunk<'_>> = own
            .iter()
            .map(|file| Chunk {
                file,
                start: 0,
                end: file.code.len(),
            })
            .collect();
        for (path, reach) in self.shared.reachable_items(own, "shared") {
            let Some(file) = self.shared.file(&path) else {
                continue;
            };
            match reach {
                Reach::Whole => chunks.push(Chunk {
                    file,
                    start: 0,
                    end: file.code.len(),
                }),
                Reach::Items(names) => chunks.extend(
                    top_level_items(&file.code)
                        .into_iter()
                        .filter(|item| !item.names.is_disjoint(&names))
                        .map(|item| Chunk {
                            file,
                            start: item.start,
                            end: item.end,
                        }),
                ),
            }
        }
        chunks
    }

    /// The function's own code: its crate and the reachable `shared` code other than the AWS
    /// adapters, the store's implementation over its table port (whose calls
    /// `PORT_METHOD_TABLE_OPS` declares) and the definitions (ports, domain, events), which call
    /// nothing.
    fn handler_code(&self, binary: &str) -> Vec<Chunk<'_>> {
        let shared_src = self.root.join("shared/src");
        let adapter_files: BTreeSet<&PathBuf> =
            self.adapters.values().flatten().map(|f| &f.path).collect();
        let definitions = ["ports", "domain", "events"].map(|d| shared_src.join(d));
        self.reachable_chunks(binary)
            .into_iter()
            .filter(|c| !adapter_files.contains(&c.file.path))
            .filter(|c| !c.file.code.contains("store::row::"))
            .filter(|c| !definitions.iter().any(|d| c.file.path.starts_with(d)))
            .collect()
    }

    /// Environment variable names the function's code reads: all-caps string literals passed to a
    /// call (`env::var("X")`, `required("X")`, `lookup("X")`), listed in an `ENV`-named constant, or
    /// held by a constant of their own name.
    pub fn env_vars_read(&self, binary: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for chunk in self.reachable_chunks(binary) {
            for (literal, before) in chunk.string_literals() {
                if !looks_like_env_var(literal) {
                    continue;
                }
                let before = before.trim_end();
                let statement_start = before.rfind([';', '}']).map_or(0, |i| i + 1);
                let statement = &before[statement_start..];
                // `const ENV_VARS = [..]`, or a constant named as the variable it names
                // (`pub const TABLE_NAME: &str = "TABLE_NAME"`).
                let in_env_constant = statement.contains("const")
                    && (statement.contains("ENV")
                        || statement.contains(&format!("const {literal}:")));
                let callee: String = before
                    .strip_suffix('(')
                    .map(|b| {
                        b.trim_end()
                            .chars()
                            .rev()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect::<String>()
                            .chars()
                            .rev()
                            .collect()
                    })
                    .unwrap_or_default();
                if ENV_READERS.contains(&callee.as_str()) || in_env_constant {
                    names.insert(literal.to_string());
                }
            }
        }
        names
    }

    /// Services whose adapter the function builds (its code names the SDK crate or an adapter type).
    fn linked_services(&self, binary: &str) -> BTreeSet<Service> {
        let handler = self.handler_code(binary);
        let mut linked = BTreeSet::new();
        for service in Service::ALL {
            let adapter_types: Vec<String> = self.adapters[&service]
                .iter()
                .flat_map(|f| public_struct_names(&f.code))
                .collect();
            let mentions = |chunk: &Chunk<'_>| {
                find_word(chunk.code(), service.sdk_crate(), 0).is_some()
                    || adapter_types
                        .iter()
                        .any(|t| find_word(chunk.code(), t, 0).is_some())
            };
            if handler.iter().any(mentions) {
                linked.insert(service);
            }
        }
        linked
    }

    /// The port methods the function's code calls.
    fn port_methods_called(&self, binary: &str) -> BTreeSet<String> {
        self.handler_code(binary)
            .iter()
            .flat_map(|c| method_calls(c.code()))
            .filter(|m| self.port_methods.contains(m))
            .collect()
    }

    /// The IAM actions of the AWS calls the function's code can make, each with the port methods
    /// that lead to it (for a readable failure): the port methods its code calls, mapped through
    /// the adapters' declarations ([`declared_actions`]).
    pub fn aws_actions(&self, binary: &str) -> BTreeMap<String, BTreeSet<String>> {
        let called = self.port_methods_called(binary);
        let mut actions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for service in self.linked_services(binary) {
            for method in &called {
                for action in declared_actions(service, method).unwrap_or_default() {
                    actions.entry(action).or_default().insert(method.clone());
                }
            }
        }
        actions
    }

    /// The table's global secondary indexes the function's DynamoDB calls can query: the store
    /// port methods its code calls, and the indexes `PORT_METHOD_TABLE_OPS` declares they query.
    pub fn indexes_queried(&self, binary: &str) -> BTreeSet<String> {
        if !self.linked_services(binary).contains(&Service::DynamoDb) {
            return BTreeSet::new();
        }
        self.port_methods_called(binary)
            .iter()
            .filter_map(|method| shared::store::entities::table_ops_of(method))
            .flatten()
            .filter_map(|op| match op {
                TableOp::Query(index) => index.name().map(str::to_string),
                _ => None,
            })
            .collect()
    }

    /// The port traits (`shared/src/ports`) and their methods.
    pub fn port_traits(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.port_traits
    }

    /// Every SDK operation the service's adapter calls anywhere.
    pub fn adapter_operations(&self, service: Service) -> BTreeSet<String> {
        self.adapters[&service]
            .iter()
            .flat_map(|f| method_calls(&f.code))
            .filter(|m| service.operations().contains(&m.as_str()))
            .collect()
    }

    /// The detail-types of the `ProductEvent`s the function's code builds.
    pub fn detail_types_emitted(&self, binary: &str) -> BTreeSet<String> {
        let mut emitted = BTreeSet::new();
        for chunk in self.handler_code(binary) {
            let code = chunk.code();
            for detail_type in ProductEvent::DETAIL_TYPES {
                let needle = format!("ProductEvent::{detail_type}");
                let mut from = 0;
                while let Some(found) = code[from..].find(&needle) {
                    let at = from + found + needle.len();
                    from = at;
                    let rest = &code[at..];
                    // A constructor passed as a function: `.map(ProductEvent::X)`.
                    if rest.trim_start().starts_with([')', ',']) {
                        emitted.insert(detail_type.to_string());
                        continue;
                    }
                    // A construction `ProductEvent::X(value)`, not a match arm `ProductEvent::X(_) =>`.
                    let Some(args) = rest.strip_prefix('(') else {
                        continue;
                    };
                    let close = args.find(')').unwrap_or(args.len());
                    let after = args[close.min(args.len())..]
                        .trim_start_matches(')')
                        .trim_start();
                    if !(after.starts_with("=>")
                        || after.starts_with('|')
                        || args.trim_start().starts_with('_'))
                    {
                        emitted.insert(detail_type.to_string());
                    }
                }
            }
        }
        emitted
    }
}

/// Calls that take an environment variable's name: `std::env::var`, `var_os`, and the
/// `lookup` / `required` / `get` closures the config loaders wrap them in.
const ENV_READERS: [&str; 8] = [
    "var", "var_os", "lookup", "required", "optional", "get", "require", "url",
];

fn looks_like_env_var(literal: &str) -> bool {
    let mut parts = literal.split('_');
    let first_ok = parts.next().is_some_and(|p| {
        p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && p.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    let rest: Vec<&str> = parts.collect();
    first_ok
        && !rest.is_empty()
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

fn public_struct_names(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("pub struct ") {
        let start = from + at + "pub struct ".len();
        let name: String = code[start..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
        from = start;
    }
    names
}

/// Identifiers called as methods: `.name(` (the receiver may be on the previous line).
fn method_calls(code: &str) -> BTreeSet<String> {
    let mut calls = BTreeSet::new();
    for name in called_names(code) {
        let mut from = 0;
        while let Some(at) = find_word(code, &name, from) {
            from = at + name.len();
            if code[..at].trim_end().ends_with('.') {
                calls.insert(name.clone());
                break;
            }
        }
    }
    calls
}

/// Every SDK operation an adapter calls anywhere must be in [`Service::operations`], or the per-function
/// check could miss it.
pub fn unknown_sdk_calls(codebase: &Codebase) -> Vec<String> {
    let mut unknown = Vec::new();
    for (service, files) in &codebase.adapters {
        for file in files {
            for (name, before) in client_calls(&file.code) {
                if !service.operations().contains(&name.as_str()) {
                    unknown.push(format!("{}: `{before}.{name}()`", file.path.display()));
                }
            }
        }
    }
    unknown
}

/// `client.op()` / `self.client.op()` calls: a method called with no arguments on something named
/// `client`, as the SDK's fluent builders start.
fn client_calls(code: &str) -> Vec<(String, String)> {
    let mut calls = Vec::new();
    let mut from = 0;
    while let Some(at) = find_word(code, "client", from) {
        from = at + "client".len();
        let rest = code[from..].trim_start();
        let Some(rest) = rest.strip_prefix('.') else {
            continue;
        };
        let rest = rest.trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && rest[name.len()..].trim_start().starts_with("()") {
            calls.push((name, "client".to_string()));
        }
    }
    calls
}
