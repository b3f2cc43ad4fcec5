//! infra/template.yaml checked against the code it deploys:
//! - every environment variable a function's code reads is set for it (and nothing it never reads);
//! - the binaries the template builds are the workspace's `[[bin]]` targets, built the Lambda way;
//! - the event rules match the source and detail-types the code emits, with retries and DLQs;
//! - the table's keys and indexes equal `shared::store::table::table_definition()`;
//! - each function's IAM actions cover the AWS calls its code makes, and grant no other; likewise the
//!   indexes it may query (the calls: the port methods its code calls, through the actions and
//!   indexes each adapter declares per method);
//! - the HTTP API routes what the api router serves, with the JWT authorizer exactly on `/v1`.
//!
//! cfn-lint and checkov run separately (scripts/check-template.sh).

#[path = "template/aws.rs"]
mod aws;
#[path = "template/cfn.rs"]
mod cfn;
#[path = "template/code.rs"]
mod code;
#[path = "template/crate_files.rs"]
mod crate_files;
#[path = "template/source.rs"]
mod source;

#[path = "template/environment.rs"]
mod environment;
#[path = "template/events.rs"]
mod events;
#[path = "template/http_api.rs"]
mod http_api;
#[path = "template/iam.rs"]
mod iam;

use aws::Service;
use cfn::{strings, Template};
use code::Codebase;
use serde_yaml::Value;
use shared::events::{ProductEvent, EVENT_SOURCE};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

fn template() -> Template {
    Template::load(&repo_root().join("infra/template.yaml"))
}

/// The five functions: template logical id and the binary (and `functions/<name>` crate) it runs.
fn functions(template: &Template) -> BTreeMap<String, String> {
    let mut by_binary = BTreeMap::new();
    for (logical_id, resource) in template.resources_of_type("AWS::Serverless::Function") {
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|p| p.get("Binary"))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{logical_id} names no Metadata.BuildProperties.Binary"));
        by_binary.insert(binary.to_string(), logical_id);
    }
    by_binary
}

const NO_OVERRIDES: BTreeMap<&str, &str> = BTreeMap::new();

/// Variables Lambda itself provides, or that select behaviour the template deliberately leaves at
/// its default (the SDK's endpoint overrides exist for local runs against DynamoDB Local and moto).
fn provided_by_lambda_or_left_default(name: &str) -> bool {
    name.starts_with("AWS_")
        || name.starts_with("_")
        || name == "RUST_LOG"
        || name == "LAMBDA_TASK_ROOT"
}

#[test]
fn the_template_builds_each_workspace_binary_for_lambda_on_arm64() {
    let template = template();
    let code = Codebase::load(&repo_root());
    let built = functions(&template);
    let binaries: BTreeSet<String> = code.function_binaries().into_keys().collect();
    assert_eq!(
        built.keys().cloned().collect::<BTreeSet<_>>(),
        binaries,
        "the template's functions and the workspace's functions/* binaries differ"
    );
    assert_eq!(
        binaries,
        ["api", "ingest", "notify", "score", "sync"]
            .map(String::from)
            .into()
    );

    for (binary, logical_id) in &built {
        let metadata = template
            .resource(logical_id)
            .get("Metadata")
            .expect("metadata");
        assert_eq!(
            metadata.get("BuildMethod").and_then(Value::as_str),
            Some("rust-cargolambda"),
            "{logical_id}"
        );
        let prop = |name: &str| {
            template
                .function_property(logical_id, name)
                .unwrap_or_else(|| panic!("{logical_id} has no {name}"))
        };
        assert_eq!(
            prop("Runtime").as_str(),
            Some("provided.al2023"),
            "{logical_id}"
        );
        assert_eq!(prop("Handler").as_str(), Some("bootstrap"), "{logical_id}");
        assert_eq!(
            strings(Some(prop("Architectures"))),
            ["arm64"],
            "{logical_id}"
        );
        // cargo-lambda runs in CodeUri and SAM copies target/lambda/<binary>/bootstrap from there, so
        // CodeUri must be the workspace root, whose members include the function's crate.
        let code_uri = prop("CodeUri").as_str().expect("CodeUri is a path");
        let workspace = repo_root().join("infra").join(code_uri);
        assert_eq!(
            workspace.canonicalize().expect("CodeUri exists"),
            repo_root().canonicalize().expect("repo root"),
            "{logical_id}: CodeUri must point at the workspace root"
        );
        assert_eq!(
            code.function_binaries()[binary],
            repo_root().join("functions").join(binary),
            "the {binary} binary comes from functions/{binary}"
        );
        // Structured logs with a bounded retention.
        // SAM merges a function's LoggingConfig over the Globals one.
        let log_format = template
            .properties(logical_id)
            .get("LoggingConfig")
            .and_then(|l| l.get("LogFormat"))
            .or_else(|| template.root["Globals"]["Function"]["LoggingConfig"].get("LogFormat"));
        assert_eq!(
            log_format.and_then(Value::as_str),
            Some("JSON"),
            "{logical_id}"
        );
        let log_group = Template::target(
            template
                .properties(logical_id)
                .get("LoggingConfig")
                .and_then(|l| l.get("LogGroup"))
                .unwrap_or_else(|| panic!("{logical_id} names no log group")),
        )
        .expect("log group is a Ref");
        assert_eq!(
            template.resource_type(log_group),
            Some("AWS::Logs::LogGroup")
        );
        assert!(
            template
                .properties(log_group)
                .get("RetentionInDays")
                .is_some(),
            "{log_group}"
        );
    }
}

fn evaluated_environment(template: &Template, logical_id: &str) -> BTreeMap<String, String> {
    evaluated_environment_with(template, logical_id, &NO_OVERRIDES)
}

fn evaluated_environment_with(
    template: &Template,
    logical_id: &str,
    overrides: &BTreeMap<&str, &str>,
) -> BTreeMap<String, String> {
    template
        .properties(logical_id)
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_mapping)
        .map(|vars| {
            vars.iter()
                .map(|(k, v)| {
                    let name = k.as_str().expect("variable names are strings").to_string();
                    let value = template
                        .evaluate(v, overrides)
                        .unwrap_or_else(|e| panic!("{logical_id}.{name}: {e}"));
                    (name, value)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The role a function runs as (explicit roles only: SAM-generated ones could not be checked).
fn role_of(template: &Template, function: &str) -> String {
    Template::target(
        template
            .properties(function)
            .get("Role")
            .unwrap_or_else(|| panic!("{function} has no explicit Role")),
    )
    .expect("Role is a GetAtt of a role in the template")
    .to_string()
}

fn allow_statements<'a>(template: &'a Template, role: &str) -> Vec<&'a Value> {
    let props = template.properties(role);
    assert!(
        props.get("ManagedPolicyArns").is_none(),
        "{role}: managed policies hide what is granted"
    );
    props["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_sequence()
                .into_iter()
                .flatten()
        })
        .filter(|s| s["Effect"].as_str() == Some("Allow"))
        .collect()
}

fn statement_resources(template: &Template, statement: &Value) -> Vec<String> {
    let resources = match &statement["Resource"] {
        Value::Sequence(seq) => seq.clone(),
        other => vec![other.clone()],
    };
    resources
        .iter()
        .map(|r| {
            template
                .evaluate(r, &NO_OVERRIDES)
                .unwrap_or_else(|e| panic!("resource {r:?}: {e}"))
        })
        .collect()
}
