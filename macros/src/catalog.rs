//! The table of layers the macro knows: PyTorch's names, parameters in PyTorch's order, and
//! their defaults. Binding arguments (`bind.rs`) and resolving layers (`layers.rs`) read it.

/// The default of one parameter.
#[derive(Clone, Copy, Debug)]
pub enum Default {
    /// The parameter must be given.
    Required,
    /// An integer default.
    Int(i64),
    /// A float default.
    Float(f64),
    /// A boolean default.
    Bool(bool),
    /// A string default.
    Str(&'static str),
    /// `None`.
    None,
}

/// One parameter of a layer's constructor.
#[derive(Debug)]
pub struct Param {
    /// PyTorch's keyword.
    pub name: &'static str,
    /// Its default.
    pub default: Default,
}

/// A layer's constructor signature, as in `torch.nn`.
#[derive(Debug)]
pub struct Signature {
    /// The class name (`Conv2d`).
    pub name: &'static str,
    /// The parameters in PyTorch's positional order.
    pub params: &'static [Param],
}

const fn p(name: &'static str, default: Default) -> Param {
    Param { name, default }
}

use self::Default::{Bool, Float, Int, None as NoneDefault, Required, Str};

const CONV: &[Param] = &[
    p("in_channels", Required),
    p("out_channels", Required),
    p("kernel_size", Required),
    p("stride", Int(1)),
    p("padding", Int(0)),
    p("dilation", Int(1)),
    p("groups", Int(1)),
    p("bias", Bool(true)),
    p("padding_mode", Str("zeros")),
    p("device", NoneDefault),
    p("dtype", NoneDefault),
];

const CONV_TRANSPOSE: &[Param] = &[
    p("in_channels", Required),
    p("out_channels", Required),
    p("kernel_size", Required),
    p("stride", Int(1)),
    p("padding", Int(0)),
    p("output_padding", Int(0)),
    p("groups", Int(1)),
    p("bias", Bool(true)),
    p("dilation", Int(1)),
    p("padding_mode", Str("zeros")),
    p("device", NoneDefault),
    p("dtype", NoneDefault),
];

const MAX_POOL: &[Param] = &[
    p("kernel_size", Required),
    p("stride", NoneDefault),
    p("padding", Int(0)),
    p("dilation", Int(1)),
    p("return_indices", Bool(false)),
    p("ceil_mode", Bool(false)),
];

const AVG_POOL_1D: &[Param] = &[
    p("kernel_size", Required),
    p("stride", NoneDefault),
    p("padding", Int(0)),
    p("ceil_mode", Bool(false)),
    p("count_include_pad", Bool(true)),
];

const AVG_POOL_2D: &[Param] = &[
    p("kernel_size", Required),
    p("stride", NoneDefault),
    p("padding", Int(0)),
    p("ceil_mode", Bool(false)),
    p("count_include_pad", Bool(true)),
    p("divisor_override", NoneDefault),
];

// PyTorch 2.15 added a keyword-only `bias` to the batch and instance norms.
const BATCH_NORM: &[Param] = &[
    p("num_features", Required),
    p("eps", Float(1e-5)),
    p("momentum", Float(0.1)),
    p("affine", Bool(true)),
    p("track_running_stats", Bool(true)),
    p("device", NoneDefault),
    p("dtype", NoneDefault),
    p("bias", Bool(true)),
];

const INSTANCE_NORM: &[Param] = &[
    p("num_features", Required),
    p("eps", Float(1e-5)),
    p("momentum", Float(0.1)),
    p("affine", Bool(false)),
    p("track_running_stats", Bool(false)),
    p("device", NoneDefault),
    p("dtype", NoneDefault),
    p("bias", Bool(true)),
];

const INPLACE: &[Param] = &[p("inplace", Bool(false))];

/// Every layer `network!` accepts, by PyTorch class name.
pub const SIGNATURES: &[Signature] = &[
    Signature { name: "Conv1d", params: CONV },
    Signature { name: "Conv2d", params: CONV },
    Signature { name: "Conv3d", params: CONV },
    Signature { name: "ConvTranspose2d", params: CONV_TRANSPOSE },
    Signature { name: "MaxPool1d", params: MAX_POOL },
    Signature { name: "MaxPool2d", params: MAX_POOL },
    Signature { name: "AvgPool1d", params: AVG_POOL_1D },
    Signature { name: "AvgPool2d", params: AVG_POOL_2D },
    Signature { name: "AdaptiveAvgPool2d", params: &[p("output_size", Required)] },
    Signature {
        name: "AdaptiveMaxPool2d",
        params: &[p("output_size", Required), p("return_indices", Bool(false))],
    },
    Signature { name: "BatchNorm1d", params: BATCH_NORM },
    Signature { name: "BatchNorm2d", params: BATCH_NORM },
    Signature {
        name: "LayerNorm",
        params: &[
            p("normalized_shape", Required),
            p("eps", Float(1e-5)),
            p("elementwise_affine", Bool(true)),
            p("bias", Bool(true)),
            p("device", NoneDefault),
            p("dtype", NoneDefault),
        ],
    },
    Signature { name: "InstanceNorm2d", params: INSTANCE_NORM },
    Signature {
        name: "Linear",
        params: &[
            p("in_features", Required),
            p("out_features", Required),
            p("bias", Bool(true)),
            p("device", NoneDefault),
            p("dtype", NoneDefault),
        ],
    },
    Signature { name: "Flatten", params: &[p("start_dim", Int(1)), p("end_dim", Int(-1))] },
    Signature { name: "Identity", params: &[] },
    Signature { name: "Dropout", params: &[p("p", Float(0.5)), p("inplace", Bool(false))] },
    Signature {
        name: "Upsample",
        params: &[
            p("size", NoneDefault),
            p("scale_factor", NoneDefault),
            p("mode", Str("nearest")),
            p("align_corners", NoneDefault),
            p("recompute_scale_factor", NoneDefault),
        ],
    },
    Signature { name: "ReLU", params: INPLACE },
    Signature { name: "ReLU6", params: INPLACE },
    Signature {
        name: "LeakyReLU",
        params: &[p("negative_slope", Float(0.01)), p("inplace", Bool(false))],
    },
    Signature { name: "Sigmoid", params: &[] },
    Signature { name: "Tanh", params: &[] },
    Signature {
        name: "Hardtanh",
        params: &[p("min_val", Float(-1.0)), p("max_val", Float(1.0)), p("inplace", Bool(false))],
    },
    Signature { name: "Hardsigmoid", params: INPLACE },
    Signature { name: "Hardswish", params: INPLACE },
    Signature { name: "SiLU", params: INPLACE },
    Signature { name: "GELU", params: &[p("approximate", Str("none"))] },
    Signature { name: "ELU", params: &[p("alpha", Float(1.0)), p("inplace", Bool(false))] },
    Signature { name: "Softplus", params: &[p("beta", Float(1.0)), p("threshold", Float(20.0))] },
    Signature { name: "Softmax", params: &[p("dim", NoneDefault)] },
    Signature { name: "LogSoftmax", params: &[p("dim", NoneDefault)] },
];

/// The signature of the layer called `name`, if `network!` knows it.
pub fn lookup(name: &str) -> Option<&'static Signature> {
    SIGNATURES.iter().find(|s| s.name == name)
}

/// The known name closest to `name` if it is close enough to be a typo (edit distance at most
/// 2, or equal ignoring case).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = if c.to_lowercase() == lower { 0 } else { edit_distance(name, c) };
            (d, c)
        })
        .filter(|&(d, c)| d <= 2.max(c.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous_diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous_diagonal + usize::from(ca != cb);
            previous_diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous_diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_layer() {
        let names = || SIGNATURES.iter().map(|s| s.name);
        assert_eq!(closest("Conv2D", names()), Some("Conv2d"));
        assert_eq!(closest("Lienar", names()), Some("Linear"));
        assert_eq!(closest("MaxPool", names()), Some("MaxPool1d"));
        assert_eq!(closest("MyFancyLayer", names()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
