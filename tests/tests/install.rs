//! Shipping: the day recipes use installed tools and build only what is
//! missing (never the simulator), so a cron host with the tools installed
//! runs no cargo at all.

use navi_testkit::{Cmd, TempDir, bin_path, workspace_root};

/// fake_cargo puts a `cargo` first on PATH that records its arguments and fails.
fn fake_cargo(dir: &TempDir) -> std::path::PathBuf {
    let bin = dir.path("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let cargo = bin.join("cargo");
    let log = dir.path("cargo.log");
    std::fs::write(&cargo, format!("#!/bin/sh\necho \"$*\" >> '{}'\nexit 1\n", log.display())).expect("fake cargo");
    std::process::Command::new("chmod").arg("755").arg(&cargo).status().expect("chmod");
    bin
}

/// installed links the tools into a directory, as `just install` would place them.
fn installed(dir: &TempDir, tools: &[&str]) -> std::path::PathBuf {
    let bin = dir.path("installed");
    std::fs::create_dir_all(&bin).expect("installed dir");
    for t in tools {
        std::os::unix::fs::symlink(bin_path(t), bin.join(t)).expect("link");
    }
    bin
}

const DAY_TOOLS: [&str; 7] =
    ["llm-probe", "latency-stats", "pg-check", "k8s-check", "http-check", "cloud-check", "report-md"];

#[test]
fn with_the_tools_installed_the_monitor_runs_no_cargo() {
    let dir = TempDir::new("installed");
    let path = format!("{}:{}:/usr/bin:/bin", fake_cargo(&dir).display(), installed(&dir, &DAY_TOOLS).display());
    let ensure = Cmd::program(workspace_root().join("scripts/ensure-tools.sh")).env("PATH", &path).run();
    ensure.assert_code(0);
    let out = dir.path("out");
    let monitor = Cmd::program(workspace_root().join("scripts/week.sh"))
        .arg("monitor")
        .env("PATH", &path)
        .env("NAVI_OUT", &out)
        .env("NAVI_DOCS", dir.path("docs"))
        .env_remove("DATABASE_URL")
        .env_remove("STAGING_URL")
        .env_remove("KUBECONFIG")
        .env_remove("NAVI_TEXTFILE_DIR")
        .run();
    // Nothing is configured: every check is a skip, so the monitor fails, and says why.
    monitor.assert_code(1);
    assert!(!dir.path("cargo.log").exists(), "cargo ran: {:?}", std::fs::read_to_string(dir.path("cargo.log")));
    let log = std::fs::read_to_string(dir.path("docs/staging_validation_log.md")).expect("the log");
    assert!(log.contains("skip"), "{log}");
}

#[test]
fn a_missing_tool_is_built_alone_and_the_simulator_never() {
    let dir = TempDir::new("missing");
    let path = format!("{}:{}:/usr/bin:/bin", fake_cargo(&dir).display(), installed(&dir, &DAY_TOOLS[..6]).display());
    let ensure = Cmd::program(workspace_root().join("scripts/ensure-tools.sh")).env("PATH", &path).run();
    assert_eq!(ensure.code, 1, "the fake cargo fails: {}", ensure.stderr);
    let calls = std::fs::read_to_string(dir.path("cargo.log")).expect("cargo ran");
    assert_eq!(calls.trim(), "build --release --quiet -p report-md");
}
