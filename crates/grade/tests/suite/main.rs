//! grade's tests: grade run as students and instructors run it, on classes made from the
//! fixtures. One binary, so that its tests run side by side, as many at once as checks
//! run (most wait on programs under deadlines); the tests that grade the marked hostile
//! fixtures take turns ([`common::hostile_alone`]). A test is a `pub fn` listed in `main`:
//! one left out is dead code, which clippy refuses.

use std::process::ExitCode;

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

fn main() -> ExitCode {
    let trials = vec![
        harness::trial!(
            anywhere::it_grades_with_the_checkout_it_runs_in_and_builds_in_cargo_target_dir
        ),
        harness::trial!(anywhere::away_from_any_checkout_it_asks_for_root),
        harness::trial!(anywhere::the_classroom_workflow_grades_once_into_every_report),
        harness::trial!(anywhere::one_submission_formats_refuse_a_class),
        #[cfg(target_os = "linux")]
        harness::trial!(build_walls::hostile_builds_get_nothing_of_the_grader),
        #[cfg(target_os = "linux")]
        harness::trial!(build_walls::hostile_builds_get_nothing_of_the_grader_as_another_user),
        #[cfg(target_os = "linux")]
        harness::trial!(build_walls::an_uploads_cargo_configuration_is_never_read),
        #[cfg(target_os = "linux")]
        harness::trial!(build_walls::a_build_writes_only_its_target_folder),
        harness::trial!(build_walls::a_solution_read_at_compile_time_is_never_quoted),
        harness::trial!(cli::reference_gets_full_marks),
        harness::trial!(cli::untouched_starters_score_zero),
        harness::trial!(
            cli::the_cli_grades_fixtures_to_their_recorded_result_in_bounded_time_leaving_nothing
        ),
        #[cfg(target_os = "linux")]
        harness::trial!(cli::no_report_format_holds_what_a_submission_read),
        #[cfg(target_os = "linux")]
        harness::trial!(cli::as_root_without_namespaces_programs_run_as_a_user_of_their_own),
        harness::trial!(cli::without_a_sandbox_other_peoples_code_needs_a_flag),
        #[cfg(target_os = "linux")]
        harness::trial!(cli::ctrl_c_mid_grading_stops_everything_and_reports_nothing),
        harness::trial!(cli::usage_and_path_errors_never_panic),
        harness::trial!(export::class_edition_has_no_answers_and_grades_the_students_work),
        harness::trial!(forged::a_panic_cannot_steer_the_terminal_or_draw_a_row),
        harness::trial!(forged::an_uploads_names_cannot_steer_the_terminal_or_start_a_row),
        harness::trial!(gradescope::bare_udp_cs_files_get_full_marks),
        harness::trial!(gradescope::every_upload_shape_gets_a_results_json_gradescope_reads),
        harness::trial!(gradescope::grade_writes_the_fallback_results_json_itself),
        harness::trial!(gradescope::setup_checks_the_reference_and_make_zip_creates_its_folder),
        harness::trial!(others::planted_links_are_refused_and_followed_nowhere),
        harness::trial!(others::other_submissions_and_the_reference_binaries_are_out_of_reach),
        harness::trial!(outcomes::a_server_that_does_not_compile_costs_only_the_server_checks),
        harness::trial!(outcomes::reference_short_of_full_marks_exits_1_naming_what_failed),
        harness::trial!(outcomes::fail_under_fails_the_run_naming_each_submission_below),
        harness::trial!(outcomes::usage_errors_exit_2),
        harness::trial!(reports::junit_report_parses_with_a_suite_per_submission_and_exercise),
        harness::trial!(reports::gradescope_results_for_a_submission_whose_name_is_not_utf8),
        harness::trial!(uploads::every_upload_shape_is_found_and_matched_by_name),
        harness::trial!(uploads::stray_paths_are_not_graded_in_every_format_and_the_rest_is),
        harness::trial!(uploads::book_url_makes_feedback_links_urls),
        harness::trial!(walls::no_program_reaches_the_graders_terminal),
        harness::trial!(walls::a_planted_setuid_file_is_never_setuid_root),
        harness::trial!(watch::a_save_checks_again_a_build_error_shows_and_full_marks_move_on),
        harness::trial!(
            watch::a_save_q_ctrl_c_or_a_hang_up_during_a_round_stops_every_program_it_started
        ),
        harness::trial!(
            watch::without_a_terminal_it_prints_plain_lines_and_stops_when_its_input_ends
        ),
    ];
    libtest_mimic::run(&harness::cli::arguments(), trials).exit_code()
}
