//! navi-assets: writes every tool's man page and its bash, zsh and fish
//! completions from the tool's own clap definition, so they cannot drift
//! from `--help`. `just install` runs it into PREFIX/share.
//!   usage: navi-assets SHARE_DIR

use std::path::Path;
use std::process::ExitCode;

use clap::{Command, CommandFactory};
use clap_complete::Shell;

/// tools is every installed tool's command.
fn tools() -> Vec<Command> {
    vec![
        llm_probe::cli::Cli::command(),
        latency_stats::cli::Args::command(),
        pg_check::cli::Args::command(),
        k8s_check::cli::Args::command(),
        http_check::cli::Cli::command(),
        cloud_check::cli::Args::command(),
        report_md::cli::Cli::command(),
        llm_sim::cli::Args::command(),
    ]
}

/// write puts `share/man/man1/<tool>.1` (and one page per subcommand) and
/// `share/bash-completion/completions/<tool>`, `share/zsh/site-functions/_<tool>`,
/// `share/fish/vendor_completions.d/<tool>.fish` under `share`.
fn write(share: &Path) -> std::io::Result<usize> {
    let man = share.join("man/man1");
    std::fs::create_dir_all(&man)?;
    let mut written = 0;
    for cmd in tools() {
        let name = cmd.get_name().to_string();
        clap_mangen::generate_to(cmd.clone(), &man)?;
        for (shell, dir, file) in [
            (Shell::Bash, "bash-completion/completions", name.clone()),
            (Shell::Zsh, "zsh/site-functions", format!("_{name}")),
            (Shell::Fish, "fish/vendor_completions.d", format!("{name}.fish")),
        ] {
            let dir = share.join(dir);
            std::fs::create_dir_all(&dir)?;
            let mut out = std::fs::File::create(dir.join(file))?;
            clap_complete::generate(shell, &mut cmd.clone(), &name, &mut out);
        }
        written += 1;
    }
    Ok(written)
}

fn main() -> ExitCode {
    let Some(share) = std::env::args_os().nth(1) else {
        eprintln!("navi-assets: usage: navi-assets SHARE_DIR");
        return ExitCode::from(2);
    };
    match write(Path::new(&share)) {
        Ok(n) => {
            eprintln!("navi-assets: man pages and completions of {n} tools in {}", Path::new(&share).display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("navi-assets: {}: {e}", Path::new(&share).display());
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_gets_a_man_page_and_three_completions_that_bash_accepts() {
        let dir = std::env::temp_dir().join(format!("navi-assets-{}", std::process::id()));
        assert_eq!(write(&dir).expect("write"), 8);
        for cmd in tools() {
            let name = cmd.get_name();
            let page = std::fs::read_to_string(dir.join(format!("man/man1/{name}.1"))).expect("man page");
            assert!(
                page.starts_with(".ie \\n(.g .ds Aq \\(aq") && page.contains(&format!(".TH {name} 1")),
                "{name}: {page}"
            );
            assert!(dir.join(format!("zsh/site-functions/_{name}")).is_file());
            assert!(dir.join(format!("fish/vendor_completions.d/{name}.fish")).is_file());
            let bash = dir.join(format!("bash-completion/completions/{name}"));
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("source '{}' && complete -p {name}", bash.display()))
                .output()
                .expect("bash");
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success() && said.contains(&format!(" {name}")), "{name}: {said}");
        }
        // Subcommands get their own pages (llm-probe-run.1, report-md-benchmarks.1).
        assert!(dir.join("man/man1/llm-probe-search.1").is_file());
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
