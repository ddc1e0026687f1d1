//! Network presets: named lists of destinations, as data.
//!
//! `cordon run --net registries,anthropic -- claude` allows the package
//! registries and the agent vendor's API. Each entry is an ordinary pattern
//! (see [`crate::pattern::Pattern`]); docs/NETWORK.md lists them for users.

/// One named preset.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub hosts: &'static [&'static str],
}

/// Every preset. Keep docs/NETWORK.md in step (a test checks it).
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "registries",
        about: "public package registries (Rust, Python, JavaScript, Go, Ruby, Java, Debian) and the code hosts their clients download archives from",
        hosts: &[
            // Rust: cargo (sparse index, downloads) and rustup.
            "crates.io",
            "index.crates.io",
            "static.crates.io",
            "static.rust-lang.org",
            // Python: pip, uv, poetry.
            "pypi.org",
            "files.pythonhosted.org",
            // JavaScript: npm, yarn, pnpm, node-gyp headers.
            "registry.npmjs.org",
            "registry.yarnpkg.com",
            "repo.yarnpkg.com",
            "nodejs.org",
            // Go: module proxy, checksum database, vanity import pages.
            "proxy.golang.org",
            "sum.golang.org",
            "golang.org",
            "go.dev",
            // Ruby: gem, bundler.
            "rubygems.org",
            "index.rubygems.org",
            // Java: Maven Central, Gradle plugins and distributions.
            "repo.maven.apache.org",
            "repo1.maven.org",
            "plugins.gradle.org",
            "plugins-artifacts.gradle.org",
            "services.gradle.org",
            "downloads.gradle.org",
            "downloads.gradle-dn.com",
            // Debian: apt.
            "deb.debian.org",
            "security.debian.org",
            // Code hosting that package managers fetch archives and git deps from.
            "github.com",
            "codeload.github.com",
            "api.github.com",
            "objects.githubusercontent.com",
            "raw.githubusercontent.com",
            "release-assets.githubusercontent.com",
            "gitlab.com",
            "bitbucket.org",
        ],
    },
    Preset {
        name: "anthropic",
        about: "Anthropic's API and sign-in, so Claude Code itself works",
        hosts: &[
            "api.anthropic.com",
            "console.anthropic.com",
            "statsig.anthropic.com",
            "claude.ai",
        ],
    },
    Preset {
        name: "openai",
        about: "OpenAI's API and sign-in, so Codex itself works",
        hosts: &["api.openai.com", "auth.openai.com", "chatgpt.com"],
    },
    Preset {
        name: "google",
        about: "Google's Gemini API and sign-in, so Gemini CLI itself works",
        hosts: &[
            "generativelanguage.googleapis.com",
            "cloudcode-pa.googleapis.com",
            "aiplatform.googleapis.com",
            "oauth2.googleapis.com",
            "accounts.google.com",
        ],
    },
];

/// The preset with this (lowercase) name.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    #[test]
    fn every_entry_is_a_valid_pattern_on_default_ports() {
        for p in PRESETS {
            for h in p.hosts {
                let pat = Pattern::parse(h).unwrap_or_else(|e| panic!("{}: {e}", p.name));
                assert_eq!(pat.port, None, "{h}");
            }
        }
    }

    #[test]
    fn documented_in_network_md() {
        let doc = include_str!("../../../docs/NETWORK.md");
        for p in PRESETS {
            assert!(
                doc.contains(&format!("`{}`", p.name)),
                "preset {} undocumented",
                p.name
            );
            for h in p.hosts {
                assert!(
                    doc.contains(h),
                    "{h} of preset {} missing from docs/NETWORK.md",
                    p.name
                );
            }
        }
    }
}
