# Sourced by the bench scripts (from the repository root).
# Where `cargo build --release` puts binaries: .cargo/config.toml builds for the
# host triple explicitly (see the reason there), so target/<triple>/release.
REL="target/$(rustc -vV | sed -n 's/^host: //p')/release"
