//! The Security Lake custom sources a sources config needs, and the exact
//! `aws securitylake create-custom-log-source` call for each: CloudFormation has no resource for
//! them, so the command line prints them instead of leaving the step to guesswork.
//!
//! A class written under the default location `ext/<source>/<class>/` belongs to one custom source
//! named after the source (several classes, one crawler table per class folder); a class given its
//! own location `ext/<name>/` is a custom source of its own, as Security Lake recommends.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::catalog::Catalog;

/// Event classes Security Lake accepts for custom sources (its API's `eventClasses` values).
pub const SECURITY_LAKE_EVENT_CLASSES: &[&str] = &[
    "ACCESS_ACTIVITY",
    "FILE_ACTIVITY",
    "KERNEL_ACTIVITY",
    "KERNEL_EXTENSION",
    "MEMORY_ACTIVITY",
    "MODULE_ACTIVITY",
    "PROCESS_ACTIVITY",
    "REGISTRY_KEY_ACTIVITY",
    "REGISTRY_VALUE_ACTIVITY",
    "RESOURCE_ACTIVITY",
    "SCHEDULED_JOB_ACTIVITY",
    "SECURITY_FINDING",
    "ACCOUNT_CHANGE",
    "AUTHENTICATION",
    "AUTHORIZATION",
    "ENTITY_MANAGEMENT_AUDIT",
    "DHCP_ACTIVITY",
    "NETWORK_ACTIVITY",
    "DNS_ACTIVITY",
    "FTP_ACTIVITY",
    "HTTP_ACTIVITY",
    "RDP_ACTIVITY",
    "SMB_ACTIVITY",
    "SSH_ACTIVITY",
    "CONFIG_STATE",
    "INVENTORY_INFO",
    "EMAIL_ACTIVITY",
    "API_ACTIVITY",
    "CLOUD_API",
];

/// Security Lake's limit on custom source names.
pub const MAX_NAME_LEN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSource {
    pub name: String,
    /// `eventClasses` values, in the config's class order.
    pub event_classes: Vec<String>,
    /// (config source, OCSF class, location) written into this custom source.
    pub classes: Vec<(String, String, String)>,
    /// Class folders under the custom source's location: the crawler needs table level 4.
    pub per_class_folders: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub String);

/// The custom source a location belongs to: the segment after `ext/`.
fn custom_source_of(location: &str) -> Option<&str> {
    let mut parts = location.trim_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some("ext"), Some(name)) if !name.is_empty() => Some(name),
        _ => None,
    }
}

pub fn plan(catalog: &Catalog) -> (Vec<CustomSource>, Vec<Problem>) {
    let mut by_name: BTreeMap<String, CustomSource> = BTreeMap::new();
    let mut order = Vec::new();
    let mut problems = Vec::new();
    for src in &catalog.sources {
        for (class, location) in src.mapping.classes.iter().zip(&src.locations) {
            let Some(name) = custom_source_of(location) else {
                problems.push(Problem(format!(
                    "source {}: class {} is written to {location:?}, not under ext/<custom source>/ where Security Lake keeps custom sources",
                    src.name, class.name
                )));
                continue;
            };
            let ev = class.name.to_ascii_uppercase();
            if !SECURITY_LAKE_EVENT_CLASSES.contains(&ev.as_str()) {
                problems.push(Problem(format!(
                    "source {}: OCSF class {} is not one Security Lake accepts for custom sources",
                    src.name, class.name
                )));
            }
            let depth = location.trim_matches('/').split('/').count();
            let cs = by_name.entry(name.to_string()).or_insert_with(|| {
                order.push(name.to_string());
                CustomSource {
                    name: name.to_string(),
                    event_classes: Vec::new(),
                    classes: Vec::new(),
                    per_class_folders: false,
                }
            });
            if !cs.event_classes.contains(&ev) {
                cs.event_classes.push(ev);
            }
            cs.per_class_folders |= depth > 2;
            cs.classes
                .push((src.name.clone(), class.name.clone(), location.clone()));
        }
    }
    for name in &order {
        if name.len() > MAX_NAME_LEN {
            problems.push(Problem(format!(
                "custom source name {name:?} has {} characters; Security Lake allows {MAX_NAME_LEN}: give its classes a shorter location (classes.<class>.location = \"ext/<name>/...\")",
                name.len()
            )));
        }
        if name.contains('_') {
            problems.push(Problem(format!(
                "custom source name {name:?}: use dashes rather than underscores"
            )));
        }
    }
    let sources = order
        .into_iter()
        .map(|n| by_name.remove(&n).expect("collected above"))
        .collect();
    (sources, problems)
}

/// Values filled into the commands (placeholders when not given).
pub struct Identity {
    pub glue_role_arn: String,
    pub external_id: String,
    pub account_id: String,
    pub region: String,
}

pub fn render(sources: &[CustomSource], id: &Identity) -> String {
    let mut out = String::new();
    for cs in sources {
        let _ = writeln!(out, "# {}: writes", cs.name);
        for (src, class, loc) in &cs.classes {
            let _ = writeln!(out, "#   {class} (source {src}) under {loc}");
        }
        let _ = writeln!(
            out,
            "aws securitylake create-custom-log-source \\\n  --source-name {} \\\n  --event-classes {} \\\n  --configuration 'crawlerConfiguration={{roleArn={}}},providerIdentity={{externalId={},principal={}}}' \\\n  --region {}",
            cs.name,
            cs.event_classes.join(" "),
            id.glue_role_arn,
            id.external_id,
            id.account_id,
            id.region
        );
        if cs.per_class_folders {
            let _ = writeln!(
                out,
                "# Its classes sit in one folder each, so set its Glue crawler (created by the call\n# above; find it in the Glue console) to make one table per class folder: a single schema\n# per S3 path at table level 4 (bucket/ext/{0}/<class>), table prefix \"<its table name>_\",\n# partitions updated from the table:\naws glue update-crawler --name <CRAWLER_NAME> --table-prefix '<TABLE_NAME>_' \\\n  --configuration '{{\"Version\":1.0,\"Grouping\":{{\"TableGroupingPolicy\":\"CombineCompatibleSchemas\",\"TableLevelConfiguration\":4}},\"CrawlerOutput\":{{\"Partitions\":{{\"AddOrUpdateBehavior\":\"InheritFromTable\"}}}}}}' \\\n  --region {1}",
                cs.name, id.region
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_gives_one_custom_source_per_config_source() {
        let catalog = Catalog::embedded().unwrap();
        let (sources, problems) = plan(&catalog);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["windows-sysmon", "aws-network-firewall", "aws-alb"]);
        let sysmon = &sources[0];
        assert!(sysmon.per_class_folders);
        for c in [
            "PROCESS_ACTIVITY",
            "FILE_ACTIVITY",
            "NETWORK_ACTIVITY",
            "DNS_ACTIVITY",
        ] {
            assert!(sysmon.event_classes.iter().any(|e| e == c), "{c}");
        }
        assert_eq!(sources[2].event_classes, ["HTTP_ACTIVITY"]);
        let text = render(
            &sources,
            &Identity {
                glue_role_arn: "ROLE".into(),
                external_id: "EXT".into(),
                account_id: "ACCT".into(),
                region: "eu-west-1".into(),
            },
        );
        assert!(text.contains("--source-name aws-alb \\\n  --event-classes HTTP_ACTIVITY"));
        assert!(text.contains(
            "crawlerConfiguration={roleArn=ROLE},providerIdentity={externalId=EXT,principal=ACCT}"
        ));
        assert!(text.contains("\"TableLevelConfiguration\":4"));
    }

    #[test]
    fn names_longer_than_twenty_characters_are_refused() {
        assert_eq!(custom_source_of("ext/a/b/"), Some("a"));
        assert_eq!(custom_source_of("lake/a/"), None);
        let catalog = Catalog::embedded().unwrap();
        let mut c = catalog;
        c.sources[1].locations =
            vec!["ext/network-firewall-flow-and-alerts/".into(); c.sources[1].locations.len()];
        let (_, problems) = plan(&c);
        assert!(problems.iter().any(|p| p.0.contains("20")), "{problems:?}");
    }
}
