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

pub fn object_key(location: &str, region: &str, account: &str, day: &str, name: &str) -> String {
    let loc = location.trim_matches('/');
    let prefix = if loc.is_empty() {
        String::new()
    } else {
        format!("{loc}/")
    };
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
