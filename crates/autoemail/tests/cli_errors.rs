//! Errors of the command line say what went wrong and what to do, and fail
//! the command.

use std::process::Command;

fn autoemail(config: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_autoemail")).arg("--config").arg(config).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn importing_a_path_that_is_not_there_says_what_import_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    autoemail::config::write_private(&config, "[account]\naddress = \"alice@example.test\"\n\n[store]\npath = \"s.sqlite\"\n\n[outbox]\nmaildir = \"sent\"\n")
        .unwrap();
    let missing = tmp.path().join("no-such-export.mbox");
    let (ok, err) = autoemail(&config, &["import", missing.to_str().unwrap()]);
    assert!(!ok, "importing nothing must fail");
    assert!(err.contains("no-such-export.mbox"), "names the path: {err}");
    assert!(err.contains("an mbox file, a Maildir, a folder of .eml files or one .eml file"), "says what import takes: {err}");
    assert!(err.contains("No such file"), "says why: {err}");
}
