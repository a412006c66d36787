//! Writing a result to a file (`-o FILE`): CSV, TSV, JSON, NDJSON, Parquet, Markdown or a
//! table, batch by batch.
//!
//! A regular file is written to a temporary file in the same directory and renamed over the
//! target only when everything was written, so a failed write (disk full, no permission, a
//! failing query) leaves nothing under the target name. An existing file is kept unless
//! `--force`. A target that exists and is not a regular file (a FIFO, a device), or names a
//! descriptor (`/dev/stdout`), is written directly.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

use super::args::OutFormat;
use super::output::ResultWriter;

/// Rows per Parquet row group: bounds the memory the writer holds.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// The format for `path`: `--out-format` if given, else from the extension.
pub fn format_for(path: &Path, explicit: Option<OutFormat>) -> Result<OutFormat> {
    if let Some(f) = explicit {
        return Ok(f);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    Ok(match ext.as_str() {
        "csv" => OutFormat::Csv,
        "tsv" | "tab" => OutFormat::Tsv,
        "json" => OutFormat::Json,
        "ndjson" | "jsonl" => OutFormat::Ndjson,
        "parquet" | "pq" => OutFormat::Parquet,
        "md" | "markdown" => OutFormat::Markdown,
        "txt" => OutFormat::Table,
        _ => bail!(
            "cannot tell the output format of {} from its extension (use .csv, .tsv, .json, .ndjson, .jsonl, \
             .parquet, .md or .txt, or pass --out-format)",
            path.display()
        ),
    })
}

/// Where the bytes go: a temporary file renamed into place, or the target itself.
enum Target {
    Temp {
        tmp: tempfile::NamedTempFile,
        path: PathBuf,
        force: bool,
        /// Removed on Ctrl-C (see `cli::interrupt`) until renamed into place.
        _listed: logsql::temp_files::Listed,
    },
    Direct {
        file: File,
        path: PathBuf,
    },
}

/// An output file being written. Dropped without [`Export::finish`], it leaves no file behind.
pub struct Export {
    target: Target,
}

impl Export {
    /// Checks the target and opens a temporary file beside it, before any query runs.
    pub fn create(path: &Path, force: bool) -> Result<Export> {
        // A link is written through: `--force` replaces the file it names, not the link.
        let resolved = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path).ok(),
            _ => None,
        };
        let descriptor = is_descriptor(path);
        let path = resolved.as_deref().unwrap_or(path);
        match std::fs::metadata(path) {
            // A device or pipe, or a descriptor's file (`/dev/stdout` redirected to a file,
            // `/proc/self/fd/N`): the bytes go straight there, appended to what it holds.
            Ok(meta) if (!meta.is_file() && !meta.is_dir()) || descriptor => {
                let file = std::fs::OpenOptions::new()
                    .append(meta.is_file())
                    .write(true)
                    .open(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                return Ok(Export {
                    target: Target::Direct {
                        file,
                        path: path.to_path_buf(),
                    },
                });
            }
            Ok(meta) if meta.is_dir() => bail!("{} is a directory", path.display()),
            Ok(_) if !force => bail!(
                "{} already exists (pass --force to overwrite it)",
                path.display()
            ),
            _ => {}
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // Permissions as any new file gets (0666 less the umask), or the replaced file's;
        // not the private 0600 of a temporary file.
        #[cfg(unix)]
        builder.permissions(std::fs::metadata(path).map_or_else(
            |_| std::os::unix::fs::PermissionsExt::from_mode(0o666),
            |m| m.permissions(),
        ));
        let tmp = builder.tempfile_in(&dir).with_context(|| {
            format!(
                "cannot write {}: cannot create a file in {}",
                path.display(),
                dir.display()
            )
        })?;
        Ok(Export {
            target: Target::Temp {
                _listed: logsql::temp_files::Listed::new(tmp.path()),
                tmp,
                path: path.to_path_buf(),
                force,
            },
        })
    }

    fn file(&self) -> &File {
        match &self.target {
            Target::Temp { tmp, .. } => tmp.as_file(),
            Target::Direct { file, .. } => file,
        }
    }

    fn display(&self) -> String {
        match &self.target {
            Target::Temp { path, .. } | Target::Direct { path, .. } => path.display().to_string(),
        }
    }

    /// Streams `batches` into the file in `format`; returns the number of rows.
    pub async fn write_stream(
        &self,
        format: OutFormat,
        schema: SchemaRef,
        mut next: impl AsyncBatches,
    ) -> Result<usize> {
        let what = || format!("writing {}", self.display());
        let mut out = BufWriter::with_capacity(1 << 20, self.file());
        let mut rows = 0usize;
        if format == OutFormat::Parquet {
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                .build();
            let mut writer =
                ArrowWriter::try_new(&mut out, schema, Some(props)).with_context(what)?;
            while let Some(batch) = next.next_batch().await? {
                rows += batch.num_rows();
                // The writer closes a row group every ROW_GROUP_ROWS rows: memory stays bounded.
                writer.write(&batch).with_context(what)?;
            }
            writer.close().with_context(what)?;
        } else {
            let mut writer = ResultWriter::new(format, &mut out, schema.clone());
            while let Some(batch) = next.next_batch().await? {
                rows += batch.num_rows();
                writer.write(&batch).with_context(what)?;
            }
            writer.finish(rows, &schema).with_context(what)?;
        }
        out.flush().with_context(what)?;
        Ok(rows)
    }

    /// Writes `bytes` (a rendered report) into the file.
    pub fn write_all(&self, bytes: &[u8]) -> Result<()> {
        let mut out = BufWriter::new(self.file());
        out.write_all(bytes)
            .and_then(|_| out.flush())
            .with_context(|| format!("writing {}", self.display()))
    }

    /// Makes the file durable and moves it into place.
    pub fn finish(self) -> Result<()> {
        match self.target {
            Target::Direct { file, .. } => {
                // Devices and pipes may not support fsync; their write errors came earlier.
                let _ = file.sync_all();
                Ok(())
            }
            Target::Temp {
                tmp, path, force, ..
            } => {
                tmp.as_file()
                    .sync_all()
                    .with_context(|| format!("writing {}", path.display()))?;
                if force {
                    tmp.persist(&path)
                        .map_err(|e| e.error)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                } else {
                    tmp.persist_noclobber(&path)
                        .map_err(|e| e.error)
                        .with_context(|| {
                            format!(
                                "cannot write {} (if it exists now, pass --force to overwrite it)",
                                path.display()
                            )
                        })?;
                }
                Ok(())
            }
        }
    }
}

/// Whether `path` names an open descriptor rather than a file of its own (`/dev/stdout` is
/// a link to `/proc/self/fd/1`, which resolves to whatever stdout is).
fn is_descriptor(path: &Path) -> bool {
    ["/dev/", "/proc/"].iter().any(|dir| path.starts_with(dir))
}

/// A source of record batches (a DataFusion stream).
#[allow(async_fn_in_trait)]
pub trait AsyncBatches {
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>>;
}

impl AsyncBatches for datafusion::physical_plan::SendableRecordBatchStream {
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        use futures::StreamExt;
        Ok(self.next().await.transpose()?)
    }
}
