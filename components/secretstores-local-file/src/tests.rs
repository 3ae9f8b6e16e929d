use super::*;
use std::path::PathBuf;

fn map(entries: &[(&str, &str)]) -> HashMap<String, String> {
    entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn loaded(json: &str, separator: &str, multi_valued: bool) -> LocalFileSecretStore {
    let mut store = LocalFileSecretStore::default();
    store.load("/secrets/secrets.json", json.as_bytes(), separator, multi_valued).expect("loads");
    store
}

fn get(store: &mut LocalFileSecretStore, name: &str) -> Result<HashMap<String, String>, Error> {
    store.get_secret(GetSecretRequest { name: name.to_string(), metadata: HashMap::new() }).map(|r| r.data)
}

fn bulk(store: &mut LocalFileSecretStore) -> HashMap<String, HashMap<String, String>> {
    store
        .bulk_get_secret(BulkGetSecretRequest::default())
        .expect("bulk")
        .data
        .into_iter()
        .map(|(name, secret)| (name, secret.secrets))
        .collect()
}

/// A fresh file under the build's temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &[u8]) -> TempFile {
        let dir = std::env::temp_dir().join(format!("pillion-local-file-{}-{}", std::process::id(), name));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secrets.json");
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
    }
}

fn init(properties: &[(&str, &str)]) -> Result<LocalFileSecretStore, Error> {
    let mut store = LocalFileSecretStore::default();
    store.init(Metadata { name: "local-file".into(), properties: map(properties) })?;
    Ok(store)
}

const NESTED: &str = r#"{
    "db": {"user": "admin", "password": "s3cret", "replicas": ["r1", {"host": "r2"}]},
    "token": "abc",
    "empty": {},
    "none": []
}"#;

#[test]
fn nested_keys_are_flattened_with_the_separator() {
    let mut store = loaded(NESTED, ":", false);
    assert_eq!(get(&mut store, "db:user").unwrap(), map(&[("db:user", "admin")]));
    assert_eq!(get(&mut store, "db:password").unwrap(), map(&[("db:password", "s3cret")]));
    assert_eq!(get(&mut store, "db:replicas:0").unwrap(), map(&[("db:replicas:0", "r1")]));
    assert_eq!(get(&mut store, "db:replicas:1:host").unwrap(), map(&[("db:replicas:1:host", "r2")]));
    assert_eq!(get(&mut store, "token").unwrap(), map(&[("token", "abc")]));
    assert!(store.features().is_empty());

    let mut dotted = loaded(NESTED, ".", false);
    assert_eq!(get(&mut dotted, "db.user").unwrap(), map(&[("db.user", "admin")]));
    assert!(get(&mut dotted, "db:user").is_err());
}

#[test]
fn a_missing_secret_is_not_found_in_daprs_words() {
    let mut store = loaded(NESTED, ":", false);
    for name in ["nope", "db", "empty", "none", ""] {
        let error = get(&mut store, name).unwrap_err();
        assert_eq!(error, Error::NotFound(format!("secret {} not found", name)));
        assert_eq!(error.to_abi_message(), format!("NOT_FOUND: secret {} not found", name));
    }
}

#[test]
fn bulk_returns_every_flattened_secret_as_its_own_key() {
    let mut store = loaded(NESTED, ":", false);
    let all = bulk(&mut store);
    let expected: HashMap<String, HashMap<String, String>> =
        ["db:user", "db:password", "db:replicas:0", "db:replicas:1:host", "token"]
            .iter()
            .map(|name| {
                let value = get(&mut store, name).unwrap()[*name].clone();
                (name.to_string(), map(&[(name, &value)]))
            })
            .collect();
    assert_eq!(all, expected);
}

#[test]
fn values_that_are_not_strings_print_as_daprs_go_code_prints_them() {
    let mut store = loaded(
        r#"{"port": 8080, "ratio": 0.25, "big": 1e21, "on": true, "off": false, "nothing": null, "nested": {"n": -3}}"#,
        ":",
        false,
    );
    let value = |store: &mut LocalFileSecretStore, name: &str| get(store, name).unwrap()[name].clone();
    assert_eq!(value(&mut store, "port"), "%!s(float64=8080)");
    assert_eq!(value(&mut store, "ratio"), "%!s(float64=0.25)");
    assert_eq!(value(&mut store, "big"), "%!s(float64=1e+21)");
    assert_eq!(value(&mut store, "on"), "%!s(bool=true)");
    assert_eq!(value(&mut store, "off"), "%!s(bool=false)");
    assert_eq!(value(&mut store, "nothing"), "%!s(<nil>)");
    assert_eq!(value(&mut store, "nested:n"), "%!s(float64=-3)");
}

#[test]
fn floats_format_as_gos_percent_v() {
    let cases: [(f64, &str); 16] = [
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (-3.0, "-3"),
        (999_999.0, "999999"),
        (1_000_000.0, "1e+06"),
        (1_234_567.0, "1.234567e+06"),
        (123_456.5, "123456.5"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (0.000_012_5, "1.25e-05"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e100, "1e+100"),
        (12_345_678_901_234_567_890.0, "1.2345678901234567e+19"),
        (5e-324, "5e-324"),
    ];
    for (number, go) in cases {
        assert_eq!(go_format_float(number), go, "{:?}", number);
    }
}

#[test]
fn multi_valued_keeps_top_level_keys_as_secrets() {
    // components-contrib's own multiValued case.
    let json = r#"{"parent": {"child1": "12345", "child2": {"child3": "67890", "child4": "00000"}}, "plain": "p",
                   "count": 3, "flags": [true], "missing": null}"#;
    let mut store = loaded(json, ":", true);
    assert_eq!(store.features(), vec![MULTIPLE_KEY_VALUES_PER_SECRET.to_string()]);
    let parent = map(&[("child1", "12345"), ("child2:child3", "67890"), ("child2:child4", "00000")]);
    assert_eq!(get(&mut store, "parent").unwrap(), parent);
    assert_eq!(get(&mut store, "plain").unwrap(), map(&[("plain", "p")]));
    // Top-level values that are neither strings nor objects are dropped, as in Dapr.
    for dropped in ["count", "flags", "missing", "parent:child1"] {
        assert_eq!(get(&mut store, dropped), Err(not_found(dropped)));
    }
    let mut expected = HashMap::new();
    expected.insert("parent".to_string(), parent);
    expected.insert("plain".to_string(), map(&[("plain", "p")]));
    assert_eq!(bulk(&mut store), expected);

    let mut dotted = loaded(json, "/", true);
    assert!(get(&mut dotted, "parent").unwrap().contains_key("child2/child3"));

    let mut empty = loaded(r#"{"nothing": {}}"#, ":", true);
    assert_eq!(get(&mut empty, "nothing").unwrap(), HashMap::new());
}

#[test]
fn keys_that_collide_once_flattened_are_refused() {
    let mut store = LocalFileSecretStore::default();
    let error = store.load("/secrets/s.json", br#"{"a:b": "1", "a": {"b": "2"}}"#, ":", false).unwrap_err();
    assert_eq!(
        error.to_abi_message(),
        "secrets file /secrets/s.json: two entries are named 'a:b' once nested keys are joined with ':'"
    );
    // With another separator they do not collide.
    assert!(store.load("/secrets/s.json", br#"{"a:b": "1", "a": {"b": "2"}}"#, ".", false).is_ok());

    let error = store.load("/secrets/s.json", br#"{"s": {"x.y": "1", "x": {"y": "2"}}}"#, ".", true).unwrap_err();
    assert_eq!(
        error.to_abi_message(),
        "secrets file /secrets/s.json: secret 's' has two entries named 'x.y' once nested keys are joined with '.'"
    );
    // A key repeated in one object is not a collision: the last one wins, as Go decodes it.
    let mut repeated = loaded(r#"{"k": "first", "k": "second"}"#, ":", false);
    assert_eq!(get(&mut repeated, "k").unwrap(), map(&[("k", "second")]));
}

#[test]
fn malformed_json_names_the_file_and_the_position() {
    let mut store = LocalFileSecretStore::default();
    let error = store.load("/secrets/s.json", b"{\n  \"a\": \"1\"\n  \"b\": \"2\"\n}", ":", false).unwrap_err();
    assert_eq!(
        error.to_abi_message(),
        "secrets file /secrets/s.json is not valid JSON: invalid character '\"' after object key:value pair at line \
         3, column 3 (byte offset 15)"
    );
    let error = store.load("/secrets/s.json", b"[\"a\"]", ":", false).unwrap_err();
    assert_eq!(
        error.to_abi_message(),
        "secrets file /secrets/s.json: the top-level value is an array, not an object of secrets"
    );
    // `null` is a file without secrets, as Go decodes it.
    let mut empty = loaded("null", ":", false);
    assert!(bulk(&mut empty).is_empty());
}

#[test]
fn init_reads_the_file_named_by_the_metadata() {
    let file = TempFile::new("init", NESTED.as_bytes());
    let mut store = init(&[("secretsFile", file.path())]).unwrap();
    assert_eq!(get(&mut store, "db:user").unwrap(), map(&[("db:user", "admin")]));

    // Property names in any case; Dapr's truthy strings; an empty separator is the default one.
    let mut store = init(&[("SECRETSFILE", file.path()), ("multivalued", "On"), ("nestedSeparator", "")]).unwrap();
    assert_eq!(store.features(), vec![MULTIPLE_KEY_VALUES_PER_SECRET.to_string()]);
    assert_eq!(get(&mut store, "db").unwrap()["replicas:1:host"], "r2");

    let mut store = init(&[("secretsFile", file.path()), ("multiValued", "false"), ("NestedSeparator", "__")]).unwrap();
    assert!(store.features().is_empty());
    assert_eq!(get(&mut store, "db__user").unwrap(), map(&[("db__user", "admin")]));
}

#[test]
fn init_errors_name_what_is_wrong() {
    for properties in [&[][..], &[("secretsFile", "")][..], &[("nestedSeparator", ":")][..]] {
        assert_eq!(
            init(properties).err(),
            Some(Error::InvalidArgument("missing local secrets file in metadata (property 'secretsFile')".into()))
        );
    }

    let file = TempFile::new("errors", b"{\"a\": }");
    let error = init(&[("secretsFile", file.path())]).err().unwrap();
    assert_eq!(
        error.to_abi_message(),
        format!(
            "secrets file {} is not valid JSON: invalid character '}}' looking for beginning of value at line 1, \
             column 7 (byte offset 6)",
            file.path()
        )
    );

    let missing = format!("{}/missing.json", file.0.parent().unwrap().to_str().unwrap());
    let error = init(&[("secretsFile", &missing)]).err().unwrap().to_abi_message();
    assert!(error.starts_with(&format!("secrets file {} cannot be read: ", missing)), "{}", error);

    let error = init(&[("secretsFile", file.path()), ("secretsfile", file.path())]).err().unwrap();
    assert!(matches!(error, Error::InvalidArgument(m) if m.contains("'secretsFile' and 'secretsfile'")));
}
