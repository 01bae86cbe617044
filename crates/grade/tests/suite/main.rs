//! grade's tests: grade run as students and instructors run it, on classes made from the
//! fixtures. One binary, so that its tests run side by side, as many at once as checks
//! run (most wait on programs under deadlines); the tests that grade the marked hostile
//! fixtures take turns ([`common::hostile_alone`]). A test is a `pub fn` listed in `main`:
//! one left out is dead code, which clippy refuses.

use std::process::ExitCode;

use libtest_mimic::Trial;

mod common;

mod anywhere;
mod build_walls;
mod cli;
mod export;
mod forged;
mod gradescope;
mod others;
mod outcomes;
mod reports;
mod uploads;
mod walls;
mod watch;

/// A test function as a trial named `module::function`, as libtest would name it.
macro_rules! test {
    ($module:ident :: $test:ident) => {
        Trial::test(
            concat!(stringify!($module), "::", stringify!($test)),
            || {
                $module::$test();
                Ok(())
            },
        )
    };
}

fn main() -> ExitCode {
    let trials = vec![
        test!(anywhere::it_grades_with_the_checkout_it_runs_in_and_builds_in_cargo_target_dir),
        test!(anywhere::away_from_any_checkout_it_asks_for_root),
        test!(anywhere::the_classroom_workflow_grades_once_into_every_report),
        test!(anywhere::one_submission_formats_refuse_a_class),
        #[cfg(target_os = "linux")]
        test!(build_walls::hostile_builds_get_nothing_of_the_grader),
        #[cfg(target_os = "linux")]
        test!(build_walls::hostile_builds_get_nothing_of_the_grader_as_another_user),
        #[cfg(target_os = "linux")]
        test!(build_walls::an_uploads_cargo_configuration_is_never_read),
        #[cfg(target_os = "linux")]
        test!(build_walls::a_build_writes_only_its_target_folder),
        test!(build_walls::a_solution_read_at_compile_time_is_never_quoted),
        test!(cli::reference_gets_full_marks),
        test!(cli::untouched_starters_score_zero),
        test!(
            cli::the_cli_grades_fixtures_to_their_recorded_result_in_bounded_time_leaving_nothing
        ),
        #[cfg(target_os = "linux")]
        test!(cli::no_report_format_holds_what_a_submission_read),
        #[cfg(target_os = "linux")]
        test!(cli::as_root_without_namespaces_programs_run_as_a_user_of_their_own),
        test!(cli::without_a_sandbox_other_peoples_code_needs_a_flag),
        #[cfg(target_os = "linux")]
        test!(cli::ctrl_c_mid_grading_stops_everything_and_reports_nothing),
        test!(cli::usage_and_path_errors_never_panic),
        test!(export::class_edition_has_no_answers_and_grades_the_students_work),
        test!(forged::a_panic_cannot_steer_the_terminal_or_draw_a_row),
        test!(forged::an_uploads_names_cannot_steer_the_terminal_or_start_a_row),
        test!(gradescope::bare_udp_cs_files_get_full_marks),
        test!(gradescope::every_upload_shape_gets_a_results_json_gradescope_reads),
        test!(gradescope::grade_writes_the_fallback_results_json_itself),
        test!(gradescope::setup_checks_the_reference_and_make_zip_creates_its_folder),
        test!(others::planted_links_are_refused_and_followed_nowhere),
        test!(others::other_submissions_and_the_reference_binaries_are_out_of_reach),
        test!(outcomes::a_server_that_does_not_compile_costs_only_the_server_checks),
        test!(outcomes::reference_short_of_full_marks_exits_1_naming_what_failed),
        test!(outcomes::fail_under_fails_the_run_naming_each_submission_below),
        test!(outcomes::usage_errors_exit_2),
        test!(reports::junit_report_parses_with_a_suite_per_submission_and_exercise),
        test!(reports::gradescope_results_for_a_submission_whose_name_is_not_utf8),
        test!(uploads::every_upload_shape_is_found_and_matched_by_name),
        test!(uploads::stray_paths_are_not_graded_in_every_format_and_the_rest_is),
        test!(uploads::book_url_makes_feedback_links_urls),
        test!(walls::no_program_reaches_the_graders_terminal),
        test!(walls::a_planted_setuid_file_is_never_setuid_root),
        test!(watch::a_save_checks_again_a_build_error_shows_and_full_marks_move_on),
        test!(watch::a_save_q_or_ctrl_c_during_a_round_stops_every_program_it_started),
        test!(watch::without_a_terminal_it_prints_plain_lines_and_stops_when_its_input_ends),
    ];
    libtest_mimic::run(&harness::cli::arguments(), trials).exit_code()
}
