//! Writes N synthetic probe records to stdout: `gen_probes N [SEED] [flat]`
//! (`flat`: no inter-chunk gap arrays, as a non-streamed run writes).

use std::io::{BufWriter, Write};

use navi_testkit::synth::Shape;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let shape = if args.next().as_deref() == Some("flat") { Shape::Flat } else { Shape::WithGaps };
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    navi_testkit::synth::write_shaped(&mut out, seed, 0, n, shape)?;
    out.flush()
}
