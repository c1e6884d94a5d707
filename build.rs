//! Links the `p0` binary as a fixed-address (non-PIE) executable on Linux: the loader then has
//! no relative relocations to apply at every start (about 48,000, which dirtied some 220 pages
//! before `main`), which halved a warm `p0 run-as`. Why that is safe for this tool, and what
//! it costs, is in the README ("Performance") and BENCHMARKS.md. Shared libraries, the heap,
//! the stack and mmap stay randomized.

// Cargo reads a build script's stdout.
#![allow(clippy::print_stdout)]

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        // After rustc's own `-pie`: the last of the two wins.
        println!("cargo:rustc-link-arg-bin=p0=-no-pie");
    }
}
