//! The shell completions (`completions/stimctl.bash`, `completions/_stimctl`,
//! `completions/stimctl.fish`) and the man pages (`man/stimctl.1`, one `man/stimctl-COMMAND.1` per command) are generated from `cli`
//! with clap_complete and clap_mangen and committed, so the Yocto recipe installs them without
//! running stimctl. This test fails when they are stale; regenerate them with
//! `STIMCTL_REGENERATE=1 cargo test --bin stimctl gen_docs`.

use crate::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::Path;

/// Each file and what it should hold.
fn generated() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for (shell, file) in [
        (Shell::Bash, "completions/stimctl.bash"),
        (Shell::Zsh, "completions/_stimctl"),
        (Shell::Fish, "completions/stimctl.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "stimctl", &mut out);
        files.push((file.to_string(), out));
    }
    // One page per command (`stimctl.1` lists them as `stimctl-status(1)`, …).
    static RUN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("stimctl-man-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    clap_mangen::generate_to(Cli::command(), &dir).expect("render the man pages");
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .expect("read the man pages")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for page in pages {
        let text = std::fs::read(dir.join(&page)).expect("read a man page");
        files.push((format!("man/{page}"), text));
    }
    let _ = std::fs::remove_dir_all(&dir);
    files
}

#[test]
fn completions_and_man_page_match_the_command_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("STIMCTL_REGENERATE").is_some();
    let mut stale = Vec::new();
    let files = generated();
    // Pages of commands that no longer exist are stale too.
    let pages: Vec<String> = std::fs::read_dir(root.join("man"))
        .map(|d| {
            d.flatten()
                .map(|e| format!("man/{}", e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    for page in pages {
        if !files.iter().any(|(f, _)| *f == page) {
            if regenerate {
                std::fs::remove_file(root.join(&page)).unwrap();
            } else {
                stale.push(page);
            }
        }
    }
    for (file, want) in files {
        let path = root.join(&file);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read(&path).ok().as_ref() != Some(&want) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} do not match src/bin/stimctl/cli.rs: regenerate them with \
         `STIMCTL_REGENERATE=1 cargo test --bin stimctl gen_docs` and commit them"
    );
}

#[test]
fn the_man_page_lists_every_command_and_the_exit_codes() {
    let files = generated();
    let page = |name: &str| {
        let (_, text) = files.iter().find(|(f, _)| f == name).expect(name);
        String::from_utf8(text.clone()).unwrap()
    };
    let man = page("man/stimctl.1");
    for word in ["watch", "status", "resume", "Exit codes", "\\-\\-json"] {
        assert!(man.contains(word), "{word} missing from the man page");
    }
    assert!(page("man/stimctl-watch.1").contains("\\-\\-json"));
}
