//! Git metadata cannot be replaced or redirected from inside `cordon run`,
//! for the root repository, nested repositories, submodules, bare
//! repositories and linked worktrees; ordinary git still works inside.
mod sandbox_support;
use sandbox_support::*;
use std::path::Path;
use std::process::Command;

/// Run git on the host, as the world's user, in `dir`.
fn git(w: &World, dir: &Path, args: &[&str]) -> String {
    let mut c = Command::new("git");
    c.args(["-c", "user.email=t@example.com", "-c", "user.name=T"])
        .args([
            "-c",
            "protocol.file.allow=always",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("HOME", &w.home)
        .env("GIT_CONFIG_NOSYSTEM", "1");
    if w.who == As::Nobody {
        std::os::unix::process::CommandExt::uid(&mut c, NOBODY);
        std::os::unix::process::CommandExt::gid(&mut c, NOBODY);
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        err(&o)
    );
    out(&o)
}

/// A repository with one commit at `dir`.
fn repo(w: &World, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    if w.who == As::Nobody {
        let _ = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(&w.ws)
            .status();
        let _ = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(&w.outside)
            .status();
    }
    git(w, dir, &["init", "-q"]);
    std::fs::write(dir.join("README"), "hi\n").unwrap();
    if w.who == As::Nobody {
        let _ = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(dir)
            .status();
    }
    git(w, dir, &["add", "README"]);
    git(w, dir, &["commit", "-qm", "first"]);
}

const EVIL: &str = r#"printf '[core]\n\tfsmonitor = echo pwned\n'"#;

fn assert_clean_config(p: &Path) {
    let c = std::fs::read_to_string(p).unwrap_or_default();
    assert!(!c.contains("pwned"), "{}: {c}", p.display());
}

#[test]
fn the_root_git_dir_cannot_be_replaced_or_redirected() {
    for who in BOTH {
        let w = World::new(who);
        repo(&w, &w.ws);
        let script = format!(
            r#"
            git config user.email t@example.com 2>/dev/null; export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@e
            echo more > a && git add a && git commit -qm second && echo COMMITTED
            git branch feature && git checkout -q feature && git checkout -q - && echo BRANCHED
            mv .git .gold 2>/dev/null && echo RENAMED
            rmdir .git 2>/dev/null && echo REMOVED
            echo 'gitdir: .gnew' > .git 2>/dev/null && echo GITFILE
            echo 'echo pwned' > .git/hooks/pre-commit 2>/dev/null && echo HOOK
            {EVIL} >> .git/config 2>/dev/null && echo CONFIG
            echo '* filter=evil' >> .git/info/attributes 2>/dev/null && echo ATTRIBUTES
            mkdir -p evil && {EVIL} > evil/config
            {EVIL} > .git/config.worktree && echo WORKTREE-CONFIG-MADE
            echo /nowhere > .git/objects/info/alternates && echo ALTERNATES-MADE
            echo "$PWD/evil" > .git/commondir && echo COMMONDIR-MADE
            echo done
            "#
        );
        let o = w.run(&[], &script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}\n{stderr}");
        for good in [
            "COMMITTED",
            "BRANCHED",
            "COMMONDIR-MADE",
            "WORKTREE-CONFIG-MADE",
            "ALTERNATES-MADE",
        ] {
            assert!(stdout.contains(good), "{who:?}: {good}: {stdout}\n{stderr}");
        }
        for bad in [
            "RENAMED",
            "REMOVED",
            "GITFILE",
            "HOOK",
            "CONFIG\n",
            "ATTRIBUTES",
        ] {
            assert!(!stdout.contains(bad), "{who:?}: {bad}: {stdout}");
        }
        // What was made in .git is gone from it after the run.
        for p in [
            ".git/commondir",
            ".git/config.worktree",
            ".git/objects/info/alternates",
        ] {
            assert!(!w.ws.join(p).exists(), "{who:?}: {p} left: {stderr}");
            assert!(stderr.contains(&format!("quarantined {p} ")), "{stderr}");
        }
        assert!(w.ws.join(".git").is_dir());
        assert_clean_config(&w.ws.join(".git/config"));
        assert!(!w.ws.join(".git/hooks/pre-commit").exists());
        // Host git sees the work and nothing of the attack.
        let log = git(&w, &w.ws, &["log", "--oneline", "--all"]);
        assert_eq!(log.lines().count(), 2, "{log}");
        assert!(git(&w, &w.ws, &["branch"]).contains("feature"));
        assert!(git(&w, &w.ws, &["config", "--list"])
            .lines()
            .all(|l| !l.contains("fsmonitor")));
    }
}

#[test]
fn nested_repositories_submodules_clones_and_bare_repositories() {
    for who in BOTH {
        let w = World::new(who);
        repo(&w, &w.ws);
        repo(&w, &w.ws.join("vendor/lib"));
        let src = w.outside.join("sub-src");
        repo(&w, &src);
        git(
            &w,
            &w.ws,
            &["submodule", "add", "-q", src.to_str().unwrap(), "sub"],
        );
        git(&w, &w.ws, &["commit", "-qm", "sub"]);
        let script = format!(
            r#"
            export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@e
            echo 'echo pwned' > vendor/lib/.git/hooks/post-checkout 2>/dev/null && echo NESTED-HOOK
            {EVIL} >> vendor/lib/.git/config 2>/dev/null && echo NESTED-CONFIG
            mv vendor/lib/.git vendor/lib/.gold 2>/dev/null && echo NESTED-RENAMED
            echo 'echo pwned' > .git/modules/sub/hooks/post-checkout 2>/dev/null && echo MODULE-HOOK
            {EVIL} >> .git/modules/sub/config 2>/dev/null && echo MODULE-CONFIG
            echo '* filter=evil' > .git/modules/sub/info/attributes 2>/dev/null && echo MODULE-ATTRIBUTES
            echo 'gitdir: ../evil' > sub/.git 2>/dev/null && echo SUB-GITFILE
            (cd vendor/lib && echo x > f && git add f && git commit -qm nested && echo NESTED-COMMIT)
            (cd sub && echo y > g && git add g && git commit -qm insub && echo SUB-COMMIT)
            mv vendor vendor2 && mkdir -p vendor/lib/.git/hooks && echo 'echo pwned' > vendor/lib/.git/hooks/pre-commit \
              && {EVIL} > vendor/lib/.git/config && echo REPLACED
            git clone -q vendor2/lib cloned && {EVIL} >> cloned/.git/config && echo CLONED
            git init -q --bare bare.git && echo 'echo pwned' > bare.git/hooks/post-update && echo BARE
            echo done
            "#
        );
        let o = w.run(&[], &script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}\n{stderr}");
        for good in ["NESTED-COMMIT", "SUB-COMMIT", "REPLACED", "CLONED", "BARE"] {
            assert!(stdout.contains(good), "{who:?}: {good}: {stdout}\n{stderr}");
        }
        for bad in [
            "NESTED-HOOK",
            "NESTED-CONFIG",
            "NESTED-RENAMED",
            "MODULE-HOOK",
            "MODULE-CONFIG",
            "MODULE-ATTRIBUTES",
            "SUB-GITFILE",
        ] {
            assert!(!stdout.contains(bad), "{who:?}: {bad}: {stdout}");
        }
        // Made during the run: the code-bearing parts are out of the workspace.
        for p in [
            "vendor/lib/.git/hooks",
            "vendor/lib/.git/config",
            "cloned/.git/config",
            "cloned/.git/hooks",
            "bare.git/hooks",
            "bare.git/config",
        ] {
            assert!(!w.ws.join(p).exists(), "{who:?}: {p} left:\n{stderr}");
        }
        assert_clean_config(&w.ws.join("vendor2/lib/.git/config"));
        assert_clean_config(&w.ws.join(".git/modules/sub/config"));
        assert!(!w.ws.join("vendor2/lib/.git/hooks/post-checkout").exists());
        assert!(!w.ws.join(".git/modules/sub/hooks/post-checkout").exists());
        // The nested repository's own commit is there (it moved with vendor2).
        let log = git(&w, &w.ws.join("vendor2/lib"), &["log", "--oneline"]);
        assert_eq!(log.lines().count(), 2, "{log}");
        let log = git(&w, &w.ws.join("sub"), &["log", "--oneline"]);
        assert_eq!(log.lines().count(), 2, "{log}");
    }
}

#[test]
fn a_workspace_that_is_a_linked_worktree() {
    for who in BOTH {
        let w = World::new(who);
        let main = w.outside.join("main");
        repo(&w, &main);
        std::fs::remove_dir(&w.ws).unwrap();
        git(
            &w,
            &main,
            &["worktree", "add", "-q", "-b", "wt", w.ws.to_str().unwrap()],
        );
        let script = format!(
            r#"
            echo 'gitdir: /nowhere' > .git 2>/dev/null && echo GITFILE-WRITTEN
            rm -f .git 2>/dev/null; test -f .git || echo GITFILE-REMOVED
            {EVIL} >> {main}/.git/config 2>/dev/null && echo MAIN-CONFIG
            echo 'echo pwned' > {main}/.git/hooks/pre-commit 2>/dev/null && echo MAIN-HOOK
            git status --short >/dev/null && echo STATUS
            echo done
            "#,
            main = main.display()
        );
        let o = w.run(&[], &script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(
            stdout.contains("done") && stdout.contains("STATUS"),
            "{stdout}\n{stderr}"
        );
        for bad in [
            "GITFILE-WRITTEN",
            "GITFILE-REMOVED",
            "MAIN-CONFIG",
            "MAIN-HOOK",
        ] {
            assert!(!stdout.contains(bad), "{who:?}: {bad}: {stdout}");
        }
        assert!(std::fs::read_to_string(w.ws.join(".git"))
            .unwrap()
            .starts_with("gitdir: "));
        assert_clean_config(&main.join(".git/config"));

        // Committing from the worktree needs the main git directory writable:
        // with --allow-write it is, but its code-bearing files are not.
        let git_dir = main.join(".git");
        let script = format!(
            r#"
            export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@e
            echo x > f && git add f && git commit -qm in-worktree && echo COMMITTED
            {EVIL} >> {g}/config 2>/dev/null && echo MAIN-CONFIG
            echo 'echo pwned' > {g}/hooks/pre-commit 2>/dev/null && echo MAIN-HOOK
            echo '* filter=evil' > {g}/info/attributes 2>/dev/null && echo MAIN-ATTRIBUTES
            echo /nowhere > {g}/worktrees/project/commondir 2>/dev/null && echo WT-COMMONDIR
            echo /evil > {g}/commondir && echo MAIN-COMMONDIR-MADE
            echo done
            "#,
            g = git_dir.display()
        );
        let o = w.run(&["--allow-write", git_dir.to_str().unwrap()], &script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}\n{stderr}");
        assert!(stdout.contains("COMMITTED"), "{who:?}: {stdout}\n{stderr}");
        for bad in [
            "MAIN-CONFIG",
            "MAIN-HOOK",
            "MAIN-ATTRIBUTES",
            "WT-COMMONDIR",
        ] {
            assert!(!stdout.contains(bad), "{who:?}: {bad}: {stdout}");
        }
        assert!(stdout.contains("MAIN-COMMONDIR-MADE"), "{stdout}");
        assert!(!git_dir.join("commondir").exists(), "{stderr}");
        assert!(stderr.contains("quarantined"), "{stderr}");
        assert_clean_config(&git_dir.join("config"));
        let log = git(&w, &w.ws, &["log", "--oneline"]);
        assert_eq!(log.lines().count(), 2, "{log}");
    }
}
