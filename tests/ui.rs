//! Compile-fail tests: every mistake a user can make in `network!` (and in hand-composed layer
//! types) is an error with the message committed next to its case in `tests/ui/*.stderr`.
//!
//! Regenerate the `.stderr` files after an intended message change with
//! `TRYBUILD=overwrite cargo test --test ui`, then review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
