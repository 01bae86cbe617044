//! What grade's exit code says once the report is written: 1 when the reference falls
//! short of full marks (`--reference`, a health check `setup.sh` or CI can fail on), or
//! when a submission's total is below `--fail-under PERCENT`; 0 otherwise.

use crate::report::Report;

/// Why this run fails, one line each; empty when it does not.
pub fn shortfalls(report: &Report, reference: bool, fail_under: Option<f64>) -> Vec<String> {
    let mut why = Vec::new();
    if reference {
        for sub in &report.submissions {
            let failing: Vec<String> = sub
                .exercises
                .iter()
                .flat_map(|ex| {
                    ex.checks
                        .iter()
                        .filter(|c| !c.passed)
                        .map(move |c| format!("{}::{}", ex.name, c.name))
                })
                .collect();
            if sub.score < sub.max_score || !failing.is_empty() {
                why.push(format!(
                    "the reference solutions scored {}/{}, not full marks; failing: {}",
                    sub.score,
                    sub.max_score,
                    failing.join(", ")
                ));
            }
        }
    }
    if let Some(percent) = fail_under {
        for sub in &report.submissions {
            let got = share(sub.score, sub.max_score);
            if got < percent {
                why.push(format!(
                    "{} scored {}/{} ({got:.1}%), below --fail-under {percent}%",
                    sub.name, sub.score, sub.max_score
                ));
            }
        }
    }
    why
}

/// `score` of `max` in percent; nothing to score is full marks.
fn share(score: u32, max: u32) -> f64 {
    match max {
        0 => 100.0,
        _ => f64::from(score) * 100.0 / f64::from(max),
    }
}

/// Parse `--fail-under`'s value: a percentage from 0 to 100 (`80`, `62.5`, `80%`).
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "--fail-under takes a percentage from 0 to 100, not {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("80"), Ok(80.0));
        assert_eq!(parse_percent("62.5%"), Ok(62.5));
        for bad in ["", "-1", "101", "NaN", "inf", "eighty"] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
        assert_eq!(share(0, 0), 100.0);
        assert_eq!(share(1, 4), 25.0);
    }
}
