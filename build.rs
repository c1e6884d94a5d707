//! Links the `p0` binary as a fixed-address (non-PIE) executable on Linux: the loader then has
//! no relative relocations to apply at every start (about 48,000, which dirtied some 220 pages
//! before `main`), which halved a warm `p0 run-as`. Why that is safe for this tool, and what
//! it costs, is in the README ("Performance") and BENCHMARKS.md. Shared libraries, the heap,
//! the stack and mmap stay randomized.

// Cargo reads a build script's stdout.
#![allow(clippy::print_stdout)]

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // `P0_LINK_PIE=1 cargo build --release`: a position-independent binary after all
    // (scripts/bench --pie measures what it costs).
    println!("cargo:rerun-if-env-changed=P0_LINK_PIE");
    let pie = std::env::var_os("P0_LINK_PIE").is_some_and(|v| v == "1");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" && !pie {
        // After rustc's own `-pie`: the last of the two wins.
        println!("cargo:rustc-link-arg-bin=p0=-no-pie");
    }
}
