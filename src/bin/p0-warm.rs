//! The release's `p0`: the warm path, the rest handed to the whole program (`p0::front`).

fn main() -> std::process::ExitCode {
    p0::front::main()
}
