//! An exercise's contract as numbered clauses, and its matrix of variant classes: both
//! markdown files beside the checks (`checks/contract.md`, `checks/matrix.md`) that the
//! chapter includes and the workspace's tests hold against the checks (every clause has a
//! check, every cell of the matrix names one or says why none can try it).

/// One clause: `- **S1** The server echoes ...` in `contract.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// `S1`: a letter or two and a number, never reused for another clause.
    pub id: String,
    /// The clause's words, its lines joined by spaces.
    pub text: String,
}

/// The clauses of a contract, in order: every list item that opens with a bold id.
pub fn clauses(contract: &str) -> Vec<Clause> {
    let mut found: Vec<Clause> = Vec::new();
    let mut open = false;
    for line in contract.lines() {
        if let Some((id, text)) = line
            .strip_prefix("- **")
            .and_then(|rest| rest.split_once("**"))
        {
            found.push(Clause {
                id: id.trim().to_string(),
                text: text.trim().to_string(),
            });
            open = true;
        } else if open && line.starts_with("  ") && !line.trim().is_empty() {
            // A clause's continuation line.
            if let Some(last) = found.last_mut() {
                last.text.push(' ');
                last.text.push_str(line.trim());
            }
        } else {
            open = false;
        }
    }
    found
}

/// One row of the matrix: `| S1 | the class | `check_a`, `check_b` |` or, for a class
/// no check can try, the reason in the last column instead of names (in words first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub clause: String,
    pub class: String,
    /// The checks that try this class in every run: the names in backticks.
    pub checks: Vec<String>,
    /// The last column's words: the reason when no check is named.
    pub tried_by: String,
}

/// The rows of the matrix's table (the header and the separator skipped).
pub fn cells(matrix: &str) -> Vec<Cell> {
    let mut found = Vec::new();
    for line in matrix.lines() {
        let Some(row) = line.trim().strip_prefix('|') else {
            continue;
        };
        let columns: Vec<&str> = row
            .trim_end_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let [clause, class, .., tried_by] = columns.as_slice() else {
            continue;
        };
        let header = clause.eq_ignore_ascii_case("clause");
        let separator = clause.chars().all(|c| c == '-' || c == ':');
        if header || separator {
            continue;
        }
        found.push(Cell {
            clause: clause.to_string(),
            class: class.to_string(),
            // Names when the column starts with one; a reason may quote code too.
            checks: match tried_by.starts_with('`') {
                true => tried_by
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect(),
                false => Vec::new(),
            },
            tried_by: tried_by.to_string(),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_with_continuation_lines() {
        let text = "Intro.\n\n- **S1** The server\n  echoes.\n- **S2** Exit 2.\n\nAfter.\n";
        let found = clauses(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].id, "S1");
        assert_eq!(found[0].text, "The server echoes.");
        assert_eq!(found[1].text, "Exit 2.");
    }

    #[test]
    fn cells_name_checks_or_a_reason() {
        let text = "| clause | class | tried by |\n|---|---|---|\n\
                    | S1 | empty | `a`, `b` |\n| S2 | a host | not on loopback: `::1` only |\n";
        let found = cells(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].checks, ["a", "b"]);
        assert!(found[1].checks.is_empty());
        assert_eq!(found[1].tried_by, "not on loopback: `::1` only");
    }
}
