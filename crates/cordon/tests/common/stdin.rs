//! Running a command with bytes on its stdin, shared by the test crates
//! that include it (`#[path = "common/stdin.rs"]`).
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Run `c` with `input` on its stdin (written from a thread, so a large
/// input cannot block against full output pipes; cordon may stop reading
/// early, and a broken pipe is fine).
pub fn output_with_stdin(mut c: Command, input: &[u8]) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}
