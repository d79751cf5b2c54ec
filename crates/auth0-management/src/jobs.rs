//! Long-running jobs: waiting for one, and reading a users export.
//!
//! Auth0 runs user imports, users exports and verification emails as jobs
//! (`POST /api/v2/jobs/…`); `GET /api/v2/jobs/{id}` reports `status`
//! (`pending`, `processing`, `completed`, `failed`), `percentage_done` and
//! `time_left_seconds`, and `GET /api/v2/jobs/{id}/errors` the users an
//! import could not take. [`ManagementClient::wait_for_job`] polls with
//! backoff until the job ends or a deadline passes, with typed failures
//! ([`JobError`]).
//!
//! A completed users export has a `location`: a pre-signed URL of a gzip
//! file on storage outside the tenant, NDJSON (one user per line) for
//! `format: json`, CSV with a header row (the `export_as` or `name` of the
//! requested `fields`) for `format: csv`.
//! [`ManagementClient::download_users_export`] fetches it through the
//! client's HTTP stack (timeouts, retries, TLS, telemetry) but without the
//! Management token — the URL carries its own signature, and storage
//! refuses a request that carries a second credential — and
//! [`UsersExport`] yields the users one by one while decompressing.
//! [`ManagementClient::export_users`] does all three steps.

use std::fmt;
use std::time::Duration;

use auth0_core::secrets::Secrets;
use auth0_core::streaming::{BodyReader, StreamBody, StreamedBody};
use auth0_core::transport::BodyLimitOverride;
use bytes::Bytes;
use http::header::ACCEPT;
use http::{HeaderValue, Request, Uri};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::{ManagementClient, ManagementService};
use crate::error::Error;
use crate::export_decoder::{ExportDecoder, Step};
use crate::generated::models::{
    CreateExportUsersRequestContent, GetJobErrorResponseContent, GetJobResponseContent,
    JobFileFormatEnum, JobsGetErrorsResponse,
};

/// Default largest export file downloaded (compressed): 512 MiB, a few
/// million users. The file is held in memory while its users are read.
pub const DEFAULT_EXPORT_DOWNLOAD_LIMIT: usize = 512 * 1024 * 1024;

/// How [`ManagementClient::wait_for_job`] polls: the first wait, doubling
/// up to a ceiling (a `time_left_seconds` estimate from Auth0 lengthens a
/// wait, never past the ceiling), until a deadline.
///
/// Defaults: first wait 1 s, ceiling 30 s, deadline 30 minutes, export
/// downloads up to [`DEFAULT_EXPORT_DOWNLOAD_LIMIT`].
///
/// ```
/// use std::time::Duration;
/// use auth0_management::jobs::JobWait;
///
/// let wait = JobWait::new()
///     .deadline(Duration::from_secs(600))
///     .first_interval(Duration::from_millis(500))
///     .max_interval(Duration::from_secs(10));
/// assert_eq!(wait.deadline_duration(), Duration::from_secs(600));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct JobWait {
    deadline: Duration,
    first_interval: Duration,
    max_interval: Duration,
    download_limit: usize,
}

impl Default for JobWait {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(30 * 60),
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            download_limit: DEFAULT_EXPORT_DOWNLOAD_LIMIT,
        }
    }
}

impl JobWait {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives up with [`JobError::DeadlinePassed`] once this much time has
    /// passed since the first status request.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The wait after the first status request (then doubled each time).
    /// Zero is raised to 1 ms.
    pub fn first_interval(mut self, interval: Duration) -> Self {
        self.first_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The longest wait between two status requests.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The largest export file [`ManagementClient::export_users`]
    /// downloads, in bytes as sent (compressed).
    pub fn download_limit(mut self, bytes: usize) -> Self {
        self.download_limit = bytes;
        self
    }

    /// The deadline set.
    pub fn deadline_duration(&self) -> Duration {
        self.deadline
    }

    /// The wait after a status request that found the job still running:
    /// `interval`, lengthened to Auth0's `time_left_seconds` estimate,
    /// capped by the ceiling and by the time left before the deadline.
    fn pause(&self, interval: Duration, time_left: Option<i64>, remaining: Duration) -> Duration {
        let hint = time_left
            .and_then(|s| u64::try_from(s).ok())
            .map_or(Duration::ZERO, Duration::from_secs);
        interval
            .max(hint)
            .min(self.max_interval.max(self.first_interval))
            .min(remaining)
    }
}

/// A job's status as Auth0 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobStatus {
    /// Queued.
    Pending,
    /// Running.
    Processing,
    /// Done (an import may still have rejected some users: see
    /// [`ManagementClient::job_import_errors`]).
    Completed,
    /// The job as a whole failed.
    Failed,
    /// A status this version does not know; waiting goes on.
    Other(String),
}

impl JobStatus {
    /// Reads Auth0's `status` field.
    pub fn parse(status: &str) -> Self {
        match status {
            "pending" => Self::Pending,
            "processing" => Self::Processing,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// What a [`JobError`] keeps of the job: its progress, never its
/// `location` (a pre-signed URL is a credential for the export file).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobState {
    /// The job id (`job_…`).
    pub id: String,
    /// `users_import`, `users_export`, `verification_email`, …
    pub job_type: String,
    /// The status last reported.
    pub status: JobStatus,
    /// Auth0's explanation, for a failed job.
    pub status_details: Option<String>,
    /// Progress in percent, when reported.
    pub percentage_done: Option<i64>,
    /// Auth0's estimate of the time left, in seconds.
    pub time_left_seconds: Option<i64>,
    /// An import's counts (`summary`), when reported: how many users were
    /// inserted, updated and failed before the job ended.
    pub summary: Option<JobSummary>,
}

/// An import job's counts, as its `summary` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobSummary {
    /// Users in the file.
    pub total: Option<i64>,
    /// Users created.
    pub inserted: Option<i64>,
    /// Users updated (with `upsert`).
    pub updated: Option<i64>,
    /// Users rejected.
    pub failed: Option<i64>,
}

impl JobState {
    fn of(job: &GetJobResponseContent) -> Self {
        Self {
            id: job.id.clone(),
            job_type: job.type_.clone(),
            status: JobStatus::parse(&job.status),
            status_details: job.status_details.clone(),
            percentage_done: job.percentage_done,
            time_left_seconds: job.time_left_seconds,
            summary: job.summary.as_ref().map(|s| JobSummary {
                total: s.total,
                inserted: s.inserted,
                updated: s.updated,
                failed: s.failed,
            }),
        }
    }
}

/// Why waiting for a job, or reading its export, failed.
///
/// Errors never carry the export's pre-signed URL nor the content of a
/// user record; an import's error report keeps the users Auth0 sent back,
/// whose `Debug` prints their field names only.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// A Management API call (creating the job, reading its status or its
    /// error report) failed; the inner error says how.
    #[error(transparent)]
    Api(#[from] Error),
    /// The job ended with status `failed`. For an import, `report` holds
    /// `GET /api/v2/jobs/{id}/errors`: each rejected user with its errors
    /// (`code`, `message`, `path`). When that report could not be read (a
    /// 5xx after the retries, a long rate limit), `report` is empty and
    /// `report_error` says why: the job's failure is still the answer.
    #[error("job {} ({}) failed{}; {}", .job.id, .job.job_type, details(.job), report_text(.report, .report_error.as_deref()))]
    #[non_exhaustive]
    Failed {
        /// The job as last reported.
        job: Box<JobState>,
        /// The import's per-user errors (empty for other jobs).
        report: Vec<GetJobErrorResponseContent>,
        /// Why an import's error report could not be read, if it could not.
        report_error: Option<Box<Error>>,
    },
    /// The job had not ended when the deadline of [`JobWait`] passed.
    /// It keeps running at Auth0: wait again, or check it later.
    #[error("job {} still {:?} after {waited:?} ({}% done)", .last.id, .last.status, .last.percentage_done.unwrap_or(0))]
    DeadlinePassed {
        /// How long was waited.
        waited: Duration,
        /// The last status read.
        last: Box<JobState>,
    },
    /// The job is not a completed users export with a download `location`
    /// (still running, another type of job, or a location that is not an
    /// absolute URL; a plain `http` one other than loopback is refused by
    /// the transport as [`JobError::Download`]).
    #[error("job {job_id} has no export file to download: {reason}")]
    NoExportFile {
        /// The job id.
        job_id: String,
        /// What is missing.
        reason: &'static str,
    },
    /// Downloading the export file failed: an error status from storage
    /// (an expired signature answers 403), a timeout (raise the client's
    /// attempt timeout for very large files), a body past the download
    /// limit ([`auth0_core::Error::BodyTooLarge`]).
    #[error("the export file could not be downloaded")]
    Download(#[source] auth0_core::Error),
    /// The export file is not valid gzip, or ended early.
    #[error("the export file could not be decompressed")]
    Decompress(#[source] std::io::Error),
    /// A line of the export file is not a user: not a JSON object (NDJSON),
    /// or a CSV record that does not fit the header. Only the position and
    /// the kind of problem are kept, not the line.
    #[error("line {line} of the export file is malformed: {reason}")]
    MalformedLine {
        /// 1-based line number in the decompressed file.
        line: u64,
        /// What is wrong, without the line's content.
        reason: String,
    },
}

fn details(job: &JobState) -> String {
    job.status_details
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

fn report_text(report: &[GetJobErrorResponseContent], report_error: Option<&Error>) -> String {
    match report_error {
        Some(_) => "its error report could not be read".to_owned(),
        None => format!("{} user error(s) reported", report.len()),
    }
}

// By hand: the report's length, not the users in it.
impl fmt::Debug for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(e) => f.debug_tuple("Api").field(e).finish(),
            Self::Failed {
                job,
                report,
                report_error,
            } => f
                .debug_struct("Failed")
                .field("job", job)
                .field("report_len", &report.len())
                .field("report_error", report_error)
                .finish(),
            Self::DeadlinePassed { waited, last } => f
                .debug_struct("DeadlinePassed")
                .field("waited", waited)
                .field("last", last)
                .finish(),
            Self::NoExportFile { job_id, reason } => f
                .debug_struct("NoExportFile")
                .field("job_id", job_id)
                .field("reason", reason)
                .finish(),
            Self::Download(e) => f.debug_tuple("Download").field(e).finish(),
            Self::Decompress(e) => f.debug_tuple("Decompress").field(e).finish(),
            Self::MalformedLine { line, reason } => f
                .debug_struct("MalformedLine")
                .field("line", line)
                .field("reason", reason)
                .finish(),
        }
    }
}

impl<S: ManagementService> ManagementClient<S> {
    /// Polls `GET /api/v2/jobs/{id}` until the job completes (its last
    /// status is returned), fails ([`JobError::Failed`], with an import's
    /// error report) or `wait`'s deadline passes
    /// ([`JobError::DeadlinePassed`], with the last status). Waits between
    /// polls double from `first_interval` up to `max_interval`, stretched
    /// to Auth0's `time_left_seconds` estimate. Needs `read:users` or
    /// `create:users`.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use auth0_management::jobs::{JobError, JobWait};
    /// use auth0_management::models::CreateImportUsersRequestContent;
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), JobError> {
    /// let users = r#"[{"email": "ann@example.com", "email_verified": true}]"#;
    /// let job = auth0
    ///     .jobs()
    ///     .users_imports()
    ///     .create(&CreateImportUsersRequestContent::new().connection_id("con_123").users(users))
    ///     .await?;
    /// match auth0.wait_for_job(&job.id, &JobWait::new().deadline(Duration::from_secs(300))).await {
    ///     Ok(done) => println!("imported: {:?}", done.summary),
    ///     Err(JobError::Failed { job, report, .. }) => {
    ///         for rejected in report {
    ///             println!("{:?}", rejected.errors);
    ///         }
    ///         println!("{:?}", job.status_details);
    ///     }
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_job(
        &self,
        job_id: &str,
        wait: &JobWait,
    ) -> Result<GetJobResponseContent, JobError> {
        let start = tokio::time::Instant::now();
        let mut interval = wait.first_interval;
        loop {
            let job = self.jobs().get(job_id).await?;
            match JobStatus::parse(&job.status) {
                JobStatus::Completed => return Ok(job),
                JobStatus::Failed => {
                    // The job's failure is the answer even when its error
                    // report cannot be read: never traded for the report's
                    // own error.
                    let (report, report_error) = if job.type_ == "users_import" {
                        match self.job_import_errors(job_id).await {
                            Ok(report) => (report, None),
                            Err(e) => (Vec::new(), Some(Box::new(e))),
                        }
                    } else {
                        (Vec::new(), None)
                    };
                    return Err(JobError::Failed {
                        job: Box::new(JobState::of(&job)),
                        report,
                        report_error,
                    });
                }
                JobStatus::Pending | JobStatus::Processing | JobStatus::Other(_) => {}
            }
            let waited = start.elapsed();
            let Some(remaining) = wait.deadline.checked_sub(waited).filter(|r| !r.is_zero()) else {
                return Err(JobError::DeadlinePassed {
                    waited,
                    last: Box::new(JobState::of(&job)),
                });
            };
            tokio::time::sleep(wait.pause(interval, job.time_left_seconds, remaining)).await;
            interval = interval.saturating_mul(2).min(wait.max_interval);
        }
    }

    /// The users an import job rejected (`GET /api/v2/jobs/{id}/errors`,
    /// needs `create:users`): empty when Auth0 answers with the job itself
    /// (no errors). A completed import may still have rejected some users
    /// (its `summary.failed`).
    pub async fn job_import_errors(
        &self,
        job_id: &str,
    ) -> Result<Vec<GetJobErrorResponseContent>, Error> {
        Ok(match self.jobs().errors().get(job_id).await? {
            JobsGetErrorsResponse::Array(report) => report,
            _ => Vec::new(),
        })
    }

    /// Creates a users export job (`POST /api/v2/jobs/users-exports`, needs
    /// `read:users`), waits for it as [`Self::wait_for_job`] does and
    /// downloads its file ([`Self::download_users_export`], up to `wait`'s
    /// download limit).
    ///
    /// ```no_run
    /// use auth0_management::jobs::JobWait;
    /// use auth0_management::models::{CreateExportUsersFields, CreateExportUsersRequestContent};
    /// use futures_util::TryStreamExt;
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::jobs::JobError> {
    /// let request = CreateExportUsersRequestContent::new()
    ///     .format("json")
    ///     .fields(vec![CreateExportUsersFields::new("user_id"), CreateExportUsersFields::new("email")]);
    /// let export = auth0.export_users(&request, &JobWait::new()).await?;
    /// let mut users = std::pin::pin!(export.into_stream());
    /// while let Some(user) = users.try_next().await? {
    ///     println!("{:?} {:?}", user.user_id(), user.get("email"));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn export_users(
        &self,
        request: &CreateExportUsersRequestContent,
        wait: &JobWait,
    ) -> Result<UsersExport, JobError> {
        let job = self.jobs().users_exports().create(request).await?;
        let done = self.wait_for_job(&job.id, wait).await?;
        self.download_users_export(&done, wait.download_limit).await
    }

    /// Downloads the file of a completed users export job (its `location`)
    /// through this client's HTTP stack, **without** the Management token
    /// (the URL is pre-signed for another host), and hands it over as a
    /// [`UsersExport`] whose users are decoded as the file arrives: the
    /// file is never held whole, compressed or not.
    ///
    /// The request goes through the whole stack until the answer's headers
    /// are in (an error status is retried and mapped as usual); the body is
    /// then read as [`UsersExport::into_stream`] is polled, with no retry,
    /// each chunk within the client's attempt timeout, and at most
    /// `max_bytes` in all (replacing the client's response cap for this
    /// request; see [`auth0_core::streaming`]). The URL is recorded as a
    /// secret, so no error text shows it.
    pub async fn download_users_export(
        &self,
        job: &GetJobResponseContent,
        max_bytes: usize,
    ) -> Result<UsersExport, JobError> {
        let no_file = |reason| JobError::NoExportFile {
            job_id: job.id.clone(),
            reason,
        };
        if JobStatus::parse(&job.status) != JobStatus::Completed {
            return Err(no_file("the job has not completed"));
        }
        let location = job
            .location
            .as_deref()
            .ok_or_else(|| no_file("the job has no `location`"))?;
        let uri: Uri = location
            .parse()
            .map_err(|_| no_file("the `location` is not a URL"))?;
        if uri.host().is_none() || uri.scheme().is_none() {
            return Err(no_file("the `location` is not an absolute URL"));
        }
        let format = export_format(job.format.as_ref(), uri.path());
        let secrets = Secrets::new();
        secrets.insert(location);
        if let Some(query) = uri.query() {
            secrets.insert(query);
        }
        let mut request = Request::new(Bytes::new());
        *request.uri_mut() = uri;
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("*/*"));
        let extensions = request.extensions_mut();
        extensions.insert(secrets);
        extensions.insert(BodyLimitOverride(max_bytes));
        extensions.insert(StreamBody);
        // Straight to the HTTP client: `ManagementClient::execute` would
        // add the bearer token.
        let response = self
            .http()
            .send(request)
            .await
            .map_err(JobError::Download)?;
        let status = response.status();
        if status.is_client_error() || status.is_server_error() {
            return Err(JobError::Download(auth0_core::Error::from_response(
                &response,
            )));
        }
        let streamed = response
            .extensions()
            .get::<StreamedBody>()
            .and_then(StreamedBody::take);
        let source = match streamed {
            Some(reader) => Source::Stream(reader),
            // A custom transport that buffers every body.
            None => Source::Buffered(response.into_body()),
        };
        Ok(UsersExport::new(source, format))
    }
}

/// The export's format: the job's `format`, else the file name's
/// (`….csv.gz`), else JSON (Auth0's default).
fn export_format(format: Option<&JobFileFormatEnum>, path: &str) -> ExportFormat {
    match format {
        Some(JobFileFormatEnum::Csv) => ExportFormat::Csv,
        Some(JobFileFormatEnum::Json) => ExportFormat::Json,
        _ if path.ends_with(".csv.gz") || path.ends_with(".csv") => ExportFormat::Csv,
        _ => ExportFormat::Json,
    }
}

/// The layout of an export file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportFormat {
    /// One JSON object per line (NDJSON).
    Json,
    /// A header row, then one record per user (RFC 4180).
    Csv,
}

enum Source {
    Stream(BodyReader),
    Buffered(Bytes),
}

/// A users export being downloaded: its users, decoded as the file
/// arrives (see [`ManagementClient::download_users_export`]), one by one
/// with [`UsersExport::next_user`] or as a stream
/// ([`UsersExport::into_stream`]). The first problem ends the walk after
/// it is reported ([`JobError::Download`] when the download breaks off,
/// [`JobError::Decompress`], [`JobError::MalformedLine`]).
///
/// Memory stays bounded whatever the size of the export: one chunk of the
/// download, one step of decompression and the user being decoded.
pub struct UsersExport {
    source: Source,
    decoder: ExportDecoder,
    format: ExportFormat,
    done: bool,
}

impl fmt::Debug for UsersExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsersExport")
            .field("format", &self.format)
            .field("content_length", &self.content_length())
            .field("done", &self.done)
            .finish()
    }
}

impl UsersExport {
    fn new(source: Source, format: ExportFormat) -> Self {
        Self {
            source,
            decoder: ExportDecoder::new(format),
            format,
            done: false,
        }
    }

    /// The file's format.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// The size of the file (compressed) when storage declared it.
    pub fn content_length(&self) -> Option<u64> {
        match &self.source {
            Source::Stream(reader) => reader.content_length(),
            Source::Buffered(body) => Some(body.len() as u64),
        }
    }

    /// The next user, downloading and decompressing as far as needed;
    /// `None` after the last user or after an error.
    ///
    /// ```no_run
    /// # async fn f(auth0: auth0_management::ManagementClient, job: auth0_management::models::GetJobResponseContent) -> Result<(), auth0_management::jobs::JobError> {
    /// let mut export = auth0.download_users_export(&job, 1 << 30).await?;
    /// while let Some(user) = export.next_user().await {
    ///     println!("{:?}", user?.user_id());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next_user(&mut self) -> Option<Result<ExportedUser, JobError>> {
        while !self.done {
            let failed = match self.decoder.next_user() {
                Ok(Step::User(user)) => return Some(Ok(user)),
                Ok(Step::End) => {
                    self.done = true;
                    return None;
                }
                Err(e) => e,
                Ok(Step::NeedInput) => match &mut self.source {
                    Source::Stream(reader) => match reader.chunk().await {
                        Ok(Some(chunk)) => {
                            self.decoder.feed(chunk);
                            continue;
                        }
                        Ok(None) => {
                            self.decoder.end_of_input();
                            continue;
                        }
                        Err(e) => JobError::Download(e),
                    },
                    Source::Buffered(body) => {
                        self.decoder.feed(std::mem::take(body));
                        self.decoder.end_of_input();
                        continue;
                    }
                },
            };
            self.done = true;
            return Some(Err(failed));
        }
        None
    }

    /// The users as a [`Stream`](futures_util::Stream), downloaded and
    /// decompressed as it is polled.
    pub fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = Result<ExportedUser, JobError>> + Send {
        futures_util::stream::unfold(self, |mut export| async move {
            let user = export.next_user().await?;
            Some((user, export))
        })
    }
}

/// An export file already in memory (downloaded another way), read user
/// by user with the same decoder as a download.
///
/// Users are decoded lazily, as [`ExportFile::users`] or
/// [`ExportFile::into_stream`] is read: the decompressed file is never held
/// whole. The first problem ends the iteration after yielding it.
///
/// ```
/// use auth0_management::jobs::{ExportFile, ExportFormat};
///
/// let file = "user_id,email\nauth0|1,ann@example.com\n";
/// let export = ExportFile::new(file.into(), ExportFormat::Csv);
/// let users: Vec<_> = export.users().collect::<Result<_, _>>()?;
/// assert_eq!(users[0].get("email"), Some(&serde_json::json!("ann@example.com")));
/// # Ok::<(), auth0_management::jobs::JobError>(())
/// ```
pub struct ExportFile {
    body: Bytes,
    format: ExportFormat,
}

impl fmt::Debug for ExportFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportFile")
            .field("format", &self.format)
            .field("compressed_len", &self.body.len())
            .finish()
    }
}

impl ExportFile {
    /// Wraps an export file as Auth0 produces it (gzip; a file that is not
    /// gzip is read as it is).
    pub fn new(body: Bytes, format: ExportFormat) -> Self {
        Self { body, format }
    }

    /// The file's format.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// The size of the file as given (compressed).
    pub fn compressed_len(&self) -> usize {
        self.body.len()
    }

    /// The users, one by one.
    pub fn users(self) -> ExportedUsers {
        let mut decoder = ExportDecoder::new(self.format);
        decoder.feed(self.body);
        decoder.end_of_input();
        ExportedUsers {
            decoder,
            done: false,
        }
    }

    /// The users as a [`Stream`](futures_util::Stream) (decompressed as it
    /// is polled); it ends after the last user or the first error.
    pub fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = Result<ExportedUser, JobError>> + Send {
        futures_util::stream::iter(self.users())
    }
}

/// The users of an [`ExportFile`], decoded one by one.
pub struct ExportedUsers {
    decoder: ExportDecoder,
    done: bool,
}

impl fmt::Debug for ExportedUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportedUsers")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Iterator for ExportedUsers {
    type Item = Result<ExportedUser, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.decoder.next_user() {
            Ok(Step::User(user)) => Some(Ok(user)),
            // The whole file was fed: nothing more will come.
            Ok(Step::End | Step::NeedInput) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// One user of an export: the exported fields (JSON values from an NDJSON
/// file, strings from a CSV file — without the `'` Auth0 puts before each
/// string there —, keyed by the column title).
///
/// `Debug` prints the user id and the field names, not the values.
#[derive(Clone, PartialEq)]
pub struct ExportedUser {
    fields: Map<String, Value>,
}

impl ExportedUser {
    pub(crate) fn new(fields: Map<String, Value>) -> Self {
        Self { fields }
    }
}

impl fmt::Debug for ExportedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportedUser")
            .field("user_id", &self.user_id())
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ExportedUser {
    /// The `user_id` field, when exported (CSV exports name the column
    /// after the field's `export_as`).
    pub fn user_id(&self) -> Option<&str> {
        self.fields.get("user_id").and_then(Value::as_str)
    }

    /// One field.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// All fields.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The fields, owned.
    pub fn into_fields(self) -> Map<String, Value> {
        self.fields
    }

    /// Decodes the user into a type of yours (`serde_json` rules; CSV
    /// values are strings).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&Value::Object(self.fields.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(text: &str) -> Bytes {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text.as_bytes()).unwrap();
        Bytes::from(encoder.finish().unwrap())
    }

    #[test]
    fn ndjson_lines_and_a_malformed_one() {
        let file = gzip(
            "{\"user_id\":\"auth0|1\"}\n\n{\"user_id\":\"auth0|2\",\"email\":\"b@x\"}\n[\"secret-ish\"]\n{\"never\":1}\n",
        );
        let mut users = ExportFile::new(file, ExportFormat::Json).users();
        assert_eq!(users.next().unwrap().unwrap().user_id(), Some("auth0|1"));
        assert_eq!(users.next().unwrap().unwrap().user_id(), Some("auth0|2"));
        let err = users.next().unwrap().unwrap_err();
        assert!(
            matches!(err, JobError::MalformedLine { line: 4, .. }),
            "{err:?}"
        );
        assert!(!format!("{err:?}{err}").contains("secret-ish"));
        assert!(users.next().is_none(), "the first error ends the walk");
    }

    #[test]
    fn invalid_json_keeps_no_content() {
        let file = gzip("{\"email\": \"hunter2@x\", oops}\n");
        let err = ExportFile::new(file, ExportFormat::Json)
            .users()
            .next()
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, JobError::MalformedLine { line: 1, .. }));
        assert!(!format!("{err:?}{err}").contains("hunter2"));
    }

    #[test]
    fn csv_quoting_and_unequal_rows() {
        let file = gzip(
            "user_id,Name,email\n\"auth0|1\",\"Doe, \"\"J\"\"\nline two\",a@x\nauth0|2,,b@x\nauth0|3,only-two\n",
        );
        let users: Vec<_> = ExportFile::new(file, ExportFormat::Csv).users().collect();
        assert_eq!(users.len(), 3);
        let first = users[0].as_ref().unwrap();
        assert_eq!(
            first.get("Name"),
            Some(&Value::from("Doe, \"J\"\nline two"))
        );
        assert_eq!(users[1].as_ref().unwrap().get("Name"), None);
        let err = users[2].as_ref().unwrap_err();
        assert!(
            matches!(err, JobError::MalformedLine { line: 5, .. }),
            "{err:?}"
        );
        assert!(!format!("{err:?}").contains("only-two"));
    }

    #[test]
    fn not_gzip_is_an_error_or_plain() {
        let mut truncated = gzip("{\"user_id\":\"auth0|1\"}\n").to_vec();
        truncated.truncate(truncated.len() - 6);
        let first = ExportFile::new(truncated.into(), ExportFormat::Json)
            .users()
            .find_map(Result::err);
        assert!(matches!(first, Some(JobError::Decompress(_))), "{first:?}");
    }

    #[test]
    fn pause_grows_with_time_left_within_bounds() {
        let wait = JobWait::new()
            .first_interval(Duration::from_millis(100))
            .max_interval(Duration::from_secs(5));
        let long = Duration::from_secs(60);
        assert_eq!(
            wait.pause(Duration::from_millis(100), None, long),
            Duration::from_millis(100)
        );
        assert_eq!(
            wait.pause(Duration::from_millis(100), Some(3), long),
            Duration::from_secs(3)
        );
        assert_eq!(
            wait.pause(Duration::from_millis(100), Some(600), long),
            Duration::from_secs(5)
        );
        assert_eq!(
            wait.pause(Duration::from_secs(1), Some(-4), long),
            Duration::from_secs(1)
        );
        assert_eq!(
            wait.pause(Duration::from_secs(4), None, Duration::from_millis(30)),
            Duration::from_millis(30)
        );
    }
}
