//! Evidence files as sources.
//!
//! Log files: JSON lines, plain text lines, or the JSON that `aws logs filter-log-events` and
//! `aws logs get-log-events` print (`{"events": [{"timestamp", "message", ...}]}`). A file is
//! evidence: all of its lines are read whatever their time, and lines appended later are
//! followed like `tail -f`. Invalid UTF-8 is replaced, not fatal.

use super::{LogBatch, LogQuery, LogSource, LogUpdate, SourceError, SourceErrorKind};
use crate::model::logline::{LineContext, LineParser};
use crate::model::{Clock, LogEvent};
use serde::Deserialize;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// The JSON the AWS CLI prints for `filter-log-events` and `get-log-events`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliEvents {
    events: Vec<CliEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliEvent {
    timestamp: Option<i64>,
    message: Option<String>,
    log_stream_name: Option<String>,
}

/// Lines of one file.
pub struct FileLogs {
    path: PathBuf,
    name: String,
    parser: LineParser,
    events: Vec<LogEvent>,
    /// Where reading stopped, for following appended lines (text files only).
    end: u64,
    /// The region lines without one are shown under (so a query over several regions
    /// lists them once).
    home: String,
}

impl FileLogs {
    /// Read a file. `home` is the region lines that name none belong to.
    pub fn load(path: &Path, parser: LineParser, home: &str) -> Result<FileLogs, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut f = FileLogs {
            path: path.to_path_buf(),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            parser,
            events: Vec::new(),
            end: bytes.len() as u64,
            home: home.to_string(),
        };
        f.events = f.parse(&bytes);
        Ok(f)
    }

    fn parse(&self, bytes: &[u8]) -> Vec<LogEvent> {
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        if bytes.get(start) == Some(&b'{')
            && let Ok(cli) = serde_json::from_slice::<CliEvents>(bytes)
        {
            let mut out: Vec<LogEvent> = cli
                .events
                .into_iter()
                .map(|e| {
                    let msg = e.message.unwrap_or_default();
                    let ctx = LineContext {
                        at: e.timestamp,
                        region: None,
                        service: e.log_stream_name.as_deref(),
                    };
                    self.parser.parse(msg.trim_end_matches('\n'), ctx)
                })
                .collect();
            out.sort_by_key(|e| e.at);
            return out;
        }
        self.parse_lines(bytes)
    }

    fn parse_lines(&self, bytes: &[u8]) -> Vec<LogEvent> {
        bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .map(|l| {
                let text = String::from_utf8_lossy(l);
                self.parser.parse(text.trim_end_matches('\r'), LineContext::default())
            })
            .collect()
    }

    pub fn events(&self) -> &[LogEvent] {
        &self.events
    }

    fn matching(&self, events: &[LogEvent], q: &LogQuery) -> Vec<LogEvent> {
        events
            .iter()
            .filter(|e| {
                let region_ok =
                    if e.region.is_empty() { q.region == self.home } else { e.region == q.region };
                region_ok
                    && q.correlation_id.as_deref().is_none_or(|c| {
                        e.correlation_id.as_deref() == Some(c)
                            || (e.correlation_id.is_none() && e.raw.contains(c))
                    })
            })
            .cloned()
            .collect()
    }

    /// Lines appended since the last read (complete lines only).
    fn read_new(&mut self) -> std::io::Result<Vec<LogEvent>> {
        let mut f = std::fs::File::open(&self.path)?;
        let len = f.metadata()?.len();
        if len < self.end {
            self.end = 0; // truncated or rotated: read from the start
        }
        if len == self.end {
            return Ok(Vec::new());
        }
        f.seek(SeekFrom::Start(self.end))?;
        let mut buf = Vec::new();
        f.take(64 << 20).read_to_end(&mut buf)?;
        let Some(last_nl) = buf.iter().rposition(|&b| b == b'\n') else { return Ok(Vec::new()) };
        self.end += last_nl as u64 + 1;
        Ok(self.parse_lines(&buf[..last_nl]))
    }
}

impl LogSource for FileLogs {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&self, q: LogQuery) -> Result<LogBatch, SourceError> {
        let mut events = self.matching(&self.events, &q);
        let truncated = events.len() > q.limit;
        if truncated {
            events.drain(..events.len() - q.limit);
        }
        Ok(LogBatch { events, sampled: false, truncated })
    }

    async fn follow(&self, q: LogQuery, _clock: Clock, sink: mpsc::Sender<LogUpdate>) {
        // A private reader so the shared source stays immutable.
        let mut reader = FileLogs {
            path: self.path.clone(),
            name: self.name.clone(),
            parser: self.parser.clone(),
            events: Vec::new(),
            end: self.end,
            home: self.home.clone(),
        };
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = sink.closed() => return,
            }
            let update = match reader.read_new() {
                Ok(new) if new.is_empty() => continue,
                Ok(new) => {
                    Ok(LogBatch { events: reader.matching(&new, &q), ..LogBatch::default() })
                }
                Err(e) => Err(SourceError::new(
                    SourceErrorKind::Other,
                    format!("cannot read {}: {e}", reader.path.display()),
                )),
            };
            if sink.send(update).await.is_err() {
                return;
            }
        }
    }
}

/// Changes of CloudTrail files: log files as delivered to S3 (`{"Records": [...]}`, gzipped
/// or not) or the output of `aws cloudtrail lookup-events`.
pub struct FileChanges {
    name: String,
    changes: Vec<crate::model::Change>,
}

impl FileChanges {
    pub fn load(path: &Path) -> Result<FileChanges, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let changes = super::cloudtrail::parse_cloudtrail_file(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(FileChanges {
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            changes,
        })
    }
}

impl super::ChangeSource for FileChanges {
    fn name(&self) -> &str {
        &self.name
    }

    /// A file is evidence: its changes of the region are listed whatever their time.
    async fn changes(
        &self,
        q: super::ChangeQuery,
    ) -> Result<Vec<crate::model::Change>, SourceError> {
        Ok(self
            .changes
            .iter()
            .filter(|c| c.region == q.region && (q.include_read_only || !c.read_only))
            .cloned()
            .collect())
    }
}

/// Traces of one file: the JSON of `aws xray batch-get-traces`, segment documents (one, an
/// array, or JSON lines).
pub struct FileTraces {
    name: String,
    traces: Vec<crate::model::Trace>,
}

impl FileTraces {
    pub fn load(path: &Path, correlation_key: &str) -> Result<FileTraces, String> {
        let text = std::fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let traces = super::xray::parse_trace_file_with(&text, correlation_key)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(FileTraces {
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            traces,
        })
    }

    pub fn traces(&self) -> &[crate::model::Trace] {
        &self.traces
    }
}

impl super::TraceSource for FileTraces {
    fn name(&self) -> &str {
        &self.name
    }

    /// A file is evidence: every trace in it is searched, whatever its region and time.
    async fn trace(&self, q: super::TraceQuery) -> Result<super::TraceLookup, SourceError> {
        use super::TraceKey;
        let hit = self.traces.iter().find(|t| match &q.key {
            TraceKey::TraceId(id) => &t.trace_id == id,
            TraceKey::CorrelationId(c) => {
                &t.correlation_id == c
                    || t.spans.iter().any(|s| s.correlation_id.as_deref() == Some(c.as_str()))
            }
        });
        if let Some(t) = hit {
            return Ok(super::TraceLookup { trace: Some(t.clone()), similar: Vec::new() });
        }
        let mut similar: Vec<_> = self
            .traces
            .iter()
            .filter(|t| {
                t.spans.iter().any(|s| {
                    q.service.as_deref().is_none_or(|x| x == s.service)
                        && q.operation.as_deref().is_none_or(|x| x == s.operation)
                })
            })
            .map(crate::source::sim::summary)
            .collect();
        similar.sort_by_key(|s| (!s.failed(), s.start));
        similar.truncate(20);
        Ok(super::TraceLookup { trace: None, similar })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("warroom-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn reads_cli_json_lines_and_text() {
        let cli = br#"{"events":[{"logStreamName":"worker","timestamp":1773306700000,"message":"{\"correlationId\":\"c-1\",\"message\":\"hi\"}\n","ingestionTime":1,"eventId":"1"}],"searchedLogStreams":[]}"#;
        let f =
            FileLogs::load(&write("cli.json", cli), LineParser::default(), "eu-west-1").unwrap();
        assert_eq!(f.events().len(), 1);
        assert_eq!(f.events()[0].correlation_id.as_deref(), Some("c-1"));
        assert_eq!(f.events()[0].at, 1_773_306_700_000);
        assert_eq!(f.events()[0].service, "worker");
        let mixed =
            b"{\"region\":\"us-east-1\",\"message\":\"a\"}\nplain \xff text\n{\"half\":\n\n";
        let f =
            FileLogs::load(&write("mixed.log", mixed), LineParser::default(), "eu-west-1").unwrap();
        assert_eq!(f.events().len(), 3);
        assert_eq!(f.events()[1].message, "plain \u{fffd} text");
        assert!(
            FileLogs::load(Path::new("/nonexistent/x.log"), LineParser::default(), "r").is_err()
        );
    }
}
