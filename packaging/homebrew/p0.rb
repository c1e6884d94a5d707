# Homebrew formula for p0, built from source as homebrew-core formulas are (`brew install
# --build-from-source ./packaging/homebrew/p0.rb`, or from a tap holding this file).
#
# The source is the crate `cargo package -p p0` makes (what `cargo install p0` builds; it holds
# man/ and completions/). `scripts/dist` writes dist/p0.rb: this file with `url` and `sha256` for
# the crate it packaged, which is the formula to publish with a release. Not tested here (no
# macOS, no brew on this machine): only `ruby -c` is checked, in .ci/run.
class P0 < Formula
  desc "Just-in-time AWS credentials from P0 Security for one command"
  homepage "https://p0.dev"
  url "https://static.crates.io/crates/p0/p0-0.1.0.crate"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "Apache-2.0"

  depends_on "rust" => :build

  def install
    system "cargo", "install", *std_cargo_args
    # The release layout (src/front.rs): `p0` is the small warm-path front end, and the whole
    # program, which it hands everything else to, is libexec/p0/p0.
    (libexec/"p0").install bin/"p0"
    mv bin/"p0-warm", bin/"p0"
    man1.install Dir["man/*.1"]
    bash_completion.install "completions/p0.bash" => "p0"
    zsh_completion.install "completions/_p0"
    fish_completion.install "completions/p0.fish"
  end

  test do
    assert_match "p0 #{version}", shell_output("#{bin}/p0 --version")
    assert_match "target: ", shell_output("#{bin}/p0 --version --verbose")
    # No session: a warm path that needs one fails fast with its documented exit code (77).
    ENV["HOME"] = testpath
    output = shell_output("#{bin}/p0 aws credential-process --account 1 --role R 2>&1", 77)
    assert_match "p0 login", output
  end
end
