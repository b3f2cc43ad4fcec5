//! The SAM template as data: YAML with CloudFormation's short tags (`!Ref`, `!GetAtt`, `!Sub`, ...)
//! turned into their long forms, and a small evaluator for the intrinsics the template uses, so a test
//! can see the string a function would actually receive.

use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub struct Template {
    pub root: Value,
}

/// Values that stand in for what CloudFormation knows only at deploy time.
pub const STACK_NAME: &str = "ci-stack";
pub const REGION: &str = "eu-west-1";
pub const ACCOUNT_ID: &str = "123456789012";

impl Template {
    pub fn load(path: &Path) -> Template {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let raw: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
        Template {
            root: long_form(raw),
        }
    }

    pub fn section(&self, name: &str) -> &Mapping {
        self.root
            .get(name)
            .and_then(Value::as_mapping)
            .unwrap_or_else(|| panic!("template has no {name} section"))
    }

    pub fn resource(&self, logical_id: &str) -> &Value {
        self.section("Resources")
            .get(logical_id)
            .unwrap_or_else(|| panic!("template has no resource {logical_id}"))
    }

    pub fn resource_type(&self, logical_id: &str) -> Option<&str> {
        self.section("Resources")
            .get(logical_id)?
            .get("Type")?
            .as_str()
    }

    /// `(logical id, resource)` of every resource of `type_name`, in template order.
    pub fn resources_of_type(&self, type_name: &str) -> Vec<(String, &Value)> {
        self.section("Resources")
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(type_name))
            .filter_map(|(id, r)| Some((id.as_str()?.to_string(), r)))
            .collect()
    }

    pub fn properties<'a>(&'a self, logical_id: &str) -> &'a Value {
        self.resource(logical_id)
            .get("Properties")
            .unwrap_or_else(|| panic!("{logical_id} has no Properties"))
    }

    /// A function's property, falling back to `Globals.Function`.
    pub fn function_property<'a>(&'a self, logical_id: &str, name: &str) -> Option<&'a Value> {
        self.properties(logical_id).get(name).or_else(|| {
            self.root
                .get("Globals")
                .and_then(|g| g.get("Function"))
                .and_then(|f| f.get(name))
        })
    }

    /// The resource an intrinsic points at: `{Ref: X}` or `{Fn::GetAtt: [X, ..]}` gives `X`.
    pub fn target(value: &Value) -> Option<&str> {
        if let Some(name) = value.get("Ref").and_then(Value::as_str) {
            return Some(name);
        }
        value
            .get("Fn::GetAtt")
            .and_then(Value::as_sequence)
            .and_then(|s| s.first())
            .and_then(Value::as_str)
    }

    /// What CloudFormation would make of `value`, with parameters at their defaults (or
    /// `overrides`), resources' physical ids and attributes as recognisable placeholders.
    pub fn evaluate(
        &self,
        value: &Value,
        overrides: &BTreeMap<&str, &str>,
    ) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Mapping(m) if m.len() == 1 => {
                let (key, arg) = m.iter().next().ok_or("empty mapping")?;
                match key.as_str().unwrap_or_default() {
                    "Ref" => self.reference(arg.as_str().ok_or("Ref of a non-string")?, overrides),
                    "Fn::GetAtt" => {
                        let parts = arg.as_sequence().ok_or("GetAtt of a non-list")?;
                        let names: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                        Ok(format!(
                            "{}.{}",
                            self.physical_id(names[0])?,
                            names[1..].join(".")
                        ))
                    }
                    "Fn::Sub" => self.substitute(arg, overrides),
                    "Fn::If" => {
                        let args = arg.as_sequence().ok_or("If of a non-list")?;
                        let condition = args[0].as_str().ok_or("If without a condition name")?;
                        let branch = if self.condition(condition, overrides)? {
                            &args[1]
                        } else {
                            &args[2]
                        };
                        self.evaluate(branch, overrides)
                    }
                    other => Err(format!("cannot evaluate {other}")),
                }
            }
            other => Err(format!("cannot evaluate {other:?}")),
        }
    }

    fn reference(&self, name: &str, overrides: &BTreeMap<&str, &str>) -> Result<String, String> {
        match name {
            "AWS::StackName" => return Ok(STACK_NAME.into()),
            "AWS::Region" => return Ok(REGION.into()),
            "AWS::AccountId" => return Ok(ACCOUNT_ID.into()),
            "AWS::Partition" => return Ok("aws".into()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            _ => {}
        }
        if let Some(value) = overrides.get(name) {
            return Ok((*value).to_string());
        }
        if let Some(parameter) = self.section("Parameters").get(name) {
            return match parameter.get("Default") {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                _ => Err(format!("parameter {name} has no default; pass an override")),
            };
        }
        self.physical_id(name)
    }

    fn physical_id(&self, logical_id: &str) -> Result<String, String> {
        if self.section("Resources").get(logical_id).is_none() {
            return Err(format!("no parameter or resource named {logical_id}"));
        }
        // Lower case, as host names come back from URL parsing.
        Ok(format!("{STACK_NAME}-{}-id", logical_id.to_lowercase()))
    }

    fn substitute(&self, arg: &Value, overrides: &BTreeMap<&str, &str>) -> Result<String, String> {
        let (pattern, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Sequence(seq) => (
                seq[0].as_str().ok_or("Sub pattern is not a string")?,
                seq.get(1).and_then(Value::as_mapping),
            ),
            _ => return Err("bad Sub".into()),
        };
        let mut out = String::new();
        let mut rest = pattern;
        while let Some(open) = rest.find("${") {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').ok_or("unclosed ${ in Sub")? + open;
            let name = &rest[open + 2..close];
            let value = if let Some(v) = vars.and_then(|m| m.get(name)) {
                self.evaluate(v, overrides)?
            } else if let Some((resource, attribute)) = name.split_once('.') {
                if name.starts_with("AWS::") {
                    self.reference(name, overrides)?
                } else {
                    format!("{}.{attribute}", self.physical_id(resource)?)
                }
            } else {
                self.reference(name, overrides)?
            };
            out.push_str(&value);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn condition(&self, name: &str, overrides: &BTreeMap<&str, &str>) -> Result<bool, String> {
        let condition = self
            .section("Conditions")
            .get(name)
            .ok_or_else(|| format!("no condition {name}"))?;
        self.truth(condition, overrides)
    }

    fn truth(&self, value: &Value, overrides: &BTreeMap<&str, &str>) -> Result<bool, String> {
        let m = value.as_mapping().ok_or("condition is not a mapping")?;
        let (key, arg) = m.iter().next().ok_or("empty condition")?;
        let args = arg.as_sequence();
        match key.as_str().unwrap_or_default() {
            "Fn::Not" => Ok(!self.truth(&args.ok_or("Not of a non-list")?[0], overrides)?),
            "Fn::Equals" => {
                let args = args.ok_or("Equals of a non-list")?;
                Ok(self.evaluate(&args[0], overrides)? == self.evaluate(&args[1], overrides)?)
            }
            "Fn::And" => args
                .ok_or("And of a non-list")?
                .iter()
                .try_fold(true, |all, c| Ok(all && self.truth(c, overrides)?)),
            "Fn::Or" => args
                .ok_or("Or of a non-list")?
                .iter()
                .try_fold(false, |any, c| Ok(any || self.truth(c, overrides)?)),
            "Condition" => {
                self.condition(arg.as_str().ok_or("Condition of a non-string")?, overrides)
            }
            other => Err(format!("cannot evaluate condition {other}")),
        }
    }
}

/// Rewrites short tags into the long forms CloudFormation documents (`!Ref X` -> `{Ref: X}`,
/// `!GetAtt A.B` -> `{Fn::GetAtt: [A, B]}`, `!Sub s` -> `{Fn::Sub: s}`, ...). serde_yaml 0.9 keeps a
/// tag as `Value::Tagged`.
pub fn long_form(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) => {
            let TaggedValue { tag, value } = *tagged;
            let name = tag_name(&tag);
            let inner = long_form(value);
            let (key, inner) = match name.as_str() {
                "Ref" | "Condition" => (name.clone(), inner),
                "GetAtt" => {
                    let inner = match inner {
                        Value::String(s) => Value::Sequence(match s.split_once('.') {
                            Some((resource, attribute)) => vec![resource.into(), attribute.into()],
                            None => vec![s.into()],
                        }),
                        other => other,
                    };
                    ("Fn::GetAtt".to_string(), inner)
                }
                _ => (format!("Fn::{name}"), inner),
            };
            let mut map = Mapping::new();
            map.insert(Value::String(key), inner);
            Value::Mapping(map)
        }
        Value::Sequence(seq) => Value::Sequence(seq.into_iter().map(long_form).collect()),
        Value::Mapping(map) => {
            Value::Mapping(map.into_iter().map(|(k, v)| (k, long_form(v))).collect())
        }
        other => other,
    }
}

fn tag_name(tag: &Tag) -> String {
    tag.to_string().trim_start_matches('!').to_string()
}

/// Strings of a scalar or a list (`Action: x` or `Action: [x, y]`).
pub fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(seq)) => seq
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}
