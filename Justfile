# The plan's week as recipes. Targets come from the environment (or .env):
# ANTHROPIC_BASE_URL/ANTHROPIC_API_KEY, DATABASE_URL, STAGING_URL, KUBECONFIG,
# CLOUD_PROVIDER, NAVI_START_CMD; the targets from config/targets.txt.
# A day exits 1 when a check failed or could not look (not configured: skip);
# ALLOW_SKIP=1 accepts skips. With nothing set, `just demo` runs everything
# against self-declared stand-ins, and no checklist box is ticked.

set dotenv-load := true
set shell := ["bash", "-euo", "pipefail", "-c"]

# Installed tools come first; a local release build is the fallback.
export PATH := env_var("PATH") + ":" + justfile_directory() + "/target/release"

# List the recipes
default:
    @just --list --unsorted

# Install stripped binaries, man pages and completions under PREFIX (default ~/.local)
[group('setup')]
install PREFIX=(env_var("HOME") + "/.local"):
    PREFIX={{PREFIX}} scripts/install.sh

# Build the whole workspace (release), simulator and test helpers included
[group('setup')]
build:
    cargo build --release --workspace --bins --quiet

# The day recipes' tools: installed ones are used; missing ones are built once (never llm-sim)
[private]
tools:
    scripts/ensure-tools.sh

# Monday: preflight — API keys present, config and scenarios valid, target reachable
[group('week')]
monday: tools
    scripts/week.sh monday

# Tuesday: 100+ real LLM runs → latency-stats with the plan's targets → docs/PERFORMANCE_BENCHMARKS.md
[group('week')]
tuesday RUNS="100" CONCURRENCY="4" RATE="": tools
    RUNS={{RUNS}} CONCURRENCY={{CONCURRENCY}} RATE={{RATE}} scripts/week.sh tuesday

# Capacity: the highest open-loop rate at which CAPACITY_THRESHOLDS (default p95<5s) hold → PERFORMANCE_BENCHMARKS.md
[group('performance')]
capacity: tools
    scripts/week.sh capacity

# Regression verdict: CURRENT (default: Tuesday's probes) against BASELINE (default: NAVI_BASELINE); exit 1 on a regression
[group('performance')]
compare BASELINE="" CURRENT="": tools
    NAVI_COMPARE_BASELINE="{{BASELINE}}" NAVI_COMPARE_CURRENT="{{CURRENT}}" scripts/week.sh compare

# Load and watch: a NAVI load with the database (DATABASE_URL) and the service (STAGING_URL) sampled around it → the timeline in PERFORMANCE_BENCHMARKS.md
[group('performance')]
load-watch: tools
    scripts/week.sh load-watch

# Wednesday: audit key, secret and configmap checks, and the two start-up tests (no key must fail, a fresh key must start)
[group('week')]
wednesday: tools
    scripts/week.sh wednesday

# Thursday: rollout, init migrations, /health, Alembic head, tables
[group('week')]
thursday: tools
    scripts/week.sh thursday

# Friday: smoke, DB connections, a real NAVI workload, metrics increasing, llm_metrics rows, HPA, resources
[group('week')]
friday: tools
    scripts/week.sh friday

# Weekend monitor (cron, every 4 h): all checks → validation log, Prometheus textfile, leak-trend history; exit 1 alerts
[group('week')]
monitor: tools
    scripts/week.sh monitor

# Lessons learned and the week-1 success checklist from all the evidence so far → docs/week1_lessons_learned.md, docs/week1_checklist.md
[group('week')]
week1: tools
    scripts/week.sh week1

# The whole week offline against llm-sim, a throwaway Postgres and the recorded Kubernetes API
[group('demo')]
demo:
    scripts/demo.sh

# Run the probe as a Kubernetes Indexed Job of N pods (ConfigMaps from the repo, a common start), merge their histograms and judge the targets once
[group('scale')]
distributed-probe N="4" NAMESPACE="navi-staging": tools
    NAMESPACE={{NAMESPACE}} scripts/distributed-probe.sh run {{N}}

# Rehearse the Job here: the rendered pods' exact command N times, merged as the real run merges
[group('scale')]
distributed-rehearsal N="4": tools
    scripts/distributed-probe.sh rehearse {{N}} | latency-stats --merge --targets config/targets.txt --format table

# Shard I of N of a probe run, as one pod of the Indexed Job does (local stand-in for distributed-probe)
[group('scale')]
probe-shard I N RATE="20" DURATION="30s": tools
    llm-probe run --shard {{I}}/{{N}} --rate {{RATE}} --duration {{DURATION}} | latency-stats --histograms

# fmt check, clippy, tests (what CI runs)
[group('dev')]
ci:
    scripts/test.sh

# Run every fuzz target for SECONDS each
[group('dev')]
fuzz SECONDS="60":
    scripts/fuzz.sh {{SECONDS}}

# Benchmarks against the peers; refreshes docs/benchmarks.md
[group('dev')]
bench:
    scripts/bench.sh
