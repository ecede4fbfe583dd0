//! Writes N synthetic probe records to stdout: `gen_probes N [SEED]`.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    navi_testkit::synth::write_probes(&mut out, seed, 0, n)?;
    out.flush()
}
