//! The command-line tool: the same engine on local files, writing the lake layout to a folder.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser as ClapParser, Subcommand};

use crate::catalog::{Catalog, LoadError};
use std::cell::RefCell;
use std::rc::Rc;

use crate::engine::{Batch, OutputObject, PartitionDefaults, Sink, SinkError, Stats};
use crate::mapping::{Diagnostic, Level};

#[derive(ClapParser, Debug)]
#[command(
    name = "ocsf-transform",
    version,
    about = "Map security logs to OCSF 1.1.0 Parquet in the Amazon Security Lake layout"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Transform local files (or stdin) into the lake layout under --out.
    Transform(TransformArgs),
    /// Print the OCSF JSON of the first events, to help write a mapping.
    Preview(PreviewArgs),
    /// Lint the mappings of a sources config (or one mapping file) against OCSF 1.1.0.
    Check(CheckArgs),
    /// Print the Parquet schema of each source and class.
    Schema(ConfigArg),
    /// Run the Lambda handler once on an event file (Kinesis or SQS), against the S3 endpoint of
    /// the standard AWS environment (e.g. AWS_ENDPOINT_URL), and print the batch response.
    Invoke(InvokeArgs),
    /// Print the `aws securitylake create-custom-log-source` call for each custom source the
    /// config writes (and the crawler settings of multi-class sources).
    CustomSources(CustomSourcesArgs),
}

#[derive(Args, Debug)]
pub struct CustomSourcesArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The Glue crawler role (the stack output CustomSourceCrawlerRoleArn).
    #[arg(long, default_value = "<CustomSourceCrawlerRoleArn>")]
    pub glue_role_arn: String,
    /// The external ID the provider role will require; keep it for ProviderExternalId.
    #[arg(long, default_value = "<EXTERNAL_ID>")]
    pub external_id: String,
    /// The account that writes the data (the stack's account).
    #[arg(long, env = "AWS_ACCOUNT_ID", default_value = "<ACCOUNT_ID>")]
    pub account_id: String,
    #[arg(long, env = "AWS_REGION", default_value = "<REGION>")]
    pub region: String,
}

#[derive(Args, Debug)]
pub struct InvokeArgs {
    /// A Lambda event (JSON), as Kinesis or SQS would send it.
    #[arg(long)]
    pub event: PathBuf,
    /// Sources config; default: the one built in (as in Lambda).
    #[arg(long, env = "OCSF_CONFIG")]
    pub config: Option<PathBuf>,
    /// The lake: s3://bucket/prefix.
    #[arg(long, env = "OCSF_LAKE_LOCATION")]
    pub lake: String,
    /// Dead letters: s3://bucket/prefix (default: a prefix of the input's bucket).
    #[arg(long, env = "OCSF_DEAD_LETTER_LOCATION")]
    pub dead_letter: Option<String>,
    /// The function ARN Lambda would pass (its account and region are the default partitions).
    #[arg(
        long,
        env = "OCSF_FUNCTION_ARN",
        default_value = "arn:aws:lambda:us-east-1:000000000000:function:ocsf-transform"
    )]
    pub function_arn: String,
    /// Time the invocation may take, as the function timeout would give it.
    #[arg(long, default_value_t = 900)]
    pub timeout_seconds: u64,
}

#[derive(Args, Debug)]
pub struct ConfigArg {
    /// Sources config; default `mappings/sources.json` if present, else the one built in.
    #[arg(long, env = "OCSF_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InputArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Source name from the sources config (may be left out when the config has one source).
    #[arg(long)]
    pub source: Option<String>,
    /// Files, folders (read recursively) or `-` for stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// accountId partition where the config gives none.
    #[arg(long, env = "AWS_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,
    /// region partition where the config gives none.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
}

#[derive(Args, Debug)]
pub struct TransformArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Lake root folder.
    #[arg(long, default_value = "./lake")]
    pub out: PathBuf,
    /// Write the end summary as JSON to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Memory for buffered rows, in MiB: beyond it the rows so far are written out as part
    /// objects (each sorted by time), so any input size runs in bounded memory.
    #[arg(long, default_value_t = 32)]
    pub buffer_mb: usize,
}

#[derive(Args, Debug)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// How many events to show.
    #[arg(short = 'n', long, default_value_t = 5)]
    pub count: usize,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Check this one mapping file instead of the whole config.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Also print warnings.
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn load_catalog(arg: &ConfigArg) -> Result<Catalog, LoadError> {
    match &arg.config {
        Some(p) => Catalog::load(p),
        None if Path::new("mappings/sources.json").is_file() => {
            Catalog::load(Path::new("mappings/sources.json"))
        }
        None => Catalog::embedded(),
    }
}

/// What the inputs named: the files to read, and what walking folders left out.
struct Inputs {
    files: Vec<PathBuf>,
    /// Hidden entries (`.git`, `.DS_Store`) and the output folder, found under a folder.
    skipped: Vec<PathBuf>,
}

/// Each file named, `-`, and every file under each folder named (recursively, in path order)
/// but hidden entries and what the run writes (`exclude`: the output folder and the report;
/// a run over `.` must not read the lake an earlier run wrote into `./lake`). A hidden file
/// named on its own is read.
fn collect_inputs(inputs: &[String], exclude: &[&Path]) -> Result<Inputs> {
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let written = |p: &Path| {
        !exclude.is_empty() && std::fs::canonicalize(p).is_ok_and(|c| exclude.contains(&c))
    };
    let mut out = Inputs {
        files: Vec::new(),
        skipped: Vec::new(),
    };
    for i in inputs {
        let p = PathBuf::from(i);
        if i == "-" {
            out.files.push(p);
        } else if p.is_dir() {
            let mut stack = vec![p];
            let mut files = Vec::new();
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d)
                    .with_context(|| format!("reading folder {}", d.display()))?
                {
                    let path = e?.path();
                    let hidden = path
                        .file_name()
                        .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."));
                    if hidden || written(&path) {
                        out.skipped.push(path);
                    } else if path.is_dir() {
                        stack.push(path)
                    } else {
                        files.push(path)
                    }
                }
            }
            files.sort();
            out.files.extend(files);
        } else if p.is_file() {
            out.files.push(p);
        } else {
            bail!("input {i} does not exist");
        }
    }
    out.skipped.sort();
    Ok(out)
}

/// Bytes of standard input that name a run read from it.
const STDIN_HEAD_BYTES: usize = 64 * 1024;

/// The name of a run's objects, from what identifies each input: a file by its path, size and
/// modification time, standard input by its first bytes (`stdin_head`). The same input gives the
/// same name, so a re-run overwrites its objects; a file rewritten under the same path (a log
/// rotated to the same name) gives a new name, so its objects do not replace the earlier ones.
fn batch_name(inputs: &[PathBuf], stdin_head: &[u8]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in inputs {
        h.update(p.as_os_str().as_encoded_bytes());
        if p.as_os_str() == "-" {
            h.update(stdin_head);
        } else if let Ok(m) = std::fs::metadata(p) {
            h.update(&m.len().to_le_bytes());
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            h.update(&modified.to_le_bytes());
        }
        h.update(b"\n");
    }
    format!("cli-{:016x}", h.digest())
}

/// Read the first bytes of standard input (up to [`STDIN_HEAD_BYTES`], fewer at its end).
fn read_stdin_head() -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(STDIN_HEAD_BYTES);
    std::io::stdin()
        .lock()
        .take(STDIN_HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

fn run_inputs<'a>(
    catalog: &'a Catalog,
    args: &InputArgs,
    exclude: &[&Path],
    preview: Option<usize>,
    spill: Option<(usize, Sink<'a>)>,
) -> Result<Batch<'a>> {
    let names = || {
        catalog
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let source = match (&args.source, catalog.sources.as_slice()) {
        (Some(name), _) => catalog
            .source(name)
            .with_context(|| format!("no source `{name}` in the config (have: {})", names()))?,
        (None, [only]) => only,
        (None, _) => anyhow::bail!(
            "the config has several sources; name one with --source (have: {})",
            names()
        ),
    };
    let Inputs {
        files: inputs,
        skipped,
    } = collect_inputs(&args.inputs, exclude)?;
    if !skipped.is_empty() {
        let names: Vec<String> = skipped.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "note: not read (hidden, or written by this run): {}",
            names.join(", ")
        );
    }
    let defaults = PartitionDefaults {
        account: args.account_id.clone(),
        region: args.region.clone(),
    };
    let mut stdin_head = if inputs.iter().any(|p| p.as_os_str() == "-") {
        Some(read_stdin_head().context("reading standard input")?)
    } else {
        None
    };
    let name = batch_name(&inputs, stdin_head.as_deref().unwrap_or_default());
    let mut batch = Batch::new(source, name.clone(), defaults).with_uid_salt(name);
    if let Some(n) = preview {
        batch = batch.with_preview(n);
    }
    if let Some((budget, sink)) = spill {
        batch = batch.with_sink(budget, sink);
    }
    let total: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar =
        (preview.is_none() && std::io::stderr().is_terminal() && total > 8 << 20).then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
    for p in &inputs {
        let name = if p.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            p.display().to_string()
        };
        let reader: Box<dyn Read> = if p.as_os_str() == "-" {
            // What was read to name the run comes first (once, if `-` is given twice).
            let head = stdin_head.take().unwrap_or_default();
            Box::new(std::io::Cursor::new(head).chain(std::io::stdin().lock()))
        } else {
            Box::new(std::fs::File::open(p).with_context(|| format!("opening {name}"))?)
        };
        let reader: Box<dyn Read> = match &bar {
            Some(b) => Box::new(b.wrap_read(reader)),
            None => reader,
        };
        if let Err(e) = batch.add_input(&name, None, reader) {
            if e.message.starts_with("storing output") {
                bail!("{e}");
            }
            tracing::warn!(input = %name, error = %e, "input failed part-way; the rest of it is dead-lettered as a read error");
            batch.dead_letter_input(&e);
        }
        if preview.is_some() && batch.preview().1 {
            break;
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(batch)
}

/// One object written, for the summary and the report.
#[derive(Debug, Clone, serde::Serialize)]
struct Written {
    key: String,
    rows: u64,
    class: String,
    bytes: usize,
}

fn write_object(out: &Path, o: &OutputObject) -> Result<Written> {
    let path = out.join(&o.key);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, &o.body).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(Written {
        key: o.key.clone(),
        rows: o.rows,
        class: o.class.clone(),
        bytes: o.body.len(),
    })
}

pub fn print_summary(source: &str, stats: &Stats) {
    eprintln!(
        "source {source}: {} events in, {} rows written, {} dead-lettered, {} ignored",
        stats.events_in,
        stats.written(),
        stats.dead(),
        stats.ignored
    );
    if stats.control_messages > 0 {
        eprintln!(
            "  CloudWatch Logs control messages (not events): {}",
            stats.control_messages
        );
    }
    for (c, n) in &stats.rows_written {
        eprintln!("  rows {c}: {n}");
    }
    for (r, n) in &stats.dead_lettered {
        eprintln!("  dead-lettered {r}: {n}");
    }
    for (w, n) in &stats.warnings {
        eprintln!("  warnings {w}: {n}");
    }
}

/// An error and its causes, `: `-joined, leaving out a cause whose text the message already
/// holds (the crate's errors name their cause in their own message).
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

fn print_diagnostics(diags: &[Diagnostic], verbose: bool) {
    for d in diags {
        if verbose || d.level != Level::Warning {
            println!("{d}");
        }
    }
}

fn invoke(args: InvokeArgs) -> Result<ExitCode> {
    use crate::lambda::{Handler, Invocation, Settings};
    let event =
        std::fs::read(&args.event).with_context(|| format!("reading {}", args.event.display()))?;
    let config = args.config.clone();
    let (lake, dl) = (args.lake.clone(), args.dead_letter.clone());
    let mut settings = Settings::from_lookup(|k| match k {
        crate::lambda::settings::LAKE_LOCATION => Some(lake.clone()),
        crate::lambda::settings::DEAD_LETTER_LOCATION => dl.clone(),
        crate::lambda::settings::CONFIG => None,
        other => std::env::var(other).ok().filter(|v| !v.is_empty()),
    })?;
    settings.config = config;
    let catalog = crate::lambda::load_catalog(&settings)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let store = rt.block_on(crate::lambda::store_from_env(&settings));
    let handler = Handler {
        catalog,
        store,
        settings,
        emit_metrics: false,
    };
    let inv = Invocation::new(
        "local-invoke",
        &args.function_arn,
        std::time::Duration::from_secs(args.timeout_seconds),
    );
    let (response, report) = rt.block_on(async {
        tokio::task::spawn_blocking(move || handler.handle(event, &inv)).await
    })??;
    for (source, stats) in &report.sources {
        print_summary(source, stats);
    }
    for f in &report.failures {
        eprintln!("  retry: {f}");
    }
    println!("{}", serde_json::to_string_pretty(&response)?);
    Ok(ExitCode::SUCCESS)
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Invoke(args) => invoke(args),
        Command::CustomSources(args) => {
            let catalog = load_catalog(&args.config)?;
            let (sources, problems) = crate::custom_source::plan(&catalog);
            print!(
                "{}",
                crate::custom_source::render(
                    &sources,
                    &crate::custom_source::Identity {
                        glue_role_arn: args.glue_role_arn,
                        external_id: args.external_id,
                        account_id: args.account_id,
                        region: args.region,
                    }
                )
            );
            for p in &problems {
                eprintln!("error: {}", p.0);
            }
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Transform(args) => {
            let catalog = load_catalog(&args.input.config)?;
            for n in &catalog.notes {
                tracing::warn!("{n}");
            }
            let written = Rc::new(RefCell::new(Vec::<Written>::new()));
            let sink: Sink = {
                let (out, written) = (args.out.clone(), written.clone());
                Box::new(move |o| {
                    let w = write_object(&out, &o).map_err(|e| SinkError {
                        message: format!("{e:#}"),
                        retryable: false,
                    })?;
                    written.borrow_mut().push(w);
                    Ok(())
                })
            };
            let budget = args.buffer_mb.max(1) << 20;
            let batch = run_inputs(
                &catalog,
                &args.input,
                &[args.out.as_path()]
                    .into_iter()
                    .chain(args.report.as_deref())
                    .collect::<Vec<_>>(),
                None,
                Some((budget, sink)),
            )?;
            let source = batch.source().name.clone();
            let output = batch.finish()?;
            let mut written = written.take();
            for o in output.objects.iter().chain(output.dead_letters.iter()) {
                written.push(write_object(&args.out, o)?);
            }
            print_summary(&source, &output.stats);
            for w in &written {
                let what = if w.class.is_empty() {
                    "dead letters".to_string()
                } else if w.rows == 1 {
                    "1 row".to_string()
                } else {
                    format!("{} rows", w.rows)
                };
                eprintln!("  wrote {} ({what})", args.out.join(&w.key).display());
            }
            if let Some(r) = &args.report {
                let (dead, objects): (Vec<_>, Vec<_>) =
                    written.iter().partition(|w| w.class.is_empty());
                let report = serde_json::json!({
                    "source": source,
                    "stats": output.stats,
                    "objects": objects,
                    "dead_letters": dead.iter().map(|d| d.key.clone()).collect::<Vec<_>>(),
                });
                std::fs::write(r, serde_json::to_vec_pretty(&report)?)
                    .with_context(|| format!("writing report {}", r.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Preview(args) => {
            let catalog = load_catalog(&args.input.config)?;
            let batch = run_inputs(&catalog, &args.input, &[], Some(args.count), None)?;
            for v in batch.preview().0 {
                println!("{}", serde_json::to_string_pretty(v)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let (diags, notes) = match &args.mapping {
                Some(m) => {
                    let bytes =
                        std::fs::read(m).with_context(|| format!("reading {}", m.display()))?;
                    let mf = crate::config::MappingFile::from_slice(&bytes)
                        .with_context(|| format!("{} is not a valid mapping file", m.display()))?;
                    let (_, diags) = crate::mapping::compile(
                        &m.display().to_string(),
                        &mf,
                        crate::ocsf::Schema::get(),
                    );
                    (diags, Vec::new())
                }
                None => match load_catalog(&args.config) {
                    Ok(c) => (c.diagnostics, c.notes),
                    Err(LoadError::Mapping { diagnostics, .. }) => (diagnostics, Vec::new()),
                    Err(e) => return Err(e.into()),
                },
            };
            for n in &notes {
                println!("note: {n}");
            }
            print_diagnostics(&diags, args.verbose);
            let errors = diags.iter().filter(|d| d.level != Level::Warning).count();
            let warnings = diags.len() - errors;
            if warnings > 0 && !args.verbose {
                println!("{errors} error(s), {warnings} warning(s) (--verbose lists the warnings)");
            } else {
                println!("{errors} error(s), {warnings} warning(s)");
            }
            Ok(if errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Schema(args) => {
            let catalog = load_catalog(&args)?;
            for s in &catalog.sources {
                for (c, loc) in s.mapping.classes.iter().zip(&s.locations) {
                    println!("source {} class {} ({}) at {loc}", s.name, c.name, c.uid);
                    let schema = crate::output::arrow_schema(&c.shape);
                    for f in schema.fields() {
                        print_field(f.name(), f.data_type(), 1);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_field(name: &str, dt: &arrow::datatypes::DataType, depth: usize) {
    use arrow::datatypes::DataType;
    let pad = "  ".repeat(depth);
    match dt {
        DataType::Struct(fields) => {
            println!("{pad}{name}: struct");
            for f in fields {
                print_field(f.name(), f.data_type(), depth + 1);
            }
        }
        DataType::List(item) => match item.data_type() {
            DataType::Struct(_) => print_field(&format!("{name}[]"), item.data_type(), depth),
            other => println!("{pad}{name}: list<{}>", short(other)),
        },
        other => println!("{pad}{name}: {}", short(other)),
    }
}

fn short(dt: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType;
    match dt {
        DataType::Utf8 => "string".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Map(_, _) => "map<string,string>".into(),
        other => other.to_string(),
    }
}
