//! Errors of the command line say what went wrong and what to do, and fail
//! the command.

mod common;

#[test]
fn importing_a_path_that_is_not_there_says_what_import_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    autoemail::config::write_private(&config, "[account]\naddress = \"alice@example.test\"\n\n[store]\npath = \"s.sqlite\"\n\n[outbox]\nmaildir = \"sent\"\n")
        .unwrap();
    let missing = tmp.path().join("no-such-export.mbox");
    let out = common::run_autoemail(&config, &["import", missing.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "importing nothing must fail");
    assert!(err.contains("no-such-export.mbox"), "names the path: {err}");
    assert!(err.contains("an mbox file, a Maildir, a folder of .eml files or one .eml file"), "says what import takes: {err}");
    assert!(err.contains("No such file"), "says why: {err}");
}
