//! Where the release's two programs sit relative to each other: the warm-path front end
//! (`crate::front`, installed as `p0`) finds the whole program at `../libexec/p0/p0` from its
//! own resolved path (the release archive, the `.deb`, Homebrew), else as `p0` in its own
//! directory when the front end has another name (`cargo build` and `cargo install`, where it
//! is `p0-warm`). `p0 aws configure` asks the same question the other way round.

use std::path::{Path, PathBuf};

/// Where a front end at `front` (a resolved path) looks for the whole program, in order.
pub fn whole_program_candidates(front: &Path) -> Vec<PathBuf> {
    let dir = front.parent().map(PathBuf::from).unwrap_or_default();
    let mut candidates = vec![dir.join("../libexec/p0/p0")];
    if front.file_name().is_some_and(|name| name != "p0") {
        candidates.push(dir.join("p0"));
    }
    candidates
}

/// Whether `front` is a front end that hands over to the whole program at `whole` (both
/// resolved paths): `p0 aws configure` then writes the front end's path into profiles, so an
/// SDK's `credential_process` gets the warm path's speed too.
pub fn hands_over_to(front: &Path, whole: &Path) -> bool {
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    whole_program_candidates(front)
        .iter()
        .find(|path| path.is_file())
        .is_some_and(|found| same(found, whole))
        && !same(front, whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_program_is_in_libexec_or_beside_a_front_end_of_another_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = |p: &str| dir.path().join(p);
        for d in ["usr/bin", "usr/libexec/p0", "cargo/bin"] {
            std::fs::create_dir_all(path(d)).unwrap();
        }
        for f in [
            "usr/bin/p0",
            "usr/libexec/p0/p0",
            "cargo/bin/p0",
            "cargo/bin/p0-warm",
        ] {
            std::fs::write(path(f), "").unwrap();
        }
        assert!(hands_over_to(
            &path("usr/bin/p0"),
            &path("usr/libexec/p0/p0")
        ));
        assert!(hands_over_to(
            &path("cargo/bin/p0-warm"),
            &path("cargo/bin/p0")
        ));
        // A whole program named p0 is not its own front end, nor one of another layout.
        assert!(!hands_over_to(&path("cargo/bin/p0"), &path("cargo/bin/p0")));
        assert!(!hands_over_to(&path("usr/bin/p0"), &path("cargo/bin/p0")));
        assert_eq!(
            whole_program_candidates(&path("cargo/bin/p0")),
            vec![path("cargo/bin/../libexec/p0/p0")]
        );
    }
}
