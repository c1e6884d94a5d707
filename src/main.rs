//! `p0`: every command (the library's `p0::main`).

fn main() -> std::process::ExitCode {
    p0::main()
}
