use super::*;

struct Fixed(Vec<(String, String)>);

impl Environment for Fixed {
    fn get(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    fn all(&self) -> Vec<(String, String)> {
        self.0.clone()
    }
}

fn store(prefix: Option<&str>) -> LocalEnvSecretStore<Fixed> {
    let variables = [
        ("MYAPP_DB_PASSWORD", "s3cret"),
        ("MYAPP_TOKEN", "t0ken"),
        ("MYAPP_", "exactly the prefix"),
        ("myapp_lower", "other case"),
        ("OTHER", "o"),
        ("APP_API_TOKEN", "app token"),
        ("DAPR_API_TOKEN", "dapr token"),
        ("dapr_http_port", "3500"),
        ("MYAPP_DAPR_X", "allowed: the check is on the whole name"),
        ("MYAPP_EMPTY", ""),
    ];
    let mut store = LocalEnvSecretStore::with_environment(Fixed(
        variables.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
    ));
    let mut properties = HashMap::new();
    if let Some(prefix) = prefix {
        properties.insert("prefix".to_string(), prefix.to_string());
    }
    store.init(Metadata { name: "env".into(), properties }).unwrap();
    store
}

fn get(store: &mut LocalEnvSecretStore<Fixed>, name: &str) -> HashMap<String, String> {
    store.get_secret(GetSecretRequest { name: name.to_string(), metadata: HashMap::new() }).unwrap().data
}

fn one(name: &str, value: &str) -> HashMap<String, String> {
    let mut data = HashMap::new();
    data.insert(name.to_string(), value.to_string());
    data
}

fn bulk(store: &mut LocalEnvSecretStore<Fixed>) -> Vec<(String, HashMap<String, String>)> {
    let mut all: Vec<_> = store
        .bulk_get_secret(BulkGetSecretRequest::default())
        .unwrap()
        .data
        .into_iter()
        .map(|(name, secret)| (name, secret.secrets))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[test]
fn get_reads_the_prefixed_variable() {
    let mut store = store(Some("MYAPP_"));
    assert_eq!(get(&mut store, "DB_PASSWORD"), one("DB_PASSWORD", "s3cret"));
    assert_eq!(get(&mut store, "TOKEN"), one("TOKEN", "t0ken"));
    // Without the prefix a variable is out of reach.
    assert_eq!(get(&mut store, "OTHER"), one("OTHER", ""));
    // Matching is case-sensitive.
    assert_eq!(get(&mut store, "lower"), one("lower", ""));
    assert!(store.features().is_empty());
}

#[test]
fn a_variable_that_is_not_set_reads_as_empty_as_in_dapr() {
    let mut store = store(None);
    assert_eq!(get(&mut store, "NOT_SET"), one("NOT_SET", ""));
    assert_eq!(get(&mut store, "OTHER"), one("OTHER", "o"));
    assert_eq!(get(&mut store, "MYAPP_EMPTY"), one("MYAPP_EMPTY", ""));
    // Names that cannot be variables are simply not set.
    assert_eq!(get(&mut store, "A=B"), one("A=B", ""));
}

#[test]
fn daprs_own_variables_are_never_served() {
    let mut unprefixed = store(None);
    for name in ["APP_API_TOKEN", "app_api_token", "DAPR_API_TOKEN", "dapr_http_port", "Dapr_Http_Port"] {
        assert_eq!(get(&mut unprefixed, name), one(name, ""), "{}", name);
    }
    let names: Vec<String> = bulk(&mut unprefixed).into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        ["MYAPP_", "MYAPP_DAPR_X", "MYAPP_DB_PASSWORD", "MYAPP_EMPTY", "MYAPP_TOKEN", "OTHER", "myapp_lower"]
    );
    // With a prefix the check is on the whole variable name, as in Dapr.
    let mut prefixed = store(Some("DAPR_"));
    assert_eq!(get(&mut prefixed, "API_TOKEN"), one("API_TOKEN", ""));
    assert!(bulk(&mut prefixed).is_empty());
}

#[test]
fn bulk_lists_prefixed_variables_with_the_prefix_removed() {
    let mut store = store(Some("MYAPP_"));
    assert_eq!(
        bulk(&mut store),
        vec![
            ("DAPR_X".to_string(), one("DAPR_X", "allowed: the check is on the whole name")),
            ("DB_PASSWORD".to_string(), one("DB_PASSWORD", "s3cret")),
            ("EMPTY".to_string(), one("EMPTY", "")),
            ("TOKEN".to_string(), one("TOKEN", "t0ken")),
        ]
    );
}

#[test]
fn the_prefix_property_is_found_in_any_case() {
    let mut store = LocalEnvSecretStore::with_environment(Fixed(vec![("P_X".into(), "x".into())]));
    let mut properties = HashMap::new();
    properties.insert("Prefix".to_string(), "P_".to_string());
    store.init(Metadata { name: "env".into(), properties }).unwrap();
    assert_eq!(get(&mut store, "X"), one("X", "x"));
    assert_eq!(bulk(&mut store), vec![("X".to_string(), one("X", "x"))]);
}

#[test]
fn the_wasi_environment_reads_the_process_environment() {
    std::env::set_var("PILLION_LOCAL_ENV_TEST", "from the process");
    let mut store = LocalEnvSecretStore::default();
    let mut properties = HashMap::new();
    properties.insert("prefix".to_string(), "PILLION_LOCAL_ENV_".to_string());
    store.init(Metadata { name: "env".into(), properties }).unwrap();
    let data = store.get_secret(GetSecretRequest { name: "TEST".into(), metadata: HashMap::new() }).unwrap().data;
    assert_eq!(data["TEST"], "from the process");
    let all = store.bulk_get_secret(BulkGetSecretRequest::default()).unwrap().data;
    assert_eq!(all["TEST"].secrets["TEST"], "from the process");
    assert!(all.keys().all(|name| std::env::var(format!("PILLION_LOCAL_ENV_{}", name)).is_ok()));
}
