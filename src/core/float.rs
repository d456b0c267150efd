//! The two `f64` operations the crate needs that std has and `core` does not (the npm build is
//! `no_std`, see src/no_std_support.rs); host-tested against std's.

/// `base` to the power `exp`, by the same square-and-multiply as std's `powi` on wasm32 (compiler
/// builtins' `__powidf2`), so the results are bit-identical (tested below).
pub fn powi(mut base: f64, exp: i32) -> f64 {
    let mut left = exp.unsigned_abs();
    let mut product = 1.0;
    loop {
        if left & 1 != 0 {
            product *= base;
        }
        left >>= 1;
        if left == 0 {
            break;
        }
        base *= base;
    }
    if exp < 0 {
        1.0 / product
    } else {
        product
    }
}

/// Whether `x` is a finite whole number (`x.fract() == 0.0` in std).
pub fn is_whole(x: f64) -> bool {
    // From 2^52 on every finite f64 is whole; below it the cast to u64 is exact for whole values.
    const ALL_WHOLE: f64 = 4_503_599_627_370_496.0;
    let magnitude = if x < 0.0 { -x } else { x };
    magnitude.is_finite() && (magnitude >= ALL_WHOLE || (magnitude as u64) as f64 == magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powi_matches_std_bit_for_bit() {
        for base in [
            0.0,
            0.5,
            1.0,
            1.1,
            1.5,
            1.7,
            2.0,
            3.3,
            10.0,
            -2.5,
            f64::MAX,
            f64::NAN,
        ] {
            for exp in [
                -40,
                -3,
                -1,
                0,
                1,
                2,
                3,
                7,
                10,
                31,
                64,
                1000,
                i32::MAX,
                i32::MIN,
            ] {
                let ours = powi(base, exp);
                let std = base.powi(exp);
                assert!(
                    ours.to_bits() == std.to_bits() || (ours.is_nan() && std.is_nan()),
                    "{base}^{exp}: {ours} vs {std}"
                );
            }
        }
    }

    #[test]
    fn is_whole_matches_fract() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1e-300,
            123.000001,
            65535.0,
            65535.5,
            2f64.powi(52),
            2f64.powi(52) + 0.5,
            2f64.powi(53),
            2f64.powi(53) + 1.0,
            1e300,
            -1e300,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::EPSILON,
        ];
        for x in values {
            assert_eq!(is_whole(x), x.fract() == 0.0, "{x}");
        }
    }
}
