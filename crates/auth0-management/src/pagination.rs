//! Pages of results and a pager that walks them.
//!
//! The Management API pages lists two ways:
//!
//! * **offset**: `page` (from 0), `per_page` and `include_totals=true`;
//!   the answer is `{ "start", "limit", "length", "total", "<items>": [...] }`
//!   (or a bare array without `include_totals`);
//! * **checkpoint**: `from` (a cursor) and `take`; the answer is
//!   `{ "next": "<cursor>", "<items>": [...] }`, without `next` on the last
//!   page. Tenant logs page by checkpoint too, but answer a bare array:
//!   the next `from` is in the `Link: <…>; rel="next"` header, else the last
//!   log's `log_id`, and an empty array is the end
//!   ([`Pager::checkpoint_by_item`]).
//!
//! [`Page`] holds one page of either kind; [`Pager`] requests page after
//! page with [`Pager::next_page`], or gathers everything with
//! [`Pager::collect_all`] under a hard item cap.
//!
//! Offset paging reaches only the first [`RESULT_WINDOW`] results (Auth0
//! answers 400 past them); the pager stops there with
//! [`Error::ResultWindow`], which names the way to read the rest. A server
//! that repeats a page (offset) or a cursor (checkpoint) ends the walk with
//! [`Error::PaginationLoop`] instead of looping.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{ManagementClient, ManagementService};
use crate::error::Error;
use crate::request::ApiRequest;

/// Default cap of [`Pager::collect_all`] used by the `all()` helpers.
pub const DEFAULT_MAX_ITEMS: usize = 10_000;

/// How many results offset paging (`page`/`per_page`) reaches: Auth0
/// returns at most the first 1,000 results of a list or search that way
/// and answers 400 to a page starting past them (Auth0 docs, "Search
/// results are limited to 1,000 users" in *User Search Best Practices*,
/// and the Management API's `page` limits).
pub const RESULT_WINDOW: u64 = 1_000;

/// The way around [`RESULT_WINDOW`] for a list, by its path.
fn window_alternative(path: &str) -> &'static str {
    match path {
        "/users" => {
            "export all users with a users-export job (`auth0.jobs().users_exports().create(…)`, `POST /api/v2/jobs/users-exports`) or narrow the search `q`"
        }
        "/logs" => {
            "read logs with checkpoint paging (`auth0.logs_checkpoint_pager(…)`, `from`/`take` on `GET /api/v2/logs`) or a log stream"
        }
        // `q` is ignored once `from` is sent, so a user's logs past the
        // window come from the whole checkpoint walk, filtered by user.
        p if p.starts_with("/users/") && p.ends_with("/logs") => {
            "read all logs with checkpoint paging (`auth0.logs_checkpoint_pager(…)`; Auth0 ignores `q` with `from`, so filter by `user_id` yourself) or a log stream"
        }
        _ => {
            "use the list's checkpoint pager (`from`/`take`) where it has one, or narrow the query"
        }
    }
}

/// One page of a list.
///
/// ```
/// use auth0_management::pagination::Page;
///
/// let page: Page<serde_json::Value> = Page::from_json(
///     serde_json::json!({ "start": 0, "limit": 2, "total": 3, "users": [{}, {}] }),
///     "users",
/// )?;
/// assert_eq!((page.items.len(), page.total), (2, Some(3)));
/// # Ok::<(), auth0_management::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Index of the first item (offset paging with totals).
    pub start: Option<u64>,
    /// Page size the server applied (offset paging with totals).
    pub limit: Option<u64>,
    /// Items in the whole list (offset paging with totals).
    pub total: Option<u64>,
    /// Cursor of the next page (checkpoint paging); `None` on the last page.
    pub next: Option<String>,
}

/// Reads a count leniently: Auth0 documents these as numbers and some
/// fixtures send `1.1`; fractions are truncated, negatives and non-numbers
/// read as absent.
fn count(value: Option<&Value>) -> Option<u64> {
    let n = value?.as_number()?;
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

impl<T: DeserializeOwned> Page<T> {
    /// Decodes a page: a bare array, or an object with the items under
    /// `items_key` plus the paging fields.
    pub fn from_json(value: Value, items_key: &str) -> Result<Self, Error> {
        let decode = |items: Value| {
            serde_json::from_value::<Vec<T>>(items).map_err(|e| Error::InvalidPage {
                reason: format!("the items could not be decoded: {e}"),
            })
        };
        match value {
            Value::Array(_) => Ok(Page {
                items: decode(value)?,
                start: None,
                limit: None,
                total: None,
                next: None,
            }),
            Value::Object(mut map) => {
                let items = match map.remove(items_key) {
                    Some(Value::Null) | None => Vec::new(),
                    Some(items) => decode(items)?,
                };
                Ok(Page {
                    items,
                    start: count(map.get("start")),
                    limit: count(map.get("limit")),
                    total: count(map.get("total")),
                    next: map
                        .get("next")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                })
            }
            other => Err(Error::InvalidPage {
                reason: format!(
                    "expected an array or an object with `{items_key}`, got {}",
                    json_kind(&other)
                ),
            }),
        }
    }
}

/// The `from` parameter of the `rel="next"` link of a `Link` header
/// (RFC 8288), when it is plain (unreserved characters only: Auth0's log
/// ids are digits); anything else is left to the last item's id.
fn next_from_link(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                p == "rel=next" || p == "rel=\"next\""
            });
            if !is_next {
                return None;
            }
            let (_, query) = target.split_once('?')?;
            let from = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("from="))?;
            let plain = !from.is_empty()
                && from
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
            plain.then(|| from.to_owned())
        })
}

/// `field` of the last element of a bare-array page, as text.
fn last_item_field(data: &Value, field: &str) -> Option<String> {
    match data.as_array()?.last()?.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[derive(Clone)]
enum Position {
    Offset {
        page: u64,
        per_page: u32,
        /// The items of the previous page, to notice a repeated page.
        previous: Option<Value>,
    },
    Checkpoint {
        from: Option<String>,
        take: u32,
        used: HashSet<String>,
        /// Where the next cursor comes from.
        cursor: Cursor,
    },
}

/// Where a checkpoint pager finds the next `from`.
#[derive(Clone, Copy, Debug)]
enum Cursor {
    /// The page object's `next` field.
    NextField,
    /// The `from` of the `Link: <…>; rel="next"` header, else this field of
    /// the page's last item (the tenant logs' `log_id`).
    LinkOrLastItem(&'static str),
}

// By hand: the previous page's items (user data) stay out of `Debug`.
impl fmt::Debug for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Offset { page, per_page, .. } => f
                .debug_struct("Offset")
                .field("page", page)
                .field("per_page", per_page)
                .finish_non_exhaustive(),
            Position::Checkpoint {
                from, take, used, ..
            } => f
                .debug_struct("Checkpoint")
                .field("from", from)
                .field("take", take)
                .field("used", &used.len())
                .finish_non_exhaustive(),
        }
    }
}

/// Walks the pages of one list operation.
///
/// `next_page` returns `None` once the list is exhausted. An error does not
/// move the pager: calling `next_page` again retries the same page.
///
/// ```no_run
/// use auth0_management::resources::users::ListUsersParams;
/// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
/// let mut pager = auth0.users().pager(ListUsersParams::new().q("email.domain:\"example.com\""));
/// while let Some(page) = pager.next_page().await {
///     for user in page?.items {
///         println!("{:?}", user.user_id);
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Pager<T, S = auth0_core::stack::DefaultService> {
    client: ManagementClient<S>,
    request: ApiRequest,
    items_key: &'static str,
    position: Position,
    done: bool,
    looped: bool,
    _items: PhantomData<fn() -> T>,
}

impl<T, S> fmt::Debug for Pager<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("request", &self.request)
            .field("items_key", &self.items_key)
            .field("position", &self.position)
            .field("done", &self.done)
            .finish()
    }
}

impl<T: DeserializeOwned, S: ManagementService> Pager<T, S> {
    /// A pager over offset pages (`page`, `per_page`, `include_totals`),
    /// starting at `first_page`. `per_page` is clamped to 1..=100.
    pub fn offset(
        client: ManagementClient<S>,
        request: ApiRequest,
        items_key: &'static str,
        first_page: u64,
        per_page: u32,
    ) -> Self {
        Self::new(
            client,
            request,
            items_key,
            Position::Offset {
                page: first_page,
                per_page: per_page.clamp(1, 100),
                previous: None,
            },
        )
    }

    /// A pager over checkpoint pages (`from`, `take`), starting at `from`
    /// (or the beginning). `take` is clamped to 1..=100.
    pub fn checkpoint(
        client: ManagementClient<S>,
        request: ApiRequest,
        items_key: &'static str,
        from: Option<String>,
        take: u32,
    ) -> Self {
        Self::new(
            client,
            request,
            items_key,
            Position::Checkpoint {
                from,
                take: take.clamp(1, 100),
                used: HashSet::new(),
                cursor: Cursor::NextField,
            },
        )
    }

    /// A pager over checkpoint pages whose answer is a bare array, as the
    /// tenant logs answer `GET /api/v2/logs?from=…&take=…`: the next `from`
    /// is taken from the `Link: <…>; rel="next"` header Auth0 sends (its
    /// `from` value only; the URL itself is never followed, so the token
    /// never goes to another host), else from `id_field` of the page's
    /// last item. An empty page ends the walk (Auth0 answers `[]` with the
    /// same `next` link once there is nothing newer). `take` is clamped to
    /// 1..=100. [`Pager::cursor`] is where a later walk resumes.
    pub fn checkpoint_by_item(
        client: ManagementClient<S>,
        request: ApiRequest,
        from: Option<String>,
        take: u32,
        id_field: &'static str,
    ) -> Self {
        Self::new(
            client,
            request,
            "",
            Position::Checkpoint {
                from,
                take: take.clamp(1, 100),
                used: HashSet::new(),
                cursor: Cursor::LinkOrLastItem(id_field),
            },
        )
    }

    /// The `from` cursor the next request of a checkpoint walk sends (after
    /// the last page: where a later walk should resume); `None` for offset
    /// paging or before the first page of a walk started at the beginning.
    pub fn cursor(&self) -> Option<&str> {
        match &self.position {
            Position::Checkpoint { from, .. } => from.as_deref(),
            Position::Offset { .. } => None,
        }
    }

    fn new(
        client: ManagementClient<S>,
        request: ApiRequest,
        items_key: &'static str,
        position: Position,
    ) -> Self {
        Self {
            client,
            request,
            items_key,
            position,
            done: false,
            looped: false,
            _items: PhantomData,
        }
    }

    /// Fetches the next page, or `None` when there is none.
    pub async fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
        if self.looped {
            self.looped = false;
            self.done = true;
            return Some(Err(Error::PaginationLoop));
        }
        if self.done {
            return None;
        }
        if let Position::Offset { page, per_page, .. } = &self.position {
            // Auth0 answers 400 to a page that starts past the window:
            // stop before sending it, naming the way to read the rest.
            if page.saturating_mul(u64::from(*per_page)) >= RESULT_WINDOW {
                self.done = true;
                return Some(Err(Error::ResultWindow {
                    limit: RESULT_WINDOW,
                    alternative: window_alternative(self.request.path.as_str()),
                }));
            }
        }
        let mut request = self.request.clone();
        let query = request.query_mut();
        match &self.position {
            Position::Offset { page, per_page, .. } => {
                query
                    .remove("page")
                    .remove("per_page")
                    .remove("include_totals");
                query
                    .push("page", page)
                    .push("per_page", per_page)
                    .push("include_totals", true);
            }
            Position::Checkpoint { from, take, .. } => {
                query.remove("from").remove("take");
                query.push_opt("from", from.as_deref()).push("take", take);
            }
        }
        let (data, headers) = match self.client.execute::<Value>(request).await {
            Ok(response) => (response.data, response.headers),
            Err(e) => return Some(Err(e)),
        };
        // For item-cursor checkpoints, the next `from` is read before the
        // items are decoded into `T`.
        let item_cursor = match &self.position {
            Position::Checkpoint {
                cursor: Cursor::LinkOrLastItem(field),
                ..
            } => Some(next_from_link(&headers).or_else(|| last_item_field(&data, field))),
            _ => None,
        };
        // A server that ignores `page` answers every request with the same
        // items: that is a loop, not more data.
        let repeated = match &mut self.position {
            Position::Offset { previous, .. } => {
                let items = match &data {
                    Value::Array(_) => Some(&data),
                    Value::Object(map) => map.get(self.items_key),
                    _ => None,
                };
                let items = items.filter(|i| i.as_array().is_some_and(|a| !a.is_empty()));
                let same = items.is_some() && items == previous.as_ref();
                *previous = items.cloned();
                same
            }
            Position::Checkpoint { .. } => false,
        };
        if repeated {
            self.done = true;
            return Some(Err(Error::PaginationLoop));
        }
        let mut page = match Page::<T>::from_json(data, self.items_key) {
            Ok(page) => page,
            Err(e) => return Some(Err(e)),
        };
        if let Some(next) = item_cursor {
            page.next = next.filter(|_| !page.items.is_empty());
            if page.items.is_empty() {
                // Nothing newer: the end, and `from` stays the resume point.
                self.done = true;
                return Some(Ok(page));
            }
            if page.next.is_none() {
                self.done = true;
                return Some(Err(Error::InvalidPage {
                    reason: "a checkpoint page has neither a `Link: rel=\"next\"` header nor an id on its last item".to_owned(),
                }));
            }
        }
        self.advance(&page);
        Some(Ok(page))
    }

    fn advance(&mut self, page: &Page<T>) {
        match &mut self.position {
            Position::Offset {
                page: index,
                per_page,
                ..
            } => {
                let size = u64::from(*per_page);
                let start = page.start.unwrap_or(index.saturating_mul(size));
                let end = start.saturating_add(page.items.len() as u64);
                let short = (page.items.len() as u64) < size;
                if page.items.is_empty() || short || page.total.is_some_and(|t| end >= t) {
                    self.done = true;
                }
                *index = index.saturating_add(1);
            }
            Position::Checkpoint { from, used, .. } => match &page.next {
                Some(next) if !page.items.is_empty() => {
                    if let Some(previous) = from.take() {
                        used.insert(previous);
                    }
                    if used.contains(next) {
                        self.looped = true;
                    }
                    *from = Some(next.clone());
                }
                _ => self.done = true,
            },
        }
    }

    /// The remaining pages as a [`Stream`](futures_util::Stream). It ends
    /// after the last page, or after the first error (which it yields).
    ///
    /// ```no_run
    /// use auth0_management::api::RolesListParams;
    /// use futures_util::TryStreamExt;
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
    /// let pages = auth0.roles().list_pager(RolesListParams::new().per_page(100)).into_pages();
    /// let sizes: Vec<usize> = pages.map_ok(|page| page.items.len()).try_collect().await?;
    /// # let _ = sizes;
    /// # Ok(()) }
    /// ```
    pub fn into_pages(self) -> impl futures_util::Stream<Item = Result<Page<T>, Error>> {
        futures_util::stream::unfold(Some(self), |pager| async move {
            let mut pager = pager?;
            match pager.next_page().await? {
                Ok(page) => Some((Ok(page), Some(pager))),
                // `next_page` would retry the failed page; a stream stops.
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// The remaining items, page after page, as a
    /// [`Stream`](futures_util::Stream); it ends after the last item or the
    /// first error (which it yields).
    ///
    /// ```no_run
    /// use auth0_management::api::RolesListParams;
    /// use futures_util::TryStreamExt;
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
    /// let mut roles = std::pin::pin!(auth0.roles().list_pager(RolesListParams::new()).into_stream());
    /// while let Some(role) = roles.try_next().await? {
    ///     println!("{:?}", role.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<T, Error>> {
        use futures_util::StreamExt as _;
        self.into_pages().flat_map(|page| {
            let items: Vec<Result<T, Error>> = match page {
                Ok(page) => page.items.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        })
    }

    /// Fetches every remaining page and returns all items, failing with
    /// [`Error::TooManyItems`] rather than holding more than `max_items`.
    pub async fn collect_all(mut self, max_items: usize) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await {
            all.extend(page?.items);
            if all.len() > max_items {
                return Err(Error::TooManyItems { cap: max_items });
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_from() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static(
                "<https://t.auth0.com/api/v2/logs?from=900123&take=100>; rel=\"next\"",
            ),
        );
        assert_eq!(next_from_link(&headers).as_deref(), Some("900123"));
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static(
                "<https://t/api/v2/logs?take=5&from=a%2Fb>; rel=next, <https://t/x?from=9>; rel=\"prev\"",
            ),
        );
        // An escaped cursor is not guessed at: the last item's id is used.
        assert_eq!(next_from_link(&headers), None);
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static("<https://t/x?from=9>; rel=\"prev\""),
        );
        assert_eq!(next_from_link(&headers), None);
        let items = serde_json::json!([{"log_id": "1"}, {"log_id": "2"}]);
        assert_eq!(last_item_field(&items, "log_id").as_deref(), Some("2"));
        assert_eq!(last_item_field(&serde_json::json!([]), "log_id"), None);
    }

    #[test]
    fn lenient_counts() {
        let page: Page<Value> = Page::from_json(
            serde_json::json!({"start": 1.1, "limit": -1, "total": "x", "users": null}),
            "users",
        )
        .unwrap();
        assert_eq!(page.start, Some(1));
        assert_eq!(page.limit, None);
        assert_eq!(page.total, None);
        assert!(page.items.is_empty());
    }

    #[test]
    fn bare_array_and_bad_shapes() {
        let page: Page<u32> = Page::from_json(serde_json::json!([1, 2]), "x").unwrap();
        assert_eq!(page.items, vec![1, 2]);
        assert!(Page::<u32>::from_json(serde_json::json!("x"), "x").is_err());
        assert!(Page::<u32>::from_json(serde_json::json!({"x": ["a"]}), "x").is_err());
    }

    #[test]
    fn empty_next_is_last_page() {
        let page: Page<u32> =
            Page::from_json(serde_json::json!({"next": "", "x": [1]}), "x").unwrap();
        assert_eq!(page.next, None);
    }
}
