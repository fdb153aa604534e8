//! The runtime form of the sources config: each source with its compiled mapping, parser,
//! partition rules, class locations and input routes. Built once (at cold start in Lambda).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use regex::Regex;

use crate::glob::Glob;
use serde_json::Value;

use crate::config::sources::{Limits, SOURCE_KEYS};
use crate::config::{FormatConfig, MappingFile, PartitionValue, SourceConfig, SourcesConfig};
use crate::input::Parser;
use crate::mapping::path::CompiledPath;
use crate::mapping::{CompiledMapping, Diagnostic, Level, compile};
use crate::ocsf::Schema;
use crate::output::lake::default_location;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON for a {what}: {source}")]
    Json {
        path: String,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("source `{source_name}`: {message}")]
    Source {
        source_name: String,
        message: String,
    },
    #[error("mapping {file} cannot be used:\n{}", .diagnostics.iter().filter(|d| d.level == Level::Fatal).map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))]
    Mapping {
        file: String,
        diagnostics: Vec<Diagnostic>,
    },
}

/// How a partition value is found.
#[derive(Debug, Clone)]
pub enum PartitionRule {
    /// The running account / region.
    Default,
    Fixed(String),
    Path(CompiledPath),
    KeyRegex(Regex),
}

#[derive(Debug)]
pub struct Source {
    pub name: String,
    pub mapping: CompiledMapping,
    pub parser: Parser,
    pub limits: Limits,
    pub account: PartitionRule,
    pub region: PartitionRule,
    /// Output location per class of `mapping.classes`.
    pub locations: Vec<String>,
    pub kinesis_streams: Vec<String>,
    pub kinesis_metadata_field: Option<CompiledPath>,
    /// (bucket glob, key-prefix glob).
    pub s3_routes: Vec<(Glob, Glob)>,
}

pub struct Catalog {
    pub sources: Vec<Source>,
    /// Findings about the mappings that did not stop them loading.
    pub diagnostics: Vec<Diagnostic>,
    /// Non-fatal findings about the sources config itself.
    pub notes: Vec<String>,
}

/// Reads the files a config names: from a folder, or from the copy embedded in the binary.
pub trait FileSource {
    fn read(&self, name: &str) -> Result<Vec<u8>, LoadError>;
    fn exists(&self, name: &str) -> bool;
    fn display(&self, name: &str) -> String;
}

pub struct Folder(pub PathBuf);

impl FileSource for Folder {
    fn read(&self, name: &str) -> Result<Vec<u8>, LoadError> {
        let p = self.0.join(name);
        std::fs::read(&p).map_err(|source| LoadError::Io {
            path: p.display().to_string(),
            source,
        })
    }
    fn exists(&self, name: &str) -> bool {
        self.0.join(name).is_file()
    }
    fn display(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

/// The shipped `mappings/` folder, compiled into the binary.
pub struct Embedded;

pub const EMBEDDED_FILES: &[(&str, &str)] = &[
    ("sources.json", include_str!("../mappings/sources.json")),
    (
        "windows-sysmon.json",
        include_str!("../mappings/windows-sysmon.json"),
    ),
    (
        "aws-network-firewall.json",
        include_str!("../mappings/aws-network-firewall.json"),
    ),
    ("aws-alb.json", include_str!("../mappings/aws-alb.json")),
];

impl FileSource for Embedded {
    fn read(&self, name: &str) -> Result<Vec<u8>, LoadError> {
        EMBEDDED_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c.as_bytes().to_vec())
            .ok_or_else(|| LoadError::Io {
                path: format!("<embedded>/{name}"),
                source: std::io::ErrorKind::NotFound.into(),
            })
    }
    fn exists(&self, name: &str) -> bool {
        EMBEDDED_FILES.iter().any(|(n, _)| *n == name)
    }
    fn display(&self, name: &str) -> String {
        format!("<embedded>/mappings/{name}")
    }
}

impl Catalog {
    /// Load a sources config file and the mapping files it names (relative to its folder).
    pub fn load(path: &Path) -> Result<Catalog, LoadError> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        Catalog::load_from(&Folder(dir), &name)
    }

    /// The shipped configuration embedded in the binary.
    pub fn embedded() -> Result<Catalog, LoadError> {
        Catalog::load_from(&Embedded, "sources.json")
    }

    pub fn load_from(files: &dyn FileSource, config_name: &str) -> Result<Catalog, LoadError> {
        let bytes = files.read(config_name)?;
        let cfg: SourcesConfig =
            serde_json::from_slice(&bytes).map_err(|source| LoadError::Json {
                path: files.display(config_name),
                what: "sources config",
                source,
            })?;
        let schema = Schema::get();
        let mut sources = Vec::new();
        let mut diagnostics = Vec::new();
        let mut notes = Vec::new();
        for k in cfg.extra.keys() {
            notes.push(format!(
                "{}: unknown key `{k}` ignored",
                files.display(config_name)
            ));
        }
        for sc in &cfg.sources {
            let (source, diags) = build_source(files, sc, schema, &mut notes)?;
            diagnostics.extend(diags);
            sources.push(source);
        }
        check_locations(&sources)?;
        Ok(Catalog {
            sources,
            diagnostics,
            notes,
        })
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The source whose S3 route matches a bucket and key.
    pub fn source_for_object(&self, bucket: &str, key: &str) -> Option<&Source> {
        self.sources.iter().find(|s| {
            s.s3_routes
                .iter()
                .any(|(b, re)| b.is_match(bucket) && re.is_match(key))
        })
    }

    /// The source of a Kinesis stream (by name or ARN).
    pub fn source_for_stream(&self, stream_arn: &str) -> Option<&Source> {
        let name = stream_arn.rsplit('/').next().unwrap_or(stream_arn);
        self.sources.iter().find(|s| {
            s.kinesis_streams
                .iter()
                .any(|k| k == stream_arn || k == name)
        })
    }

    /// The source named by a payload's metadata field (the reference's routing).
    pub fn source_for_payload(&self, payload: &[u8]) -> Option<&Source> {
        let arena = bumpalo::Bump::new();
        let event = crate::event::parse_json(&arena, payload).ok()?;
        self.sources.iter().find(|s| {
            s.kinesis_metadata_field
                .as_ref()
                .and_then(|p| p.eval(event, &arena))
                .is_some_and(|v| v.as_str() == Some(s.name.as_str()))
        })
    }
}

/// Each source name once, and each (source, class) in a location of its own: Security Lake
/// reads a custom source's prefix as one class with one schema, so two classes in one location
/// (or one location inside another) would mix them.
fn check_locations(sources: &[Source]) -> Result<(), LoadError> {
    let mut seen: Vec<(String, &str, &str)> = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        if sources[..i].iter().any(|o| o.name == s.name) {
            return Err(LoadError::Source {
                source_name: s.name.clone(),
                message: "the name is given twice; each source needs its own".into(),
            });
        }
        for (c, loc) in s.mapping.classes.iter().zip(&s.locations) {
            let at = crate::output::lake::folder(loc);
            let clash = seen
                .iter()
                .find(|(other, ..)| at.starts_with(other.as_str()) || other.starts_with(&at));
            if let Some((other, os, oc)) = clash {
                let how = if *other == at {
                    "the same location as"
                } else {
                    "a location that overlaps that of"
                };
                return Err(LoadError::Source {
                    source_name: s.name.clone(),
                    message: format!(
                        "class {} is written to `{at}`, {how} class {oc} of source `{os}` (`{other}`); give each class of each source a location of its own (`classes.<class>.location`)",
                        c.name
                    ),
                });
            }
            seen.push((at, &s.name, &c.name));
        }
    }
    Ok(())
}

fn partition_rule(
    v: &Option<PartitionValue>,
    what: &str,
    name: &str,
) -> Result<PartitionRule, LoadError> {
    let err = |message: String| LoadError::Source {
        source_name: name.to_string(),
        message,
    };
    Ok(match v {
        None => PartitionRule::Default,
        Some(PartitionValue::Fixed(s)) if crate::mapping::is_path(s) => {
            PartitionRule::Path(CompiledPath::parse(s).map_err(|e| err(format!("{what}: {e}")))?)
        }
        Some(PartitionValue::Fixed(s)) => PartitionRule::Fixed(s.clone()),
        Some(PartitionValue::KeyRegex { key_regex }) => {
            let re = Regex::new(key_regex).map_err(|e| err(format!("{what}.key_regex: {e}")))?;
            if re.captures_len() < 2 {
                return Err(err(format!("{what}.key_regex needs one capture group")));
            }
            PartitionRule::KeyRegex(re)
        }
    })
}

fn build_source(
    files: &dyn FileSource,
    sc: &SourceConfig,
    schema: &Schema,
    notes: &mut Vec<String>,
) -> Result<(Source, Vec<Diagnostic>), LoadError> {
    let name = sc.name.clone();
    let err = |message: String| LoadError::Source {
        source_name: name.clone(),
        message,
    };
    for k in sc.extra.keys() {
        let hint = Schema::did_you_mean(k, SOURCE_KEYS);
        notes.push(format!("source `{name}`: unknown key `{k}` ignored{hint}"));
    }
    let mapping_file = match &sc.mapping_file {
        Some(f) => f.clone(),
        None => {
            let candidates = [
                format!("{name}.json"),
                format!("{}.json", name.replace('-', "_")),
            ];
            match candidates.iter().find(|c| files.exists(c)) {
                Some(c) => {
                    notes.push(format!(
                        "source `{name}` has no `mapping_file`; using `{c}`"
                    ));
                    c.clone()
                }
                None => {
                    return Err(err(format!(
                        "no `mapping_file`, and none of {} exists",
                        candidates.join(", ")
                    )));
                }
            }
        }
    };
    let bytes = files.read(&mapping_file)?;
    let display = files.display(&mapping_file);
    let mf = MappingFile::from_slice(&bytes).map_err(|source| LoadError::Json {
        path: display.clone(),
        what: "mapping file",
        source,
    })?;
    if mf.custom_source_events.source_name != name {
        notes.push(format!(
            "source `{name}`: mapping {display} says source_name `{}`",
            mf.custom_source_events.source_name
        ));
    }
    let (compiled, diags) = compile(&display, &mf, schema);
    let Some(mapping) = compiled else {
        return Err(LoadError::Mapping {
            file: display,
            diagnostics: diags,
        });
    };

    let format = match (&sc.format, sc.preprocessor_module.as_deref()) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(p)) => {
            let f = match p {
                "sysmon_preprocessor" => Some(FormatConfig::WindowsEvent),
                "alb_preprocessor" => Some(FormatConfig::Alb),
                _ => None,
            };
            notes.push(format!(
                "source `{name}`: preprocessor_module `{p}` is Python; using the built-in format `{}`",
                Parser::from_config(f.as_ref()).map(|p| p.name()).unwrap_or("json_lines")
            ));
            f
        }
        (None, None) => None,
    };
    let parser = Parser::from_config(format.as_ref()).map_err(|m| err(format!("format: {m}")))?;

    let mut kinesis_streams = Vec::new();
    let mut kinesis_metadata_field = None;
    let mut s3_routes = Vec::new();
    if let Some(input) = &sc.input {
        if let Some(k) = &input.kinesis {
            kinesis_streams = k.streams.clone();
            if let Some(f) = &k.metadata_field {
                kinesis_metadata_field = Some(
                    metadata_path(f)
                        .map_err(|e| err(format!("input.kinesis.metadata_field: {e}")))?,
                );
            }
        }
        for s in &input.s3 {
            s3_routes.push((Glob::whole(&s.bucket), Glob::prefix(&s.prefix)));
        }
    }
    if let Some(paths) = &sc.input_paths {
        if let Some(k) = paths
            .get("kinesis")
            .filter(|k| k.get("enabled").and_then(Value::as_bool).unwrap_or(true))
        {
            if let Some(f) = k.get("metadata_field").and_then(Value::as_str) {
                kinesis_metadata_field = Some(
                    metadata_path(f)
                        .map_err(|e| err(format!("input_paths.kinesis.metadata_field: {e}")))?,
                );
            }
            if let Some(s) = k.get("stream_name").and_then(Value::as_str) {
                kinesis_streams.push(s.to_string());
            }
        }
        if let Some(s3) = paths
            .get("s3")
            .filter(|k| k.get("enabled").and_then(Value::as_bool).unwrap_or(true))
        {
            for b in s3
                .get("source_buckets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(bucket) = b.get("bucket_name").and_then(Value::as_str) {
                    let prefix = b.get("prefix").and_then(Value::as_str).unwrap_or("");
                    s3_routes.push((Glob::whole(bucket), Glob::prefix(prefix)));
                }
            }
        }
    }

    let mut locations = Vec::new();
    for c in &mapping.classes {
        let loc = sc
            .classes
            .get(&c.name)
            .and_then(|o| o.location.clone())
            .unwrap_or_else(|| default_location(&name, &c.name));
        locations.push(loc);
    }
    let known: HashMap<&str, ()> = mapping
        .classes
        .iter()
        .map(|c| (c.name.as_str(), ()))
        .collect();
    for k in sc.classes.keys() {
        if !known.contains_key(k.as_str()) {
            notes.push(format!(
                "source `{name}`: `classes.{k}` names a class its mapping never writes"
            ));
        }
    }
    let source = Source {
        account: partition_rule(&sc.account_id, "account_id", &name)?,
        region: partition_rule(&sc.region, "region", &name)?,
        name,
        mapping,
        parser,
        limits: sc.limits.clone(),
        locations,
        kinesis_streams,
        kinesis_metadata_field,
        s3_routes,
    };
    Ok((source, diags))
}

fn metadata_path(f: &str) -> Result<CompiledPath, String> {
    if f.starts_with('$') {
        CompiledPath::parse(f)
    } else {
        CompiledPath::parse(&format!("$['{}']", f.replace('\'', "\\'")))
    }
}
