//! The import routes, in the Worker (admin mode only; public mode answers 404
//! before these run):
//!
//! | Method | Path | Answer |
//! |--------|------|--------|
//! | `POST` | `/v1/{provider}/imports[?dry_run=true][&<the provider's flags>]` | `202` the job (`Location`), or `200` the per-row report of a dry run |
//! | `GET`  | `/v1/imports` | `200` the caller's jobs, newest first |
//! | `GET`  | `/v1/imports/{id}` | `200` the job |
//! | `GET`  | `/v1/imports/{id}/rows?status=&cursor=&limit=` | `200` a page of row outcomes |
//! | `GET`  | `/v1/imports/{id}/results.csv` | `200` the input with `status`, `id`, `errors`, streamed |
//! | `GET`  | `/v1/imports/{id}/events` | `200` Server-Sent Events with the job as it changes |
//! | `POST` | `/v1/imports/{id}/{pause,resume,cancel,retry}` | `200` the job, `409` when the action does not apply |
//!
//! Creating a job spends one call of the client's `RATE_LIMITER` budget;
//! reading and steering one spend the separate `READ_RATE_LIMITER` budget.
//! Another token's job id answers 404, like an unknown one.

use super::runner::OWNER_HEADER;
use super::{
    cells, provider_of, JobView, NewJob, NewRow, ResultsPage, BINDING, MAX_ACTIVE_JOBS, MAX_BODY,
    MAX_PAGE, MAX_ROWS,
};
use crate::api::{self, Body, Call, Handled};
use crate::forward::Reply;
use crate::problem::{Kind, Problem};
use enlist_core::imports::RowStatus;
use enlist_core::{AnyProvider, Code, Issue, Options, Param, Params};
use futures_util::stream;
use serde_json::Value;
use worker::{web_sys, Env, Method, Request, RequestInit, Response};

/// The rate-limiting binding for reading and steering jobs.
pub const READ_RATE_LIMITER: &str = "READ_RATE_LIMITER";
/// Longest one `events` stream stays open; clients reconnect (an
/// `EventSource` does so by itself).
pub const EVENTS_MS: u64 = 5 * 60_000;
/// How often an `events` stream looks at the job.
pub const EVENTS_POLL_MS: u64 = 500;
/// How often an `events` stream sends a comment when nothing changes, so
/// that proxies keep the connection open.
pub const EVENTS_KEEPALIVE_MS: u64 = 15_000;

/// What an import route answers: a JSON reply, or a streamed body.
pub enum Answer {
    /// A JSON body (or a problem).
    Reply(Handled),
    /// A streamed body (CSV, events) with its own headers.
    Stream(web_sys::Response),
}

impl From<Handled> for Answer {
    fn from(h: Handled) -> Self {
        Answer::Reply(h)
    }
}

fn setting(env: &Env, name: &str, default: u32) -> u32 {
    env.var(name)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u32>().ok())
        .unwrap_or(default)
}

/// A runner's stub for a provider.
fn runner(env: &Env, provider: &dyn AnyProvider) -> worker::Result<worker::Stub> {
    env.durable_object(BINDING)?
        .id_from_name(&format!("imports:{}", provider.id()))?
        .get_stub()
}

/// Calls a provider's runner as `owner`.
async fn call_runner(
    env: &Env,
    provider: &dyn AnyProvider,
    owner: &str,
    method: Method,
    path: &str,
    body: Option<String>,
) -> worker::Result<Response> {
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        init.with_body(Some(worker::wasm_bindgen::JsValue::from_str(&body)));
    }
    let request = Request::new_with_init(
        &format!("https://imports.internal/{}{path}", provider.id()),
        &init,
    )?;
    request.headers().set(OWNER_HEADER, owner)?;
    runner(env, provider)?.fetch_with_request(request).await
}

/// Takes the next slot of a provider's pace for a call made outside any
/// job, and answers how long to wait for it, in milliseconds.
pub async fn reserve(env: &Env, provider: &dyn AnyProvider) -> worker::Result<u64> {
    let mut response = call_runner(env, provider, "", Method::Post, "/reserve", None).await?;
    let answer: Value = response.json().await?;
    Ok(answer.get("wait_ms").and_then(Value::as_u64).unwrap_or(0))
}

fn not_found(call: &Call<'_>) -> Handled {
    call.problem(Problem::new(Kind::NotFound, "No such import job."))
}

fn issue(path: &str, code: Code, message: impl Into<String>) -> Issue {
    Issue::new(path, code, message, Params::new())
}

/// What the query of `POST …/imports` asks for.
#[derive(Debug, Default, PartialEq)]
struct ImportQuery {
    /// `dry_run=true`: report, create nothing.
    dry_run: bool,
    /// The provider's query flags (PandaDoc's `notify_user`, …), which every
    /// row's call carries.
    flags: Vec<(&'static str, bool)>,
}

/// `?dry_run=true` and the provider's query flags, as a single create takes
/// them; any other parameter, or another value, is an issue.
fn import_query(provider: &dyn AnyProvider, query: &str) -> Result<ImportQuery, Vec<Issue>> {
    let mut out = ImportQuery::default();
    let mut issues = Vec::new();
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("dry_run", "true" | "1") => out.dry_run = true,
            ("dry_run", "false" | "0") => out.dry_run = false,
            ("dry_run", _) => issues.push(issue(
                "",
                Code::Type,
                "The query parameter dry_run must be true or false.",
            )),
            _ => rest.push(pair),
        }
    }
    match provider.parse_query_flags(&rest.join("&")) {
        Ok(flags) => out.flags = flags,
        Err(found) => {
            // The provider's message lists its flags; this route takes
            // dry_run too.
            let mut allowed = vec!["dry_run".to_string()];
            allowed.extend(provider.flags().iter().map(|f| f.query.to_string()));
            let unknown = [
                "Unknown query parameter; this endpoint takes: ",
                &allowed.join(", "),
                ".",
            ]
            .concat();
            for mut i in found {
                if i.code == Code::UnknownField {
                    i.message = unknown.clone();
                    i.params = Params::new().with("allowed", Param::Strings(allowed.clone()));
                }
                issues.push(i);
            }
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// The rows of an upload and the columns `results.csv` repeats them under
/// (names and their JSON Pointers).
struct Upload {
    rows: Vec<Value>,
    columns: Vec<String>,
    pointers: Vec<String>,
}

/// Reads a CSV file (the format of docs/csv.md) or `{"rows": [ … ]}`.
fn read_upload(provider: &dyn AnyProvider, csv: bool, body: &[u8]) -> Result<Upload, Problem> {
    if csv {
        let text = std::str::from_utf8(body)
            .map_err(|_| Problem::new(Kind::InvalidCsv, "The file is not UTF-8 text."))?;
        let table = provider.csv_to_rows(text).map_err(|e| {
            let params = Params::new().with(
                "line",
                Param::Int(i64::try_from(e.line).unwrap_or(i64::MAX)),
            );
            Problem::new(
                Kind::InvalidCsv,
                "The file is not a readable CSV; see errors.",
            )
            .with_errors(vec![Issue::new("", Code::InvalidJson, e.message, params)])
        })?;
        let rows: Vec<Value> = serde_json::from_str(&table.rows).unwrap_or_default();
        return Ok(Upload {
            rows,
            columns: table.columns,
            pointers: table.pointers,
        });
    }
    let doc: Value = serde_json::from_slice(body)
        .map_err(|_| Problem::new(Kind::InvalidJson, "The body is not valid JSON."))?;
    let rows = match doc {
        Value::Object(mut object) => {
            let unknown: Vec<Issue> = object
                .keys()
                .filter(|k| k.as_str() != "rows")
                .map(|k| {
                    let mut path = String::new();
                    enlist_core::report::push_token(&mut path, k);
                    issue(
                        &path,
                        Code::UnknownField,
                        "Unknown field; the body is {\"rows\": [ … ]}.",
                    )
                })
                .collect();
            match object.remove("rows") {
                Some(Value::Array(rows)) if unknown.is_empty() => rows,
                Some(Value::Array(_)) => {
                    return Err(invalid_body(unknown));
                }
                Some(_) => {
                    return Err(invalid_body(vec![issue(
                        "/rows",
                        Code::Type,
                        "Must be an array of payloads.",
                    )]))
                }
                None => {
                    let mut all = vec![issue("/rows", Code::Required, "Required.")];
                    all.extend(unknown);
                    return Err(invalid_body(all));
                }
            }
        }
        _ => {
            return Err(invalid_body(vec![issue(
                "",
                Code::Type,
                "The body must be an object: {\"rows\": [ … ]}.",
            )]))
        }
    };
    // JSON uploads repeat the CSV template's columns in results.csv.
    let template = provider
        .csv_to_rows(&provider.csv_template())
        .map(|t| (t.columns, t.pointers))
        .unwrap_or_default();
    Ok(Upload {
        rows,
        columns: template.0,
        pointers: template.1,
    })
}

fn invalid_body(errors: Vec<Issue>) -> Problem {
    Problem::new(
        Kind::Validation,
        format!("{} problem(s) with the request; see errors.", errors.len()),
    )
    .with_errors(errors)
}

/// Checks every row as a single create would (policy, then enlist-core's
/// rules), and flags an email already on an earlier row. Never stops at the
/// first bad row.
fn check_rows(
    call: &Call<'_>,
    provider: &dyn AnyProvider,
    upload: &Upload,
    policy: &enlist_core::policy::Policy,
) -> Vec<NewRow> {
    let _ = call;
    let email = crate::forward::email_path(provider.schema());
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    upload
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let bytes = serde_json::to_vec(row).unwrap_or_default();
            let evaluation = policy.evaluate(provider, &bytes);
            let payload = evaluation.body.unwrap_or(bytes);
            let report = provider.check_json(&payload, &Options::default());
            let mut errors: Vec<Issue> = evaluation.refusals;
            let refused = !errors.is_empty();
            errors.extend(report.errors);
            if let Some(path) = &email {
                if let Some(Value::String(address)) = row.pointer(path) {
                    let key = address.trim().to_lowercase();
                    match seen.get(&key) {
                        Some(&first) if !key.is_empty() => {
                            let params = Params::new()
                                .with("row", Param::Int(i64::try_from(first).unwrap_or(i64::MAX)));
                            errors.push(Issue::new(
                                path.as_str(),
                                Code::Duplicate,
                                format!("The same email is on row {first}; a provider creates one user per email."),
                                params,
                            ));
                        }
                        _ => {
                            seen.insert(key, i);
                        }
                    }
                }
            }
            let settled = if refused {
                Some("refused".to_string())
            } else if !errors.is_empty() {
                Some("invalid".to_string())
            } else {
                None
            };
            NewRow {
                payload: settled
                    .is_none()
                    .then(|| String::from_utf8_lossy(&payload).into_owned()),
                secret: None,
                errors: errors
                    .iter()
                    .filter_map(|e| serde_json::to_value(e).ok())
                    .collect(),
                settled,
                cells: cells(provider.schema(), row, &upload.pointers),
            }
        })
        .collect()
}

/// `POST /v1/{provider}/imports`.
pub async fn create(
    call: &mut Call<'_>,
    req: &web_sys::Request,
    provider: &'static dyn AnyProvider,
) -> worker::Result<Answer> {
    let owner = match call.admit().await {
        Ok(owner) => owner,
        Err(h) => return Ok(h.into()),
    };
    let ready = match call.ready(provider) {
        Ok(ready) => ready,
        Err(h) => return Ok(h.into()),
    };
    let content_type = call.header("content-type").unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let csv = essence == "text/csv";
    if !csv && !api::is_json(&content_type) {
        return Ok(call
            .problem(Problem::new(
                Kind::UnsupportedMediaType,
                "Send a CSV file (Content-Type: text/csv) or {\"rows\": [ … ]} (Content-Type: application/json).",
            ))
            .into());
    }
    let declared = match call.declared_length(MAX_BODY) {
        Ok(d) => d.is_some(),
        Err(h) => {
            api::drain_declared(call, req).await;
            return Ok(h.into());
        }
    };
    let body = match api::read_body(req, declared, MAX_BODY).await? {
        Body::Whole(body) => body,
        Body::TooLarge => return Ok(call.too_large(MAX_BODY).into()),
        Body::Broken => return Ok(call.broken_body().into()),
    };
    let mut errors = Vec::new();
    let query = import_query(provider, call.query).unwrap_or_else(|found| {
        errors.extend(found);
        ImportQuery::default()
    });
    let dry = query.dry_run;
    let key = match call.header(enlist_core::proxy::IDEMPOTENCY_KEY) {
        None => None,
        Some(k) => match crate::idempotency::check_key(&k) {
            Ok(k) => Some(k.to_string()),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    if !errors.is_empty() {
        return Ok(call.problem(invalid_body(errors)).into());
    }
    let upload = match read_upload(provider, csv, &body) {
        Ok(upload) => upload,
        Err(problem) => return Ok(call.problem(problem).into()),
    };
    let max_rows = setting(call.env, "IMPORT_MAX_ROWS", MAX_ROWS).min(MAX_ROWS);
    if upload.rows.len() > max_rows as usize {
        return Ok(call
            .problem(Problem::new(
                Kind::PayloadTooLarge,
                format!(
                    "An import has at most {max_rows} rows; this one has {}.",
                    upload.rows.len()
                ),
            ))
            .into());
    }
    let mut rows = check_rows(call, provider, &upload, &ready.policy);
    if dry {
        let mut counts = serde_json::Map::new();
        counts.insert("total".into(), rows.len().into());
        for status in ["pending", "invalid", "refused"] {
            let n = rows
                .iter()
                .filter(|r| r.settled.as_deref().unwrap_or("pending") == status)
                .count();
            counts.insert(status.into(), n.into());
        }
        let report: Vec<Value> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.settled.is_some())
            .map(|(i, r)| {
                serde_json::json!({
                    "row": i,
                    "status": r.settled,
                    "errors": r.errors,
                })
            })
            .collect();
        let body = serde_json::json!({
            "dry_run": true,
            "provider": provider.id(),
            "counts": counts,
            "rows": report,
        });
        return Ok(Handled::from(Reply::json(200, body.to_string())).into());
    }
    // Passwords are stored sealed, apart from their payloads.
    for row in &mut rows {
        let Some(payload) = &row.payload else {
            continue;
        };
        let Ok(mut value) = serde_json::from_str::<Value>(payload) else {
            continue;
        };
        let passwords = super::secret::take_passwords(provider.schema(), &mut value);
        if passwords.is_empty() {
            continue;
        }
        let plain = serde_json::to_string(&passwords)?;
        row.secret = Some(super::secret::seal(&ready.settings.api_key, &plain).await?);
        row.payload = Some(value.to_string());
    }
    // A second job with the same key is answered by the runner (the first
    // job), whatever the limit.
    if key.is_none() {
        let max_active = setting(call.env, "IMPORT_MAX_ACTIVE_JOBS", MAX_ACTIVE_JOBS);
        let mut active = 0u64;
        for p in enlist_core::REGISTRY {
            let mut response =
                call_runner(call.env, *p, &owner, Method::Get, "/active", None).await?;
            if response.status_code() == 200 {
                let n: Value = response.json().await?;
                active += n.get("n").and_then(Value::as_u64).unwrap_or(0);
            }
        }
        if active >= u64::from(max_active) {
            return Ok(call
                .problem(Problem::new(
                    Kind::TooManyImports,
                    format!("This client token has {active} import job(s) queued, running or paused; at most {max_active} at once. Wait for one to finish, or cancel one."),
                ))
                .into());
        }
    }
    let job = NewJob {
        owner: owner.clone(),
        idempotency_key: key,
        columns: upload.columns,
        flags: enlist_core::provider::flag_query(provider.flags(), &query.flags)
            .trim_start_matches('?')
            .to_string(),
        rows,
    };
    let mut response = call_runner(
        call.env,
        provider,
        &owner,
        Method::Post,
        "/jobs",
        Some(serde_json::to_string(&job)?),
    )
    .await?;
    let replayed = response
        .headers()
        .get(enlist_core::proxy::IDEMPOTENT_REPLAYED)?
        .is_some();
    if !(200..300).contains(&response.status_code()) {
        return Err(worker::Error::RustError(format!(
            "the import runner answered {}",
            response.status_code()
        )));
    }
    let view: JobView = response.json().await?;
    call.log.notes.push(format!("import_job:{}", view.id));
    let mut reply = Reply::json(202, serde_json::to_string(&view)?);
    reply.location = Some(format!("/v1/imports/{}", view.id));
    Ok(Handled { reply, replayed }.into())
}

/// The caller's owner fingerprint for reading or steering jobs (the read
/// budget).
async fn reader(call: &mut Call<'_>) -> Result<String, Handled> {
    call.admit_with(READ_RATE_LIMITER).await
}

/// `GET /v1/imports`: the caller's jobs across providers, newest first.
pub async fn list(call: &mut Call<'_>) -> worker::Result<Answer> {
    let owner = match reader(call).await {
        Ok(owner) => owner,
        Err(h) => return Ok(h.into()),
    };
    let mut jobs: Vec<JobView> = Vec::new();
    for p in enlist_core::REGISTRY {
        let mut response = call_runner(call.env, *p, &owner, Method::Get, "/jobs", None).await?;
        if response.status_code() == 200 {
            jobs.extend(response.json::<Vec<JobView>>().await?);
        }
    }
    jobs.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    let body = serde_json::json!({ "jobs": jobs });
    Ok(Handled::from(Reply::json(200, body.to_string())).into())
}

/// `GET /v1/imports/{id}`, `…/rows`, and `POST …/{action}`: relayed to the
/// job's runner.
pub async fn job(
    call: &mut Call<'_>,
    id: &str,
    rest: &str,
    method: Method,
) -> worker::Result<Answer> {
    let owner = match reader(call).await {
        Ok(owner) => owner,
        Err(h) => return Ok(h.into()),
    };
    let Some(provider) = provider_of(id) else {
        return Ok(not_found(call).into());
    };
    let mut path = format!("/jobs/{id}{rest}");
    if rest == "/rows" {
        match rows_query(call.query) {
            Ok(query) => path.push_str(&query),
            Err(e) => return Ok(call.problem(invalid_body(e)).into()),
        }
    }
    let mut response = call_runner(call.env, provider, &owner, method, &path, None).await?;
    match response.status_code() {
        200 => {
            let text = response.text().await?;
            Ok(Handled::from(Reply::json(200, text)).into())
        }
        409 => Ok(call
            .problem(Problem::new(
                Kind::ImportState,
                format!(
                    "The job cannot {} now (it is finished, or not paused).",
                    rest.trim_start_matches('/')
                ),
            ))
            .into()),
        _ => Ok(not_found(call).into()),
    }
}

/// `status`, `cursor` and `limit` of `…/rows`, checked, as the runner's query.
fn rows_query(query: &str) -> Result<String, Vec<Issue>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "status" if RowStatus::from_name(value).is_some() => out.push(format!("status={value}")),
            "status" => errors.push(issue(
                "",
                Code::Enum,
                "status must be one of: pending, created, already_exists, invalid, refused, failed.",
            )),
            // Any number is a place in the rows: one past the last gives an
            // empty page (larger ones read as the largest row number).
            "cursor" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let cursor = value.parse::<u32>().unwrap_or(u32::MAX);
                out.push(format!("cursor={cursor}"));
            }
            "cursor" => errors.push(issue("", Code::Type, "cursor must be the `next` of a previous page.")),
            "limit" if value.parse::<u32>().is_ok_and(|n| (1..=MAX_PAGE).contains(&n)) => {
                out.push(format!("limit={value}"));
            }
            "limit" => errors.push(issue(
                "",
                Code::OutOfRange,
                format!("limit must be a whole number from 1 to {MAX_PAGE}."),
            )),
            _ => errors.push(issue(
                "",
                Code::UnknownField,
                "This endpoint takes status, cursor and limit.",
            )),
        }
    }
    if errors.is_empty() {
        Ok(if out.is_empty() {
            String::new()
        } else {
            format!("?{}", out.join("&"))
        })
    } else {
        Err(errors)
    }
}

/// One CSV field, quoted when it must be (RFC 4180).
fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_line(fields: impl IntoIterator<Item = String>) -> String {
    let mut line = String::new();
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        csv_field(&mut line, &field);
    }
    line.push_str("\r\n");
    line
}

/// One `errors` cell: every issue as `path code: message`, `; ` between.
fn errors_cell(errors: &[Value]) -> String {
    errors
        .iter()
        .map(|e| {
            let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default();
            format!("{} {}: {}", text("path"), text("code"), text("message"))
                .trim()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `GET /v1/imports/{id}/results.csv`: the input's columns (passwords
/// blanked), then `status`, `id`, `errors`, one line per input row, streamed
/// page by page from the runner.
pub async fn results(call: &mut Call<'_>, id: &str) -> worker::Result<Answer> {
    let owner = match reader(call).await {
        Ok(owner) => owner,
        Err(h) => return Ok(h.into()),
    };
    let Some(provider) = provider_of(id) else {
        return Ok(not_found(call).into());
    };
    // The first page, before answering: an unknown job is a 404.
    let mut response = call_runner(
        call.env,
        provider,
        &owner,
        Method::Get,
        &format!("/jobs/{id}/results"),
        None,
    )
    .await?;
    if response.status_code() != 200 {
        return Ok(not_found(call).into());
    }
    let first: ResultsPage = response.json().await?;
    let env = call.env.clone();
    let id = id.to_string();
    let mut header: Vec<String> = first.columns.clone();
    header.extend(["status", "id", "errors"].map(String::from));
    let start = csv_line(header);
    struct State {
        env: Env,
        provider: &'static dyn AnyProvider,
        owner: String,
        id: String,
        page: Option<ResultsPage>,
        head: Option<String>,
    }
    let state = State {
        env,
        provider,
        owner,
        id: id.clone(),
        page: Some(first),
        head: Some(start),
    };
    let body = stream::unfold(state, |mut s| async move {
        if let Some(head) = s.head.take() {
            return Some((Ok::<Vec<u8>, worker::Error>(head.into_bytes()), s));
        }
        let page = s.page.take()?;
        let mut chunk = String::new();
        for row in &page.rows {
            let mut fields = row.cells.clone();
            fields.resize(page.columns.len(), String::new());
            fields.push(row.view.status.clone());
            fields.push(row.view.id.clone().unwrap_or_default());
            fields.push(errors_cell(&row.view.errors));
            chunk.push_str(&csv_line(fields));
        }
        if let Some(next) = &page.next {
            let path = format!("/jobs/{}/results?cursor={next}", s.id);
            let fetched = async {
                let mut r =
                    call_runner(&s.env, s.provider, &s.owner, Method::Get, &path, None).await?;
                r.json::<ResultsPage>().await
            }
            .await;
            match fetched {
                Ok(next) => s.page = Some(next),
                Err(e) => return Some((Err(e), s)),
            }
        }
        Some((Ok(chunk.into_bytes()), s))
    });
    let response = Response::from_stream(body)?;
    let headers = response.headers();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set(
        "content-disposition",
        &format!("attachment; filename=\"{id}-results.csv\""),
    )?;
    Ok(Answer::Stream(response.into()))
}

/// Answers an import route (see the module docs).
pub async fn route(
    call: &mut Call<'_>,
    req: &web_sys::Request,
    route: crate::route::Route<'_>,
) -> worker::Result<Answer> {
    use crate::route::{ImportPart, Route};
    match route {
        Route::CreateImport(provider) => create(call, req, provider).await,
        Route::Imports => list(call).await,
        Route::Import(id, ImportPart::Job) => job(call, id, "", Method::Get).await,
        Route::Import(id, ImportPart::Rows) => job(call, id, "/rows", Method::Get).await,
        Route::Import(id, ImportPart::Action(action)) => {
            job(call, id, &format!("/{action}"), Method::Post).await
        }
        Route::Import(id, ImportPart::Results) => results(call, id).await,
        Route::Import(id, ImportPart::Events) => events(call, id).await,
        _ => Ok(not_found(call).into()),
    }
}

/// `GET /v1/imports/{id}/events`: `event: progress` with the job each time
/// it changes (the first at once), `event: end` with the finished job, and a
/// comment every [`EVENTS_KEEPALIVE_MS`] otherwise. The stream closes after
/// the end or [`EVENTS_MS`]; an `EventSource` reconnects by itself.
pub async fn events(call: &mut Call<'_>, id: &str) -> worker::Result<Answer> {
    let owner = match reader(call).await {
        Ok(owner) => owner,
        Err(h) => return Ok(h.into()),
    };
    let Some(provider) = provider_of(id) else {
        return Ok(not_found(call).into());
    };
    let path = format!("/jobs/{id}");
    let mut first = call_runner(call.env, provider, &owner, Method::Get, &path, None).await?;
    if first.status_code() != 200 {
        return Ok(not_found(call).into());
    }
    let first = first.text().await?;
    struct State {
        env: Env,
        provider: &'static dyn AnyProvider,
        owner: String,
        path: String,
        started: f64,
        quiet_since: f64,
        last: Option<String>,
        pending: Option<String>,
        ended: bool,
    }
    fn now() -> f64 {
        worker::js_sys::Date::now()
    }
    let state = State {
        env: call.env.clone(),
        provider,
        owner,
        path,
        started: now(),
        quiet_since: now(),
        last: None,
        pending: Some(first),
        ended: false,
    };
    let body = stream::unfold(state, |mut s| async move {
        loop {
            if s.ended || now() - s.started > EVENTS_MS as f64 {
                return None;
            }
            if let Some(text) = s.pending.take() {
                if s.last.as_deref() != Some(text.as_str()) {
                    let finished = serde_json::from_str::<JobView>(&text)
                        .is_ok_and(|v| v.status == "done" || v.status == "cancelled");
                    let event = if finished { "end" } else { "progress" };
                    s.ended = finished;
                    let frame = format!("event: {event}\ndata: {text}\n\n");
                    s.last = Some(text);
                    s.quiet_since = now();
                    return Some((Ok::<Vec<u8>, worker::Error>(frame.into_bytes()), s));
                }
            }
            if now() - s.quiet_since > EVENTS_KEEPALIVE_MS as f64 {
                s.quiet_since = now();
                return Some((Ok(b": keep-alive\n\n".to_vec()), s));
            }
            // Without a timer the stream ends; the client reconnects.
            crate::timer::Timer::after(EVENTS_POLL_MS).ok()?.await;
            match call_runner(&s.env, s.provider, &s.owner, Method::Get, &s.path, None).await {
                Ok(mut r) if r.status_code() == 200 => match r.text().await {
                    Ok(text) => s.pending = Some(text),
                    Err(e) => return Some((Err(e), s)),
                },
                // The job was deleted (retention) or the runner failed.
                Ok(_) => return None,
                Err(e) => return Some((Err(e), s)),
            }
        }
    });
    let response = Response::from_stream(body)?;
    response
        .headers()
        .set("content-type", "text/event-stream; charset=utf-8")?;
    Ok(Answer::Stream(response.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_and_rows_queries_are_checked() {
        let partoo = enlist_core::provider("partoo").unwrap();
        let pandadoc = enlist_core::provider("pandadoc").unwrap();
        let dry = |p, q| import_query(p, q).map(|q| q.dry_run);
        assert_eq!(dry(partoo, ""), Ok(false));
        assert_eq!(dry(partoo, "dry_run=true"), Ok(true));
        assert_eq!(dry(partoo, "dry_run=1"), Ok(true));
        assert!(dry(partoo, "dry_run=yes").is_err());
        // The provider's flags, as a single create takes them.
        assert_eq!(
            import_query(
                pandadoc,
                "notify_user=true&dry_run=false&notify_ws_admins=false"
            ),
            Ok(ImportQuery {
                dry_run: false,
                flags: vec![("notify_user", true), ("notify_ws_admins", false)],
            })
        );
        let bad = import_query(pandadoc, "dryrun=true&notify_user=yes&dry_run=no").unwrap_err();
        let codes: Vec<_> = bad.iter().map(|i| i.code).collect();
        assert_eq!(codes, [Code::Type, Code::UnknownField, Code::Type]);
        assert!(
            bad[1]
                .message
                .contains("dry_run, notify_user, notify_ws_admins"),
            "{}",
            bad[1].message
        );
        // Partoo has no flags.
        let bad = import_query(partoo, "notify_user=true").unwrap_err();
        assert_eq!(bad[0].code, Code::UnknownField);
        assert!(
            bad[0].message.ends_with("takes: dry_run."),
            "{}",
            bad[0].message
        );
        assert_eq!(rows_query(""), Ok(String::new()));
        assert_eq!(
            rows_query("status=failed&cursor=200&limit=50"),
            Ok("?status=failed&cursor=200&limit=50".to_string())
        );
        // A cursor past every row is a place too (the documented pattern
        // allows any digits).
        assert_eq!(
            rows_query("cursor=4686910150043095"),
            Ok(format!("?cursor={}", u32::MAX))
        );
        assert_eq!(rows_query("cursor=0007"), Ok("?cursor=7".to_string()));
        assert!(rows_query("cursor=-1").is_err());
        let bad = rows_query("status=lost&cursor=x&limit=9999&x=1").unwrap_err();
        let codes: Vec<_> = bad.iter().map(|i| i.code).collect();
        assert_eq!(
            codes,
            [Code::Enum, Code::Type, Code::OutOfRange, Code::UnknownField]
        );
    }

    #[test]
    fn csv_lines_quote_what_they_must() {
        let line = csv_line(["plain", "a,b", "say \"hi\"", "two\nlines", " pad"].map(String::from));
        assert_eq!(
            line,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\"\r\n"
        );
        let errors = vec![
            serde_json::json!({"path": "/email", "code": "email", "message": "Not an email."}),
            serde_json::json!({"path": "", "code": "policy", "message": "Refused."}),
        ];
        assert_eq!(
            errors_cell(&errors),
            "/email email: Not an email.; policy: Refused."
        );
    }
}
