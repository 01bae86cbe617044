//! The axes' arithmetic: round tick steps (1, 2 or 5 times a power of ten) and their
//! labels, in integers so that the same capture always gives the same bytes.

/// A step of 1, 2 or 5 times a power of ten that cuts `span` into at most `most` parts.
pub fn tick_step(span: u64, most: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = power.saturating_mul(factor);
            if span.div_ceil(step) <= most || step == u64::MAX {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// The unit the time axis counts in, for a capture lasting `nanos`: its name and size.
pub fn time_unit(nanos: u64) -> (&'static str, u64) {
    if nanos < 2_000_000 {
        ("µs", 1_000)
    } else if nanos < 2_000_000_000 {
        ("ms", 1_000_000)
    } else {
        ("s", 1_000_000_000)
    }
}

/// `value / unit` written with as many decimals as `step / unit` needs (none for a whole
/// step): 1500000 ns in ms with a step of 500000 is "1.5".
pub fn label(value: u64, step: u64, unit: u64) -> String {
    let mut decimals = 0u32;
    let mut scaled_step = u128::from(step);
    while scaled_step % u128::from(unit) != 0 && decimals < 9 {
        scaled_step *= 10;
        decimals += 1;
    }
    let tenths = u128::from(value) * 10u128.pow(decimals) / u128::from(unit);
    let digits = tenths.to_string();
    if decimals == 0 {
        return digits;
    }
    let decimals = decimals as usize;
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    format!("{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_few() {
        assert_eq!(tick_step(0, 6), 1);
        assert_eq!(tick_step(6, 6), 1);
        assert_eq!(tick_step(7, 6), 2);
        assert_eq!(tick_step(4_200, 6), 1_000);
        assert_eq!(tick_step(2_600, 6), 500);
        assert!(tick_step(u64::MAX, 6) > 0);
    }

    #[test]
    fn labels_show_the_decimals_the_step_needs() {
        assert_eq!(label(1_500_000, 500_000, 1_000_000), "1.5");
        assert_eq!(label(2_000_000, 1_000_000, 1_000_000), "2");
        assert_eq!(label(50_000, 50_000, 1_000_000), "0.05");
        assert_eq!(label(0, 20, 1_000), "0.00");
        assert_eq!(time_unit(500_000).0, "µs");
        assert_eq!(time_unit(600_000_000).0, "ms");
    }
}
