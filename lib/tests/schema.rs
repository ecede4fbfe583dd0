//! The committed schemas must match the record types.

#[test]
fn committed_schemas_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schema");
    for (kind, text) in navikit::schema::kinds() {
        let path = dir.join(format!("{kind}.schema.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} is stale: run `cargo run -p navikit --example schema` and commit it",
            path.display()
        );
    }
}
