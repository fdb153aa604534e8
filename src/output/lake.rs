//! Security Lake object keys: `<class location>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<name>`.

/// Make a string safe as one key or path segment.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn default_location(source: &str, class: &str) -> String {
    format!("ext/{source}/{class}/")
}

/// A key prefix as `a/b/` (or empty), whatever slashes it was given with.
pub fn folder(prefix: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

pub fn object_key(location: &str, region: &str, account: &str, day: &str, name: &str) -> String {
    let prefix = folder(location);
    format!(
        "{prefix}region={}/accountId={}/eventDay={day}/{}.zstd.parquet",
        sanitize(region),
        sanitize(account),
        sanitize(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            object_key(
                "ext/windows-sysmon/process_activity/",
                "us-east-1",
                "123",
                "20231003",
                "cli-ab"
            ),
            "ext/windows-sysmon/process_activity/region=us-east-1/accountId=123/eventDay=20231003/cli-ab.zstd.parquet"
        );
        assert_eq!(sanitize("a/b c"), "a_b_c");
    }
}
