//! Each exercise's contract is kept by its checks (a module of tests/book.rs): every
//! clause of `checks/contract.md` is covered by a check, every check names clauses that
//! exist, every cell of `checks/matrix.md` names checks that cover its clause (or says why
//! no check can try it), and the chapter shows both files.

use std::collections::BTreeSet;

use harness::Exercise;
use netlab_tests::workspace;

/// What is wrong with one exercise's contract, matrix and checks, in lines.
fn problems_of(exercise: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    let name = exercise.name;
    let clauses = exercise.clauses();
    if clauses.is_empty() {
        problems.push(format!(
            "{name}: checks/contract.md has no clause (`- **S1** ...`)"
        ));
    }
    let mut ids = BTreeSet::new();
    for clause in &clauses {
        if !ids.insert(clause.id.as_str()) {
            problems.push(format!("{name}: clause {} is listed twice", clause.id));
        }
    }
    for check in exercise.checks() {
        if check.covers.is_empty() {
            problems.push(format!(
                "{name}: check {} names no clause (`.covers(...)`)",
                check.name
            ));
        }
        for id in check.covers {
            if !ids.contains(id) {
                problems.push(format!(
                    "{name}: check {} covers {id}, no clause of the contract",
                    check.name
                ));
            }
        }
    }
    for clause in &clauses {
        if !exercise
            .checks()
            .iter()
            .any(|c| c.covers.contains(&clause.id.as_str()))
        {
            problems.push(format!(
                "{name}: clause {} has no check: {}",
                clause.id, clause.text
            ));
        }
    }
    let cells = harness::contract::cells(exercise.matrix);
    for cell in &cells {
        if !ids.contains(cell.clause.as_str()) {
            problems.push(format!(
                "{name}: the matrix's row {:?} names clause {:?}, not in the contract",
                cell.class, cell.clause
            ));
        }
        if cell.checks.is_empty() && cell.tried_by.len() < 12 {
            problems.push(format!(
                "{name}: the matrix's row {:?} names no check and gives no reason",
                cell.class
            ));
        }
        for tried_by in &cell.checks {
            match exercise.checks().iter().find(|c| c.name == tried_by) {
                None => problems.push(format!("{name}: the matrix's row {:?} names {tried_by}, no check of {name}", cell.class)),
                Some(check) if !check.covers.contains(&cell.clause.as_str()) => problems.push(format!(
                    "{name}: the matrix's row {:?} is clause {}, which {tried_by} does not name in .covers(...)",
                    cell.class, cell.clause
                )),
                Some(_) => {}
            }
        }
    }
    for clause in &clauses {
        if !cells.iter().any(|cell| cell.clause == clause.id) {
            problems.push(format!(
                "{name}: clause {} has no row in checks/matrix.md",
                clause.id
            ));
        }
    }
    let chapter = workspace().root().join("book/src").join(exercise.chapter);
    let text = std::fs::read_to_string(&chapter).unwrap_or_default();
    for file in ["contract.md", "matrix.md"] {
        let include = format!("{{{{#include ../../exercises/{name}/checks/{file}}}}}");
        if !text.contains(&include) {
            problems.push(format!(
                "{name}: the chapter does not show checks/{file} ({include})"
            ));
        }
    }
    problems
}

#[test]
fn every_clause_has_a_check_and_every_cell_a_check_or_a_reason() {
    let problems: Vec<String> = grading::exercises()
        .iter()
        .flat_map(|exercise| problems_of(exercise))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
