//! [`Dtype`]: the element types a safetensors header may name.

use core::fmt;

use super::json::JsonStr;

macro_rules! dtypes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $bits:literal, $integer:literal;)*) => {
        /// An element type of the safetensors format, as named in the header's `dtype`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Dtype {
            $($(#[$doc])* $variant,)*
        }

        impl Dtype {
            /// Every dtype, in the order of the format's specification.
            pub const ALL: &'static [Dtype] = &[$(Dtype::$variant),*];

            /// The name used in headers, e.g. `"F32"`.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Dtype::$variant => $name,)*
                }
            }

            /// The size of one element in bits (some types are smaller than a byte).
            #[must_use]
            pub const fn bits(self) -> u64 {
                match self {
                    $(Dtype::$variant => $bits,)*
                }
            }

            /// Whether this is an integer type (signed or unsigned; `BOOL` is not).
            #[must_use]
            pub const fn is_integer(self) -> bool {
                match self {
                    $(Dtype::$variant => $integer,)*
                }
            }
        }
    };
}

dtypes! {
    /// Booleans, one byte each.
    Bool = "BOOL", 8, false;
    /// 4-bit float (MXFP4).
    F4 = "F4", 4, false;
    /// 6-bit float, 2 exponent and 3 mantissa bits (MXFP6).
    F6E2M3 = "F6_E2M3", 6, false;
    /// 6-bit float, 3 exponent and 2 mantissa bits (MXFP6).
    F6E3M2 = "F6_E3M2", 6, false;
    /// Unsigned 8-bit integer.
    U8 = "U8", 8, true;
    /// Signed 8-bit integer.
    I8 = "I8", 8, true;
    /// 8-bit float, 5 exponent and 2 mantissa bits.
    F8E5M2 = "F8_E5M2", 8, false;
    /// 8-bit float, 4 exponent and 3 mantissa bits.
    F8E4M3 = "F8_E4M3", 8, false;
    /// 8-bit power-of-two scale (MX).
    F8E8M0 = "F8_E8M0", 8, false;
    /// 8-bit float E4M3, finite, no negative zero.
    F8E4M3Fnuz = "F8_E4M3FNUZ", 8, false;
    /// 8-bit float E5M2, finite, no negative zero.
    F8E5M2Fnuz = "F8_E5M2FNUZ", 8, false;
    /// Signed 16-bit integer.
    I16 = "I16", 16, true;
    /// Unsigned 16-bit integer.
    U16 = "U16", 16, true;
    /// IEEE half precision.
    F16 = "F16", 16, false;
    /// bfloat16.
    Bf16 = "BF16", 16, false;
    /// Signed 32-bit integer.
    I32 = "I32", 32, true;
    /// Unsigned 32-bit integer.
    U32 = "U32", 32, true;
    /// IEEE single precision, the only type staticnn loads into a network.
    F32 = "F32", 32, false;
    /// Complex number of two `F32`.
    C64 = "C64", 64, false;
    /// IEEE double precision.
    F64 = "F64", 64, false;
    /// Signed 64-bit integer (the dtype of `num_batches_tracked`).
    I64 = "I64", 64, true;
    /// Unsigned 64-bit integer.
    U64 = "U64", 64, true;
}

impl Dtype {
    /// The dtype a header names, or `None` for an unknown name (names are case-sensitive).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|dtype| dtype.name() == name)
    }

    /// Like [`Dtype::from_name`] for a header string that may contain escapes.
    pub(crate) fn from_json(name: JsonStr<'_>) -> Option<Self> {
        Self::ALL.iter().copied().find(|dtype| name == dtype.name())
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Dtype;

    #[test]
    fn names_round_trip() {
        for &dtype in Dtype::ALL {
            assert_eq!(Dtype::from_name(dtype.name()), Some(dtype));
        }
        assert_eq!(Dtype::from_name("f32"), None);
        assert_eq!(Dtype::from_name("F32 "), None);
        assert_eq!(Dtype::F32.bits(), 32);
        assert!(Dtype::I64.is_integer() && !Dtype::Bool.is_integer());
    }
}
