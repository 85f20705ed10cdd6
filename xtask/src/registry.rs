//! `providers.json` beside each test build: what the generic test suites
//! need to know of every provider the build registers (each one's example,
//! the answer its API gives to a creation, and the request's path and
//! credential header), printed by the core itself
//! (`crates/enlist-core/examples/registry.rs`) with the same features as
//! the build, so that no suite names a provider.

use std::path::Path;

use crate::util::{self, Result};

/// The file name, in the test build's directory.
pub const FILE: &str = "providers.json";

/// Writes `dir/providers.json` for a build with the core's test providers.
pub fn write(dir: &Path) -> Result {
    let out = dir.join(FILE);
    let mut cmd = util::cargo();
    cmd.args(["run", "-q", "-p", "enlist-core", "--example", "registry"])
        .args(["--features", crate::test::TEST_PROVIDERS, "--"])
        .arg(&out);
    util::run(cmd)
}
