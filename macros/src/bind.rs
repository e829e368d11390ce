//! Binds a layer call's arguments to its signature the way Python binds a call: positional
//! arguments in order, then keywords, then defaults; and reads them as typed values.

use crate::ast::{At, LayerCall, Spanned, Value, Written};
use crate::catalog::{self, Default, Signature};
use crate::ctxt::Ctxt;

/// A call's arguments matched to its signature's parameters.
pub struct Bound<'a> {
    /// The call as written.
    pub call: &'a LayerCall,
    /// The layer's signature.
    pub sig: &'static Signature,
    /// The argument given for each parameter, by parameter index.
    given: Vec<Option<&'a Spanned<Value>>>,
}

/// Matches `call`'s arguments to `sig`. Reports every binding mistake; returns `None` when a
/// required argument is missing (the layer cannot be resolved then).
pub fn bind<'a>(call: &'a LayerCall, sig: &'static Signature, cx: &mut Ctxt) -> Option<Bound<'a>> {
    let mut given: Vec<Option<&Spanned<Value>>> = vec![None; sig.params.len()];
    let mut seen_keyword = false;
    let mut positional = 0;
    // Names suggested for misspelt keywords: their "missing" errors would repeat the mistake.
    let mut suggested: Vec<&str> = Vec::new();
    let positional_max = positional_count(sig);
    for arg in &call.args {
        match &arg.keyword {
            None => {
                if seen_keyword {
                    cx.error(
                        arg.value.at,
                        "positional argument follows keyword argument; pass it by keyword, \
                         e.g. `stride = 2`",
                    );
                    continue;
                }
                if positional >= positional_max {
                    cx.error(arg.value.at, too_many_positional(sig, call.args.len()));
                } else {
                    given[positional] = Some(&arg.value);
                }
                positional += 1;
            }
            Some(keyword) => {
                seen_keyword = true;
                let name = keyword.to_string();
                let Some(index) = sig.params.iter().position(|p| p.name == name) else {
                    let best = catalog::closest(&name, sig.params.iter().map(|p| p.name));
                    suggested.extend(best);
                    cx.error(keyword.span(), unknown_keyword(sig, &name, best));
                    continue;
                };
                if given[index].is_some() {
                    let how =
                        if index < positional { "by position and by keyword" } else { "twice" };
                    cx.error(
                        keyword.span(),
                        format!("`{name}` is given {how}; {} takes each argument once", sig.name),
                    );
                    continue;
                }
                given[index] = Some(&arg.value);
            }
        }
    }
    let missing: Vec<&str> = sig
        .params
        .iter()
        .zip(&given)
        .filter(|(p, g)| matches!(p.default, Default::Required) && g.is_none())
        .map(|(p, _)| p.name)
        .collect();
    if missing.iter().any(|m| suggested.contains(m)) {
        return None; // already reported as a misspelt keyword
    }
    if !missing.is_empty() {
        let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
        let plural = if missing.len() == 1 { "argument" } else { "arguments" };
        cx.error(
            call.args_span,
            format!(
                "{} is missing its required {plural} {list}; it is called as {}",
                sig.name,
                usage(sig)
            ),
        );
        return None;
    }
    Some(Bound { call, sig, given })
}

/// `Conv2d(in_channels, out_channels, kernel_size, stride=1, ...)`.
fn usage(sig: &Signature) -> String {
    let params: Vec<String> = sig
        .params
        .iter()
        .filter(|p| p.name != "device" && p.name != "dtype")
        .map(|p| match p.default {
            Default::Required => p.name.to_owned(),
            d => format!("{}={}", p.name, default_text(d)),
        })
        .collect();
    format!("`{}({})`", sig.name, params.join(", "))
}

fn default_text(d: Default) -> String {
    match d {
        Default::Required => String::new(),
        Default::Int(i) => i.to_string(),
        Default::Float(f) => crate::repr::python_float(f),
        Default::Bool(b) => if b { "True" } else { "False" }.to_owned(),
        Default::Str(s) => format!("{s:?}"),
        Default::None => "None".to_owned(),
    }
}

/// Parameters that can be given by position: those before `device` (which, with `dtype` and
/// anything after them, staticnn takes by keyword only, as PyTorch does for e.g. the norms'
/// `bias`).
fn positional_count(sig: &Signature) -> usize {
    sig.params.iter().position(|p| p.name == "device").unwrap_or(sig.params.len())
}

fn too_many_positional(sig: &Signature, given: usize) -> String {
    let max = positional_count(sig);
    format!(
        "{} takes at most {max} positional arguments but {given} were given; it is called as {}",
        sig.name,
        usage(sig)
    )
}

fn unknown_keyword(sig: &Signature, name: &str, best: Option<&str>) -> String {
    match best {
        Some(best) => format!("{} has no parameter `{name}`; did you mean `{best}`?", sig.name),
        None if sig.params.is_empty() => format!("{} takes no arguments", sig.name),
        None => {
            format!("{} has no parameter `{name}`; its parameters are {}", sig.name, usage(sig))
        }
    }
}

impl<'a> Bound<'a> {
    /// The argument given for `name`, if any.
    pub fn given(&self, name: &str) -> Option<&'a Spanned<Value>> {
        let index = self.sig.params.iter().position(|p| p.name == name)?;
        self.given.get(index).copied().flatten()
    }

    /// Where errors about `name` point: the argument if given (all its tokens), else the
    /// layer's name.
    pub fn span(&self, name: &str) -> At {
        self.given(name).map_or_else(|| self.call.kind_span().into(), |v| v.at)
    }

    /// Where item `item` of `name` is written: see [`written_item`].
    pub fn item_at(&self, name: &str, item: usize) -> At {
        written_item(self.given(name), item).map_or_else(|| self.span(name), |w| w.at)
    }

    /// Item `item` of `name`'s value (`value`), with the expression it was written as when
    /// it was one: `400 (= 16 * 5 * 5)`.
    pub fn shown(&self, name: &str, item: usize, value: impl std::fmt::Display) -> String {
        show(self.given(name), item, value)
    }

    /// The effective value of `name`: the argument given, or PyTorch's default.
    pub fn value(&self, name: &str) -> Value {
        if let Some(v) = self.given(name) {
            return v.value.clone();
        }
        let default = self.sig.params.iter().find(|p| p.name == name).map(|p| p.default);
        match default {
            Some(Default::Int(i)) => Value::Int(i),
            Some(Default::Float(f)) => Value::Float(f),
            Some(Default::Bool(b)) => Value::Bool(b),
            Some(Default::Str(s)) => Value::Str(s.to_owned()),
            Some(Default::None | Default::Required) | None => Value::None,
        }
    }

    /// Item `item` of `name`, `value`, described for a message: `the integer -3 (= 1 - 4)`.
    pub fn described(&self, name: &str, item: usize, value: &Value) -> String {
        match value {
            Value::Int(i) => format!("the integer {}", self.shown(name, item, i)),
            other => other.describe(),
        }
    }

    /// ` (= 2 * 2)` when `name` was written as (or with) an arithmetic expression.
    pub fn written_note(&self, name: &str) -> String {
        written_as(self.given(name)).map(|text| format!(" (= {text})")).unwrap_or_default()
    }

    fn mismatch(&self, cx: &mut Ctxt, name: &str, expected: &str, found: &Value) {
        cx.error(
            self.span(name),
            format!("{} `{name}` expects {expected}, found {}", self.sig.name, found.describe()),
        );
    }

    /// An integer of at least `min`.
    pub fn int(&self, cx: &mut Ctxt, name: &str, min: i64) -> Option<usize> {
        let value = self.value(name);
        match value {
            Value::Int(i) if i >= min => usize::try_from(i).ok(),
            Value::Int(i) => {
                cx.error(self.span(name), self.too_small(name, &self.shown(name, 0, i), min));
                None
            }
            other => {
                self.mismatch(cx, name, "an integer", &other);
                None
            }
        }
    }

    fn too_small(&self, name: &str, found: &str, min: i64) -> String {
        if min == 1 {
            format!("{} `{name}` must be positive, found {found}", self.sig.name)
        } else {
            format!("{} `{name}` must be at least {min}, found {found}", self.sig.name)
        }
    }

    /// An integer of at least `min`, or `None` (Python's `None`); `Err(())` after an error.
    pub fn optional_int(&self, cx: &mut Ctxt, name: &str, min: i64) -> Result<Option<usize>, ()> {
        match self.value(name) {
            Value::None => Ok(None),
            _ => self.int(cx, name, min).map(Some).ok_or(()),
        }
    }

    /// A signed integer (dimension indices such as `end_dim=-1`).
    pub fn signed(&self, cx: &mut Ctxt, name: &str) -> Option<i64> {
        match self.value(name) {
            Value::Int(i) => Some(i),
            other => {
                self.mismatch(cx, name, "an integer", &other);
                None
            }
        }
    }

    /// One integer per axis: an integer (repeated) or a tuple of `axes` integers, each at least
    /// `min`, like PyTorch's `_pair` / `_triple`.
    pub fn per_axis(&self, cx: &mut Ctxt, name: &str, axes: usize, min: i64) -> Option<Vec<usize>> {
        let value = self.value(name);
        let expected = if axes == 1 {
            "an integer".to_owned()
        } else {
            format!("an integer or a tuple of {axes} integers")
        };
        let items = match &value {
            Value::Int(_) => vec![value.clone(); axes],
            Value::Tuple(items) if items.len() == axes => items.clone(),
            Value::Tuple(items) if axes > 1 => {
                cx.error(
                    self.span(name),
                    format!(
                        "{} `{name}` expects {expected}, found a tuple of {} values",
                        self.sig.name,
                        items.len()
                    ),
                );
                return None;
            }
            other => {
                self.mismatch(cx, name, &expected, other);
                return None;
            }
        };
        let mut out = Vec::with_capacity(axes);
        for (axis, item) in items.into_iter().enumerate() {
            match item {
                Value::Int(i) if i >= min => out.push(usize::try_from(i).ok()?),
                Value::Int(i) => {
                    let found = self.shown(name, axis, i);
                    cx.error(self.item_at(name, axis), self.too_small(name, &found, min));
                    return None;
                }
                other => {
                    self.mismatch(cx, name, &expected, &other);
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A boolean.
    pub fn bool(&self, cx: &mut Ctxt, name: &str) -> Option<bool> {
        match self.value(name) {
            Value::Bool(b) => Some(b),
            other => {
                self.mismatch(cx, name, "True or False", &other);
                None
            }
        }
    }

    /// A float (integers are accepted, as in Python).
    pub fn float(&self, cx: &mut Ctxt, name: &str) -> Option<f64> {
        match self.value(name) {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            other => {
                self.mismatch(cx, name, "a number", &other);
                None
            }
        }
    }

    /// A float greater than zero.
    pub fn positive_float(&self, cx: &mut Ctxt, name: &str) -> Option<f64> {
        let f = self.float(cx, name)?;
        if f > 0.0 {
            Some(f)
        } else {
            cx.error(
                self.span(name),
                format!("{} `{name}` must be positive, found {f}", self.sig.name),
            );
            None
        }
    }

    /// One of the strings in `allowed`.
    pub fn choice(&self, cx: &mut Ctxt, name: &str, allowed: &[&str]) -> Option<String> {
        let list = allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ");
        match self.value(name) {
            Value::Str(s) if allowed.contains(&s.as_str()) => Some(s),
            Value::Str(s) => {
                let hint = catalog::closest(&s, allowed.iter().copied())
                    .map(|c| format!("; did you mean {c:?}?"))
                    .unwrap_or_default();
                cx.error(
                    self.span(name),
                    format!("{} `{name}` must be one of {list}, found {s:?}{hint}", self.sig.name),
                );
                None
            }
            other => {
                self.mismatch(cx, name, &format!("one of {list}"), &other);
                None
            }
        }
    }

    /// Checks that `device` and `dtype`, which staticnn cannot honour, are left as `None`.
    pub fn reject_device_and_dtype(&self, cx: &mut Ctxt) {
        for name in ["device", "dtype"] {
            if let Some(v) = self.given(name)
                && v.value != Value::None
            {
                cx.error(
                    v.at,
                    format!(
                        "staticnn computes in f32 on the target it is compiled for; remove `{name}`"
                    ),
                );
            }
        }
    }
}

/// How item `item` of an argument was written: element `item` of a tuple, or the argument
/// itself when it is one value (an integer that PyTorch repeats for every axis).
pub fn written_item(given: Option<&Spanned<Value>>, item: usize) -> Option<&Written> {
    let written = &given?.written;
    if written.len() == 1 { written.first() } else { written.get(item) }
}

/// `value` (item `item` of an argument), followed by the expression it was written as when it
/// was one: `400 (= 16 * 5 * 5)`; just `value` for a default or a plain literal.
pub fn show(given: Option<&Spanned<Value>>, item: usize, value: impl std::fmt::Display) -> String {
    match written_item(given, item) {
        Some(w) => w.show(value),
        None => value.to_string(),
    }
}

/// How an argument was written, when it was (or held) an arithmetic expression: `(4 * 4, 4)`.
pub fn written_as(given: Option<&Spanned<Value>>) -> Option<String> {
    let given = given?;
    let items = match &given.value {
        Value::Tuple(items) => items.iter().collect(),
        one => vec![one],
    };
    let computed = items
        .iter()
        .zip(&given.written)
        .any(|(v, w)| matches!(v, Value::Int(i) if i.to_string() != w.text));
    computed.then(|| given.text())
}
