//! Regenerates `docs/schema/*.schema.json` from the record types.

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schema");
    std::fs::create_dir_all(&dir)?;
    for (kind, text) in navikit::schema::kinds() {
        std::fs::write(dir.join(format!("{kind}.schema.json")), text)?;
    }
    Ok(())
}
