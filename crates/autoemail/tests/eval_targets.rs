//! `autoemail eval` on the shared public data: the targets it meets stay met,
//! and the figures still short of their targets do not slip below where they
//! stand (floors, not targets: see README "Evaluation").

use std::path::{Path, PathBuf};

use autoemail::eval::{self, Report, Row};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AUTOEMAIL_DATA").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("enron_berkeley").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("the shared data is required in CI but {} has no enron_berkeley/", dir.display());
    }
    eprintln!("\n*** SKIPPED: no shared data at {} (set AUTOEMAIL_DATA) ***\n", dir.display());
    None
}

fn row<'r>(report: &'r Report, dataset: &str, label: &str) -> &'r Row {
    report.rows.iter().find(|r| r.dataset == dataset && r.label == label).unwrap_or_else(|| panic!("no row {dataset} / {label}"))
}

#[test]
fn eval_targets_hold_and_figures_do_not_slip() {
    let Some(dir) = data_dir() else { return };
    let report = eval::run(&dir, &|_, _, _| {});
    assert!(report.skipped.is_empty(), "datasets skipped: {:?}", report.skipped);

    for (dataset, label) in [
        ("spamassassin", "spam"),
        ("spamassassin", "easy ham"),
        ("parakweet", "Yes (request/commitment)"),
        ("bipia", "clean email (false alarm)"),
        ("llmail_benign", "benign mail (false alarm)"),
        ("enron_berkeley", "real mail (false alarm)"),
        ("spamassassin", "ham (false alarm)"),
        ("bipia", "attack inserted (detection)"),
        ("spikee", "jailbreak + instruction, English"),
        ("enron_berkeley", "English mail (false alarm)"),
        ("spamassassin", "ham (mostly English)"),
    ] {
        let r = row(&report, dataset, label);
        assert!(r.meets_targets(), "{dataset} / {label} missed its target: {r:?}");
    }

    let recall = |label: &str| row(&report, "enron_berkeley", label).recall.unwrap();
    assert!(recall("legal_or_regulatory") >= 0.94, "legal recall slipped: {}", recall("legal_or_regulatory"));
    assert!(recall("confidential") >= 0.92, "confidential recall slipped: {}", recall("confidential"));
    assert!(recall("negative_tone") >= 0.72, "negative tone recall slipped: {}", recall("negative_tone"));
    let false_escalation = row(&report, "enron_berkeley", "plain logistics (false escalation)").rate.unwrap();
    assert!(false_escalation <= 0.45, "false escalation of logistics rose: {false_escalation}");
    let other_languages = row(&report, "spikee", "jailbreak + instruction, other languages").recall.unwrap();
    assert!(other_languages >= 0.70, "injection detection in other languages slipped: {other_languages}");
}
