//! What every proptest fuzz module shares (RELIABILITY.md `Z*`): a bounded pass in CI, longer
//! runs by hand with `PROPTEST_CASES=100000 cargo test --release fuzz::`.

use proptest::test_runner::Config;
use std::time::Duration;

/// 64 cases a property unless `PROPTEST_CASES` says otherwise; no regression files written
/// into the tree (a failure prints its minimal input instead).
pub fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config.failure_persistence = None;
    config
}

/// How long one input may take: well within a call's deadline, even in a debug build on a
/// loaded machine.
pub const BOUND: Duration = Duration::from_secs(5);
