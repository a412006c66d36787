//! `logsql formats`: the formats a session knows, their columns, and what a file matches.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use logsql::source::input::STDIN_NAME;
use logsql::source::{find_log_files, DirFilter, LogFile};
use logsql::table::schema::arrow_type;
use logsql::FormatRegistry;

/// The built-in formats plus the user's format files: `dir` if given (it must exist), else
/// the default config directory when it exists.
pub fn registry(dir: Option<&Path>) -> Result<FormatRegistry> {
    let builtin = FormatRegistry::builtin().clone();
    let dir = match dir {
        Some(d) => Some(d.to_path_buf()),
        None => default_dir().filter(|d| d.is_dir()),
    };
    match dir {
        Some(d) => builtin.with_dir(&d).map_err(anyhow::Error::msg),
        None => Ok(builtin),
    }
}

/// `$XDG_CONFIG_HOME/logsql/formats`.
pub fn default_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("logsql").join("formats"))
}

/// Lists the formats (one block each: name, definition, description, columns).
pub fn listing(registry: &FormatRegistry) -> String {
    let mut s = String::new();
    for f in registry.formats() {
        s.push_str(&format!("{}: {}\n", f.name(), f.description()));
        s.push_str(&format!("  definition: {}\n", f.definition()));
        let cols: Vec<String> = f
            .columns()
            .iter()
            .map(|c| format!("{} {}", c.name, type_name(c.ty)))
            .collect();
        if cols.is_empty() {
            s.push_str("  columns: from the data\n");
        } else {
            s.push_str(&format!("  columns: {}\n", cols.join(", ")));
        }
    }
    s.push_str(
        "auto (the default) picks the format that best matches the first lines of the files.\n\
         Define your own with --format 'apache:<LogFormat>', 'nginx:<log_format>' or\n\
         'regex:<pattern with (?P<name>...) groups>', or in a *.toml file in --formats-dir.\n",
    );
    s
}

fn type_name(ty: logsql::parse::FieldType) -> String {
    match arrow_type(ty) {
        arrow::datatypes::DataType::Utf8 => "text".into(),
        arrow::datatypes::DataType::Int32 => "int".into(),
        arrow::datatypes::DataType::Int64 => "bigint".into(),
        arrow::datatypes::DataType::Float64 => "double".into(),
        arrow::datatypes::DataType::Boolean => "boolean".into(),
        arrow::datatypes::DataType::Timestamp(..) => "timestamp".into(),
        other => other.to_string(),
    }
}

/// The `formats` subcommand.
pub fn run(dir: Option<&Path>, paths: &[PathBuf], check: bool) -> Result<()> {
    let registry = registry(dir)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if check {
        let failures = registry.check_samples();
        for f in &failures {
            writeln!(out, "FAIL {f}")?;
        }
        writeln!(
            out,
            "{} sample line(s) checked, {} failed",
            registry.sample_count(),
            failures.len()
        )?;
        if !failures.is_empty() {
            anyhow::bail!(
                "{} format sample(s) do not parse as expected",
                failures.len()
            );
        }
        // Files named too: their formats, as without --check (they were ignored).
        if paths.is_empty() {
            return Ok(());
        }
    }
    if paths.is_empty() {
        write!(out, "{}", listing(&registry))?;
        return Ok(());
    }
    let (stdin, named): (Vec<_>, Vec<_>) =
        paths.iter().cloned().partition(|p| p.as_os_str() == "-");
    let found = find_log_files(&named, &DirFilter::default())?;
    super::run::warn_left_out(&found.left_out, "");
    let mut files = found.files;
    if !stdin.is_empty() {
        files.push(LogFile::spooled(super::run::spool_stdin()?, STDIN_NAME)?);
    }
    for file in files {
        let lines = logsql::table::provider::sample_lines(&file)
            .with_context(|| format!("reading {}", file.name))?;
        let sample: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
        let detection = registry.detect(&sample);
        let scores: Vec<String> = detection
            .scores
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        match &detection.format {
            Some(f) => writeln!(
                out,
                "{}: {} ({} sample lines; lines each format parsed: {})",
                file.name,
                f.name(),
                detection.sampled,
                scores.join(", ")
            )?,
            None => writeln!(
                out,
                "{}: no format matches ({} sample lines)",
                file.name, detection.sampled
            )?,
        }
    }
    Ok(())
}
