//! Strict parsing of RAM policy documents (JSON) into [`Policy`]: every field is checked, unknown
//! fields, effects and operators are refused, and each error names where it is
//! (`Statement[2].Condition.IpAddress`). A field that appears twice in one object is refused
//! too (plain JSON parsers keep the last one silently, so `{"Effect":"Deny","Effect":"Allow"}`
//! would read as an Allow).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::condition::{OPERATORS, Values, shown};
use super::{Condition, Effect, MAX_POLICY_BYTES, Patterns, Policy, PolicyError, PolicyKind, Statement, canonical_key};

pub(super) fn parse(doc: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    if doc.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge);
    }
    let Strict(value) = serde_json::from_str(doc).map_err(|e| PolicyError::Json(e.to_string()))?;
    let top = object(&value, "the document")?;
    let mut version = None;
    let mut statements = None;
    for (field, v) in top {
        match field.as_str() {
            "Version" => version = Some(v),
            "Statement" => statements = Some(v),
            _ => return Err(PolicyError::UnknownField { at: "the document".into(), field: shown(field) }),
        }
    }
    match version {
        Some(Value::String(v)) if v == "1" => {}
        Some(_) => {
            return Err(PolicyError::Invalid { at: "Version".into(), detail: "must be the string \"1\"".into() });
        }
        None => return Err(PolicyError::MissingField { at: "the document".into(), field: "Version" }),
    }
    let Some(statements) = statements else {
        return Err(PolicyError::MissingField { at: "the document".into(), field: "Statement" });
    };
    let Value::Array(items) = statements else {
        return Err(PolicyError::Invalid { at: "Statement".into(), detail: "must be an array".into() });
    };
    let statements = items
        .iter()
        .enumerate()
        .map(|(i, s)| statement(s, &format!("Statement[{i}]"), kind))
        .collect::<Result<_, _>>()?;
    Ok(Policy { statements })
}

fn object<'v>(value: &'v Value, at: &str) -> Result<&'v Map<String, Value>, PolicyError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(PolicyError::Invalid { at: at.into(), detail: "must be a JSON object".into() }),
    }
}

fn statement(value: &Value, at: &str, kind: PolicyKind) -> Result<Statement, PolicyError> {
    let map = object(value, at)?;
    let mut effect = None;
    let mut actions = None;
    let mut resources = None;
    let mut principals = None;
    let mut conditions = Vec::new();
    for (field, v) in map {
        let here = format!("{at}.{field}");
        match field.as_str() {
            "Sid" => {
                if !v.is_string() {
                    return Err(PolicyError::Invalid { at: here, detail: "must be a string".into() });
                }
            }
            "Effect" => {
                effect = Some(match v {
                    Value::String(s) if s == "Allow" => Effect::Allow,
                    Value::String(s) if s == "Deny" => Effect::Deny,
                    Value::String(s) => return Err(PolicyError::UnknownEffect { at: here, effect: shown(s) }),
                    _ => return Err(PolicyError::Invalid { at: here, detail: "must be \"Allow\" or \"Deny\"".into() }),
                });
            }
            "Action" | "NotAction" => {
                if actions.is_some() {
                    return Err(PolicyError::Invalid { at: at.into(), detail: "has both Action and NotAction".into() });
                }
                let list = strings(v, &here)?;
                if let Some(bad) = list.iter().find(|a| *a != "*" && !a.contains(':')) {
                    return Err(PolicyError::Invalid {
                        at: here,
                        detail: format!("{} is not an action (service:Action or *)", shown(bad)),
                    });
                }
                actions = Some(Patterns { negated: field == "NotAction", patterns: list });
            }
            "Resource" | "NotResource" => {
                if resources.is_some() {
                    return Err(PolicyError::Invalid {
                        at: at.into(),
                        detail: "has both Resource and NotResource".into(),
                    });
                }
                let list = strings(v, &here)?;
                if let Some(bad) = list.iter().find(|r| *r != "*" && !r.starts_with("acs:")) {
                    return Err(PolicyError::Invalid {
                        at: here,
                        detail: format!("{} is not a resource (an acs: ARN pattern or *)", shown(bad)),
                    });
                }
                resources = Some(Patterns { negated: field == "NotResource", patterns: list });
            }
            "Principal" => {
                if kind == PolicyKind::Identity {
                    return Err(PolicyError::Invalid {
                        at: here,
                        detail: "a policy attached to a principal has no Principal (key and secret policies do)".into(),
                    });
                }
                principals = Some(principal(v, &here)?);
            }
            "Condition" => conditions = condition_block(v, &here)?,
            _ => return Err(PolicyError::UnknownField { at: at.into(), field: shown(field) }),
        }
    }
    let missing = |field| PolicyError::MissingField { at: at.into(), field };
    let effect = effect.ok_or_else(|| missing("Effect"))?;
    let actions = actions.ok_or_else(|| missing("Action"))?;
    let resources = resources.ok_or_else(|| missing("Resource"))?;
    if kind == PolicyKind::Resource && principals.is_none() {
        return Err(missing("Principal"));
    }
    Ok(Statement { effect, actions, resources, principals, conditions })
}

/// A non-empty string or non-empty array of non-empty strings.
fn strings(value: &Value, at: &str) -> Result<Vec<String>, PolicyError> {
    let bad =
        || PolicyError::Invalid { at: at.into(), detail: "must be a non-empty string or array of strings".into() };
    let list: Vec<String> = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(|i| i.as_str().map(str::to_owned).ok_or_else(bad)).collect::<Result<_, _>>()?
        }
        _ => return Err(bad()),
    };
    if list.iter().any(String::is_empty) {
        return Err(bad());
    }
    Ok(list)
}

/// `"*"` or `{"RAM": "arn" | ["arn", …]}`.
fn principal(value: &Value, at: &str) -> Result<Patterns, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(Patterns { negated: false, patterns: vec!["*".into()] }),
        Value::Object(map) if !map.is_empty() => {
            let mut patterns = Vec::new();
            for (field, v) in map {
                if field != "RAM" {
                    return Err(PolicyError::UnknownField { at: at.into(), field: shown(field) });
                }
                patterns.extend(strings(v, &format!("{at}.RAM"))?);
            }
            Ok(Patterns { negated: false, patterns })
        }
        _ => Err(PolicyError::Invalid { at: at.into(), detail: "must be \"*\" or {\"RAM\": [ARN patterns]}".into() }),
    }
}

/// `{Operator: {Key: Value | [Values]}}`; every operator and key is one condition (ANDed).
fn condition_block(value: &Value, at: &str) -> Result<Vec<Condition>, PolicyError> {
    let mut out = Vec::new();
    for (op_name, keys) in object(value, at)? {
        let here = format!("{at}.{op_name}");
        let Some(&(_, kind, negated)) = OPERATORS.iter().find(|(name, _, _)| name == op_name) else {
            return Err(PolicyError::UnknownOperator { at: at.into(), operator: shown(op_name) });
        };
        let keys = object(keys, &here)?;
        if keys.is_empty() {
            return Err(PolicyError::Invalid { at: here, detail: "has no condition key".into() });
        }
        for (key, raw) in keys {
            let key_at = format!("{here}.{key}");
            if key.is_empty() {
                return Err(PolicyError::Invalid { at: here, detail: "has an empty condition key".into() });
            }
            let raw = scalars(raw, &key_at)?;
            let values =
                Values::parse(kind, raw).map_err(|detail| PolicyError::Invalid { at: key_at.clone(), detail })?;
            out.push(Condition { kind, negated, key: canonical_key(key), values });
        }
    }
    Ok(out)
}

/// A condition value: a string, number or boolean, or a non-empty array of them, as strings.
fn scalars(value: &Value, at: &str) -> Result<Vec<String>, PolicyError> {
    let bad = || PolicyError::Invalid {
        at: at.into(),
        detail: "must be a string, number or boolean, or a non-empty array of them".into(),
    };
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(bad()),
    };
    match value {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => Err(bad()),
        v => Ok(vec![one(v)?]),
    }
}

/// A JSON value whose objects have no duplicate field.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(field) = access.next_key::<String>()? {
            if map.contains_key(&field) {
                return Err(de::Error::custom(format!("duplicate field {}", shown(&field))));
            }
            let Strict(value) = access.next_value()?;
            map.insert(field, value);
        }
        Ok(Value::Object(map))
    }
}
